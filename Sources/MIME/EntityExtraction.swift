// Taking a message apart for signing or encrypting: the RFC 5322 header fields
// stay outside, the MIME entity (Content-* fields and body) goes inside. Parts
// that would not survive a 7-bit transport are re-encoded first, because a
// relay that re-encodes them later would break the signature (RFC 8551 3.1.3).

/// A message split into what stays outside and the entity to protect.
public struct SplitMessage: Sendable {
    /// Complete outer header fields (name, value, CRLF), 7-bit, in their order;
    /// MIME-Version and Content-* fields are not among them.
    public var outerFields: [[UInt8]]
    /// Names of `outerFields`, in the same order.
    public var outerNames: [String]
    /// Content-* fields, blank line and body: CRLF line ends, 7-bit safe.
    public var entity: [UInt8]

    /// The outer fields without those named (case-insensitively).
    public func outerFields(removing names: Set<String>) -> [[UInt8]] {
        zip(outerNames, outerFields).filter { !names.contains($0.0.lowercased()) }.map(\.1)
    }
}

public enum EntityExtraction {
    public static func split(_ message: Message) -> SplitMessage {
        var outer: [[UInt8]] = []
        var names: [String] = []
        for f in message.root.headers {
            let lower = f.name.lowercased()
            if lower.hasPrefix("content-") || lower == "mime-version" { continue }
            outer.append(sevenBitField(f, message))
            names.append(f.name)
        }
        return SplitMessage(outerFields: outer, outerNames: names, entity: entity(message.root, message, contentOnly: true))
    }

    /// The part as a 7-bit-safe entity. `contentOnly` keeps only Content-* fields (the root's).
    static func entity(_ part: MIMEPart, _ m: Message, contentOnly: Bool) -> [UInt8] {
        // The reader never makes a field of an mbox "From " line: names are ftext only.
        let fields = part.headers.filter { f in !contentOnly || f.name.lowercased().hasPrefix("content-") }
        let hasType = fields.contains { $0.name.lowercased() == "content-type" }
        let fieldsClean = fields.allSatisfy { isSevenBitClean(Canonical.crlf(m.slice($0.range))) }

        if part.contentType.isMultipart, !part.children.isEmpty, let boundary = part.contentType.parameters["boundary"] {
            let body = Canonical.crlf(m.slice(part.bodyRange))
            if fieldsClean && isSevenBitClean(body) { return header(fields, m, dropping: []) + [0x0D, 0x0A] + body }
            // Rebuilt around the same boundary; preamble and epilogue are not content and are dropped.
            var out = header(fields, m, dropping: ["content-transfer-encoding"])
            out += [0x0D, 0x0A]
            let b = Array(boundary.utf8)
            for child in part.children {
                out += [0x2D, 0x2D] + b + [0x0D, 0x0A]
                out += entity(child, m, contentOnly: false)
                out += [0x0D, 0x0A]
            }
            out += [0x2D, 0x2D] + b + [0x2D, 0x2D, 0x0D, 0x0A]
            return out
        }
        if let inner = part.encapsulated {
            let body = Canonical.crlf(m.slice(part.bodyRange))
            if fieldsClean && isSevenBitClean(body) { return header(fields, m, dropping: []) + [0x0D, 0x0A] + body }
            // message/rfc822 may not be base64-encoded (RFC 2046 5.2.1): make the inner message 7-bit instead.
            var out = header(fields, m, dropping: ["content-transfer-encoding"])
            out += [0x0D, 0x0A]
            out += entity(inner, m, contentOnly: false)
            return out
        }

        let body = Canonical.crlf(m.slice(part.bodyRange))
        let cte = part.contentTransferEncoding
        let identityOK = cte == "7bit" || cte == "quoted-printable" || cte == "base64"
        if identityOK && isSevenBitClean(body) && fieldsClean {
            var out = header(fields, m, dropping: [])
            if !hasType && contentOnly { out = HeaderWriter.field("Content-Type", "text/plain; charset=us-ascii") + out }
            return out + [0x0D, 0x0A] + body
        }
        // Re-encode: decoded content, then quoted-printable for text, base64 for the rest.
        let decoded = m.decodedBody(part)
        let isText = part.contentType.type == "text"
        let enc = isText ? BodyEncoder.text(decoded) : BodyEncoder.binary(decoded)
        var out = header(fields, m, dropping: ["content-transfer-encoding"])
        if !hasType {
            let charset = decoded.allSatisfy({ $0 < 0x80 }) ? "us-ascii" : (Charset.isValidUTF8(decoded[...]) ? "utf-8" : "iso-8859-1")
            out = HeaderWriter.field("Content-Type", "text/plain; charset=\(charset)") + out
        }
        if enc.transferEncoding != "7bit" { out += HeaderWriter.field("Content-Transfer-Encoding", enc.transferEncoding) }
        return out + [0x0D, 0x0A] + enc.bytes
    }

    static func header(_ fields: [HeaderField], _ m: Message, dropping: Set<String>) -> [UInt8] {
        var out: [UInt8] = []
        for f in fields where !dropping.contains(f.name.lowercased()) { out += sevenBitField(f, m) }
        return out
    }

    /// A field as transmitted when it is 7-bit, else rewritten with encoded words / RFC 2231.
    static func sevenBitField(_ f: HeaderField, _ m: Message) -> [UInt8] {
        let raw = Canonical.crlf(m.slice(f.range))
        if isSevenBitClean(raw) { return raw.last == 0x0A ? raw : raw + [0x0D, 0x0A] }
        let value = HeaderText.unfoldedString(f.rawValue[...])
        switch f.name.lowercased() {
        case "from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to", "resent-cc", "resent-bcc", "resent-sender":
            let parts: [String] = AddressList.parse(value).map { entry in
                switch entry {
                case .mailbox(let mb): return HeaderWriter.mailbox(name: mb.name, email: mb.email)
                case .group(let name, let members):
                    return HeaderWriter.group(name: name, members: members.map { ($0.name, $0.email) })
                }
            }
            return HeaderWriter.field(f.name, parts.joined(separator: ", "))
        case "content-type", "content-disposition":
            guard let ct = HeaderParameters.parse(value) else { return HeaderWriter.field(f.name, HeaderWriter.unstructured(value)) }
            let base = ct.subtype.isEmpty ? ct.type : ct.mimeType
            let params = ct.parameters.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            return HeaderWriter.field(f.name, ParameterWriter.value(base, params))
        default:
            return HeaderWriter.field(f.name, HeaderWriter.unstructured(EncodedWords.decode(value)))
        }
    }

    /// ASCII without NUL, CR only in CRLF, lines of at most 998 characters.
    public static func isSevenBitClean(_ b: [UInt8]) -> Bool {
        BodyEncoder.sevenBitLines(b) { $0.count <= 998 }
    }
}
