// Making CMS (Auth)EnvelopedData for a set of recipients (RFC 8551 3.3, RFC 5083),
// and finding each recipient's certificate in an address book.
import COpenSSLShim
import Foundation

public enum ContentCipher: String, Sendable, CaseIterable {
    case aes256gcm = "aes-256-gcm"
    case aes128gcm = "aes-128-gcm"
    case aes256cbc = "aes-256-cbc"
    case aes128cbc = "aes-128-cbc"

    /// GCM gives AuthEnvelopedData (RFC 5083/5084): OpenSSL 3.0's CMS_encrypt
    /// picks it for AEAD ciphers.
    public var isAuthenticated: Bool { self == .aes256gcm || self == .aes128gcm }

    /// The smime-type parameter (RFC 8551 3.2.2).
    public var smimeType: String { isAuthenticated ? "authEnveloped-data" : "enveloped-data" }

    var evp: OpaquePointer? {
        switch self {
        case .aes256gcm: return EVP_aes_256_gcm()
        case .aes128gcm: return EVP_aes_128_gcm()
        case .aes256cbc: return EVP_aes_256_cbc()
        case .aes128cbc: return EVP_aes_128_cbc()
        }
    }
}

public struct EncryptionOptions: Sendable {
    public var cipher: ContentCipher = .aes256gcm
    /// RSAES-OAEP key transport for RSA recipients (else PKCS#1 v1.5). EC recipients always use ECDH.
    public var oaep = false
    public init(cipher: ContentCipher = .aes256gcm, oaep: Bool = false) {
        self.cipher = cipher
        self.oaep = oaep
    }
}

/// A recipient who cannot be encrypted to, and why.
public struct RecipientProblem: Sendable, CustomStringConvertible, Equatable {
    public let address: String
    /// The JMAP property the address came from: from, sender, to, cc or bcc.
    public let field: String
    public let reason: String
    public var description: String { "\(address) (\(field.capitalized)): \(reason)" }
}

/// Certificates to encrypt to, found by address: an address book directory and single files.
public struct RecipientBook: Sendable {
    public let certificates: [Certificate]
    let crls: [RevocationListBox]

    public init(certificates: [Certificate], crlFiles: [URL] = []) throws {
        self.certificates = certificates
        var crls: [RevocationListBox] = []
        for url in crlFiles {
            var found: [RevocationList] = []
            for file in try InputFiles.expand(url) { found += RevocationList.parseAll(try InputFiles.read(file)) }
            if found.isEmpty { throw EngineError.noCRLs(url.path) }
            crls += found.map(RevocationListBox.init)
        }
        self.crls = crls
    }

    /// Loads every PEM/DER certificate from `directories` (files or directories) and `files`.
    public static func load(directories: [URL], files: [URL], crlFiles: [URL]) throws -> RecipientBook {
        var certs: [Certificate] = []
        for d in directories {
            // An address book may hold other files (notes, keys): only certificates count.
            for file in try InputFiles.expand(d) { certs += Certificate.parseAll(try InputFiles.read(file)) }
        }
        for f in files { certs += try KeyLoader.certificates(f) }
        return try RecipientBook(certificates: certs, crlFiles: crlFiles)
    }

    /// The certificate to use for `address` at `time`, or why there is none. Among
    /// several usable certificates the one valid longest wins.
    public func certificate(for address: String, at time: Date, extra: [Certificate] = []) -> RecipientLookup {
        let matching = (extra + certificates).filter { $0.carries(address) }
        if matching.isEmpty {
            // Local parts are case-sensitive (RFC 5321 2.4), so Bob@ is not bob@; but a
            // certificate that differs only so is nearly always the one meant: say so.
            if let wanted = EmailAddress(address) {
                for cert in extra + certificates {
                    for named in cert.emailAddresses {
                        guard let a = EmailAddress(named), a.domain == wanted.domain, a.local != wanted.local,
                              a.local.lowercased() == wanted.local.lowercased() else { continue }
                        return .refused("the certificate \(cert.displayName) names \(named); local parts are case-sensitive (RFC 5321 2.4), so it is not used for \(address): write the address as the certificate has it")
                    }
                }
            }
            return .refused("no certificate for this address (add one to --recipients or give --recipient-cert)")
        }
        var reasons: [String] = []
        var usable: [Certificate] = []
        for cert in matching {
            var problems = cert.mailUsageProblems(at: time, keyUsageNeeded: UInt32(KU_KEY_ENCIPHERMENT | KU_KEY_AGREEMENT), what: "certificate \(cert.displayName)")
            if isRevoked(cert) { problems.append("certificate \(cert.displayName) is revoked") }
            if problems.isEmpty { usable.append(cert) } else { reasons += problems }
        }
        guard let best = usable.max(by: { ($0.notAfter ?? .distantPast) < ($1.notAfter ?? .distantPast) }) else {
            return .refused(reasons.joined(separator: "; "))
        }
        return .found(best)
    }

