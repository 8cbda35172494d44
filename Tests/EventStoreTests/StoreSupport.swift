import EventStore
import Foundation
import LedgerCore
@_exported import LedgerTestSupport
import Testing

let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// A fresh directory under the system's temporary folder, removed by `cleanup`.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "subsidy-ledger-test-" + UUID().uuidString
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            // Not a crash of the whole runner: this test fails, saying why.
            Issue.record("cannot create the temporary directory \(path): \(error)")
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to a file in the directory and returns its path.
    func file(_ name: String, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        file(name, bytes: Array(text.utf8), sourceLocation: sourceLocation)
    }

    func file(_ name: String, bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let filePath = path + "/" + name
        if !FileManager.default.createFile(atPath: filePath, contents: Data(bytes)) {
            Issue.record("cannot write the test file \(filePath)", sourceLocation: sourceLocation)
        }
        return filePath
    }
}

/// A new empty ledger in a temporary directory.
func makeLedger(_ directory: TemporaryDirectory, options: Ledger.OpenOptions = .init()) throws -> Ledger {
    try Ledger.create(at: directory.path + "/ledger", options: options)
}

extension Ledger {
    /// Imports files by path; returns the report, or the rejection.
    func importFiles(_ paths: [String]) throws -> Result<ImportReport, ImportRejected> {
        let inputs = try paths.map { try InputFile(path: $0) }
        do {
            return .success(try importEvents(from: inputs))
        } catch let rejected as ImportRejected {
            return .failure(rejected)
        }
    }

    func allEvents() throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        try forEachEvent { events.append($0); return true }
        return events
    }
}

func fixture(_ name: String) -> String { packageRoot + "/Fixtures/" + name }
