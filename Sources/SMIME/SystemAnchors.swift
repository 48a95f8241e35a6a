// Where the default trust anchors come from. Mozilla's root store marks each
// root for TLS, for e-mail or both; Thunderbird trusts for S/MIME only those
// marked for e-mail, and so do we, read from NSS's built-in module through
// PKCS#11. The TLS bundle in /etc/ssl is the fallback when NSS is not there.
import CNSSTrust
import COpenSSLShim
import Foundation

/// The default anchor set.
public enum TrustSource: String, Sendable, CaseIterable, Codable {
    /// The roots NSS's built-in module (libnssckbi.so) trusts for e-mail protection.
    case nssEmail = "nss-email"
    /// The system's CA bundle (/etc/ssl/certs/ca-certificates.crt and kin): TLS roots.
    case bundle
    /// No default anchors: only --trust.
    case none
}

/// One anchor and where it came from.
public struct TrustAnchor: Sendable {
    public let certificate: Certificate
    /// `nss-email`, `bundle`, or the --trust file it was read from.
    public let source: String
    /// NSS's CKA_NSS_EMAIL_DISTRUST_AFTER: e-mail certificates issued (notBefore) after
    /// this are not vouched for by this root any more.
    public var emailDistrustAfter: Date? = nil
}

enum SystemAnchors {
    /// Where NSS's built-in module usually lives; then the library search path.
    static let moduleCandidates: [String] = {
        var dirs: [String] = []
        for base in ["/usr/lib", "/lib", "/usr/lib64", "/usr/local/lib"] {
            dirs.append(base)
            for arch in ["x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf", "i386-linux-gnu", "powerpc64le-linux-gnu", "s390x-linux-gnu", "riscv64-linux-gnu"] {
                dirs.append("\(base)/\(arch)")
            }
        }
        var out: [String] = []
        for dir in dirs { out += ["\(dir)/nss/libnssckbi.so", "\(dir)/libnssckbi.so"] }
        return out
    }()

    /// The module to load: the configured one, else the first candidate that exists,
    /// else the bare name for dlopen's own search (nil when that fails too).
    static func modulePath(_ configured: String?) -> String? {
        if let configured { return configured }
        if let env = ProcessInfo.processInfo.environment["SMIMEKIT_NSS_MODULE"], !env.isEmpty { return env }
        let fm = FileManager.default
        return moduleCandidates.first { fm.fileExists(atPath: $0) } ?? "libnssckbi.so"
    }

    enum Purpose { case email, serverAuth }

    /// A default anchor not parsed yet: its DER, and the fingerprint that names it.
    struct Entry {
        let der: [UInt8]
        let source: String
        let fingerprint: String
        var emailDistrustAfter: Date? = nil
    }

    /// The roots the module trusts for `purpose` (CKT_NSS_TRUSTED_DELEGATOR), or why there are none.
    static func nssRoots(module: String, purpose: Purpose) -> Result<[Entry], LoadError> {
        var roots: UnsafeMutablePointer<smk_nss_root>?
        var err = [CChar](repeating: 0, count: 512)
        let count = smk_nss_trusted_roots(module, purpose == .email ? Int32(SMK_NSS_PURPOSE_EMAIL) : Int32(SMK_NSS_PURPOSE_SERVER_AUTH),
                                          &roots, &err, err.count)
        guard count >= 0 else { return .failure(LoadError(message: String(cString: err))) }
        defer { smk_nss_roots_free(roots, count) }
        var out: [Entry] = []
        for i in 0..<count {
            guard let root = roots?[i], let der = root.der else { continue }
            if root.has_sha1 != 0 {
                // The trust object names its certificate by hash too: both must agree.
                var sha1 = [UInt8](repeating: 0, count: 20)
                SHA1(der, root.der_len, &sha1)
                let expected = withUnsafeBytes(of: root.sha1) { Array($0) }
                if sha1 != expected { continue }
            }
            let bytes = Array(UnsafeBufferPointer(start: der, count: root.der_len))
            var distrust: Date?
            if root.has_email_distrust_after != 0 {
                let text = withUnsafeBytes(of: root.email_distrust_after) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                distrust = utcTime(text)
                // A date we cannot read must not widen trust: treat the root as distrusted for everything new.
                if distrust == nil { distrust = Date(timeIntervalSince1970: 0) }
            }
            out.append(Entry(der: bytes, source: TrustSource.nssEmail.rawValue, fingerprint: Digest.sha256Hex(bytes),
                             emailDistrustAfter: distrust))
        }
        return .success(out)
    }

    /// The CERTIFICATE blocks of a PEM bundle, decoded but not parsed.
    static func pemCertificates(_ bytes: [UInt8], source: String) -> [Entry] {
        var out: [Entry] = []
        _ = withReadBIO(bytes) { bio in
            while true {
                var name: UnsafeMutablePointer<CChar>?
                var header: UnsafeMutablePointer<CChar>?
                var data: UnsafeMutablePointer<UInt8>?
                var length = 0
                guard PEM_read_bio(bio, &name, &header, &data, &length) == 1 else { break }
                defer { CRYPTO_free(name, #file, #line); CRYPTO_free(header, #file, #line); CRYPTO_free(data, #file, #line) }
                guard let name, let data else { continue }
                let label = String(cString: name)
                guard label == "CERTIFICATE" || label == "X509 CERTIFICATE" else { continue }
                let der = Array(UnsafeBufferPointer(start: data, count: length))
                out.append(Entry(der: der, source: source, fingerprint: Digest.sha256Hex(der)))
            }
        }
        ERR_clear_error()
        return out
    }

    struct LoadError: Error { let message: String }

    /// "YYMMDDHHMMSSZ" (RFC 5280 UTCTime, years 1950-2049) or "YYYYMMDDHHMMSSZ",
    /// read by OpenSSL as a certificate's times are.
    static func utcTime(_ text: String) -> Date? {
        guard let time = ASN1_TIME_new() else { return nil }
        defer { ASN1_TIME_free(time) }
        guard ASN1_TIME_set_string_X509(time, text) == 1 else {
            ERR_clear_error()
            return nil
        }
        return Certificate.date(time)
    }
}