    /// Listed in a CRL from the certificate's issuer. The CRL's own signature is
    /// not checked here: a CRL the user hands us only ever makes us refuse.
    func isRevoked(_ cert: Certificate) -> Bool {
        for box in crls {
            guard X509_NAME_cmp(X509_CRL_get_issuer(box.list.crl), X509_get_issuer_name(cert.x509)) == 0 else { continue }
            var entry: OpaquePointer?
            if X509_CRL_get0_by_cert(box.list.crl, &entry, cert.x509) == 1 { return true }
        }
        ERR_clear_error()
        return false
    }
}

/// A recipient's certificate, or why none can be used.
public enum RecipientLookup: Sendable {
    case found(Certificate)
    case refused(String)
}

/// RevocationList is not public; the book holds it boxed.
struct RevocationListBox: Sendable {
    let list: RevocationList
}

public enum CMSEncryptor {
    /// DER (Auth)EnvelopedData of `content` for every certificate in `recipients`.
    public static func encrypt(_ content: [UInt8], to recipients: [Certificate], options: EncryptionOptions) throws(CompositionError) -> [UInt8] {
        guard !recipients.isEmpty else { throw .engine("there is nobody to encrypt to") }
        guard let cipher = options.cipher.evp else { throw .engine("cipher \(options.cipher.rawValue) is not available") }
        let flags = UInt32(CMS_PARTIAL | CMS_BINARY)
        guard let cms = CMS_encrypt(nil, nil, cipher, flags) else { throw .engine("cannot start the encryption: \(openSSLError())") }
        defer { CMS_ContentInfo_free(cms) }
        for cert in recipients {
            guard let pub = X509_get0_pubkey(cert.x509) else { throw .engine("\(cert.displayName): the public key cannot be read") }
            let oaep = options.oaep && EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA
            guard let ri = CMS_add1_recipient_cert(cms, cert.x509, flags | (oaep ? UInt32(CMS_KEY_PARAM) : 0)) else {
                throw .engine("\(cert.displayName): cannot encrypt to this certificate: \(openSSLError())")
            }
            if oaep {
                guard let ctx = CMS_RecipientInfo_get0_pkey_ctx(ri),
                      EVP_PKEY_CTX_ctrl_str(ctx, "rsa_padding_mode", "oaep") > 0 else {
                    throw .engine("cannot select RSAES-OAEP: \(openSSLError())")
                }
            }
        }
        let ok: Int32? = withReadBIO(content) { bio in CMS_final(cms, bio, nil, flags) }
        guard ok == 1 else { throw .engine("encryption failed: \(openSSLError())") }
        return try CMSSigner.der(cms)
    }
}

public enum CMSDecryptor {
    /// The content of (Auth)EnvelopedData `der` opened with the first identity that can.
    public static func decrypt(_ der: [UInt8], identities: [DecryptionIdentity]) throws(CompositionError) -> [UInt8] {
        guard let cms = CMSMessage(der: der) else { throw .unreadableMessage("the encrypted part is not valid CMS") }
        guard cms.kind == .envelopedData || cms.kind == .authEnvelopedData else {
            throw .unreadableMessage("the application/pkcs7-mime part is not encrypted (it holds \(cms.kind))")
        }
        if let plain = cms.open(with: identities) { return plain }
        throw .decryption("none of the given keys opens this message (it was encrypted for someone else, or the key does not match its certificate)")
    }
}

extension CMSMessage {
    /// The content of this (Auth)EnvelopedData opened with the first identity that can, or nil.
    func open(with identities: [DecryptionIdentity]) -> [UInt8]? {
        for id in identities {
            guard let out = BIO_new(BIO_s_mem()) else { continue }
            defer { BIO_free(out) }
            let ok = CMS_decrypt(cms, id.key.pkey, id.certificate?.x509, nil, out, UInt32(CMS_BINARY))
            ERR_clear_error()
            if ok == 1 { return bioContents(out) }
        }
        return nil
    }
}
