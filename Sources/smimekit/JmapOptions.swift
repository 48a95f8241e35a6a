// What `smimekit jmap` and `smimekit serve` share: the mail directories, the
// verify options (trust, revocation, result cache) and the identities Email/set
// signs and encrypts with, turned into one JMAP backend over the same engine
// verify, query and changes use.
import ArgumentParser
import Foundation
import JMAP
import JMAPServer
import MIME
import ResultStore
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
        let service = VerdictService(
            verifier: verifier, store: store, maxAge: TimeInterval(cache.maxAge),
            at: try trust.parsedTime(trust.at, option: "--at"),
            receivedAt: try trust.parsedTime(trust.receivedAt, option: "--received-at"),
            maxBytes: maxMessageSize, jobs: jobCount)
        let engine = CLIMailEngine(service: service, store: store,
                                   receivedAtOption: try trust.parsedTime(trust.receivedAt, option: "--received-at"))
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

    @Option(help: ArgumentHelp("Certificate of --key, when the key file does not hold it.", valueName: "file"), completion: .file())
    var cert: String?

    @Option(help: ArgumentHelp("Intermediate certificates to send with the signature (repeatable).", valueName: "file"), completion: .file())
    var chain: [String] = []

    @Option(help: ArgumentHelp("Directory of PKCS#12 or PEM key+certificate files; the one naming the signer's address is used.", valueName: "dir"), completion: .directory)
    var identities: String?

    @Option(help: ArgumentHelp("Digest: sha256 (default), sha384, sha512 or sha224.", valueName: "name"),
            completion: .list(["sha256", "sha384", "sha512", "sha224"]))
    var digest = "sha256"

    @Flag(help: "Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).")
    var pss = false

    @Flag(help: "Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.")
    var opaque = false

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
        if cert != nil && key == nil { throw ValidationError("--cert needs the key that goes with it (--key)") }
    }

    var signingOptions: SigningOptions { SigningOptions(digest: digest, pss: pss, format: opaque ? .opaque : .detached) }
    var encryptionOptions: EncryptionOptions { EncryptionOptions(cipher: ContentCipher(rawValue: cipher.lowercased()) ?? .aes256gcm, oaep: oaep) }
    var headerProtectionPolicy: HeaderProtectionPolicy { HeaderProtectionPolicy(rawValue: headerProtection.lowercased()) ?? .default }

    func signerSource(passin: String?) throws -> SignerSource? {
        if let key {
            let (k, c, bundled) = try PasswordPrompt.identity(keyFile: key, certificateFile: cert, passin: passin)
            guard let c else { throw EngineError.invalidOption("\(key) holds no certificate: give it with --cert") }
            var extra = bundled
            for file in chain { extra += try KeyLoader.certificates(URL(fileURLWithPath: file)) }
            return .identity(try SigningIdentity(key: k, certificate: c, chain: extra.filter { $0 != c }))
        }
        if let identities {
            return .directory(try PasswordPrompt.identities(directory: identities, passin: passin), path: identities)
        }
        return nil
    }

    func book(crls: [String]) throws -> RecipientBook? {
        if recipients.isEmpty && recipientCert.isEmpty { return nil }
        return try RecipientBook.load(directories: recipients.map { URL(fileURLWithPath: $0) },
                                      files: recipientCert.map { URL(fileURLWithPath: $0) },
                                      crlFiles: crls.map { URL(fileURLWithPath: $0) })
    }
}

/// The CLI's engine as the JMAP methods ask for it: verdicts through the same
/// VerdictService (cached verifier and result store) verify uses, receivedAt by
/// the same rule, and the Email/changes journal of the result store.
final class CLIMailEngine: MailEngine, @unchecked Sendable {
    private let lock = NSLock()
    private var service: VerdictService
    private let store: ResultStore?
    private let receivedAtOption: Date?
    private let identities: [DecryptionIdentity]
    private let limits: MIMELimits

    init(service: VerdictService, store: ResultStore?, receivedAtOption: Date?) {
        self.service = service
        self.store = store
        self.receivedAtOption = receivedAtOption
        identities = service.verifier.identities
        limits = service.verifier.limits
    }

