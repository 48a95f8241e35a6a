// Making CMS SignedData over a MIME entity (RFC 8551 3.5), and the checks a
// careful client makes before it signs: the certificate must speak for the
// sender, be valid now and be meant for e-mail.
import COpenSSLShim
import Foundation
import MIME

/// A private key with the certificate it belongs to and the chain to send beside it.
public struct SigningIdentity: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate
    public let chain: [Certificate]

    public init(key: PrivateKey, certificate: Certificate, chain: [Certificate] = []) throws {
        guard key.matches(certificate) else { throw EngineError.keyMismatch(certificate.displayName) }
        self.key = key
        self.certificate = certificate
        self.chain = chain
    }

    /// Every identity (key with certificate) found in the files of `directory`:
    /// PKCS#12 bundles, or PEM files holding both key and certificate. Files that
    /// hold no such pair are skipped.
    public static func load(directory: URL, password: String?) throws -> [SigningIdentity] {
        try loadReporting(directory: directory, password: password).identities
    }

    /// `load(directory:password:)`, and the files skipped because they hold a key
    /// protected by a password that was not given (or not that one).
    public static func loadReporting(directory: URL, password: String?) throws -> (identities: [SigningIdentity], locked: [String]) {
        var out: [SigningIdentity] = []
        var locked: [String] = []
        for file in try InputFiles.expand(directory) {
            let loaded: (PrivateKey, Certificate?, [Certificate])
            do {
                loaded = try KeyLoader.identity(keyFile: file, certificateFile: nil, password: password)
            } catch EngineError.needsPassword(let p), EngineError.badPassword(let p) {
                locked.append(p)
                continue
            } catch {
                continue
            }
            guard let cert = loaded.1, let id = try? SigningIdentity(key: loaded.0, certificate: cert, chain: loaded.2) else { continue }
            out.append(id)
        }
        return (out, locked)
    }
}

public enum SignatureFormat: String, Sendable {
    /// multipart/signed (RFC 1847): readable without S/MIME support.
    case detached
    /// application/pkcs7-mime; smime-type=signed-data.
    case opaque
}

public struct SigningOptions: Sendable {
    /// An OpenSSL digest name: sha256 (default), sha384, sha512, sha224.
    public var digest: String = "sha256"
    /// RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys only).
    public var pss = false
    public var format: SignatureFormat = .detached

    public init(digest: String = "sha256", pss: Bool = false, format: SignatureFormat = .detached) {
        self.digest = digest
        self.pss = pss
        self.format = format
    }

    /// The RFC 8551 3.5.3.2 micalg name of the digest.
    public var micalg: String? {
        switch digest.lowercased() {
        case "sha224", "sha-224": return "sha-224"
        case "sha256", "sha-256": return "sha-256"
        case "sha384", "sha-384": return "sha-384"
        case "sha512", "sha-512": return "sha-512"
        default: return nil
        }
    }
}

/// Why a message cannot be made. Each case knows the JMAP properties at fault.
public enum CompositionError: Error, CustomStringConvertible, Sendable {
    /// The input could not be read as a message.
    case unreadableMessage(String)
    /// Sender/From unusable for signing (none, several fields, several addresses).
    case signerAddress(field: String, String)
    /// No key or certificate for the signer.
    case noSigningIdentity(String)
    /// The signer certificate cannot be used: every reason.
    case signerCertificate([String])
    /// Recipients without a usable certificate: "address: why" each.
    case recipients([RecipientProblem])
    /// The message cannot be opened with the keys given.
    case decryption(String)
    /// OpenSSL refused.
    case engine(String)

    public var description: String {
        switch self {
        case .unreadableMessage(let s): return "the message cannot be read: \(s)"
        case .signerAddress(_, let s): return s
        case .noSigningIdentity(let s): return s
        case .signerCertificate(let reasons): return "the signer certificate cannot be used: " + reasons.joined(separator: "; ")
        case .recipients(let list):
            return "nothing was encrypted: " + list.map(\.description).joined(separator: "; ")
        case .decryption(let s): return s
        case .engine(let s): return s
        }
    }

    /// The RFC 8621 property names this error is about (for invalidProperties).
    public var properties: [String] {
        switch self {
        case .unreadableMessage: return []
        case .signerAddress(let field, _): return [field]
        case .noSigningIdentity, .signerCertificate: return ["smimeSign"]
        case .recipients(let list):
            var props: [String] = []
            for p in list where !props.contains(p.field) { props.append(p.field) }
            return props
        case .decryption, .engine: return []
        }
    }
}

/// The one address a message is signed for: Sender if present, else From (RFC 8551 3.1, semantics.md).
public enum SignerAddress {
    public static func of(_ message: Message) throws(CompositionError) -> (address: String, field: String) {
        let senders = message.root.fields(named: "Sender")
        let froms = message.root.fields(named: "From")
        let (fields, name) = senders.isEmpty ? (froms, "From") : (senders, "Sender")
        let property = name.lowercased()
        guard !fields.isEmpty else {
            throw .signerAddress(field: "from", "the message has no From header, so there is nobody to sign for")
        }
        if fields.count > 1 {
            throw .signerAddress(field: property, "the message has \(fields.count) \(name) headers; a signed message must have exactly one")
        }
        if froms.count > 1 {
            throw .signerAddress(field: "from", "the message has \(froms.count) From headers; a signed message must have exactly one")
        }
        var mailboxes: [Mailbox] = []
        for entry in message.addresses(fields[0]) {
            switch entry {
            case .mailbox(let m): mailboxes.append(m)
            case .group(_, let members): mailboxes += members
            }
        }
        if mailboxes.count != 1 {
            let list = mailboxes.map(\.email).joined(separator: ", ")
            throw .signerAddress(field: property, mailboxes.isEmpty
                ? "the \(name) header holds no address to sign for"
                : "the \(name) header names \(mailboxes.count) addresses (\(list)); say which one signs with a Sender header, or send from one address")
        }
        guard EmailAddress(mailboxes[0].email) != nil else {
            throw .signerAddress(field: property, "the \(name) address '\(mailboxes[0].email)' is not a valid address")
        }
        return (mailboxes[0].email, property)
    }
}

