import Glibc
import LMDBKit
import LedgerCore
import Proofs

/// Who may read a new ledger's files (docs/FORMAT.md, "Files and permissions").
public enum FileSharing: Sendable {
    /// Only the owner: the directory 0700, `data.mdb` and `lock.mdb` 0600.
    case ownerOnly
    /// The owner writes and the owner's group reads: the directory 0750,
    /// `data.mdb` 0640, and `lock.mdb` 0660, because a reader takes a slot in
    /// the lock file's reader table (that slot is what keeps a writer from
    /// reusing the pages it reads).
    case groupReadable

    var directoryMode: mode_t { self == .ownerOnly ? 0o700 : 0o750 }
    var dataMode: mode_t { self == .ownerOnly ? 0o600 : 0o640 }
    var lockMode: mode_t { self == .ownerOnly ? 0o600 : 0o660 }

    /// The mode for a lock file LMDB recreates beside an existing data file:
    /// read and write for each class that may read the data.
    static func lockMode(forDataFileIn path: String) -> mode_t {
        var status = stat()
        guard stat(path + "/data.mdb", &status) == 0 else { return 0o600 }
        return 0o600 | (status.st_mode & 0o040 != 0 ? 0o060 : 0) | (status.st_mode & 0o004 != 0 ? 0o006 : 0)
    }
}

extension Ledger {
    /// Name of the staging directory `create` builds a ledger in: beside the
    /// target (`.NAME.init`) when the target does not exist, inside it when
    /// it is an existing directory.
    static let stagingInside = ".subsidy-ledger-init"


    /// Creates an empty ledger in `path`, named `origin` for its checkpoints
    /// when given, in one atomic step: a crash leaves either no ledger or a
    /// complete empty one.
    ///
    /// The ledger is built in a staging directory, its files are synced, and
    /// then it is renamed into place: the whole directory when `path` does
    /// not exist (it must then be on the same file system as its parent), or
    /// only `data.mdb` when `path` is an existing directory (which keeps its
    /// own permissions; the staging directory is then made inside it, so a
    /// mount point works). The remains of an interrupted creation are
    /// removed, and `notice` says so. A `path` whose `data.mdb` exists is
    /// refused: ``LedgerError/alreadyExists(path:)`` for a ledger,
    /// ``LedgerError/occupied(path:finding:)`` for anything else.
    public static func create(at path: String, origin: String? = nil, options: OpenOptions = OpenOptions(),
                              sharing: FileSharing = .ownerOnly, notice: (String) -> Void = { _ in }) throws -> Ledger {
        if let origin, !Checkpoint.isValidOrigin(origin) {
            throw LedgerError.invalidRequest("\"\(origin)\" is not a valid origin: 1 to 256 printable ASCII characters without spaces")
        }
        let target = trimmedPath(path)
        var status = stat()
        let targetExists: Bool
        if stat(target, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else { throw LedgerError.io("\(path) exists and is not a directory; nothing was changed") }
            if access(target + "/data.mdb", F_OK) == 0 || errno != ENOENT { try refuseExisting(path) }
            targetExists = true
        } else if errno == ENOENT {
            targetExists = false
        } else {
            throw LedgerError.io("cannot create a ledger at \(path): \(String(cString: strerror(errno)))")
        }
        let staging = targetExists ? target + "/" + stagingInside : siblingStaging(of: target)
        let stage = try StagingDirectory(claiming: staging, for: path, notice: notice)
        do {
            try build(in: staging, origin: origin, options: options, sharing: sharing)
            try options.creationFaultForTesting?()
            if targetExists {
                try publishFile(from: staging, into: target, path: path)
                stage.removeEmpty()
            } else {
                try publishDirectory(from: staging, to: target, path: path)
            }
        } catch {
            stage.discard()
            throw error
        }
        let ledger = try open(at: path, options: options)
        // LMDB made the lock file under the umask; set the mode the sharing asks for.
        _ = chmod(target + "/lock.mdb", sharing.lockMode)
        return ledger
    }

    /// Refuses `init` on a directory that holds a `data.mdb`, saying what it is.
    private static func refuseExisting(_ path: String) throws -> Never {
        do {
            _ = try DataFile.inspect(directory: path)
        } catch {
            throw LedgerError.occupied(path: path, finding: error.finding)
        }
        do {
            _ = try open(at: path, options: OpenOptions(readOnly: true))
        } catch LedgerError.newerFormat {
            throw LedgerError.alreadyExists(path: path)
        } catch LedgerError.notALedger, LedgerError.corrupt {
            throw LedgerError.occupied(path: path, finding: "its data.mdb is an LMDB environment without a ledger's format marker "
                                       + "(what an `init` interrupted before this version made creation atomic leaves, or another program's database)")
        }
        throw LedgerError.alreadyExists(path: path)
    }

