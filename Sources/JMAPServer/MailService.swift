// A mail backend from plain settings: the directories, how to verify, how to make
// mail. `smimekit jmap` and `smimekit serve` fill them from their flags; another
// front end would fill them from its own configuration.
import Foundation
import MailScan
import ResultStore
import SMIME

public struct MailServiceSettings: Sendable {
    /// Each a mailbox tree: a maildir with its Maildir++ folders, or a directory of message files.
    public var directories: [String]
    public var verification: VerifierSettings
    /// The identities and forms of Email/set's smimeSign and smimeEncrypt.
    public var compose: ComposeSettings
    /// Where Email/set attachment blobIds are found as file names.
    public var blobDirectory: String?
    /// Seconds a stored smimeStatus and smimeErrors are served.
    public var maxAge: TimeInterval
    public var maxMessageSize: Int
    /// Messages verified at once.
    public var jobs: Int
    /// The Session's username and the account's name; nil: $USER, else local.
    public var username: String?

    public init(directories: [String], verification: VerifierSettings = VerifierSettings(), compose: ComposeSettings = ComposeSettings(),
                blobDirectory: String? = nil, maxAge: TimeInterval = ResultStore.maximumAge, maxMessageSize: Int = 256 << 20,
                jobs: Int = 1, username: String? = nil) {
        self.directories = directories
        self.verification = verification
        self.compose = compose
        self.blobDirectory = blobDirectory
        self.maxAge = maxAge
        self.maxMessageSize = maxMessageSize
        self.jobs = jobs
        self.username = username
    }

    /// Why the directories cannot be served, if they cannot: none given, or one that is not a directory.
    public func checkDirectories() throws(SettingError) {
        if directories.isEmpty { throw SettingError("name at least one mail directory") }
        for d in directories {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: d, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw SettingError("\(d) is not a directory: each operand is a maildir or a directory of messages")
            }
        }
    }

    /// `username`, else a non-empty USER of `environment`, else local.
    public func accountName(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        username ?? environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "local"
    }
}

extension MailBackend {
    /// The backend over the directories, the verifier, the keys and the address book loaded,
    /// verdicts kept in `store`. Store failures and trust store fallbacks are said to `warn`.
    public convenience init(settings: MailServiceSettings, store: ResultStore?, warn: @escaping @Sendable (String) -> Void) throws {
        let verification = settings.verification
        let verifier = try verification.verifier(limits: .default, inMemoryLimit: MessageVerifier.defaultInMemoryLimit,
                                                 answers: store.map(StoredRevocationAnswers.init), warn: warn)
        // One VerdictService for the backend's life: the cached verifier and result store
        // that verify, query and changes use, shared by concurrent requests.
        let service = VerdictService(
            verifier: verifier, store: store, maxAge: settings.maxAge,
            at: try verification.verificationTime(), receivedAt: try verification.deliveryTime(),
            maxBytes: settings.maxMessageSize, jobs: settings.jobs, warn: warn)
        let composer = try settings.compose.composer(time: try verification.verificationTime() ?? Date(), warn: warn)
        let configuration = MailBackendConfiguration(
            operands: settings.directories, username: settings.accountName(), composer: composer,
            blobDirectory: settings.blobDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) },
            maxMessageSize: settings.maxMessageSize)
        self.init(configuration: configuration, engine: MailScanEngine(service: service))
    }
}
