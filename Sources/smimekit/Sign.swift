// `smimekit sign`, and what sign and encrypt share: the signer and recipient
// option groups, reading the input (.eml or JMAP Email/set), and writing the
// output without ever leaving a half-written file.
import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign a message with S/MIME (and encrypt it with --encrypt).",
        discussion: """
            The signer is the address in Sender, else From; the certificate must name it, be valid now and allow emailProtection.
            The RFC 5322 header fields stay outside; the MIME body is re-encoded to 7 bits if needed and signed.

            Examples:
              smimekit sign --key alice.p12 --passin env:P12PASS message.eml -o signed.eml
              smimekit sign --key alice.key --cert alice.pem --opaque < message.eml > signed.eml
              smimekit sign --identities ~/.smime/keys --encrypt --recipients ~/.smime/addressbook message.eml
              smimekit sign --key alice.p12 --recipients book/ --jmap request.json --output-dir out/

            With --jmap, each Email's smimeSign and smimeEncrypt decide what is done to it (both false: a plain message), and smimeHeaderProtection how its header fields are protected.

            Header protection (RFC 9788) is on by default: the header fields are copied into the signed part, marked hp="clear" (hp="cipher" when encrypted, with the outer Subject replaced by [...]). Use --header-protection none for readers that cannot cope.

            Exit status:
              0  done
              1  some JMAP create failed (see notCreated)
              2  nothing written: a bad option, message, key or password
            """
    )

    @OptionGroup(title: "Input and output") var io: ComposeIO
    @OptionGroup(title: "Signer") var signer: SignerOptions
    @Flag(help: "Encrypt the signed message too (needs recipient certificates).")
    var encrypt = false
    @OptionGroup(title: "Recipients (with --encrypt)") var recipients: RecipientOptions
    @OptionGroup var config: ConfigOptions

    func run() throws {
        try ComposeRun(io: io, signer: signer, recipients: recipients, wantSigner: true, wantRecipients: encrypt)
            .run(sign: true, encrypt: encrypt)
    }
}

struct SignerOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Signing key: PEM, DER or PKCS#12 (a .p12 holds the certificate too).", valueName: "file"), completion: .file())
    var key: String?

    @Option(help: ArgumentHelp("Certificate of --key, when the key file does not hold it.", valueName: "file"), completion: .file())
    var cert: String?

    @Option(help: ArgumentHelp("Intermediate certificates to send with the signature (repeatable).", valueName: "file"), completion: .file())
    var chain: [String] = []

    @Option(help: ArgumentHelp("Directory of PKCS#12 or PEM key+certificate files; the one naming the signer's address is used.", valueName: "dir"), completion: .directory)
    var identities: String?

    @Option(help: ArgumentHelp("Password of keys and PKCS#12 files: pass:PASSWORD, env:VAR, file:PATH or fd:N.", valueName: "source"))
    var passin: String?

    @Option(help: ArgumentHelp("Digest: sha256 (default), sha384, sha512 or sha224.", valueName: "name"),
            completion: .list(["sha256", "sha384", "sha512", "sha224"]))
    var digest = "sha256"

    @Flag(help: "Sign with RSASSA-PSS instead of PKCS#1 v1.5 (RSA keys).")
    var pss = false

    @Flag(help: "Opaque signed-data (application/pkcs7-mime) instead of multipart/signed.")
    var opaque = false

    var options: SigningOptions {
        SigningOptions(digest: digest, pss: pss, format: opaque ? .opaque : .detached)
    }

    /// nil when no key was given at all.
    func source() throws -> SignerSource? {
        if let key {
            let (k, c, bundled) = try PasswordPrompt.identity(keyFile: key, certificateFile: cert, passin: passin)
            guard let c else {
                throw EngineError.invalidOption("\(key) holds no certificate: give it with --cert")
            }
            var extra = bundled
            for file in chain { extra += try KeyLoader.certificates(URL(fileURLWithPath: file)) }
            return .identity(try SigningIdentity(key: k, certificate: c, chain: extra.filter { $0 != c }))
        }
        if let identities {
            let ids = try PasswordPrompt.identities(directory: identities, passin: passin)
            return .directory(ids, path: identities)
        }
        if cert != nil { throw EngineError.invalidOption("--cert needs the key that goes with it (--key)") }
        return nil
    }
}

