// A pointer to an OpenSSL object that threads share; state behind a lock is MIME's
// Locked (the package's one lock type), so every class above them is checked
// Sendable by the compiler.
import Foundation

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
