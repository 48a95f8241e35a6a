// What `smimekit jmap` and `smimekit serve` share: the mail directories, the
// verify options (trust, revocation, result cache) and the identities Email/set
// signs and encrypts with, turned into one JMAP backend over the same engine
// verify, query and changes use.
import ArgumentParser
import Foundation
import JMAP
import JMAPServer
import MailScan
import MIME
import SMIME

struct JMAPServiceOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "Mail directories: each is a mailbox tree (a maildir with its Maildir++ folders, or a directory of message files with its subdirectories).",
        valueName: "dir"), completion: .directory)
    var directories: [String] = []

    @OptionGroup(title: "Trust and verification") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions
    @OptionGroup(title: "Making mail (Email/set smimeSign and smimeEncrypt)") var compose: JMAPComposeOptions

    @Option(name: [.short, .long], help: "Messages checked at once (default: all cores).")
    var jobs: Int?

    @Option(help: ArgumentHelp("Largest message read, in bytes (default 256 MiB).", valueName: "bytes"))
    var maxMessageSize: Int = 256 << 20

    @Option(help: ArgumentHelp("The Session's username and the account's name (default: $USER, else local).", valueName: "name"))
    var username: String?

    func validate() throws {
        if directories.isEmpty { throw ValidationError("name at least one mail directory") }
        for d in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("\(d) is not a directory: each operand is a maildir or a directory of messages")
            }
        }
        if let jobs, jobs < 1 { throw ValidationError("--jobs takes a number of 1 or more") }
        if maxMessageSize < 1 { throw ValidationError("--max-message-size must be positive") }
    }

    var jobCount: Int { max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount) }

    /// The backend over the directories, with the verifier, the result cache and the identities loaded.
    func makeBackend() throws -> any JMAPBackend {
        try makeMailBackend()
    }

    func makeMailBackend() throws -> MailBackend {
        let store = try cache.open()
        let verifier = try trust.verifier(limits: .default, inMemoryLimit: MessageVerifier.defaultInMemoryLimit,
                                          answers: store.map(StoredRevocationAnswers.init))
        // One VerdictService for the backend's life: the cached verifier and result store
        // that verify, query and changes use, shared by concurrent requests.
        let service = VerdictService(
            verifier: verifier, store: store, maxAge: TimeInterval(cache.maxAge),
            at: try trust.parsedTime(trust.at, option: "--at"),
            receivedAt: try trust.parsedTime(trust.receivedAt, option: "--received-at"),
            maxBytes: maxMessageSize, jobs: jobCount, warn: { Diagnostics.warning($0) })
        let engine = MailScanEngine(service: service)
        var composer = MailComposer()
        composer.time = try trust.parsedTime(trust.at, option: "--at") ?? Date()
        composer.signing = compose.signingOptions
        composer.encryption = compose.encryptionOptions
        composer.headerProtection = compose.headerProtectionPolicy
        composer.signer = try compose.signerSource(passin: trust.passin)
        composer.recipients = try compose.book(crls: trust.crl)
        let name = username ?? ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "local"
        let configuration = MailBackendConfiguration(
            operands: directories, username: name, composer: composer,
            blobDirectory: compose.blobDir.map { URL(fileURLWithPath: $0, isDirectory: true) },
            maxMessageSize: maxMessageSize)
        return MailBackend(configuration: configuration, engine: engine)
    }
}

/// The identity options of `sign` and `encrypt`, for Email/set. Keys and PKCS#12 files
/// open with --passin and recipient certificates are checked against --crl, both from
/// the verify options (one option each, not two).
struct JMAPComposeOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Signing key for smimeSign: PEM, DER or PKCS#12 (a .p12 holds the certificate too).", valueName: "file"), completion: .file())
    var key: String?

    @OptionGroup var files: SignerFiles
    @OptionGroup var form: SignatureForm

    @Option(help: ArgumentHelp("Address book for smimeEncrypt: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).", valueName: "dir"), completion: .directory)
    var recipients: [String] = []

    @Option(help: ArgumentHelp("A recipient certificate (repeatable).", valueName: "file"), completion: .file())
    var recipientCert: [String] = []

    @Option(help: ArgumentHelp("aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).", valueName: "name"),
            completion: .list(ContentCipher.allCases.map(\.rawValue)))
    var cipher: String = ContentCipher.aes256gcm.rawValue

    @Flag(help: "RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).")
    var oaep = false

    @Option(help: ArgumentHelp("RFC 9788 header protection of made mail: baseline (default), no-confidentiality or none; an Email's smimeHeaderProtection overrides it.", valueName: "policy"))
    var headerProtection = HeaderProtectionPolicy.default.rawValue

    @Option(help: ArgumentHelp("Directory where Email/set attachment blobIds are found as file names.", valueName: "dir"), completion: .directory)
    var blobDir: String?

    func validate() throws {
        if ContentCipher(rawValue: cipher.lowercased()) == nil {
            throw ValidationError("--cipher takes \(ContentCipher.allCases.map(\.rawValue).joined(separator: ", ")), not '\(cipher)'")
        }
        if HeaderProtectionPolicy(rawValue: headerProtection.lowercased()) == nil {
            throw ValidationError("--header-protection takes \(HeaderProtectionPolicy.allCases.map(\.rawValue).joined(separator: ", ")), not '\(headerProtection)'")
        }
        if files.cert != nil && key == nil { throw ValidationError("--cert needs the key that goes with it (--key)") }
    }

    var signingOptions: SigningOptions { form.options }
    var encryptionOptions: EncryptionOptions { EncryptionOptions(cipher: ContentCipher(rawValue: cipher.lowercased()) ?? .aes256gcm, oaep: oaep) }
    var headerProtectionPolicy: HeaderProtectionPolicy { HeaderProtectionPolicy(rawValue: headerProtection.lowercased()) ?? .default }

    func signerSource(passin: String?) throws -> SignerSource? {
        try .open(key: key, cert: files.cert, chain: files.chain, identities: files.identities, passin: passin, warn: { Diagnostics.warning($0) })
    }

    func book(crls: [String]) throws -> RecipientBook? {
        if recipients.isEmpty && recipientCert.isEmpty { return nil }
        return try RecipientBook.load(directories: recipients, files: recipientCert, crls: crls)
    }
}
