// Option groups shared by the reading commands, so that `status`, `verify` and
// `query` take the same words for the same things.
import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import ResultStore
import SMIME

struct InputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "Messages: regular files, directories (walked recursively, sorted; maildirs as mdirs reads them), or - for standard input.",
        discussion: "With no operand and standard input not a terminal, standard input is one message when its first line is a header field that names no existing file (smimekit verify < m.eml), else a list of paths, one a line or NUL-separated (as find -print0 writes them). FIFOs, devices and sockets are refused with an error line; a bare CMS file (.p7m, DER or PEM) is read as an S/MIME entity without From.",
        valueName: "path"),
        completion: .file())
    var paths: [String] = []

    @OptionGroup var jobs: JobsOption

    @Flag(help: "Never draw the progress line on standard error.")
    var noProgress = false

    @Option(help: ArgumentHelp("Largest message read, in bytes; larger ones are reported and skipped (default 4 GiB).", valueName: "bytes"))
    var maxMessageSize: Int = 4 << 30

    @Option(help: ArgumentHelp("Messages larger than this, in bytes, are streamed instead of read into memory (default 32 MiB): a multipart/signed is still checked in full, other S/MIME that large is reported as not checked.", valueName: "bytes"))
    var maxInMemorySize: Int = MessageVerifier.defaultInMemoryLimit

    @Option(help: ArgumentHelp("Deepest MIME nesting accepted.", valueName: "n"))
    var maxDepth: Int = MIMELimits.default.maxDepth

    @Option(help: ArgumentHelp("Most MIME parts accepted in one message.", valueName: "n"))
    var maxParts: Int = MIMELimits.default.maxParts

    @Option(help: ArgumentHelp("Largest header block accepted, in bytes.", valueName: "bytes"))
    var maxHeaderBytes: Int = MIMELimits.default.maxHeaderBytes

    @Option(help: ArgumentHelp("Most header fields accepted in one header block.", valueName: "n"))
    var maxHeaderFields: Int = MIMELimits.default.maxHeaderFields

    var limits: MIMELimits {
        MIMELimits(maxDepth: maxDepth, maxParts: maxParts, maxHeaderBytes: maxHeaderBytes,
                   maxHeaderFields: maxHeaderFields)
    }

    func validate() throws {
        if maxMessageSize < 1 || maxInMemorySize < 1 || maxDepth < 1 || maxParts < 1 || maxHeaderBytes < 1 || maxHeaderFields < 1 {
            throw ValidationError("limits (--max-message-size, --max-in-memory-size, --max-depth, --max-parts, --max-header-bytes, --max-header-fields) must be positive")
        }
    }

    /// The operands with the bytes they had in argv (file names need not be UTF-8).
    var operands: [String] { RawArguments.recover(paths) }

    func walk() -> InputWalk {
        InputWalk(operands: operands, stdinIsTerminal: isatty(STDIN_FILENO) == 1)
    }

    func progress() -> Progress? { Progress.ifTerminal(enabled: !noProgress, operands: operands) }

    /// Guards against waiting forever on a terminal.
    func requireInput() throws {
        if paths.isEmpty && isatty(STDIN_FILENO) == 1 {
            throw ValidationError("no messages given: name files or directories, use - for standard input, or pipe in a list of paths")
        }
    }
}

/// -j/--jobs: the reading commands, jmap and serve.
struct JobsOption: ParsableArguments {
    @Option(name: [.short, .long], help: "Messages checked at once (default: all cores).")
    var jobs: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs takes a number of 1 or more") }
    }

    var count: Int { max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount) }
}

struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("text (a line a message, for people; default on a terminal), ndjson (a JSON object a line; default in a pipe) or json (a JMAP response).", valueName: "format"))
    var format: OutputFormat?

    @Option(help: ArgumentHelp("RFC 9219 properties to print, comma-separated: smimeStatus, smimeStatusAtDelivery, smimeErrors, smimeVerifiedAt.", valueName: "list"),
            completion: .list(SMIMEProperty.allCases.map(\.rawValue)))
    var properties: String?

    func selectedProperties(default def: [SMIMEProperty]) throws -> [SMIMEProperty] {
        guard let properties else { return def }
        let (props, unknown) = SMIMEProperty.list(properties)
        if !unknown.isEmpty {
            throw ValidationError("unknown property \(unknown.map { "'\($0)'" }.joined(separator: ", ")); choose from \(SMIMEProperty.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if props.isEmpty { throw ValidationError("--properties needs at least one property") }
        return props
    }
}

struct TrustOptions: ParsableArguments {
    @OptionGroup var anchors: AnchorOptions

    @Option(help: ArgumentHelp("Extra certificates (intermediates, signers) to build paths with; not trusted (repeatable).", valueName: "file|dir"), completion: .file())
    var certs: [String] = []

    @Option(help: ArgumentHelp("CRLs, PEM or DER, file or directory (repeatable).", valueName: "file|dir"), completion: .file())
    var crl: [String] = []

    @Option(help: ArgumentHelp("off, soft (a revoked certificate fails, a missing CRL does not) or hard (a certificate without a known status fails).", valueName: "mode"))
    var revocation: RevocationMode = .soft

    @Flag(help: "Ask the OCSP responders and CRL distribution points (http only) that certificates name, and fetch missing issuers from AIA caIssuers. Off by default: an OCSP query tells the CA which certificate you checked.")
    var online = false

    @Option(help: ArgumentHelp("With --online, seconds each URL may take, connecting included (1 to 60).", valueName: "seconds"))
    var onlineTimeout: Int = 5

    @Flag(help: "Accept SHA-1 digests and SHA-1 signed certificates.")
    var allowSha1 = false

    @Flag(help: "Accept MD5 digests and MD5 signed certificates.")
    var allowMd5 = false

    @Option(help: ArgumentHelp("Smallest RSA key accepted for the signer and the CAs of its path (default 2048, RFC 8551; 1024 at the least, for old archives).", valueName: "bits"))
    var minRsaBits: Int = VerificationOptions.defaultMinRSABits

    @Flag(help: "Do not require the From address to appear in the signer certificate.")
    var noSenderCheck = false

    @Option(help: ArgumentHelp("Most nested S/MIME layers (signed or encrypted) looked into.", valueName: "n"))
    var maxLayers: Int = VerificationOptions().maxLayers

    @Option(help: ArgumentHelp("Most certificates one signature may carry.", valueName: "n"))
    var maxCertificates: Int = VerificationOptions().maxCertificates

    @Option(help: ArgumentHelp("Verification time: RFC 3339 with a zone (2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00) or a date (2026-03-01, meaning 00:00Z); default: now.", valueName: "time"))
    var at: String?

    @Option(help: ArgumentHelp("Delivery time for smimeStatusAtDelivery (default: the topmost Received header, else Date, else the file's modification time).", valueName: "time"))
    var receivedAt: String?

    @Option(help: ArgumentHelp("Private key to open encrypted messages: PEM, DER or PKCS#12 (repeatable).", valueName: "file"), completion: .file())
    var decryptKey: [String] = []

    @Option(help: ArgumentHelp("Certificate of the --decrypt-key (when the key file does not hold it).", valueName: "file"), completion: .file())
    var decryptCert: [String] = []

    @OptionGroup var password: PasswordOption

    /// The flags as the engine takes them.
    var settings: VerifierSettings {
        var s = VerifierSettings(anchors: anchors.trust, noSystemTrust: anchors.noSystemTrust, trustSource: anchors.trustSource,
                                 certificates: certs, crls: crl, onlineTimeout: onlineTimeout, at: at, receivedAt: receivedAt,
                                 decryptKeys: decryptKey, decryptCertificates: decryptCert, passin: password.passin)
        s.options.revocation = revocation
        s.options.allowSHA1 = allowSha1
        s.options.allowMD5 = allowMd5
        s.options.minRSABits = minRsaBits
        s.options.senderCheck = !noSenderCheck
        s.options.maxLayers = maxLayers
        s.options.maxCertificates = maxCertificates
        s.options.online = online
        return s
    }

    func validate() throws { try usable { try settings.check() } }

    /// The verdict service of a reading command: these options' verifier, with `input`'s
    /// limits, verdicts kept in `store` for --max-age.
    /// - Parameters:
    ///   - deliveryTime: --received-at applies (status and changes compute no delivery verdict of their own).
    ///   - onlineAnswers: --online keeps what it fetched between runs in the store.
    ///   - hashesEveryFile: a stored verdict is served only for bytes hashed now.
    func service(_ input: InputOptions, _ cache: StoreOptions, store: ResultStore?, deliveryTime: Bool = true,
                 onlineAnswers: Bool = false, hashesEveryFile: Bool = false) throws -> VerdictService {
        let verifier = try settings.verifier(limits: input.limits, inMemoryLimit: input.maxInMemorySize,
                                             answers: onlineAnswers ? store.map(StoredRevocationAnswers.init) : nil,
                                             warn: { Diagnostics.warning($0) })
        return VerdictService(
            verifier: verifier, store: store, maxAge: TimeInterval(cache.maxAge), at: try settings.verificationTime(),
            receivedAt: deliveryTime ? try settings.deliveryTime() : nil, maxBytes: input.maxMessageSize, jobs: input.jobs.count,
            hashesEveryFile: hashesEveryFile, warn: { Diagnostics.warning($0) }, advice: { $0.advice })
    }
}

extension TrustSource: ExpressibleByArgument {
    // The raw values, as ArgumentParser's defaults give them, without the runtime lookups (start-up).
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }
    public var defaultValueDescription: String { rawValue }
}

/// --trust, --no-system-trust and --trust-source: the reading commands and `trust list`.
struct AnchorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Trust the certificates in this PEM/DER file or directory as anchors (repeatable).", valueName: "file|dir"), completion: .file())
    var trust: [String] = []

    @Flag(help: "Trust only the anchors given with --trust, not the system store (the same as --trust-source none).")
    var noSystemTrust = false

    @Option(help: ArgumentHelp("Default anchors: nss-email (the roots NSS's built-in store trusts for e-mail, as Thunderbird; the default), bundle (the system CA bundle, TLS roots) or none. See `smimekit trust list`.", valueName: "source"))
    var trustSource: TrustSource?

    func validate() throws {
        if let why = TrustConfiguration.contradiction(noSystemTrust: noSystemTrust, source: trustSource) { throw ValidationError(why) }
    }

    /// The anchors chosen, with the store's warnings (a fallback taken) printed.
    func store() throws -> TrustStore {
        try VerifierSettings.trustStore(anchors: trust, noSystemTrust: noSystemTrust, source: trustSource, warn: { Diagnostics.warning($0) })
    }
}

/// --passin: for every command that opens keys.
struct PasswordOption: ParsableArguments {
    @Option(help: ArgumentHelp("Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.", valueName: "source"))
    var passin: String?
}

/// An engine setting that cannot be used, as a usage error.
func usable<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw ValidationError("\(error)") }
}

