// Thin owners of OpenSSL objects. Each class frees what it owns; nothing here
// decides anything about S/MIME.
import MIME
import COpenSSLShim
import Foundation

/// Reads the last OpenSSL error and clears the queue.
func openSSLError() -> String {
    var buf = [CChar](repeating: 0, count: 256)
    smk_last_error(&buf, buf.count)
    let s = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return s
}

/// The mail addresses a certificate's subjectAltName names, and why entries
/// (or the whole extension) vouch for nothing.
public struct SubjectAltNameMail: Sendable, Hashable {
    /// Whole entries, as written.
    public var addresses: [String] = []
    /// Why entries, or the whole extension, vouch for nothing.
    public var unusable: [SignerAddresses.Fault] = []
    /// True when the extension names a mailbox at all, usable or not: then the
    /// subject's emailAddress is not consulted (RFC 8550 3).
    public var namesMail: Bool { !addresses.isEmpty || !unusable.isEmpty }
}

/// A memory BIO over bytes we own for the duration of `body`.
func withReadBIO<R>(_ bytes: some Collection<UInt8>, _ body: (OpaquePointer) throws -> R) rethrows -> R? {
    let array = Array(bytes)
    return try array.withUnsafeBytes { raw -> R? in
        // BIO_new_mem_buf does not copy; `array` outlives the BIO.
        guard let bio = BIO_new_mem_buf(raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count)) else { return nil }
        defer { BIO_free(bio) }
        return try body(bio)
    }
}

/// Every object `pem` reads from PEM bytes (each block in turn), else the one
/// `der` reads from DER bytes; OpenSSL's errors of the attempt are cleared.
func pemOrDER(_ bytes: [UInt8], pem: (OpaquePointer) -> OpaquePointer?, der: (OpaquePointer) -> OpaquePointer?) -> [OpaquePointer] {
    var out: [OpaquePointer] = []
    _ = withReadBIO(bytes) { bio in
        while let object = pem(bio) { out.append(object) }
    }
    ERR_clear_error()
    if out.isEmpty {
        _ = withReadBIO(bytes) { bio in
            if let object = der(bio) { out.append(object) }
        }
        ERR_clear_error()
    }
    return out
}

/// What an OpenSSL i2d_ function writes: asked once for the length, then into a buffer of that size.
func derEncoding(_ i2d: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
    let n = i2d(nil)
    guard n > 0 else { return [] }
    var der = [UInt8](repeating: 0, count: Int(n))
    der.withUnsafeMutableBufferPointer { buffer in
        var p = buffer.baseAddress
        _ = i2d(&p)
    }
    return der
}

func bioContents(_ bio: OpaquePointer) -> [UInt8] {
    var p: UnsafeMutablePointer<CChar>?
    let n = smk_bio_get_mem_data(bio, &p)
    guard n > 0, let p else { return [] }
    return p.withMemoryRebound(to: UInt8.self, capacity: n) { Array(UnsafeBufferPointer(start: $0, count: n)) }
}

/// An X.509 certificate (owns one reference).
///
/// The fields people read (names, serial, validity, addresses) are computed on
/// first use and kept: a run meets the same few signer and CA certificates in
/// thousands of messages, and printing an X509_NAME costs more than looking it up.
public final class Certificate: Sendable, Hashable, CustomStringConvertible {
    private let object: SharedObject
    var x509: OpaquePointer { object.pointer }

    private struct Fields {
        var der: [UInt8]?
        var subject: String?
        var issuer: String?
        var displayName: String?
        var serialHex: String?
        var validity: (notBefore: Date?, notAfter: Date?)?
        var subjectAltNameMail: SubjectAltNameMail?
        var subjectEmails: [String]?
        var fingerprint: String?
    }
    private let fields: Locked<Fields>

    /// Takes over a reference the caller already holds; `der`, when known, is its encoding.
    init(owning x509: OpaquePointer, der: [UInt8]? = nil) {
        object = SharedObject(pointer: x509)
        fields = Locked(Fields(der: der))
    }

    /// Takes a new reference.
    init(retaining x509: OpaquePointer) {
        X509_up_ref(x509)
        object = SharedObject(pointer: x509)
        fields = Locked(Fields())
    }
    deinit { X509_free(x509) }

