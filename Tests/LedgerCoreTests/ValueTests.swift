import Testing
@testable import LedgerCore

@Suite("Money and dates")
struct ValueTests {
    func parse(_ text: String) -> Result<Money, Money.ParseError> { Money.parsePositive(text) }

    @Test("amounts in yuan become exact fen")
    func validAmounts() {
        #expect(parse("1500") == .success(Money(fen: 150_000)))
        #expect(parse("1500.5") == .success(Money(fen: 150_050)))
        #expect(parse("1500.50") == .success(Money(fen: 150_050)))
        #expect(parse("0.01") == .success(Money(fen: 1)))
        #expect(parse("0.1") == .success(Money(fen: 10)))
        #expect(parse("92233720368547758.07") == .success(Money(fen: Int64.max)))
    }

    @Test("malformed amounts are refused with the reason")
    func invalidAmounts() {
        #expect(parse("0") == .failure(.notPositive))
        #expect(parse("0.00") == .failure(.notPositive))
        #expect(parse("1500.505") == .failure(.tooManyDecimals))
        #expect(parse("-5") == .failure(.malformed))
        #expect(parse("+5") == .failure(.malformed))
        #expect(parse("01") == .failure(.malformed))
        #expect(parse("00.5") == .failure(.malformed))
        #expect(parse("1e3") == .failure(.malformed))
        #expect(parse(" 1") == .failure(.malformed))
        #expect(parse("1 ") == .failure(.malformed))
        #expect(parse("1.") == .failure(.malformed))
        #expect(parse(".5") == .failure(.malformed))
        #expect(parse("1,000") == .failure(.malformed))
        #expect(parse("") == .failure(.empty))
        #expect(parse("92233720368547758.08") == .failure(.overflow))
        #expect(parse("99999999999999999999") == .failure(.overflow))
    }

    @Test("yuan output always has two decimals, with a sign when negative")
    func formatting() {
        #expect(Money(fen: 150_050).yuan == "1500.50")
        #expect(Money(fen: 5).yuan == "0.05")
        #expect(Money(fen: 0).yuan == "0.00")
        #expect(Money(fen: -200_050).yuan == "-2000.50")
        #expect(Money(fen: Int64.min).yuan == "-92233720368547758.08")
    }

    @Test("checked arithmetic reports overflow instead of wrapping")
    func overflow() {
        #expect(Money(fen: Int64.max).adding(Money(fen: 1)) == nil)
        #expect(Money(fen: Int64.min).subtracting(Money(fen: 1)) == nil)
        #expect(Money(fen: 5).adding(Money(fen: 7)) == Money(fen: 12))
    }

    @Test("only days that exist are dates")
    func dates() {
        #expect(CalendarDate.parse("2016-02-29") != nil)
        #expect(CalendarDate.parse("2015-02-29") == nil)
        #expect(CalendarDate.parse("2016-02-30") == nil)
        #expect(CalendarDate.parse("2016-04-31") == nil)
        #expect(CalendarDate.parse("2000-02-29") != nil)
        #expect(CalendarDate.parse("1900-02-29") == nil)
        #expect(CalendarDate.parse("2016-13-01") == nil)
        #expect(CalendarDate.parse("2016-00-10") == nil)
        #expect(CalendarDate.parse("2016-1-01") == nil)
        #expect(CalendarDate.parse("2016/01/01") == nil)
        #expect(CalendarDate.parse("1899-12-31") == nil)
        #expect(CalendarDate.parse("2016-01-01")?.dayNumber == 16801)
        #expect(CalendarDate.parse("1970-01-01")?.dayNumber == 0)
        #expect(CalendarDate.parse("1969-12-31")?.dayNumber == -1)
    }

    @Test("day numbers and text round-trip across two centuries")
    func roundTrip() throws {
        let start = try #require(CalendarDate.parse("1900-01-01")).dayNumber
        let end = try #require(CalendarDate.parse("2199-12-31")).dayNumber
        var day = start
        while day <= end {
            let date = CalendarDate(dayNumber: day)
            #expect(CalendarDate.parse(date.description) == date)
            day += 7
        }
    }

    @Test("adding years to 29 February gives 28 February in a common year")
    func leapBirthdays() throws {
        let born = try #require(CalendarDate.parse("1960-02-29"))
        #expect(born.addingYears(60).description == "2020-02-29")
        #expect(born.addingYears(50).description == "2010-02-28")
        #expect(try #require(CalendarDate.parse("2015-06-30")).addingYears(2).description == "2017-06-30")
    }

    @Test("months parse strictly and know their first and last days")
    func months() throws {
        let month = try #require(YearMonth.parse(Array("2016-02".utf8)))
        #expect(month.lastDay.description == "2016-02-29")
        #expect(month.firstDay.description == "2016-02-01")
        #expect(YearMonth.parse(Array("2016-13".utf8)) == nil)
        #expect(YearMonth.parse(Array("2016-2".utf8)) == nil)
        #expect(month.description == "2016-02")
    }
}
