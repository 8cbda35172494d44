#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// subsidy-ledger-gen: writes a deterministic synthetic history of Jilin
/// Province's employment and entrepreneurship subsidies as JSON Lines.

let usage = """
    USAGE: subsidy-ledger-gen [--events N] [--seed S] [--start-year Y] [--years Y]
                              [--breach-rate PERMILLE] [--output FILE] [--summary]

    Writes a deterministic, realistic province-scale history of Jilin Province's
    employment and entrepreneurship subsidies (docs/EVENTS.md) as JSON Lines on
    standard output or to FILE. Every line passes the ledger's append-time
    checks; the same options give byte-identical output on every machine.

    OPTIONS:
      --events N             Lines to write, exactly (default 100000). The
                             activity is scaled so that N lines span about
                             --years years; the history runs on if needed.
      --seed S               Seed of the generator's own PRNG (default 1).
      --start-year Y         First fiscal year of the history (default 2015).
      --years Y              Years the N events should span (default 5).
      --breach-rate P        Per mille of grants, loans and discounts that
                             deliberately break an audit rule of docs/RULES.md (default 0:
                             a lawful history). 20 means about 2%.
      --output FILE          Write to FILE instead of standard output.
      --summary              Print the event-type mix and the planted breaches
                             per rule to standard error at the end.
      -h, --help             Show this help.

    EXAMPLES:
      subsidy-ledger-gen --events 1000000 --seed 7 --output history.jsonl
      subsidy-ledger-gen --events 200000 --breach-rate 20 --summary > planted.jsonl

    """

func parseOptions(_ raw: [String]) -> Generator.Options {
    // Accept --flag=value as well as --flag value.
    var arguments: [String] = []
    for argument in raw.dropFirst() {
        if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
            arguments.append(String(argument[..<eq]))
            arguments.append(String(argument[argument.index(after: eq)...]))
        } else {
            arguments.append(argument)
        }
    }
    var options = Generator.Options()
    var i = 0
    func value(_ flag: String) -> String {
        i += 1
        guard i < arguments.count else { fail("\(flag) needs a value (see --help)") }
        return arguments[i]
    }
    func integer(_ flag: String, _ range: ClosedRange<Int>) -> Int {
        let text = value(flag)
        guard let n = Int(text), range.contains(n) else {
            fail("\(flag): \"\(text)\" is not a whole number in \(range.lowerBound)...\(range.upperBound)")
        }
        return n
    }
    while i < arguments.count {
        let flag = arguments[i]
        switch flag {
        case "-h", "--help":
            let text = Array(usage.utf8)
            _ = text.withUnsafeBufferPointer { write(1, $0.baseAddress, $0.count) }
            exit(0)
        case "--events": options.events = integer(flag, 0...2_000_000_000)
        case "--seed":
            let text = value(flag)
            guard let s = UInt64(text) else { fail("--seed: \"\(text)\" is not a non-negative whole number") }
            options.seed = s
        case "--start-year": options.startYear = integer(flag, 1990...2100)
        case "--years": options.years = integer(flag, 1...50)
        case "--breach-rate": options.breachPermille = integer(flag, 0...1000)
        case "--output": options.output = value(flag)
        case "--summary": options.summary = true
        default: fail("unknown argument \"\(flag)\" (see --help)")
        }
        i += 1
    }
    return options
}

let options = parseOptions(CommandLine.arguments)
var fd: Int32 = 1
if let path = options.output {
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { fail("cannot open \(path) for writing: errno \(errno)") }
}
let writer = LineWriter(fd: fd, limitLines: options.events)
let generator = Generator(options: options, writer: writer)
writer.onLimit = {
    if options.summary { generator.printSummary() }
    if fd != 1 { close(fd) }
    exit(0)
}
if options.events == 0 { writer.onLimit() }
generator.run()
writer.onLimit()
