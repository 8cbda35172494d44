import LedgerCore
import Projections

/// The money movements of a view as an hledger journal (commodity CNY): one
/// transaction per money event, dated by `effective`, in (effective, seq)
/// order, each posting with a balance assertion, so that `hledger check`
/// re-proves every running balance and `hledger balance assets:budget`
/// equals `balances --by fund` (available) to the fen.
public struct HledgerJournal {
    public struct Entry {
        public var seq: UInt64
        public var event: Event
        public init(seq: UInt64, event: Event) {
            self.seq = seq
            self.event = event
        }
    }

    /// Renders `entries` (the live events of a view, in any order).
    ///
    /// Personal ids are masked as `masking` says, in descriptions and in
    /// account names alike. Balances are kept per real account; should two
    /// accounts look alike once masked, the later one's name gets `~2`
    /// (`~3`, …) in order of first use, so hledger never adds up two people
    /// or two loans (and its balance assertions hold).
    public static func render(_ entries: [Entry], header: [String], lookup: EventLookup,
                              masking: PersonalIDMasking) throws -> String {
        let ordered = entries.sorted { ($0.event.effective, $0.seq) < ($1.event.effective, $1.seq) }
        var out = header.map { "; " + $0 }.joined(separator: "\n") + "\n\ncommodity 0.00 CNY\n"
        var running: [String: Money] = [:]
        var names = AccountNames(masking: masking)
        for entry in ordered {
            let postings = try ChartOfAccounts.postings(for: entry.event, lookup: lookup)
            guard !postings.isEmpty else { continue }
            var total = Money.zero
            for posting in postings { try total.add(posting.amount, "transaction total") }
            precondition(total == .zero, "postings of \(entry.event.id) do not balance")
            let event = entry.event
            out += "\n\(event.effective) * (\(masking.text(event.id))) \(describe(event, masking: masking))  ; seq:\(entry.seq), type:\(event.type.name)\n"
            for posting in postings {
                try running[posting.account, default: .zero].add(posting.amount, posting.account)
                out += "    \(names.shown(posting.account))  \(posting.amount.yuan) CNY = \(running[posting.account]!.yuan) CNY\n"
            }
        }
        return out
    }

    static func describe(_ event: Event, masking: PersonalIDMasking) -> String {
        let data = event.data
        var parts = [event.type.name]
        for field in [Field.program, .grant, .loan, .person, .enterprise, .voucher] {
            if let text = data.string(field) { parts.append("\(field.name)=\(masking.value(text, field: field))") }
        }
        return parts.joined(separator: " ").replacingSemicolons()
    }

    /// Account names as the journal shows them: masked, and kept apart.
    struct AccountNames {
        let masking: PersonalIDMasking
        /// Real account → the name shown.
        var shownNames: [String: String] = [:]
        /// Names shown so far.
        var taken: Set<String> = []

        init(masking: PersonalIDMasking) { self.masking = masking }

        mutating func shown(_ account: String) -> String {
            if let name = shownNames[account] { return name }
            let masked = masking.text(account)
            var name = masked
            var suffix = 2
            while taken.contains(name) {
                name = masked + "~\(suffix)"
                suffix += 1
            }
            shownNames[account] = name
            taken.insert(name)
            return name
        }
    }
}

extension String {
    /// hledger starts a comment at ';': keep descriptions free of it.
    func replacingSemicolons() -> String { String(map { $0 == ";" ? "," : $0 }) }
}
