import ArgumentParser
import Foundation
import JMAP
import MIME
import SMIME

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check S/MIME signatures and print the RFC 9219 properties.",
        discussion: """
            Every problem is listed, not just the first: the signature, the certificate path to a trust anchor (validity, key usage, name constraints, policies, revocation), the algorithms, and whether the signer is the sender in From.

            Examples:
              smimekit verify --trust ca.pem message.eml
              smimekit verify --no-system-trust --trust ca.pem --certs intermediate.pem --crl ca.crl maildir/
              smimekit verify --details --format text message.eml
              smimekit verify --decrypt-key me.p12 --passin env:P12PASS encrypted.eml
              smimekit verify --at 2025-01-01T00:00:00Z --properties smimeStatus message.eml

            Exit status: 0 when every message is signed/verified or encrypted+signed/verified, 1 when some is not, 2 on trouble.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Trust and verification") var trust: TrustOptions

    @Flag(help: "Add signer, certificate path and problem codes to each record (outside the four RFC 9219 keys).")
    var details = false

    func run() throws {
        try input.requireInput()
        let format = OutputFormat.resolve(output.format)
        let properties = try output.selectedProperties(default: SMIMEProperty.allCases)
        let verifier: MessageVerifier
        do {
            verifier = try trust.verifier(limits: input.limits)
        } catch let e as EngineError {
            throw ValidationError(e.description)
        }
        let at = try trust.parsedTime(trust.at, option: "--at")
        let receivedAtOption = try trust.parsedTime(trust.receivedAt, option: "--received-at")
        let needDelivery = properties.contains(.smimeStatusAtDelivery)
        let maxSize = input.maxSize
        let details = self.details

        var outcome = RunOutcome()
        var printer = RecordPrinter(format: format, properties: properties)
        Scan(jobs: input.jobCount, progress: input.progress()).run(input.walk(), work: { item -> Result<Checked, InputFailure> in
            InputReader.read(item, maxBytes: maxSize).map { bytes in
                let now = at ?? Date()
                let id = EmailID.make(digestHex: Digest.sha256Hex(bytes))
                let parsed = try? Message(bytes: bytes, limits: verifier.limits)
                let result = parsed.map { verifier.verify($0, at: now) } ?? verifier.verify(bytes: bytes, at: now)
                var delivery: VerificationResult?
                var receivedAt: Date?
                if needDelivery || details {
                    receivedAt = receivedAtOption ?? parsed?.root.receivedDate ?? parsed.flatMap(Self.dateHeader)
                        ?? InputReader.modificationDate(item)
                    if needDelivery, result.status != nil {
                        if let receivedAt, let parsed {
                            delivery = verifier.verify(parsed, at: receivedAt)
                        } else {
                            delivery = result
                        }
                    }
                }
                return Checked(id: id, result: result, delivery: delivery, verifiedAt: now, receivedAt: receivedAt)
            }
        }, emit: { item, r in
            switch r {
            case .failure(let f):
                outcome.sawError = true
                printer.failure(path: item.displayPath, reason: f.reason)
            case .success(let c):
                outcome.count += 1
                if !(c.result.status?.isVerified ?? false) { outcome.sawMismatch = true }
                for n in c.result.notes where n.code == .unreadableMessage || n.code == .decryptionFailed {
                    Diagnostics.warning("\(item.displayPath): \(n.message)")
                }
                let values = SMIMEProperties(
                    status: c.result.status?.rawValue,
                    statusAtDelivery: c.delivery?.status?.rawValue,
                    errors: c.result.smimeErrors,
                    verifiedAt: c.result.status == nil ? nil : c.verifiedAt)
                if details {
                    if format == .text {
                        printer.record(path: item.displayPath, id: c.id, values: values, textLines: DetailsReport.text(c, values: values))
                    } else {
                        printer.record(path: item.displayPath, id: c.id, values: values, extra: [("details", DetailsReport.json(c))])
                    }
                } else {
                    printer.record(path: item.displayPath, id: c.id, values: values)
                }
            }
        })
        printer.finish()
        throw ExitCode(outcome.exitCode)
    }

    static func dateHeader(_ m: Message) -> Date? {
        m.root.firstValue(named: "Date").flatMap(MailDate.parse)
    }
}

/// The outcome of one message.
struct Checked: Sendable {
    let id: String
    let result: VerificationResult
    let delivery: VerificationResult?
    let verifiedAt: Date
    let receivedAt: Date?
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
                ("verified", .bool(s.verified)),
            ])
        }
        return .object([
            ("layers", .array(c.result.layers.map { .string($0) })),
            ("signers", .array(signers)),
            ("problems", problems(c.result.problems)),
            ("notes", problems(c.result.notes)),
            ("receivedAt", .optional(c.receivedAt.map(JMAPDate.format))),
            ("deliveryProblems", problems(c.delivery?.problems ?? [])),
        ])
    }

    static func text(_ c: Checked, values: SMIMEProperties) -> [String] {
        var lines: [String] = []
        func add(_ label: String, _ value: String) { lines.append("  " + TextColumns.pad(label + ":", 14) + value) }
        add("layers", c.result.layers.isEmpty ? "none (no S/MIME)" : c.result.layers.joined(separator: " > "))
        if let d = values.statusAtDelivery {
            add("at delivery", d + (c.receivedAt.map { " (received \(JMAPDate.format($0)))" } ?? ""))
        }
        if let v = values.verifiedAt { add("verified at", JMAPDate.format(v)) }
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
        }
        for p in c.result.problems { lines.append("  ✗ [\(p.code.rawValue)] \(p.message)") }
        for n in c.result.notes { lines.append("  · [\(n.code.rawValue)] \(n.message)") }
        return lines
    }
}
