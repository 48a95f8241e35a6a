// The two primitives the engine's shared objects are made of, so that every
// class above them is checked Sendable by the compiler: state behind a lock,
// and a pointer to an OpenSSL object that threads share.
import Foundation

/// State that threads share, reached only while its lock is held.
final class Locked<State> {
    private let lock = NSLock()
    private var state: State

    init(_ state: State) { self.state = state }

    /// Runs `body` with the state, holding the lock; keep it short and call nothing that locks again.
    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&state)
    }
}

// Safe: `state` is private and only ever touched inside `withLock`, under `lock`,
// and it is Sendable, so what goes in or comes out may cross threads.
extension Locked: @unchecked Sendable where State: Sendable {}

/// A pointer to an OpenSSL object (X509, X509_CRL, EVP_PKEY, X509_STORE) held by
/// the Swift object that owns it, or to one kept for the whole run (a fetched EVP_MD).
struct SharedObject: @unchecked Sendable {
    // Safe: the owner sets the pointer once, at its creation, and frees the object in
    // its deinit (or never), so it is never changed or freed while shared. Threads
    // only read the object through OpenSSL calls that may run concurrently (OpenSSL 3
    // locks the lazily computed fields of X509 and X509_CRL, reference counts are
    // atomic, and an X509_STORE locks itself); nothing writes to it after its owner
    // is set up, except TrustStore adding its anchors under its own lock.
    let pointer: OpaquePointer
}