    /// The certificate with this DER encoding; nil (OpenSSL's errors cleared) when it does not parse.
    static func fromDER(_ der: [UInt8]) -> Certificate? {
        let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var p = buffer.baseAddress
            return d2i_X509(nil, &p, buffer.count)
        }
        guard let x509 else {
            ERR_clear_error()
            return nil
        }
        return Certificate(owning: x509, der: der)
    }

    /// The field kept under `path`, computed by `make` the first time. The lock is
    /// not held while computing: two threads may both compute it, to the same value.
    private func memo<T>(_ path: WritableKeyPath<Fields, T?>, _ make: () -> T) -> T {
        if let known = fields.withLock({ $0[keyPath: path] }) { return known }
        let value = make()
        fields.withLock { $0[keyPath: path] = value }
        return value
    }

    public static func == (a: Certificate, b: Certificate) -> Bool { X509_cmp(a.x509, b.x509) == 0 }
    public func hash(into h: inout Hasher) { h.combine(fingerprint) }

    public var der: [UInt8] { memo(\.der) { derEncoding { i2d_X509(x509, $0) } } }

    /// The RFC 7468 PEM text of the certificate, as openssl x509 writes it.
    public var pem: String {
        "-----BEGIN CERTIFICATE-----\n"
            + Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END CERTIFICATE-----\n"
    }

    /// Lowercase hex SHA-256 of the DER encoding. Kept: X509_digest encodes the
    /// certificate again each time, and a verification asks about five times per
    /// signer (issue 17: 14% of a cold verify).
    public var fingerprint: String {
        memo(\.fingerprint) {
            var md = [UInt8](repeating: 0, count: 32)
            var len: UInt32 = 0
            _ = X509_digest(x509, EVP_sha256(), &md, &len)
            return Digest.hex(Array(md.prefix(Int(len))))
        }
    }

    public var subject: String { memo(\.subject) { Self.nameString(X509_get_subject_name(x509)) } }
    public var issuer: String { memo(\.issuer) { Self.nameString(X509_get_issuer_name(x509)) } }

    /// The subject's common name, or the whole subject when it has none: how people name a certificate.
    public var displayName: String {
        memo(\.displayName) {
            if let cn = nameEntries(X509_get_subject_name(x509), nid: NID_commonName).first, !cn.isEmpty { return cn }
            return subject
        }
    }

    public var serialHex: String {
        memo(\.serialHex) {
            guard let bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x509), nil) else { return "" }
            defer { BN_free(bn) }
            guard let hex = BN_bn2hex(bn) else { return "" }
            defer { CRYPTO_free(hex, #file, #line) }
            return String(cString: hex)
        }
    }

    private var validity: (notBefore: Date?, notAfter: Date?) {
        memo(\.validity) { (Self.date(X509_get0_notBefore(x509)), Self.date(X509_get0_notAfter(x509))) }
    }
    public var notBefore: Date? { validity.notBefore }
    public var notAfter: Date? { validity.notAfter }

    public var isSelfIssued: Bool { X509_check_issued(x509, x509) == X509_V_OK }

    /// Most subjectAltName entries read; a certificate with more vouches for no address.
    /// Real ones carry a handful; thousands only make every message they sign slow.
    public static let maxSubjectAltNames = 1024

    /// The rfc822Name and RFC 8398 SmtpUTF8Mailbox entries of subjectAltName, each
    /// read whole in one pass over the extension, and why any of them vouches for nothing.
    public var subjectAltNameMail: SubjectAltNameMail {
        memo(\.subjectAltNameMail) {
            var out = SubjectAltNameMail()
            var names: OpaquePointer?
            let opened = smk_x509_san_open(x509, &names)
            defer { if let names { smk_san_free(names) } }
            if opened < 0 {
                out.unusable.append(.init(code: .certificateNamesUnreadable, text: "its subjectAltName extension cannot be read (malformed, or present more than once)"))
                return out
            }
            guard opened == 1, let names else { return out }
            let n = Int(smk_san_num(names))
            if n > Self.maxSubjectAltNames {
                out.unusable.append(.init(code: .certificateTooManyNames, text: "its subjectAltName holds \(n) entries, more than the \(Self.maxSubjectAltNames) read, so none of them is used"))
                return out
            }
            for i in 0..<n {
                var type: Int32 = 0
                var data: UnsafePointer<UInt8>?
                var len: Int32 = 0
                guard smk_san_entry(names, Int32(i), &type, &data, &len) == 1 else { continue }
                switch type {
                case GEN_EMAIL, SMK_GEN_SMTPUTF8:
                    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(len, 0)))) } ?? []
                    // A NUL inside a name is the classic prefix attack ("alice@example.com\0.evil.example").
                    if let nul = bytes.firstIndex(of: 0) {
                        let shown = String(decoding: bytes[..<nul], as: UTF8.self).prefix(200)
                        let kind = type == GEN_EMAIL ? "rfc822Name" : "SmtpUTF8Mailbox"
                        let fault = SignerAddresses.Fault(code: .certificateNameNUL, text: "its subjectAltName \(kind) \"\(shown)\\0...\" has an embedded NUL and vouches for nothing")
                        if !out.unusable.contains(fault) { out.unusable.append(fault) }
                    } else {
                        out.addresses.append(String(decoding: bytes, as: UTF8.self))
                    }
                case SMK_GEN_BAD_SMTPUTF8:
                    out.unusable.append(.init(code: .certificateNamesUnreadable, text: "its subjectAltName SmtpUTF8Mailbox entry is not a UTF8String and vouches for nothing"))
                default:
                    continue
                }
            }
            return out
        }
    }

    /// The usable rfc822Name and SmtpUTF8Mailbox entries of subjectAltName.
    public var subjectAltNameEmails: [String] { subjectAltNameMail.addresses }

    /// emailAddress attributes of the subject name.
    public var subjectEmails: [String] { memo(\.subjectEmails) { nameEntries(X509_get_subject_name(x509), nid: NID_pkcs9_emailAddress) } }

    /// Key usage bits (X509v3_KU_*), nil when the extension is absent.
    var keyUsage: UInt32? {
        let ku = X509_get_key_usage(x509)
        return ku == UInt32.max ? nil : ku
    }

    /// Extended key usage bits (XKU_*), nil when the extension is absent.
    var extendedKeyUsage: UInt32? {
        let x = X509_get_extended_key_usage(x509)
        return x == UInt32.max ? nil : x
    }

    /// The digest of the issuer's signature on this certificate ("sha1", "sha256", ...).
    var signatureDigestName: String? {
        let sigNID = X509_get_signature_nid(x509)
        var mdNID: Int32 = 0
        var pkNID: Int32 = 0
        guard OBJ_find_sigid_algs(sigNID, &mdNID, &pkNID) == 1, mdNID != NID_undef else { return nil }
        return String(cString: OBJ_nid2sn(mdNID))
    }

    public var signatureAlgorithm: String { String(cString: OBJ_nid2ln(X509_get_signature_nid(x509))) }

    public var description: String { displayName }

    static func date(_ t: UnsafePointer<ASN1_TIME>?) -> Date? {
        var v: Int64 = 0
        guard let t, smk_asn1_time_to_unix(t, &v) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(v))
    }

    static func nameString(_ name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        X509_NAME_print_ex(bio, name, 0, smk_name_print_flags())
        return String(decoding: bioContents(bio), as: UTF8.self)
    }

    private func nameEntries(_ name: OpaquePointer?, nid: Int32) -> [String] {
        guard let name else { return [] }
        var out: [String] = []
        var pos: Int32 = -1
        while true {
            pos = X509_NAME_get_index_by_NID(name, nid, pos)
            if pos < 0 { break }
            guard let entry = X509_NAME_get_entry(name, pos),
                  let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            var utf8: UnsafeMutablePointer<UInt8>?
            let n = ASN1_STRING_to_UTF8(&utf8, data)
            if n >= 0, let utf8 {
                let bytes = Array(UnsafeBufferPointer(start: utf8, count: Int(n)))
                CRYPTO_free(utf8, #file, #line)
                out.append(bytes.contains(0) ? "\u{FFFD}invalid" : String(decoding: bytes, as: UTF8.self))
            }
        }
        return out
    }

    /// Reads every certificate in PEM or DER bytes.
    public static func parseAll(_ bytes: [UInt8]) -> [Certificate] {
        pemOrDER(bytes, pem: { PEM_read_bio_X509($0, nil, nil, nil) }, der: { d2i_X509_bio($0, nil) }).map { Certificate(owning: $0) }
    }
}

