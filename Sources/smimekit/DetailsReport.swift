// The --details view of verify as text: what a person debugging a signature needs.
import Foundation
import JMAP
import MailScan
import SMIME

/// The --details lines under a verdict's line (the JSON form is MailScan's `VerificationDetails.json`).
enum DetailsReport {
    static func commonName(_ dn: String) -> String {
        for rdn in dn.split(separator: ",") where rdn.hasPrefix("CN=") { return String(rdn.dropFirst(3)) }
        return dn
    }

    static func text(_ c: VerificationDetails, values: SMIMEProperties) -> [String] {
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
