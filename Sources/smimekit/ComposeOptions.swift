// The option groups of sign and encrypt: the signer, the recipients, and the
// input and output.
import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct SignerOptions: ParsableArguments {
    @OptionGroup var files: SignerFiles
    @OptionGroup var password: PasswordOption
    @OptionGroup var form: SignatureForm
}

/// The signer's key and files, for sign and for jmap's Email/set.
struct SignerFiles: ParsableArguments {
    @Option(help: ArgumentHelp("Signing key: PEM, DER or PKCS#12 (a .p12 holds the certificate too).", valueName: "file"), completion: .file())
    var key: String?

    @Option(help: ArgumentHelp("Certificate of --key, when the key file does not hold it.", valueName: "file"), completion: .file())
    var cert: String?

    @Option(help: ArgumentHelp("Intermediate certificates to send with the signature (repeatable).", valueName: "file"), completion: .file())
    var chain: [String] = []

    @Option(help: ArgumentHelp("Directory of PKCS#12 or PEM key+certificate files; the one naming the signer's address is used.", valueName: "dir"), completion: .directory)
    var identities: String?
}

/// How a message is signed, for sign and for jmap's Email/set.
struct SignatureForm: ParsableArguments {
    @Option(help: ArgumentHelp("Digest: sha256 (default), sha384, sha512 or sha224.", valueName: "name"),
            completion: .list(["sha256", "sha384", "sha512", "sha224"]))
    var digest = "sha256"

    @Flag(help: "Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).")
    var pss = false

    @Flag(help: "Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.")
    var opaque = false

    var options: SigningOptions { SigningOptions(digest: digest, pss: pss, format: opaque ? .opaque : .detached) }
}

struct RecipientOptions: ParsableArguments {
    @OptionGroup var files: RecipientFiles

    @Option(help: ArgumentHelp("CRLs (PEM or DER, file or directory): a revoked recipient certificate is refused (repeatable).", valueName: "file|dir"), completion: .file())
    var crl: [String] = []

    @OptionGroup var form: EncryptionForm
}

/// The recipients' certificates, for encrypt and for jmap's Email/set.
struct RecipientFiles: ParsableArguments {
    @Option(help: ArgumentHelp("Address book: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).", valueName: "dir"), completion: .directory)
    var recipients: [String] = []

    @Option(help: ArgumentHelp("A recipient certificate (repeatable).", valueName: "file"), completion: .file())
    var recipientCert: [String] = []
}

/// How a message is encrypted, for encrypt and for jmap's Email/set.
struct EncryptionForm: ParsableArguments {
    @Option(help: ArgumentHelp("aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).", valueName: "name"),
            completion: .list(ContentCipher.allCases.map(\.rawValue)))
    var cipher: String = ContentCipher.aes256gcm.rawValue

    @Flag(help: "RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).")
    var oaep = false

    func validate() throws { _ = try contentCipher() }

    func contentCipher() throws -> ContentCipher { try usable { try SettingChoice.parse(cipher, option: "--cipher") } }

    var options: EncryptionOptions { EncryptionOptions(cipher: (try? contentCipher()) ?? .aes256gcm, oaep: oaep) }
}

struct ComposeIO: ParsableArguments {
    @Argument(help: ArgumentHelp("The message (.eml), or - for standard input (the default).", valueName: "message"), completion: .file())
    var input: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the message (or, with --jmap, the response) here instead of standard output; written whole or not at all.", valueName: "file"), completion: .file())
    var output: String?

    @Option(help: ArgumentHelp("Read a JMAP Email/set request (or its bare arguments) instead of a message; - for standard input.", valueName: "file"), completion: .file())
    var jmap: String?

    @Option(help: ArgumentHelp("With --jmap: directory the messages are written to, as ID.eml.", valueName: "dir"), completion: .directory)
    var outputDir: String?

    @Option(help: ArgumentHelp("With --jmap: directory where attachment blobIds are found as file names.", valueName: "dir"), completion: .directory)
    var blobDir: String?

    @Option(help: ArgumentHelp("Judge certificate validity at this time (RFC 3339 with a zone, or a date meaning 00:00Z; default: now).", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp("RFC 9788 header protection: baseline (the default: From, To, Subject and the rest are copied inside and protected; encrypted mail shows Subject [...] outside), no-confidentiality (copied, nothing hidden outside) or none (for old readers that show the copy oddly). With --jmap, an Email's smimeHeaderProtection overrides it.", valueName: "policy"))
    var headerProtection = HeaderProtectionPolicy.default.rawValue

    func validate() throws {
        if jmap != nil && input != nil { throw ValidationError("give either a message or --jmap, not both") }
        if jmap != nil && outputDir == nil { throw ValidationError("--jmap writes each message into --output-dir DIR; give one") }
        if jmap == nil && (outputDir != nil || blobDir != nil) { throw ValidationError("--output-dir and --blob-dir go with --jmap") }
        if let at, JMAPDate.parse(at) == nil { throw ValidationError(RFC3339.commandLineMessage(option: "--at", value: at)) }
        _ = try headerProtectionPolicy()
    }

    func headerProtectionPolicy() throws -> HeaderProtectionPolicy {
        try usable { try SettingChoice.parse(headerProtection, option: "--header-protection") }
    }

    var time: Date { at.flatMap(JMAPDate.parse) ?? Date() }

    func readInput(_ path: String?) throws -> [UInt8] { try MessageFiles.read(path) }
    func emit(_ bytes: [UInt8]) throws { try MessageFiles.emit(bytes, to: output) }
}
