import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check S/MIME signatures and print the RFC 9219 properties.",
        discussion: """
            Every problem is listed, not just the first: the signature, the certificate path to a trust anchor (validity, key usage, name constraints, policies, revocation), the algorithms, and whether the signer is the sender in From.

            Verdicts are remembered in the result cache (see --store): smimeStatus and smimeErrors for at most --max-age seconds (24 hours) and never past a certificate's notAfter; smimeStatusAtDelivery until a trust anchor is added. With --at, the cached current verdicts are neither used nor stored (a verdict at another time is not the verdict now); --details always verifies afresh. Every file is read and hashed before a stored verdict is served for it, whatever its stat(2) stamp says (query and status may name an unchanged file by its recorded digest).

            Examples:
              smimekit verify --trust ca.pem message.eml
              smimekit verify --no-system-trust --trust ca.pem --certs intermediate.pem --crl ca.crl maildir/
              smimekit verify --details --format text message.eml
              smimekit verify --decrypt-key me.p12 --passin env:P12PASS encrypted.eml
              smimekit verify --at 2025-01-01T00:00:00Z --properties smimeStatus message.eml
              smimekit verify --no-cache message.eml
              smimekit verify -0 ~/Maildir | xargs -0 ls -l
              smimekit verify --trust ca.pem --out content.eml --signer signer.pem message.eml

            With -l (or -0) only the paths of the messages that verified (signed/verified or encrypted+signed/verified) are printed; the exit status is as without it.

            Exit status:
              0  every message is signed/verified or encrypted+signed/verified
              1  some message is not (unsigned, failed, or not checkable)
              2  trouble: a bad option, no message given, an unreadable file or key, or a --store that cannot be opened
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Trust and verification") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions

    @Flag(help: "Add signer, certificate path (with SHA-256 fingerprints) and problem codes to each record (outside the four RFC 9219 keys).")
    var details = false

    @OptionGroup(title: "Paths only") var list: PathListOptions
    @OptionGroup(title: "Getting things out") var extract: ExtractOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try list.check(format: output.format, details: details)
        try extract.check(paths: input.paths)
    }

    func run() throws {
        try input.requireInput()
        if extract.out == "-" { StandardOutput.shared.descriptor = STDERR_FILENO }
        let format = OutputFormat.resolve(output.format)
        let properties = try output.selectedProperties(default: SMIMEProperty.allCases)
        let store = try cache.open()
        let verifier: MessageVerifier
        do {
            verifier = try trust.verifier(limits: input.limits, inMemoryLimit: input.maxInMemorySize,
                                          answers: store.map(StoredRevocationAnswers.init))
        } catch let e as EngineError {
            throw e
        }
        let jobs = input.jobCount
        let maxSize = input.maxMessageSize
        let needDelivery = properties.contains(.smimeStatusAtDelivery)
        let details = self.details
        let at = try trust.parsedTime(trust.at, option: "--at")
        let service = VerdictService(
            verifier: verifier, store: store, maxAge: TimeInterval(cache.maxAge),
            at: try trust.parsedTime(trust.at, option: "--at"),
            receivedAt: try trust.parsedTime(trust.receivedAt, option: "--received-at"),
            // A verdict is a security decision: it is served only for bytes hashed now.
            maxBytes: maxSize, jobs: jobs, hashesEveryFile: true, warn: { Diagnostics.warning($0) })

        var outcome = RunOutcome()
        var printer = RecordPrinter(format: format, properties: properties)
        BatchScan(jobs: jobs, progress: input.progress()).run(input.walk()) { batch in
            let reads = service.read(batch)
            let requests = reads.compactMap { r -> VerdictRequest? in
                guard case .success(let m) = r else { return nil }
                return VerdictRequest(message: m, delivery: needDelivery, details: details)
            }
            var verdicts = service.resolve(requests).makeIterator()
            for (item, read) in zip(batch, reads) {
                let result = read.flatMap { m in verdicts.next()!.map { (m, $0) } }
                switch result {
                case .failure(let f):
                    outcome.sawError = true
                    printer.failure(path: item.displayPath, reason: f.text)
                case .success(let (message, v)):
                    outcome.count += 1
                    if !v.isVerified { outcome.sawMismatch = true }
                    for n in v.fresh?.notes ?? [] where n.code == .unreadableMessage || n.code == .decryptionFailed {
                        Diagnostics.warning("\(item.displayPath): \(n.message)")
                    }
                    let values = v.properties
                    if extract.wanted {
                        Self.extract(message, options: extract, verifier: verifier, at: at,
                                          maxBytes: min(maxSize, input.maxInMemorySize), outcome: &outcome)
                    }
                    if list.enabled {
                        if v.isVerified { list.emit(item.displayPath) }
                    } else if details, let fresh = v.fresh {
                        let c = Checked(id: message.id, result: fresh, delivery: v.freshDelivery,
                                        verifiedAt: v.verifiedAt ?? Date(), receivedAt: v.receivedAt,
                                        receivedAtSource: v.receivedAtSource)
                        if format == .text {
                            printer.record(path: item.displayPath, id: message.id, values: values, textLines: DetailsReport.text(c, values: values))
                        } else {
                            printer.record(path: item.displayPath, id: message.id, values: values, extra: [("details", DetailsReport.json(c))])
                        }
                    } else {
                        printer.record(path: item.displayPath, id: message.id, values: values)
                    }
                }
            }
            return true
        }
        service.finish()
        // The state of this set of paths, as changes over the same operands answers from.
        if let store = service.store, let state = try? store.state(scope: ScanScope.key(operands: input.paths)) { printer.state = state }
        printer.finish()
        if outcome.count == 0 && !outcome.sawError {
            Diagnostics.error("no message to verify: the operands and the list of paths on standard input held none")
            throw ExitCode(ExitStatus.trouble)
        }
        throw ExitCode(outcome.exitCode)
    }

    /// --out and --signer for the one message: verified afresh, keeping the content.
    static func extract(_ read: ReadMessage, options: ExtractOptions, verifier: MessageVerifier, at: Date?,
                        maxBytes: Int, outcome: inout RunOutcome) {
        let path = read.item.displayPath
        func trouble(_ why: String) {
            Diagnostics.error("\(path): \(why)")
            outcome.sawError = true
        }
        var bytes = read.bytes
        if bytes == nil, read.message == nil {
            if read.source != nil || read.size > maxBytes {
                return trouble("\(read.size) bytes, larger than --max-in-memory-size: --out and --signer read the message into memory; raise --max-in-memory-size to write it out")
            }
            switch FileBytes.read(read.item, maxBytes: maxBytes) {
            case .success(let b): bytes = b
            case .failure(let f): return trouble(f.text)
            }
        }
        let result: VerificationResult
        if let m = read.message {
            result = verifier.verify(m, at: at ?? Date(), keepingContent: true)
        } else {
            do {
                result = verifier.verify(try Message(bytes: bytes ?? [], limits: verifier.limits), at: at ?? Date(), keepingContent: true)
            } catch {
                return trouble("cannot be read as a message (\(error)); nothing written")
            }
        }
        if let signer = options.signer {
            if result.signerCertificates.isEmpty {
                trouble("no signer certificate to write to \(signer): the message carries no signature with a certificate")
            } else {
                do { try MessageFiles.emit(Array(result.signerCertificates.map(\.pem).joined().utf8), to: signer == "-" ? nil : signer) }
                catch { trouble("\(error)") }
            }
        }
        if let out = options.out {
            let status = result.status
            // Only verified content leaves, as with openssl cms -verify; encrypted content
            // without a signature has nothing to fail.
            let writable = status?.isVerified == true || (result.signers.isEmpty && status?.isFailed != true && result.content != nil)
            guard let content = result.content, writable else {
                if result.content == nil {
                    return trouble("nothing to write to \(out): the message is neither signed nor encrypted to a key given with --decrypt-key")
                }
                Diagnostics.warning("\(path): not written to \(out): the message is \(status?.rawValue ?? "null"), not verified")
                return
            }
            do {
                if out == "-" {
                    StandardOutput.shared.flush()
                    FileHandle.standardOutput.write(Data(content))
                } else {
                    try AtomicFile.write(content, to: out)
                }
            } catch { trouble("\(error)") }
        }
    }
}

/// The outcome of one message.
struct Checked: Sendable {
    let id: String
    let result: VerificationResult
    let delivery: VerificationResult?
    let verifiedAt: Date
    let receivedAt: Date?
    var receivedAtSource: ReceivedTime.Source? = nil
}

/// The --details view: what a person debugging a signature needs.
enum DetailsReport {
    static func json(_ c: Checked) -> JSON {
        func problems(_ ps: [Problem]) -> JSON {
            .array(ps.map { .object([("code", .string($0.code.rawValue)), ("message", .string($0.message)), ("layer", .number(Double($0.layer)))]) })
        }
        let signers: [JSON] = c.result.signers.map { s in
            .object([
                ("layer", .number(Double(s.layer))),
                ("subject", .string(s.subject)),
                ("issuer", .string(s.issuer)),
                ("serial", .string(s.serial)),
                ("emails", .array(s.emails.map { .string($0) })),
                ("notBefore", .optional(s.notBefore.map(JMAPDate.format))),
                ("notAfter", .optional(s.notAfter.map(JMAPDate.format))),
                ("digestAlgorithm", .string(s.digestAlgorithm)),
                ("signatureAlgorithm", .string(s.signatureAlgorithm)),
                ("signingTime", .optional(s.signingTime.map(JMAPDate.format))),
                ("chain", .array(s.chain.map { .string($0) })),
                ("chainSha256", .array((s.chainFingerprints ?? []).map { .string($0) })),
                ("revocation", .array(s.revocation.map { r in
                    .object([
                        ("subject", .string(r.subject)),
                        ("state", .string(r.state.rawValue)),
                        ("method", .optional(r.method)),
                        ("url", .optional(r.url)),
                        ("produced", .optional(r.produced.map(JMAPDate.format))),
                        ("reason", .optional(r.reason)),
                        ("cached", .bool(r.cached)),
                        ("text", .string(r.text)),
                    ])
                })),
                ("verified", .bool(s.verified)),
            ])
        }
        var protection: JSON = .null
        if let hp = c.result.headerProtection {
            func fields(_ fs: [HeaderProtection.Field]) -> JSON {
                .array(fs.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
            }
            protection = .object([
                ("mode", .string(hp.mode)),
                ("layer", .number(Double(hp.layer))),
                ("fields", fields(hp.fields)),
                ("outerAsSent", fields(hp.outerAsSent)),
                ("legacyDisplayElement", .bool(hp.legacyDisplayElement)),
            ])
        }
        return .object([
            ("layers", .array(c.result.layers.map { .string($0) })),
            ("headerProtection", protection),
            ("signers", .array(signers)),
            ("problems", problems(c.result.problems)),
            ("notes", problems(c.result.notes)),
            ("receivedAt", .optional(c.receivedAt.map(JMAPDate.format))),
            ("receivedAtSource", .optional(c.receivedAtSource?.rawValue)),
            ("deliveryProblems", problems(c.delivery?.problems ?? [])),
        ])
    }

    static func commonName(_ dn: String) -> String {
        for rdn in dn.split(separator: ",") where rdn.hasPrefix("CN=") { return String(rdn.dropFirst(3)) }
        return dn
    }

    static func text(_ c: Checked, values: SMIMEProperties) -> [String] {
        var lines: [String] = []
        func add(_ label: String, _ value: String) { lines.append("  " + TextColumns.pad(label + ":", 14) + value) }
        add("layers", c.result.layers.isEmpty ? "none (no S/MIME)" : c.result.layers.joined(separator: " > "))
        if let r = c.receivedAt {
            add("received", JMAPDate.format(r) + (c.receivedAtSource.map { " (\($0.text))" } ?? ""))
        }
        if let d = values.statusAtDelivery {
            let atDelivery = c.delivery?.problems ?? []
            let now = Set(c.result.problems.map { "\($0.code.rawValue) \($0.message)" })
            let differs = atDelivery.contains { !now.contains("\($0.code.rawValue) \($0.message)") }
                || atDelivery.count != c.result.problems.count
            if atDelivery.isEmpty || !differs {
                add("at delivery", d.rawValue + (atDelivery.isEmpty ? "" : " (the same problems as now)"))
            } else {
                add("at delivery", d.rawValue)
                for p in atDelivery { lines.append("    ✗ [\(p.code.rawValue)] \(p.message)") }
            }
        }
        if let v = values.verifiedAt { add("verified at", JMAPDate.format(v)) }
        if let hp = c.result.headerProtection {
            let mode = hp.mode == "rfc822" ? "message/rfc822 wrapping" : hp.mode == "v1" ? "protected-headers=\"v1\"" : "hp=\"\(hp.mode)\""
            add("protected", mode + (hp.legacyDisplayElement ? ", with a legacy display element (hidden)" : ""))
            for f in hp.fields { add("  " + f.name, f.value) }
        }
        for s in c.result.signers {
            lines.append("  signer\(c.result.signers.count > 1 || s.layer > 0 ? " (layer \(s.layer))" : ""):")
            add("  subject", s.subject.isEmpty ? "(certificate not found)" : s.subject)
            if !s.issuer.isEmpty { add("  issuer", s.issuer) }
            if !s.serial.isEmpty { add("  serial", s.serial) }
            add("  e-mail", s.emails.isEmpty ? "(none)" : s.emails.joined(separator: ", "))
            if let a = s.notBefore, let b = s.notAfter { add("  valid", "\(JMAPDate.format(a)) to \(JMAPDate.format(b))") }
            add("  algorithms", "\(s.digestAlgorithm), \(s.signatureAlgorithm)")
            if let t = s.signingTime { add("  signed at", JMAPDate.format(t)) }
            if !s.chain.isEmpty { add("  path", s.chain.joined(separator: "\n                   < ")) }
            if let fps = s.chainFingerprints, !fps.isEmpty { add("  sha-256", fps.joined(separator: "\n                   < ")) }
            // One line a certificate, the later ones under the first (as the path is shown).
            let revocation = s.revocation.map { "\(TextColumns.pad(Self.commonName($0.subject), 24)) \($0.text)" }
            if !revocation.isEmpty { add("  revocation", revocation.joined(separator: "\n                ")) }
        }
        for p in c.result.problems { lines.append("  ✗ [\(p.code.rawValue)] \(p.message)") }
        for n in c.result.notes { lines.append("  · [\(n.code.rawValue)] \(n.message)") }
        return lines
    }
}
