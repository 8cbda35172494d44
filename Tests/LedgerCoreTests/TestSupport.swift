import Foundation
import LedgerCore

/// The package root, found from this file's path.
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)  // Tests/LedgerCoreTests/TestSupport.swift
    return parts.joined(separator: "/")
}()

func fixtureLines(_ name: String) throws -> [String] {
    let text = try String(contentsOfFile: packageRoot + "/Fixtures/" + name, encoding: .utf8)
    return text.split(separator: "\n").map(String.init)
}

/// Parses one line, or returns the field error.
func parseLine(_ line: String, parser: EventParser = EventParser()) -> Result<Event, FieldError> {
    do {
        return .success(try parser.parse(line))
    } catch {
        return .failure(error)
    }
}

/// An in-memory ``AppendState``: the append rules need no store.
final class MemoryState: AppendState {
    var streams = NumberedStreams()
    var events: [String: (UInt64, Event)] = [:]
    var reversals: [UInt64: UInt64] = [:]
    var nextSeq: UInt64 = 1

    func streamNumber(_ name: String) throws -> Int32 { streams.number(name) }
    func stream(_ number: Int32) throws -> StreamState? { streams.state(number) }
    func setStream(_ number: Int32, _ state: StreamState) throws { streams.set(number, state) }
    func event(withID id: String) throws -> (seq: UInt64, event: Event)? { events[id].map { ($0.0, $0.1) } }
    func reversal(of seq: UInt64) throws -> UInt64? { reversals[seq] }

    /// Applies one JSON line; returns the error text, or nil when accepted.
    @discardableResult
    func append(_ line: String) -> String? {
        let event: Event
        switch parseLine(line) {
        case .failure(let error): return error.description
        case .success(let parsed): event = parsed
        }
        do {
            let placement = try AppendRules().apply(event, seq: nextSeq, to: self)
            events[event.id] = (nextSeq, event)
            if let reversed = placement.reversedSeq { reversals[reversed] = nextSeq }
            nextSeq += 1
            return nil
        } catch let error as FieldError {
            return error.description
        } catch {
            return "unexpected: \(error)"
        }
    }
}