/// A certificate revocation list.
final class RevocationList: Sendable {
    private let object: SharedObject
    var crl: OpaquePointer { object.pointer }
    init(owning crl: OpaquePointer) { object = SharedObject(pointer: crl) }
    deinit { X509_CRL_free(crl) }

    static func parseAll(_ bytes: [UInt8]) -> [RevocationList] {
        pemOrDER(bytes, pem: { PEM_read_bio_X509_CRL($0, nil, nil, nil) }, der: { d2i_X509_CRL_bio($0, nil) }).map { RevocationList(owning: $0) }
    }
}

/// A private key.
public final class PrivateKey: Sendable {
    private let object: SharedObject
    var pkey: OpaquePointer { object.pointer }
    init(owning pkey: OpaquePointer) { object = SharedObject(pointer: pkey) }
    deinit { EVP_PKEY_free(pkey) }

    func matches(_ cert: Certificate) -> Bool { X509_check_private_key(cert.x509, pkey) == 1 }
}

/// An owned STACK_OF(X509) built from certificates (each pushed with its own reference).
final class CertificateStack {
    let stack: OpaquePointer
    init(_ certs: [Certificate]) {
        stack = smk_x509_stack_new()
        for c in certs { _ = smk_x509_stack_push_up_ref(stack, c.x509) }
    }
    /// The certificates of `other` (if any), then `more`.
    init(_ other: OpaquePointer?, adding more: [Certificate]) {
        stack = smk_x509_stack_new()
        if let other {
            for i in 0..<max(0, smk_x509_stack_num(other)) {
                if let x = smk_x509_stack_value(other, i) { _ = smk_x509_stack_push_up_ref(stack, x) }
            }
        }
        for c in more { _ = smk_x509_stack_push_up_ref(stack, c.x509) }
    }
    deinit { smk_x509_stack_free_all(stack) }

