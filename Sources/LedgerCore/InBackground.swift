import Dispatch

/// One computation run on another thread while the caller goes on; its
/// result (or error) is taken with ``value()``, which waits for it. The
/// work must not share mutable state with the caller until then.
public final class InBackground<Value>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    public init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            result = Result { try work() }
            done.signal()
        }
    }

    /// Waits for the work to end and returns what it returned, or throws what it threw.
    public func value() throws -> Value {
        done.wait()
        // Left signalled: a second call returns at once.
        done.signal()
        guard let result else { preconditionFailure("the work signalled without a result") }
        return try result.get()
    }
}
