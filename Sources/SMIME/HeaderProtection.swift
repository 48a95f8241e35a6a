// Header protection as the verifier sees it (RFC 9788 section 4): the header
// fields of the Cryptographic Payload, how they were marked, what the sender
// said it put outside (HP-Outer), and which outer fields differ. The From is
// bound in HeaderBinding.swift; every other difference is a note, because
// mail on its way legitimately rewrites or obscures those fields.
import Foundation
import MIME

/// The protected header fields of a message, for --details.
public struct HeaderProtection: Sendable, Equatable {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// "clear" or "cipher" (RFC 9788 `hp`), "v1" (the draft's `protected-headers="v1"`),
    /// or "rfc822" (the RFC 8551 3.1 message/rfc822 wrapping).
    public var mode: String
    /// The layer of the header block holding them.
    public var layer: Int
    /// The protected fields, in order, decoded (Content-* and HP-Outer left out).
    public var fields: [Field]
    /// The HP-Outer fields: what the sender says it put in the outer header (hp="cipher").
    public var outerAsSent: [Field]
    /// A Legacy Display Element (RFC 9788 2.1.2) was found: a copy of the protected fields
    /// for old readers, not content of its own.
    public var legacyDisplayElement: Bool

    public func value(_ name: String) -> String? {
        fields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

extension LayerWalk {
    /// The innermost protected header block (with or without a From).
    var innermostProtected: HeaderSet? {
        headerSets.indices.last { isProtected($0) }.map { headerSets[$0] }
    }

    /// Describes the header protection, if any, and notes the outer fields that differ.
    mutating func describeHeaderProtection() {
        guard let set = innermostProtected else { return }
        let mode: String
        switch set.kind {
        case .wrapped: mode = "rfc822"
        case .content: mode = HeaderProtectionMarker(set.part)?.mode ?? "clear"
        }
        var fields: [HeaderProtection.Field] = []
        var outerAsSent: [HeaderProtection.Field] = []
        for f in set.part.headers {
            let lower = f.name.lowercased()
            if lower == "hp-outer" {
                let text = set.message.headerText(f)
                if let colon = text.firstIndex(of: ":") {
                    outerAsSent.append(.init(name: String(text[..<colon]).trimmingCharacters(in: .whitespaces),
                                             value: String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
                }
                continue
            }
            if lower.hasPrefix("content-") || lower == "mime-version" { continue }
            fields.append(.init(name: f.name, value: set.message.headerText(f)))
        }
        let lde = Self.hasLegacyDisplayElement(set.part, mode: mode, depth: 0)
        let protection = HeaderProtection(mode: mode, layer: set.layer, fields: fields, outerAsSent: outerAsSent, legacyDisplayElement: lde)
        result.headerProtection = protection
        result.notes += differences(protection, set)
    }

    /// Fields compared besides From (whose address is bound, see HeaderBinding.swift).
    static let comparedFields = ["From", "Subject", "To", "Cc", "Reply-To", "Date", "Message-ID"]

    func differences(_ p: HeaderProtection, _ set: HeaderSet) -> [Problem] {
        var out: [Problem] = []
        for name in Self.comparedFields {
            guard let protected = p.value(name) else { continue }
            let outerField = outer.root.fields(named: name).first
            let outerValue = outerField.map { outer.headerText($0) }
            if let outerValue, Self.same(name, outerValue, protected, outer: outer, outerField, set) { continue }
            let said = p.outerAsSent.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
            let shownOuter = outerValue.map { "\"\(Self.short($0))\"" } ?? "absent"
            let why: String
            // HP-Outer describes the outside of an encrypted message; once decrypted and sent on
            // (smimekit decrypt writes the protected fields outside) it no longer does.
            if p.mode == "cipher" && !p.outerAsSent.isEmpty && decryptedAny {
                // The sender listed what it put outside: matching it is intent, anything else is a change on the way.
                if said == outerValue {
                    why = outerValue == nil ? "the sender left it out of the unencrypted header on purpose (HP-Outer)"
                                            : "the sender obscured it on purpose in the unencrypted header (HP-Outer)"
                } else {
                    why = "it also differs from what the sender says it put outside (HP-Outer: \(said.map { "\"\(Self.short($0))\"" } ?? "absent")), so it was changed on the way"
                }
            } else {
                switch name {
                case "From": why = "only the display name differs; the address is the same"
                case "Subject": why = "it was changed after signing, or the sender's client obscured it; the protected one is what was signed"
                case "To", "Cc", "Reply-To": why = "lists, aliases and forwarding rewrite these fields on the way"
                case "Date": why = "submission servers may add or correct Date (RFC 6409 8.6)"
                default: why = "submission servers may add or replace Message-ID (RFC 6409 8.3)"
                }
            }
            out.append(Problem(.protectedHeaderDiffers, "The protected \(name) (\"\(Self.short(protected))\") differs from the unprotected one (\(shownOuter)): \(why); the protected value is the one to show", layer: p.layer))
        }
        return out
    }

    static func short(_ s: String) -> String { s.count > 120 ? String(s.prefix(117)) + "..." : s }

    /// Whether an outer and a protected value say the same: addresses by mailbox, dates by instant.
    static func same(_ name: String, _ a: String, _ b: String, outer: Message, _ outerField: HeaderField?, _ set: HeaderSet) -> Bool {
        switch name {
        case "From", "To", "Cc", "Reply-To":
            let x = HeaderSet.mailboxes(named: name, in: outer, outer.root)
            let y = HeaderSet.mailboxes(named: name, in: set.message, set.part)
            guard x.count == y.count else { return false }
            for (m, n) in zip(x, y) {
                guard let ea = EmailAddress(m.email), let eb = EmailAddress(n.email), ea == eb else { return false }
                if name == "From", (m.name ?? "") != (n.name ?? "") { return false }
            }
            return true
        case "Date":
            if let x = MailDate.parse(a), let y = MailDate.parse(b) { return x == y }
            return a == b
        default:
            return collapse(a) == collapse(b)
        }
    }

    static func collapse(_ s: String) -> String {
        s.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// RFC 9788 2.1.2: the first part of a multipart/mixed payload, text/plain or text/html
    /// with hp-legacy-display="1"; the draft's v1 form used text/rfc822-headers or a text
    /// part marked protected-headers="v1".
    static func hasLegacyDisplayElement(_ part: MIMEPart, mode: String, depth: Int) -> Bool {
        guard depth < 4, part.contentType.isMultipart, let first = part.children.first else { return false }
        if part.contentType.subtype == "mixed" && isLegacyDisplayElement(first, mode: mode) { return true }
        return part.children.contains { hasLegacyDisplayElement($0, mode: mode, depth: depth + 1) }
    }

    static func isLegacyDisplayElement(_ part: MIMEPart, mode: String) -> Bool {
        let ct = part.contentType
        guard ct.type == "text" else { return false }
        if ct.parameters["hp-legacy-display"].map({ SMIMEShape.trimmed($0) }) == "1" { return true }
        if mode == "v1" {
            return ct.subtype == "rfc822-headers" || ct.parameters["protected-headers"].map { SMIMEShape.trimmed($0.lowercased()) } == "v1"
        }
        return false
    }
}
