/// JSON lines of each event type, short enough to write a history in a test.
public enum Line {
    public static func person(_ id: String, _ p: String, on day: String = "2016-01-01", born: String = "1970-01-01") -> String {
        #"{"id":"\#(id)","type":"person.registered","effective":"\#(day)","data":{"person":"\#(p)","birthDate":"\#(born)","sex":"M"}}"#
    }
    public static func certify(_ id: String, _ p: String, on day: String) -> String {
        #"{"id":"\#(id)","type":"person.certified","effective":"\#(day)","data":{"person":"\#(p)","kind":"employment-difficulty"}}"#
    }
    public static func enterprise(_ id: String, _ e: String, on day: String = "2016-01-01") -> String {
        #"{"id":"\#(id)","type":"enterprise.registered","effective":"\#(day)","data":{"enterprise":"\#(e)","size":"small","region":"220102"}}"#
    }
    public static func grant(_ id: String, _ g: String, person p: String, on day: String = "2016-02-01", amount: String = "1000") -> String {
        #"{"id":"\#(id)","type":"subsidy.granted","effective":"\#(day)","data":{"grant":"\#(g)","program":"si-difficulty","person":"\#(p)","amount":"\#(amount)","fund":"employment-special","region":"220102","fiscalYear":2016}}"#
    }
    public static func recover(_ id: String, _ g: String, amount: String, on day: String = "2016-03-01") -> String {
        #"{"id":"\#(id)","type":"subsidy.recovered","effective":"\#(day)","data":{"grant":"\#(g)","amount":"\#(amount)"}}"#
    }
    public static func loan(_ id: String, _ l: String, person p: String, on day: String = "2016-02-01", principal: String = "100000") -> String {
        #"{"id":"\#(id)","type":"loan.issued","effective":"\#(day)","data":{"loan":"\#(l)","person":"\#(p)","category":"individual","principal":"\#(principal)","rateBp":435,"benchmarkBp":435,"maturity":"2018-02-01","bank":"B","region":"220102"}}"#
    }
    public static func repay(_ id: String, _ l: String, _ amount: String, on day: String = "2016-06-01") -> String {
        #"{"id":"\#(id)","type":"loan.repaid","effective":"\#(day)","data":{"loan":"\#(l)","principal":"\#(amount)"}}"#
    }
    public static func defaulted(_ id: String, _ l: String, on day: String = "2017-01-01") -> String {
        #"{"id":"\#(id)","type":"loan.defaulted","effective":"\#(day)","data":{"loan":"\#(l)"}}"#
    }
    public static func compensate(_ id: String, _ l: String, _ amount: String, on day: String = "2017-02-01") -> String {
        #"{"id":"\#(id)","type":"guarantee.compensated","effective":"\#(day)","data":{"loan":"\#(l)","amount":"\#(amount)","fund":"guarantee","region":"220102","fiscalYear":2017}}"#
    }
    public static func guaranteeRecover(_ id: String, _ l: String, _ amount: String, on day: String = "2017-03-01") -> String {
        #"{"id":"\#(id)","type":"guarantee.recovered","effective":"\#(day)","data":{"loan":"\#(l)","amount":"\#(amount)","fund":"guarantee","region":"220102","fiscalYear":2017}}"#
    }
    public static func reverse(_ id: String, _ target: String, on day: String = "2017-06-01") -> String {
        #"{"id":"\#(id)","type":"entry.reversed","effective":"\#(day)","data":{"target":"\#(target)","reason":"error"}}"#
    }
}