    static func certificates(of stack: OpaquePointer?) -> [Certificate] {
        guard let stack else { return [] }
        return (0..<smk_x509_stack_num(stack)).compactMap { i in
            smk_x509_stack_value(stack, i).map { Certificate(retaining: $0) }
        }
    }
}

/// Files named on the command line: a file, or every regular file in a directory.
enum InputFiles {
    static func expand(_ url: URL) throws -> [URL] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw EngineError.unreadable(url.relativePath, "no such file or directory")
        }
        if !isDir.boolValue { return [url] }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        return names.filter { !$0.hasPrefix(".") }.map { url.appendingPathComponent($0) }.filter {
            var d: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &d) && !d.boolValue
        }
    }

    static func read(_ url: URL) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EngineError.unreadable(url.relativePath, "cannot be read")
        }
        return [UInt8](data)
    }

    /// What `parse` finds in the file, or in every file of the directory; `none`
    /// (given the path as the user wrote it) when that is nothing.
    static func parseAll<T>(_ url: URL, _ parse: ([UInt8]) -> [T], none: (String) -> EngineError) throws -> [T] {
        var found: [T] = []
        for file in try expand(url) { found += parse(try read(file)) }
        if found.isEmpty { throw none(url.relativePath) }
        return found
    }
}

/// Operational errors of the engine: bad options, unreadable key files. These
/// are the user's to fix and stop the run; problems of a message never are.
public enum EngineError: Error, CustomStringConvertible, Sendable {
    case unreadable(String, String)
    case noCertificates(String)
    case noCRLs(String)
    case badKey(String, String)
    case badPassword(String)
    /// The key is protected and no password was given at all.
    case needsPassword(String)
    case keyMismatch(String)
    case invalidOption(String)

    public var description: String {
        switch self {
        case .unreadable(let p, let why): return "\(p): \(why)"
        case .noCertificates(let p): return "\(p): no PEM or DER certificate found in it"
        case .noCRLs(let p): return "\(p): no PEM or DER CRL found in it"
        case .badKey(let p, let why): return "\(p): cannot read a private key (\(why))"
        case .badPassword(let p): return "\(p): wrong password (give it with --passin pass:..., env:VAR, file:PATH or fd:N)"
        case .needsPassword(let p): return "\(p) needs a password: give --passin or run on a terminal"
        case .keyMismatch(let p): return "\(p): the private key does not belong to the certificate given with it"
        case .invalidOption(let s): return s
        }
    }
}
