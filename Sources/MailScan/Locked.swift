// The one lock of the engine's shared state.
import Foundation

/// A value that several threads share, reached only inside `withLock`.
///
/// Why `@unchecked Sendable` is safe: `value` is private and every access to it
/// goes through `withLock`, which holds `lock` for the whole access, so no two
/// threads ever touch it at once; `Value: Sendable` keeps whatever a closure
/// hands out safe to use after the lock is released.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
