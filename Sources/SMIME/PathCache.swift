// Certificate paths that validated, remembered across the messages of a run.
// A mailbox holds thousands of messages from a few signers: building and
// checking the same path again (two or three signature checks, the policy
// tree) costs more than the message's own signature.
import MIME
import COpenSSLShim
import Foundation

/// Successful validations keyed by the exact inputs: the path-building flags,
/// the leaf and every untrusted certificate offered (their DER, in order),
/// valid for verification times inside every certificate's validity period.
///
/// Only successes are kept, and only when no CRL takes part (the caller checks):
/// then the result depends on nothing else that changes during a run (the
/// trust store and the options are fixed per MessageVerifier, which owns this).
/// Failures are recomputed, so their explanations stay exact.
final class PathCache: Sendable {
    struct Entry {
        let chain: [Certificate]
        /// The latest notBefore and earliest notAfter in the chain (Unix seconds).
        let from: Int64
        let until: Int64
        /// The certificates a key names by object (see `Key`), kept alive with it.
        let retained: [Certificate]
    }

    /// What names a path check's inputs.
    struct Key {
        let bytes: [UInt8]
        let retained: [Certificate]
    }

    /// Plenty for a mailbox's signers; the whole cache is dropped when full.
    static let capacity = 2048
    private let entries = Locked([ByteKey: Entry]())

    /// The key: flags, then each certificate. When the leaf and every untrusted
    /// certificate are objects of `certificates` (the usual case: all came in the
    /// message), each is named by its object, which has one DER for its life; the
    /// entry keeps the objects alive, so no other certificate can take an address
    /// while it stands. Otherwise each certificate's DER, with its length in front.
    static func key(flags: UInt, leaf: Certificate, untrusted: OpaquePointer, certificates: CertificateCache? = nil) -> Key {
        let count = Int(max(0, smk_x509_stack_num(untrusted)))
        if let certificates, certificates.known(leaf.x509) === leaf {
            var objects = [leaf]
            objects.reserveCapacity(count + 1)
            for i in 0..<Int32(count) {
                guard let x = smk_x509_stack_value(untrusted, i) else { continue }
                guard let known = x == leaf.x509 ? leaf : certificates.known(x) else { objects = []; break }
                objects.append(known)
            }
            if !objects.isEmpty {
                var key: [UInt8] = [1]
                key.reserveCapacity(9 + 8 * objects.count)
                withUnsafeBytes(of: UInt64(flags).littleEndian) { key += $0 }
                for o in objects { withUnsafeBytes(of: UInt64(UInt(bitPattern: ObjectIdentifier(o))).littleEndian) { key += $0 } }
                return Key(bytes: key, retained: objects)
            }
        }
        var key: [UInt8] = [0]
        key.reserveCapacity(4096)
        withUnsafeBytes(of: UInt64(flags).littleEndian) { key += $0 }
        func append(_ x509: OpaquePointer) {
            if let known = x509 == leaf.x509 ? leaf : certificates?.known(x509) {
                let der = known.der
                withUnsafeBytes(of: UInt32(der.count).littleEndian) { key += $0 }
                key += der
                return
            }
            let n = i2d_X509(x509, nil)
            guard n > 0 else { return }
            withUnsafeBytes(of: UInt32(n).littleEndian) { key += $0 }
            let start = key.count
            key += repeatElement(0, count: Int(n))
            key.withUnsafeMutableBufferPointer { buffer in
                var p = buffer.baseAddress.map { $0 + start }
                _ = i2d_X509(x509, &p)
            }
        }
        append(leaf.x509)
        for i in 0..<Int32(count) {
            if let x = smk_x509_stack_value(untrusted, i) { append(x) }
        }
        return Key(bytes: key, retained: [])
    }

    func lookup(_ key: Key, at time: Int64) -> [Certificate]? {
        guard let entry = entries.withLock({ $0[ByteKey(bytes: key.bytes)] }), entry.from <= time, time < entry.until else { return nil }
        return entry.chain
    }

    /// Remembers a chain that validated; one whose validity cannot be read is not kept.
    func store(_ key: Key, chain: [Certificate]) {
        guard !chain.isEmpty else { return }
        var from = Int64.min, until = Int64.max
        for cert in chain {
            guard let notBefore = cert.notBefore, let notAfter = cert.notAfter else { return }
            from = max(from, Int64(notBefore.timeIntervalSince1970.rounded(.up)))
            until = min(until, Int64(notAfter.timeIntervalSince1970.rounded(.down)))
        }
        guard from < until else { return }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[ByteKey(bytes: key.bytes)] = Entry(chain: chain, from: from, until: until, retained: key.retained)
        }
    }
}
