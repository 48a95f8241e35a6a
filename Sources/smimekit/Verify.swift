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

            Verdicts are remembered in the result cache (see --store): smimeStatus and smimeErrors for at most --max-age seconds (24 hours) and never past a certificate's notAfter; smimeStatusAtDelivery until a trust anchor is added. With --at, the cached current verdicts are neither used nor stored (a verdict at another time is not the verdict now); --details always verifies afresh.

            Examples:
              smimekit verify --trust ca.pem message.eml
              smimekit verify --no-system-trust --trust ca.pem --certs intermediate.pem --crl ca.crl maildir/
              smimekit verify --details --format text message.eml
              smimekit verify --decrypt-key me.p12 --passin env:P12PASS encrypted.eml
              smimekit verify --at 2025-01-01T00:00:00Z --properties smimeStatus message.eml
              smimekit verify --no-cache message.eml

            Exit status: 0 when every message is signed/verified or encrypted+signed/verified, 1 when some is not, 2 on trouble.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Trust and verification") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions

    @Flag(help: "Add signer, certificate path and problem codes to each record (outside the four RFC 9219 keys).")
    var details = false

    func run() throws {
        try input.requireInput()
        let format = OutputFormat.resolve(output.format)
        let properties = try output.selectedProperties(default: SMIMEProperty.allCases)
        let store = cache.open()
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
        var service = VerdictService(
            verifier: verifier, store: store, maxAge: TimeInterval(cache.maxAge),
            at: try trust.parsedTime(trust.at, option: "--at"),
            receivedAt: try trust.parsedTime(trust.receivedAt, option: "--received-at"),
            maxBytes: maxSize, jobs: jobs)

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
                    printer.failure(path: item.displayPath, reason: f.reason)
                case .success(let (message, v)):
                    outcome.count += 1
                    if !v.isVerified { outcome.sawMismatch = true }
                    for n in v.fresh?.notes ?? [] where n.code == .unreadableMessage || n.code == .decryptionFailed {
                        Diagnostics.warning("\(item.displayPath): \(n.message)")
                    }
                    let values = v.properties
                    if details, let fresh = v.fresh {
                        let c = Checked(id: message.id, result: fresh, delivery: v.freshDelivery,
                                        verifiedAt: v.verifiedAt ?? Date(), receivedAt: v.receivedAt)
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
        if let store = service.store, let state = try? store.state { printer.state = state }
        printer.finish()
        throw ExitCode(outcome.exitCode)
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
        return .object([
            ("layers", .array(c.result.layers.map { .string($0) })),
            ("signers", .array(signers)),
            ("problems", problems(c.result.problems)),
            ("notes", problems(c.result.notes)),
            ("receivedAt", .optional(c.receivedAt.map(JMAPDate.format))),
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
            for (i, r) in s.revocation.enumerated() {
                add(i == 0 ? "  revocation" : "", "\(TextColumns.pad(Self.commonName(r.subject), 24)) \(r.text)")
            }
        }
        for p in c.result.problems { lines.append("  ✗ [\(p.code.rawValue)] \(p.message)") }
        for n in c.result.notes { lines.append("  · [\(n.code.rawValue)] \(n.message)") }
        return lines
    }
}