struct RecipientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Address book: a directory (or file) of PEM/DER certificates, matched by the addresses they carry (repeatable).", valueName: "dir"), completion: .directory)
    var recipients: [String] = []

    @Option(help: ArgumentHelp("A recipient certificate (repeatable).", valueName: "file"), completion: .file())
    var recipientCert: [String] = []

    @Option(help: ArgumentHelp("CRLs (PEM or DER, file or directory): a revoked recipient certificate is refused (repeatable).", valueName: "file|dir"), completion: .file())
    var crl: [String] = []

    @Option(help: ArgumentHelp("aes-256-gcm (default, AuthEnvelopedData), aes-128-gcm, aes-256-cbc or aes-128-cbc (for older readers).", valueName: "name"),
            completion: .list(ContentCipher.allCases.map(\.rawValue)))
    var cipher: String = ContentCipher.aes256gcm.rawValue

    @Flag(help: "RSAES-OAEP key transport for RSA recipients (default PKCS#1 v1.5; EC recipients use ECDH).")
    var oaep = false

    func validate() throws {
        if ContentCipher(rawValue: cipher.lowercased()) == nil {
            throw ValidationError("--cipher takes \(ContentCipher.allCases.map(\.rawValue).joined(separator: ", ")), not '\(cipher)'")
        }
    }

    var options: EncryptionOptions {
        EncryptionOptions(cipher: ContentCipher(rawValue: cipher.lowercased()) ?? .aes256gcm, oaep: oaep)
    }

    var isEmpty: Bool { recipients.isEmpty && recipientCert.isEmpty }

    func book() throws -> RecipientBook {
        try RecipientBook.load(directories: recipients.map { URL(fileURLWithPath: $0) },
                               files: recipientCert.map { URL(fileURLWithPath: $0) },
                               crlFiles: crl.map { URL(fileURLWithPath: $0) })
    }
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

    var headerProtectionPolicy: HeaderProtectionPolicy { HeaderProtectionPolicy(rawValue: headerProtection.lowercased()) ?? .default }

    func validate() throws {
        if jmap != nil && input != nil { throw ValidationError("give either a message or --jmap, not both") }
        if jmap != nil && outputDir == nil { throw ValidationError("--jmap writes each message into --output-dir DIR; give one") }
        if jmap == nil && (outputDir != nil || blobDir != nil) { throw ValidationError("--output-dir and --blob-dir go with --jmap") }
        if let at, JMAPDate.parse(at) == nil { throw ValidationError(RFC3339.commandLineMessage(option: "--at", value: at)) }
        if HeaderProtectionPolicy(rawValue: headerProtection.lowercased()) == nil {
            throw ValidationError("--header-protection takes \(HeaderProtectionPolicy.allCases.map(\.rawValue).joined(separator: ", ")), not '\(headerProtection)'")
        }
    }

    var time: Date { at.flatMap(JMAPDate.parse) ?? Date() }

    func readInput(_ path: String?) throws -> [UInt8] { try MessageFiles.read(path) }
    func emit(_ bytes: [UInt8]) throws { try MessageFiles.emit(bytes, to: output) }
}

/// Reading a message or request, and writing the result to a file or standard output.
enum MessageFiles {
    static func read(_ path: String?) throws -> [UInt8] {
        let item: InputItem = path.map { $0 == "-" ? .stdin : .file(RawArguments.recover($0)) } ?? .stdin
        switch InputReader.read(item, maxBytes: 256 << 20) {
        case .success(let b): return b
        case .failure(let f): throw EngineError.unreadable(path ?? "-", f.text)
        }
    }

    static func emit(_ bytes: [UInt8], to output: String?) throws {
        if let output {
            try AtomicFile.write(bytes, to: output)
        } else {
            StandardOutput.shared.write(bytes: bytes)
            StandardOutput.shared.flush()
        }
    }
}