/// Addresses a certificate speaks for: SAN rfc822Name entries, else the subject emailAddress.
extension Certificate {
    public var emailAddresses: [String] { mailAddresses.addresses }

    /// True when the certificate names `address` (local part exact, domain case-insensitive).
    public func carries(_ address: String) -> Bool {
        guard let a = EmailAddress(address) else { return false }
        return emailAddresses.contains { EmailAddress($0) == a }
    }

    /// Why the certificate cannot be used for e-mail at `time`; empty when it can.
    func mailUsageProblems(at time: Date, keyUsageNeeded: UInt32, what: String) -> [String] {
        var out: [String] = []
        if let nb = notBefore, time < nb { out.append("\(what) is not valid before \(JMAPDateText.format(nb))") }
        if let na = notAfter, time > na { out.append("\(what) expired on \(JMAPDateText.format(na))") }
        if let eku = extendedKeyUsage, eku & UInt32(XKU_SMIME) == 0, eku & UInt32(XKU_ANYEKU) == 0 {
            out.append("\(what) is not meant for e-mail (its extended key usage lacks emailProtection)")
        }
        if let ku = keyUsage, ku & keyUsageNeeded == 0 {
            out.append("\(what) does not allow this use (key usage)")
        }
        return out
    }
}

/// RFC 3339 UTC text for error messages (JMAP's UTCDate form).
enum JMAPDateText {
    static func format(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
                      Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
    }
}

public enum CMSSigner {
    /// Checks that `identity` may sign for `address` at `time`: every problem, not just the first.
    public static func check(_ identity: SigningIdentity, address: String, at time: Date) throws(CompositionError) {
        var problems: [String] = []
        let cert = identity.certificate
        if !cert.carries(address) {
            let has = cert.emailAddresses
            problems.append("it does not carry the sender address \(address) (it names \(has.isEmpty ? "no address" : has.joined(separator: ", ")))")
        }
        problems += cert.mailUsageProblems(at: time, keyUsageNeeded: UInt32(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION), what: "it")
        if !problems.isEmpty { throw .signerCertificate(problems.map { "\(cert.displayName): \($0)" }) }
    }

    /// DER SignedData over `content` (the exact bytes that get hashed): detached
    /// or with eContent, signed attributes signingTime, SMIMECapabilities and
    /// ESS signing-certificate-v2 (via CMS_CADES, which OpenSSL 3.0 implements
    /// with OSSL_ESS_signing_cert_v2_new_init).
    public static func sign(_ content: [UInt8], identity: SigningIdentity, options: SigningOptions) throws(CompositionError) -> [UInt8] {
        guard options.micalg != nil, let md = EVP_get_digestbyname(options.digest) else {
            throw .engine("--digest \(options.digest) is not offered; use sha256, sha384, sha512 or sha224")
        }
        let isRSA = EVP_PKEY_get_base_id(identity.key.pkey) == EVP_PKEY_RSA
        if options.pss && !isRSA { throw .engine("--pss needs an RSA key; this key is not RSA") }
        let detached = options.format == .detached
        let flags = UInt32(CMS_PARTIAL | CMS_BINARY) | (detached ? UInt32(CMS_DETACHED) : 0)
        let chain = CertificateStack(identity.chain)
        guard let cms = CMS_sign(nil, nil, chain.stack, nil, flags) else { throw .engine("cannot start a signature: \(openSSLError())") }
        defer { CMS_ContentInfo_free(cms) }
        let signerFlags = flags | UInt32(CMS_CADES) | (options.pss ? UInt32(CMS_KEY_PARAM) : 0)
        guard let si = CMS_add1_signer(cms, identity.certificate.x509, identity.key.pkey, md, signerFlags) else {
            throw .engine("cannot add the signer: \(openSSLError())")
        }
        if options.pss {
            guard let ctx = CMS_SignerInfo_get0_pkey_ctx(si),
                  EVP_PKEY_CTX_ctrl_str(ctx, "rsa_padding_mode", "pss") > 0,
                  // Salt as long as the digest: what RFC 4056 recommends and every reader accepts.
                  EVP_PKEY_CTX_ctrl_str(ctx, "rsa_pss_saltlen", "digest") > 0 else {
                throw .engine("cannot select RSASSA-PSS: \(openSSLError())")
            }
        }
        let ok: Int32? = withReadBIO(content) { bio in CMS_final(cms, bio, nil, flags) }
        guard ok == 1 else { throw .engine("signing failed: \(openSSLError())") }
        return try der(cms)
    }

    static func der(_ cms: OpaquePointer) throws(CompositionError) -> [UInt8] {
        guard let out = BIO_new(BIO_s_mem()) else { throw .engine("out of memory") }
        defer { BIO_free(out) }
        guard i2d_CMS_bio(out, cms) == 1 else { throw .engine("cannot encode the CMS: \(openSSLError())") }
        return bioContents(out)
    }
}
