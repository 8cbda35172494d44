import CLMDB
import Glibc

/// A test-only hook that makes the n-th call of an LMDB operation fail, so
/// that tests can show what every command leaves behind when a write, a
/// commit, a sync or a growth of the map fails at any point (docs/TESTING.md).
///
/// It is armed by the environment variable `SUBSIDY_LEDGER_FAULT`, read once
/// per process:
///
/// - `OPERATION:N:ERROR[,OPERATION:N:ERROR…]` fails the N-th call (counted
///   from 1, over the whole process) of OPERATION with ERROR. OPERATION is
///   `put` (`mdb_cursor_put`: every store, append and insert), `commit`
///   (`mdb_txn_commit` of a write transaction: where LMDB writes its pages
///   and syncs them), `sync` (`mdb_env_sync`) or `mapsize`
///   (`mdb_env_set_mapsize`: the first size of the map and each growth).
///   ERROR is `EIO`, `ENOSPC`, `ENOMEM` or `MAP_FULL` (`MDB_MAP_FULL`), or
///   `KILL`: the process kills itself with SIGKILL instead of making the
///   call (a crash at a known point). Each fault fires once and says so on
///   standard error.
/// - `count` fails nothing and prints, when the process exits, how many of
///   each operation it made, e.g. `fault injection counts: put=412 commit=3
///   sync=0 mapsize=1`.
///
/// Unset (the only state outside tests) it costs one load and one branch of
/// a constant per operation.
public enum FaultInjection {
    /// The LMDB operations a fault can be injected into.
    public enum Operation: Int, CaseIterable, Sendable {
        case put, commit, sync, mapsize

        public var name: String {
            switch self {
            case .put: "put"
            case .commit: "commit"
            case .sync: "sync"
            case .mapsize: "mapsize"
            }
        }
    }

    /// One planned fault: the `call`-th call of `operation` returns `code`.
    public struct Fault: Equatable, Sendable {
        public var operation: Operation
        public var call: Int
        public var code: Int32
    }

    /// What `SUBSIDY_LEDGER_FAULT` asks for.
    public struct Plan: Equatable, Sendable {
        public var faults: [Fault] = []
        public var reportsCounts = false
    }

    /// The error names the variable accepts.
    static let errorCodes: [(name: String, code: Int32)] = [
        ("EIO", EIO), ("ENOSPC", ENOSPC), ("ENOMEM", ENOMEM), ("MAP_FULL", MDB_MAP_FULL), ("KILL", killCode),
    ]

    /// The code that stands for `KILL` (no C call returns it).
    static let killCode = Int32.min

    /// Parses the variable's value; nil when it is malformed.
    public static func parse(_ text: String) -> Plan? {
        var plan = Plan()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            if item == "count" {
                plan.reportsCounts = true
                continue
            }
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3,
                  let operation = Operation.allCases.first(where: { $0.name == parts[0] }),
                  let call = Int(parts[1]), call >= 1,
                  let code = errorCodes.first(where: { $0.name == parts[2] })?.code
            else { return nil }
            plan.faults.append(Fault(operation: operation, call: call, code: code))
        }
        return plan
    }

    /// Whether the hook is armed: fixed for the life of the process.
    @usableFromInline
    static let isArmed: Bool = state != nil

    /// The armed state, or nil. A malformed variable stops the process: a
    /// test that meant to inject a fault must never pass without one.
    nonisolated(unsafe) private static var state: (plan: Plan, counts: [Int])? = {
        guard let raw = getenv("SUBSIDY_LEDGER_FAULT") else { return nil }
        let text = String(cString: raw)
        if text.isEmpty { return nil }
        guard let plan = parse(text) else {
            printError("subsidy-ledger: SUBSIDY_LEDGER_FAULT=\(text) is not OPERATION:N:ERROR[,…] or count "
                + "(OPERATION put, commit, sync or mapsize; ERROR EIO, ENOSPC, ENOMEM, MAP_FULL or KILL)")
            exit(2)
        }
        if plan.reportsCounts { atexit { FaultInjection.reportCounts() } }
        return (plan, [Int](repeating: 0, count: Operation.allCases.count))
    }()

    /// Counts a call of `operation` and returns the code it must fail with,
    /// or 0 to let it run. Called only on the thread that holds the write
    /// transaction (or opens the environment), so the counts need no lock.
    @inline(__always)
    static func injected(_ operation: Operation) -> Int32 {
        guard isArmed else { return 0 }
        return count(operation)
    }

    private static func count(_ operation: Operation) -> Int32 {
        guard var current = state else { return 0 }
        current.counts[operation.rawValue] += 1
        let call = current.counts[operation.rawValue]
        state = current
        guard let fault = current.plan.faults.first(where: { $0.operation == operation && $0.call == call }) else { return 0 }
        let name = errorCodes.first { $0.code == fault.code }?.name ?? String(fault.code)
        printError("subsidy-ledger: fault injection: \(operation.name) #\(call) fails with \(name)")
        if fault.code == killCode { kill(getpid(), SIGKILL) }
        return fault.code
    }

    private static func printError(_ line: String) {
        var text = line + "\n"
        _ = text.withUTF8 { write(2, $0.baseAddress, $0.count) }
    }

    private static func reportCounts() {
        guard let current = state else { return }
        let text = Operation.allCases.map { "\($0.name)=\(current.counts[$0.rawValue])" }.joined(separator: " ")
        printError("fault injection counts: \(text)")
    }
}

// The calls this module makes through the hook: each behaves as the C call
// it wraps, failing as that call would when a fault is planned for it.
extension FaultInjection {
    /// A store (`mdb_cursor_put`); a fault returns its code without storing anything.
    @inline(__always)
    static func put(_ cursor: OpaquePointer, _ key: inout MDB_val, _ data: inout MDB_val, _ flags: UInt32) -> Int32 {
        let code = injected(.put)
        return code != 0 ? code : mdb_cursor_put(cursor, &key, &data, flags)
    }

    /// `mdb_txn_commit` of a write transaction. LMDB frees the transaction
    /// when its commit fails, having written no meta page: a fault aborts it,
    /// which leaves the same state.
    @inline(__always)
    static func commit(_ txn: OpaquePointer) -> Int32 {
        let code = injected(.commit)
        if code != 0 {
            mdb_txn_abort(txn)
            return code
        }
        return mdb_txn_commit(txn)
    }

    /// `mdb_env_sync`.
    @inline(__always)
    static func sync(_ env: OpaquePointer, _ force: Int32) -> Int32 {
        let code = injected(.sync)
        return code != 0 ? code : mdb_env_sync(env, force)
    }

    /// `mdb_env_set_mapsize`; a fault leaves the map as it was.
    @inline(__always)
    static func setMapSize(_ env: OpaquePointer, _ size: Int) -> Int32 {
        let code = injected(.mapsize)
        return code != 0 ? code : mdb_env_set_mapsize(env, size)
    }
}
