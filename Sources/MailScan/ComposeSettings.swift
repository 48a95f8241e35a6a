// What making mail takes, as plain values: the signer's files, the recipients'
// certificates, the forms of signature, encryption and header protection. sign,
// encrypt and the JMAP server's Email/set (jmap, serve) open one composer from it.
import Foundation
import JMAP
import SMIME

public struct ComposeSettings: Sendable {
    /// The signing key, its certificate (when the key file does not hold it) and intermediates to send.
    public var key: String?
    public var cert: String?
    public var chain: [String]
    /// A directory of key+certificate files; the one naming the signer's address is used.
    public var identities: String?
    /// Password source of the keys (pass:, env:, file:, fd:).
    public var passin: String?
    public var signing: SigningOptions
    /// Address books (directories or files) and single recipient certificates, checked against `crls`.
    public var recipients: [String]
    public var recipientCertificates: [String]
    public var crls: [String]
    public var encryption: EncryptionOptions
    public var headerProtection: HeaderProtectionPolicy

    public init(key: String? = nil, cert: String? = nil, chain: [String] = [], identities: String? = nil, passin: String? = nil,
                signing: SigningOptions = SigningOptions(), recipients: [String] = [], recipientCertificates: [String] = [],
                crls: [String] = [], encryption: EncryptionOptions = EncryptionOptions(),
                headerProtection: HeaderProtectionPolicy = .default) {
        self.key = key
        self.cert = cert
        self.chain = chain
        self.identities = identities
        self.passin = passin
        self.signing = signing
        self.recipients = recipients
        self.recipientCertificates = recipientCertificates
        self.crls = crls
        self.encryption = encryption
        self.headerProtection = headerProtection
    }

    /// The composer, keys opened and address book loaded: no signer when no key is
    /// given, no address book when no recipient certificate is.
    public func composer(time: Date, warn: (String) -> Void) throws -> MailComposer {
        var composer = MailComposer()
        composer.time = time
        composer.signing = signing
        composer.encryption = encryption
        composer.headerProtection = headerProtection
        composer.signer = try SignerSource.open(key: key, cert: cert, chain: chain, identities: identities, passin: passin, warn: warn)
        if !recipients.isEmpty || !recipientCertificates.isEmpty {
            composer.recipients = try RecipientBook.load(directories: recipients, files: recipientCertificates, crls: crls)
        }
        return composer
    }
}

/// A setting that takes one of a fixed set of words (a cipher, a header protection policy), in any case.
public enum SettingChoice {
    public static func parse<T: CaseIterable & RawRepresentable>(_ word: String, option: String) throws(SettingError) -> T
        where T.RawValue == String {
        if let value = T(rawValue: word.lowercased()) { return value }
        throw SettingError("\(option) takes \(T.allCases.map(\.rawValue).joined(separator: ", ")), not '\(word)'")
    }
}

extension EmailCreation {
    /// Email/set creates made with `composer`, at its time: attachments' blobIds are
    /// file names in `blobDirectory`; `smimeCapability` when the request uses smime-advanced.
    public init(composer: MailComposer, blobDirectory: URL?, smimeCapability: Bool, advice: @escaping @Sendable (Remedy) -> String) {
        self.init(builder: EmailCreateBuilder(blobDirectory: blobDirectory, now: composer.time, smimeCapability: smimeCapability,
                                              digestHex: { Digest.sha256Hex($0) }),
                  composer: composer, advice: advice)
    }
}
