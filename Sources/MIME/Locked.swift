// The one lock type of the package, at its lowest layer so that every layer
// can share state through it instead of a lock and an unchecked Sendable of its own.
import Foundation

/// A value that several threads share, reached only inside `withLock`, with the
/// condition variable of the same lock for waiting until the value is ready.
///
/// Why the compiler need not check it (unchecked): `value` is private and every
/// access to it goes through `withLock`, which holds `condition`'s lock for the
/// whole access, so no two threads ever touch it at once; `Value: Sendable`
/// keeps whatever a closure hands out safe to use after the lock is released.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    /// Runs `body` under the lock; waiters are woken afterwards, since it may have changed the value.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body(&value)
    }

    /// Waits (releasing the lock meanwhile) until `ready` holds, then runs `body` under the lock.
    public func withLock<R>(when ready: (Value) -> Bool, _ body: (inout Value) throws -> R) rethrows -> R {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        while !ready(value) { condition.wait() }
        return try body(&value)
    }
}