/// Writes a file whole or not at all: a temporary file in the same directory, then rename(2).
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        InterruptCleanup.track(temp)
        defer { InterruptCleanup.track(nil) }
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError.unreadable(path, "cannot write here: \(String(cString: strerror(errno)))") }
        var ok = true
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ok = false; break }
            offset += n
        }
        if ok && fsync(fd) != 0 { ok = false }
        let why = String(cString: strerror(errno))
        close(fd)
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw EngineError.unreadable(path, "cannot write: \(why)")
        }
    }
}

/// SIGINT and SIGTERM remove the temporary file being written, so an interrupted
/// run leaves either the whole output or nothing. The path lives in a fixed C
/// buffer because a signal handler may only call async-signal-safe functions.
enum InterruptCleanup {
    nonisolated(unsafe) static let path: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
        p.initialize(repeating: 0, count: Int(PATH_MAX) + 1)
        return p
    }()

    static func install() {
        _ = path
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { sig in
                if InterruptCleanup.path.pointee != 0 { unlink(InterruptCleanup.path) }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    /// The file to remove on interruption (nil: none).
    static func track(_ file: String?) {
        path.pointee = 0
        guard let file, file.utf8.count <= Int(PATH_MAX) else { return }
        file.withCString { c in
            // The first byte goes in last, so a handler sees either no path or all of it.
            let n = strlen(c)
            (path + 1).update(from: c + 1, count: n)
            path.pointee = c.pointee
        }
    }
}

/// One run of sign or encrypt: message mode or JMAP mode.
struct ComposeRun {
    let io: ComposeIO
    let signer: SignerOptions
    let recipients: RecipientOptions
    /// Whether the command needs these (a missing key is an error only then).
    let wantSigner: Bool
    let wantRecipients: Bool

    func run(sign: Bool, encrypt: Bool) throws {
        var composer = MailComposer()
        composer.time = io.time
        composer.signing = signer.options
        composer.encryption = recipients.options
        composer.headerProtection = io.headerProtectionPolicy
        do {
            composer.signer = try signer.source()
            if !recipients.isEmpty { composer.recipients = try recipients.book() }
        } catch {
            Diagnostics.error("\(error); nothing written")
            throw ExitCode(ExitStatus.trouble)
        }
        if io.jmap == nil {
            if wantSigner && composer.signer == nil {
                Diagnostics.error("no signing key: give --key FILE (with --cert FILE unless it is a .p12) or --identities DIR; nothing written")
                throw ExitCode(ExitStatus.trouble)
            }
            if wantRecipients && composer.recipients == nil {
                Diagnostics.error("no recipient certificates: give --recipients DIR or --recipient-cert FILE; nothing written")
                throw ExitCode(ExitStatus.trouble)
            }
        }
        if let jmap = io.jmap {
            try runJMAP(jmap, composer: composer)
        } else {
            try runMessage(composer: composer, sign: sign, encrypt: encrypt)
        }
    }

    func runMessage(composer: MailComposer, sign: Bool, encrypt: Bool) throws {
        do {
            let bytes = try io.readInput(io.input)
            let out = try composer.compose(bytes, sign: sign, encrypt: encrypt)
            try io.emit(out)
        } catch {
            Diagnostics.error("\(io.input ?? "-"): \(error); nothing written")
            throw ExitCode(ExitStatus.trouble)
        }
    }

    func runJMAP(_ path: String, composer: MailComposer) throws {
        let input: EmailSetInput
        do {
            input = try EmailSetInput.parse(try io.readInput(path))
        } catch let e as RequestError {
            // A request-level problem (RFC 8620 3.6.1) is the answer, printed like any other.
            try io.emit(Array((e.json.serialized() + "\n").utf8))
            throw ExitCode(ExitStatus.trouble)
        }
        let outputDir = io.outputDir ?? "."
        let builder = EmailCreateBuilder(
            blobDirectory: io.blobDir.map { URL(fileURLWithPath: $0, isDirectory: true) }, now: io.time,
            smimeCapability: input.using.map { $0.contains(JMAPCapability.smimeAdvanced) } ?? true,
            digestHex: { Digest.sha256Hex($0) })
        var responses: [JSON] = []
        var anyFailed = false
        for call in input.calls {
            guard call.name == "Email/set" else {
                responses.append(.array([.string("error"), methodError("unknownMethod", "smimekit answers Email/set only"), .string(call.callId)]))
                anyFailed = true
                continue
            }
            if let using = input.using, !using.contains(JMAPCapability.mail) {
                responses.append(.array([.string("error"), methodError("unknownMethod", "Email/set needs \(JMAPCapability.mail) in \"using\""), .string(call.callId)]))
                anyFailed = true
                continue
            }
            let (parsed, error) = EmailSetArguments.parse(call.arguments)
            guard let args = parsed else {
                responses.append(.array([.string("error"), error ?? .null, .string(call.callId)]))
                anyFailed = true
                continue
            }
            var response = EmailSetResponse(accountId: args.accountId)
            for (id, email) in args.create {
                switch create(email, builder: builder, composer: composer, outputDir: outputDir) {
                case .success(let entry): response.created.append((id, entry))
                case .failure(let e): response.notCreated.append((id, e)); anyFailed = true
                }
            }
            let refusal = SetError(type: "forbidden", description: "smimekit only creates messages; it cannot change or destroy them")
            response.notUpdated = args.update.map { ($0, refusal) }
            response.notDestroyed = args.destroy.map { ($0, refusal) }
            if !args.update.isEmpty || !args.destroy.isEmpty { anyFailed = true }
            responses.append(.array([.string("Email/set"), response.json, .string(call.callId)]))
        }
        let answer: JSON = input.isFullRequest
            ? JMAPResponse.envelope(responses)
            : (responses.first?.arrayValue?[1] ?? .null)
        do { try io.emit(Array((answer.serialized() + "\n").utf8)) } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        if anyFailed { throw ExitCode(ExitStatus.noMatch) }
    }

    func create(_ email: JSON, builder: EmailCreateBuilder, composer: MailComposer, outputDir: String) -> Result<JSON, SetError> {
        do {
            let made = try builder.build(email)
            var bytes = made.bytes
            if made.smimeSign || made.smimeEncrypt {
                if made.smimeSign && composer.signer == nil {
                    return .failure(.invalidProperties(["smimeSign"], "smimeSign needs a signing key: run with --key or --identities"))
                }
                if made.smimeEncrypt && composer.recipients == nil {
                    return .failure(.invalidProperties(["smimeEncrypt"], "smimeEncrypt needs recipient certificates: run with --recipients or --recipient-cert"))
                }
                var composer = composer
                if let p = made.headerProtection { composer.headerProtection = p }
                do {
                    bytes = try composer.compose(bytes, sign: made.smimeSign, encrypt: made.smimeEncrypt)
                } catch {
                    return .failure(Self.setError(error))
                }
            }
            let digest = Digest.sha256Hex(bytes)
            // The outer header carries Message-ID and References whether signed or encrypted.
            let threadId = (try? Message(bytes: bytes)).map { ThreadID.make($0, digestHex: digest, hash: Digest.sha256Hex) }
                ?? "T" + digest.prefix(24)
            let entry = EmailSetResponse.createdEntry(digestHex: digest, size: bytes.count, threadId: threadId)
            let id = EmailID.make(digestHex: digest)
            do {
                try AtomicFile.write(bytes, to: outputDir + "/" + id + ".eml")
            } catch {
                return .failure(SetError(type: "serverFail", description: "\(error)"))
            }
            return .success(entry)
        } catch {
            return .failure(error)
        }
    }

    static func setError(_ e: CompositionError) -> SetError {
        let props = e.properties
        if !props.isEmpty { return .invalidProperties(props, e.description) }
        return SetError(type: "serverFail", description: e.description)
    }
}
