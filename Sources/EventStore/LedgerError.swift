import LMDBKit

/// Why a ledger could not be opened or used. Each case reads as advice.
public enum LedgerError: Error, CustomStringConvertible {
    /// The directory holds no ledger.
    case notALedger(path: String)
    /// `init` on a directory that already holds one.
    case alreadyExists(path: String)
    /// The ledger was written by a newer version of this program.
    case newerFormat(found: UInt32, supported: UInt32)
    /// The stored bytes are not what this program writes.
    case corrupt(String)
    /// The ledger's data file is empty, truncated or not an LMDB file
    /// (found before it was mapped; nothing was written to it).
    case damaged(String)
    /// `init` on a directory whose `data.mdb` is not a complete ledger.
    case occupied(path: String, finding: String)
    /// A command that writes, on a ledger this user cannot write.
    case notWritable(path: String, reason: String)
    /// The storage engine failed.
    case storage(LMDBError)
    /// The directory could not be created or read.
    case io(String)
    /// What was asked of the ledger cannot be answered by it (an event it
    /// does not hold, a tree size past its head): an input error.
    case invalidRequest(String)

    /// `error` as a ledger error: itself when it is one, an LMDB failure
    /// (which the store's operations let through unwrapped) as ``storage(_:)``,
    /// anything else nil.
    public static func from(_ error: any Error) -> LedgerError? {
        if let error = error as? LedgerError { return error }
        if let error = error as? LMDBError { return .storage(error) }
        return nil
    }

    /// What was asked cannot be done, rather than the ledger or its storage
    /// failing: the usage or input error of the command line (exit 2).
    public var isRequestError: Bool {
        switch self {
        case .alreadyExists, .invalidRequest: return true
        default: return false
        }
    }

    /// A stored record whose hash is not the link of its bytes after the record before it.
    static func chainBreaks(at seq: UInt64) -> LedgerError {
        .corrupt("event \(seq) does not match its stored hash: the chain breaks at seq \(seq)")
    }

    public var description: String {
        switch self {
        case .notALedger(let path):
            return "no ledger at \(path); create one with `subsidy-ledger init` or name another with --ledger"
        case .alreadyExists(let path):
            return "a ledger already exists at \(path); nothing was changed"
        case .newerFormat(let found, let supported):
            return "the ledger has format version \(found), newer than this program's \(supported); use a newer subsidy-ledger"
        case .corrupt(let what):
            return "the ledger is damaged: \(what); run `subsidy-ledger verify` and restore from a backup"
        case .damaged(let finding):
            return "damaged ledger: \(finding); nothing was changed: restore the ledger from a backup"
        case .occupied(let path, let finding):
            return "\(path) holds no complete ledger: \(finding); nothing was changed. "
                + "Move its data.mdb and lock.mdb away (or restore them from a backup) to create a ledger there"
        case .notWritable(let path, let reason):
            return "the ledger at \(path) cannot be written by this user (\(reason)); this command changes the ledger, "
                + "so nothing was done. Reading commands still work on it, read-only"
        case .storage(let error):
            if error.isCorrupt { return "the ledger's files are damaged or not LMDB files (\(error))" }
            return "storage error: \(error)"
        case .io(let what), .invalidRequest(let what):
            return what
        }
    }
}