    func verdicts(_ messages: [EngineMessage], delivery: Bool) -> [Result<SMIMEProperties, JMAPServer.EngineError>] {
        lock.lock()
        defer { lock.unlock() }
        var out: [Result<SMIMEProperties, JMAPServer.EngineError>] = []
        out.reserveCapacity(messages.count)
        var start = 0
        while start < messages.count {
            let batch = messages[start..<min(messages.count, start + 512)]
            start += batch.count
            let requests = batch.map { m in
                VerdictRequest(message: ReadMessage(item: .file(m.path, stamp: nil), digest: m.digest, size: m.size,
                                                    bytes: m.bytes.flatMap { $0.count <= ReadMessage.keepLimit ? $0 : nil }),
                               delivery: delivery)
            }
            for r in service.resolve(requests) {
                switch r {
                case .success(let v): out.append(.success(v.properties))
                case .failure(let f): out.append(.failure(JMAPServer.EngineError(type: "serverFail", description: f.reason)))
                }
            }
        }
        // Written before answering: a one-shot run must not exit with verdicts unsaved.
        service.finish()
        return out
    }

    private func parse(_ m: EngineMessage, _ parsed: Message?) -> Message? {
        if let parsed { return parsed }
        guard let bytes = m.bytes else { return nil }
        return try? BareCMS.parse(bytes, limits: limits)
    }

    func receivedAt(_ message: EngineMessage, parsed: Message?) -> Date? {
        if let receivedAtOption { return receivedAtOption }
        let m = parse(message, parsed)
        let evidence = ReceivedTime.evidence(m, item: .file(message.path, stamp: nil), option: nil)
        let times = evidence.needsSigningTime ? m.map { ContentLayers.open($0, identities: identities, limits: limits).signingTimes } ?? [] : []
        return ReceivedTime.resolve(evidence, signingTimes: times)?.date
    }

    func detectedStatus(_ message: EngineMessage, parsed: Message?) -> String? {
        guard let m = parse(message, parsed) else { return SMIMEStatus.unknown.rawValue }
        return StructureDetector.status(of: m)?.rawValue
    }

    func innerMessages(_ message: EngineMessage, parsed: Message) -> [Message] {
        ContentLayers.open(parsed, identities: identities, limits: limits).inner
    }

    func recordScan(_ seen: [SeenEmail], present: [String], scope: String) throws(JMAPServer.EngineError) -> String {
        guard let store else { throw JMAPServer.EngineError(type: "cannotCalculateChanges", description: "no result cache") }
        lock.lock()
        defer { lock.unlock() }
        do {
            try store.clearPresent()
            defer { try? store.clearPresent() }
            try store.recordSeen(batch: seen.map { (id: $0.id, path: $0.path, status: $0.status, errors: $0.errors) }, scope: scope)
            try store.markPresent(present)
            _ = try store.sweepUnmarked(scope: scope)
            return try store.state(scope: scope)
        } catch let e as ResultStoreError {
            throw JMAPServer.EngineError(type: e.jmapType, description: e.description)
        } catch {
            throw JMAPServer.EngineError(type: "serverFail", description: "\(error)")
        }
    }

    func changes(since state: String, maxChanges: Int?, scope: String) throws(JMAPServer.EngineError) -> EmailChangeSet {
        guard let store else { throw JMAPServer.EngineError(type: "cannotCalculateChanges", description: "no result cache") }
        lock.lock()
        defer { lock.unlock() }
        do {
            let c = try store.changes(since: state, maxChanges: maxChanges, scope: scope)
            return EmailChangeSet(oldState: c.oldState, newState: c.newState, hasMoreChanges: c.hasMoreChanges,
                                  created: c.created, updated: c.updated, destroyed: c.destroyed)
        } catch let e as ResultStoreError {
            throw JMAPServer.EngineError(type: e.jmapType, description: e.description)
        } catch {
            throw JMAPServer.EngineError(type: "serverFail", description: "\(error)")
        }
    }
}
