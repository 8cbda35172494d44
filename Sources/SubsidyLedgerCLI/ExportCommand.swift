import ArgumentParser
import EventStore
import LedgerCore
import Reports

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the ledger's figures for other tools.",
        subcommands: [ExportHledgerCommand.self])
}

struct ExportHledgerCommand: ParsableCommand, ShowsPersonalData {
    static let configuration = CommandConfiguration(
        commandName: "hledger",
        abstract: "The money movements as an hledger journal (commodity CNY).",
        discussion: """
            One transaction per money event of the view, dated by its effective date, with the event id \
            as code and seq and type as tags; every posting carries a balance assertion. Check it with a \
            tool we did not write: `hledger -f FILE check` and `hledger -f FILE balance assets:budget` \
            (which equals `balances --by fund`, column available). Reversed events and their reversals \
            are left out, as in every other view. The accounts are described in docs/ACCOUNTS.md.
            """)

    @OptionGroup var location: LedgerLocation
    /// The view only: the journal has one format, so --format is refused.
    @OptionGroup var view: ViewSelection
    @OptionGroup var privacy: PrivacyOptions

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let ledger = try location.open(readOnly: true)
        try view.checkAsOfSeq(in: ledger)
        let head = try ledger.head()
        let live = try ledger.liveEvents(view: view.ledgerView)
        var header = ["subsidy-ledger export hledger", "ledger head \(head.seq):\(HashChain.hex(head.hash))"]
        if let seq = view.asOfSeq { header.append("as of seq \(seq)") }
        if let known = view.knownAt { header.append("known at \(known)") }
        if let date = view.effectiveOn { header.append("effective on or before \(date)") }
        let journal = try ledger.withLookup { lookup in
            try HledgerJournal.render(live.map { HledgerJournal.Entry(seq: $0.seq, event: $0.event) }, header: header, lookup: lookup, masking: privacy.masking)
        }
        try write(journal, to: output, masking: privacy.masking)
    }
}
