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

    @OptionGroup var jobs: JobsOption

    @Option(help: ArgumentHelp("Largest message read, in bytes (default 256 MiB).", valueName: "bytes"))
    var maxMessageSize: Int = 256 << 20

    @Option(help: ArgumentHelp("The Session's username and the account's name (default: $USER, else local).", valueName: "name"))
    var username: String?

    var settings: MailServiceSettings {
        var compose = self.compose.settings
        compose.passin = trust.password.passin
        compose.crls = trust.crl
        return MailServiceSettings(directories: directories, verification: trust.settings, compose: compose,
                                   blobDirectory: self.compose.blobDir, maxAge: TimeInterval(cache.maxAge),
                                   maxMessageSize: maxMessageSize, jobs: jobs.count, username: username)
    }

    func validate() throws {
        try usable { try settings.checkDirectories() }
        if maxMessageSize < 1 { throw ValidationError("--max-message-size must be positive") }
    }

    /// The backend over the directories, with the verifier, the result cache and the identities loaded.
    func makeBackend() throws -> MailBackend {
        try MailBackend(settings: settings, store: try cache.open(), warn: { Diagnostics.warning($0) })
    }
}

/// The identity options of `sign` and `encrypt`, for Email/set. Keys and PKCS#12 files
/// open with --passin and recipient certificates are checked against --crl, both from
/// the verify options (one option each, not two).
struct JMAPComposeOptions: ParsableArguments {
    @OptionGroup var files: SignerFiles
    @OptionGroup var form: SignatureForm
    @OptionGroup var recipients: RecipientFiles
    @OptionGroup var encryption: EncryptionForm

    @Option(help: ArgumentHelp("RFC 9788 header protection of made mail: baseline (default), no-confidentiality or none; an Email's smimeHeaderProtection overrides it.", valueName: "policy"))
    var headerProtection = HeaderProtectionPolicy.default.rawValue

    @Option(help: ArgumentHelp("Directory where Email/set attachment blobIds are found as file names.", valueName: "dir"), completion: .directory)
    var blobDir: String?

    func validate() throws {
        _ = try headerProtectionPolicy()
        if files.cert != nil && files.key == nil { throw ValidationError("--cert needs the key that goes with it (--key)") }
    }

    func headerProtectionPolicy() throws -> HeaderProtectionPolicy {
        try usable { try SettingChoice.parse(headerProtection, option: "--header-protection") }
    }

    /// Without --passin and --crl, which come from the verify options.
    var settings: ComposeSettings {
        ComposeSettings(key: files.key, cert: files.cert, chain: files.chain, identities: files.identities,
                        signing: form.options, recipients: recipients.recipients, recipientCertificates: recipients.recipientCert,
                        encryption: encryption.options, headerProtection: (try? headerProtectionPolicy()) ?? .default)
    }
}