    /// Builds a complete empty ledger in `staging` and syncs it to disk.
    private static func build(in staging: String, origin: String?, options: OpenOptions, sharing: FileSharing) throws {
        guard chmod(staging, sharing.directoryMode) == 0 else { throw LedgerError.io(failure("cannot set the mode of", staging)) }
        var envOptions = Environment.Options()
        envOptions.create = true
        envOptions.initialMapSizeBytes = options.initialMapSizeBytes
        envOptions.fileMode = sharing.dataMode
        do {
            let env: Environment
            do {
                env = try Environment(path: staging, options: envOptions)
            } catch let error as LMDBError {
                throw LedgerError.storage(error)
            }
            let ledger = try Ledger(path: staging, env: env, create: true, options: options)
            try env.write { txn in
                var format = ByteWriter()
                format.u32(formatVersion)
                try txn.put(ledger.meta, key: Array("format".utf8), value: format.bytes)
                var created = ByteWriter()
                created.i64(Clock.nowMicros())
                try txn.put(ledger.meta, key: Array("created".utf8), value: created.bytes)
                if let origin { try txn.put(ledger.meta, key: MerkleLayout.originKey, value: Array(origin.utf8)) }
                try txn.put(ledger.meta, key: MerkleLayout.frontierKey, value: MerkleLayout.encode(MerkleFrontier()))
            }
            try env.sync()
        } catch let error as LMDBError {
            throw LedgerError.storage(error)
        }
        // The environment is closed here (its last reference is gone).
        for (name, mode) in [("data.mdb", sharing.dataMode), ("lock.mdb", sharing.lockMode)] {
            guard chmod(staging + "/" + name, mode) == 0 else { throw LedgerError.io(failure("cannot set the mode of", staging + "/" + name)) }
        }
        try syncPath(staging + "/data.mdb")
        try syncPath(staging)
    }

    /// Moves the staged directory to `target`, which must still not exist.
    /// (`rename` replaces at most an empty directory that appeared meanwhile;
    /// one with anything in it makes the rename fail.)
    private static func publishDirectory(from staging: String, to target: String, path: String) throws {
        guard rename(staging, target) == 0 else {
            if errno == EEXIST || errno == ENOTEMPTY {
                throw LedgerError.io("\(path) appeared while the ledger was being built; nothing was changed there")
            }
            throw LedgerError.io(failure("cannot move the new ledger into place at", path))
        }
        try syncPath(parentDirectory(of: target))
    }

    /// Moves the staged `data.mdb` into the existing directory `target`,
    /// never over a `data.mdb` that appeared there meanwhile: a hard link
    /// is refused where the name exists, and the staged name is then removed.
    private static func publishFile(from staging: String, into target: String, path: String) throws {
        let from = staging + "/data.mdb", to = target + "/data.mdb"
        if link(from, to) == 0 {
            _ = unlink(from)
        } else {
            let code = errno
            if code == EEXIST { throw LedgerError.alreadyExists(path: path) }
            // A file system without hard links: check, then rename.
            guard code == EPERM || code == ENOTSUP || code == EOPNOTSUPP, access(to, F_OK) != 0, errno == ENOENT else {
                throw LedgerError.io(failure("cannot move the new ledger into", path, code))
            }
            guard rename(from, to) == 0 else { throw LedgerError.io(failure("cannot move the new ledger into", path)) }
        }
        try syncPath(target)
    }

    /// `path` without trailing slashes (but "/" stays).
    static func trimmedPath(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return String(trimmed)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `.NAME.init` beside `path`.
    static func siblingStaging(of path: String) -> String {
        let name = path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
        let parent = parentDirectory(of: path)
        return (parent == "/" ? "" : parent) + "/." + name + ".init"
    }

    /// Flushes a file or directory (its entries) to disk.
    static func syncPath(_ path: String) throws {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError.io(failure("cannot open", path)) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw LedgerError.io(failure("cannot sync", path)) }
    }

    static func failure(_ what: String, _ path: String, _ code: Int32 = errno) -> String {
        "\(what) \(path): \(String(cString: strerror(code)))"
    }
}

/// The staging directory of one `create`, locked (`flock`) for as long as
/// this process builds in it, so that a second `init` of the same ledger
/// tells an interrupted creation (no lock held: its remains are removed)
/// from one under way (refused).
final class StagingDirectory {
    let path: String
    private var descriptor: Int32

    /// The files an interrupted creation can leave in a staging directory.
    static let stagedFiles = ["data.mdb", "lock.mdb"]

    init(claiming path: String, for ledger: String, notice: (String) -> Void) throws {
        self.path = path
        let created = mkdir(path, 0o700) == 0
        guard created || errno == EEXIST else { throw LedgerError.io(Ledger.failure("cannot create the staging directory", path)) }
        descriptor = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw LedgerError.io(Ledger.failure("cannot open the staging directory", path)) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            letGo()
            throw LedgerError.io("another `init` is creating a ledger at \(ledger) right now (it holds \(path)); nothing was changed")
        }
        if created { return }
        // Remains of an interrupted creation: never published, so not a ledger.
        let entries = Self.entries(of: path)
        let unknown = entries.filter { !Self.stagedFiles.contains($0) }
        guard unknown.isEmpty else {
            letGo()
            throw LedgerError.io("\(path), where `init` builds a new ledger, holds files it did not write (\(unknown.joined(separator: ", "))); "
                                 + "nothing was changed: move them away and run `init` again")
        }
        var found: [String] = []
        for name in entries {
            var status = stat()
            let size = stat(path + "/" + name, &status) == 0 ? " of \(status.st_size) bytes" : ""
            found.append(name + size)
            guard unlink(path + "/" + name) == 0 else {
                letGo()
                throw LedgerError.io(Ledger.failure("cannot remove", path + "/" + name))
            }
        }
        notice("removed the remains of an interrupted `init` at \(path) (\(found.isEmpty ? "an empty directory" : found.joined(separator: ", "))): that ledger was never completed")
    }

    deinit { letGo() }

    /// Closes the directory (its lock goes with it), once: an initializer
    /// that throws after it has opened the directory still runs `deinit`,
    /// and a second `close` of the same number could close a file another
    /// thread has opened under it since.
    private func letGo() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    /// Removes what this creation staged, after a failure.
    func discard() {
        for name in Self.stagedFiles { _ = unlink(path + "/" + name) }
        removeEmpty()
    }

    /// Removes the (emptied) staging directory and lets go of its lock.
    func removeEmpty() {
        _ = unlink(path + "/lock.mdb")
        _ = rmdir(path)
        letGo()
    }

    static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
