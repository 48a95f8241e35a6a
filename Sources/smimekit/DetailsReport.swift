// The --details view of verify: what a person debugging a signature needs.
import Foundation
import JMAP
import MailScan
import SMIME

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
