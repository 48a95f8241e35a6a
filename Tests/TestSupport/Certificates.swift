import Foundation

/// The kind of key pair a fixture gets.
public enum KeyKind: String, Sendable, CaseIterable {
    case rsa2048, rsa3072
    /// An id-RSASSA-PSS key: certificates and signatures made with it are PSS.
    case rsaPSS
    case ecP256, ecP384
    /// Certificates only: OpenSSL 3.0's CMS code cannot sign with Ed25519.
    case ed25519
    /// Keys too small for RFC 8551 4.1, for the weak-key tests.
    case rsa512, rsa768, rsa1024, rsa1536, rsa2047, ecP192, ecP224

    var genpkeyArguments: [String] {
        switch self {
        case .rsa2048: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        case .rsa3072: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"]
        case .rsaPSS: return ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"]
        case .ecP256: return ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        case .ecP384: return ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]
        case .ed25519: return ["-algorithm", "ED25519"]
        case .rsa512: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:512"]
        case .rsa768: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:768"]
        case .rsa1024: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]
        case .rsa1536: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1536"]
        case .rsa2047: return ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2047"]
        case .ecP192: return ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-192"]
        case .ecP224: return ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp224r1"]
        }
    }

    /// Plain RSA keys, the only ones where `pss: true` means something.
    var isPlainRSA: Bool { self == .rsa2048 || self == .rsa3072 }
}

/// What the basicConstraints extension of a certificate says.
public enum BasicConstraints: Sendable, Hashable {
    case ca
    case notCA
    /// No basicConstraints extension at all.
    case absent
}

/// A certificate and its private key, as files in a `PKIFactory`'s directory.
public struct CertificateFixture: Sendable, Hashable, CustomStringConvertible {
    /// The subject's common name.
    public let name: String
    /// The address the certificate speaks for: the first rfc822Name, else the
    /// subject emailAddress.
    public let email: String?
    public let certPEM: URL
    public let certDER: URL
    /// PKCS#8, unencrypted.
    public let keyPEM: URL
    public let keyKind: KeyKind
    /// Upper-case hex, as `openssl x509 -serial` prints it.
    public let serial: String
    public let notBefore: Date
    public let notAfter: Date
    /// Issuing certificates, nearest first, ending with the root; empty for a root.
    public let issuers: [CertificateFixture]
    /// Its `openssl ca` database: any fixture can sign others, CA or not.
    let caDirectory: URL

    public var isSelfSigned: Bool { issuers.isEmpty }
    /// The self-signed certificate at the top of this one's chain.
    public var root: CertificateFixture { issuers.last ?? self }
    /// PEM files of the issuers, nearest first.
    public var chain: [URL] { issuers.map(\.certPEM) }
    public var description: String { "\(name) (serial \(serial))" }

    public func pemBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: certPEM)) }
    public func derBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: certDER)) }
    public func keyBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: keyPEM)) }
}

/// One entry of a CRL.
public struct Revocation: Sendable {
    public var certificate: CertificateFixture
    public var date: Date
    /// An RFC 5280 reason name as `openssl ca` spells it (`keyCompromise`,
    /// `CACompromise`, `affiliationChanged`, `superseded`, `cessationOfOperation`,
    /// `certificateHold`, `removeFromCRL`, `unspecified`); nil for no reason code.
    public var reason: String?

    public init(_ certificate: CertificateFixture, date: Date = .now - 7200, reason: String? = nil) {
        self.certificate = certificate
        self.date = date
        self.reason = reason
    }
}

/// Times as openssl's command line and `index.txt` want them.
enum OpenSSLTime {
    /// YYYYMMDDHHMMSSZ, accepted by `ca -startdate/-enddate` and `-crl_*update` in 3.0.
    static func generalized(_ date: Date) -> String { format(date, yearDigits: 4) }

    /// `index.txt` columns: UTCTime up to 2049, GeneralizedTime after (RFC 5280, 4.1.2.5).
    static func index(_ date: Date) -> String {
        let year = calendar.component(.year, from: date)
        return format(date, yearDigits: (1950...2049).contains(year) ? 2 : 4)
    }

    private static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    private static func format(_ date: Date, yearDigits: Int) -> String {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = yearDigits == 4 ? String(format: "%04d", c.year!) : String(format: "%02d", c.year! % 100)
        return year + String(format: "%02d%02d%02d%02d%02dZ", c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }
}
