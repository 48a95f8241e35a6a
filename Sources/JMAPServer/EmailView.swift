// The Email object (RFC 8621 4.1) of a parsed message: header forms (4.1.2),
// the body structure with its partIds and blobIds (4.1.4), textBody, htmlBody
// and attachments by the RFC's parseStructure algorithm, body values and preview.
import Foundation
import JMAP
import MIME

/// `header:Name[:asForm][:all]` (RFC 8621 4.1.3): JMAP's, the one Email/set reads too.
typealias HeaderRequest = HeaderProperty

enum HeaderForms {
    static func value(_ request: HeaderRequest, part: MIMEPart, message: Message) -> JSON {
        let fields = part.fields(named: request.name)
        if request.all { return .array(fields.map { one(request.form, $0, message) }) }
        guard let last = fields.last else { return .null }
        return one(request.form, last, message)
    }

    static func raw(_ f: HeaderField) -> String { Charset.utf8OrLatin1(f.rawValue[...]) }

    static func one(_ form: HeaderRequest.Form, _ f: HeaderField, _ m: Message) -> JSON {
        switch form {
        case .raw: return .string(raw(f))
        case .text: return .string(m.headerText(f))
        case .addresses:
            return .array(m.addresses(f).flatMap { entry -> [Mailbox] in
                switch entry {
                case .mailbox(let mb): return [mb]
                case .group(_, let members): return members
                }
            }.map(address))
        case .grouped:
            var groups: [JSON] = []
            var loose: [Mailbox] = []
            func flush() {
                if !loose.isEmpty { groups.append(.object([("name", .null), ("addresses", .array(loose.map(address)))])); loose = [] }
            }
            for entry in m.addresses(f) {
                switch entry {
                case .mailbox(let mb): loose.append(mb)
                case .group(let name, let members):
                    flush()
                    groups.append(.object([("name", .optional(name)), ("addresses", .array(members.map(address)))]))
                }
            }
            flush()
            return .array(groups)
        case .messageIds:
            let ids = messageIds(raw(f))
            return ids.isEmpty ? .null : .array(ids.map { .string($0) })
        case .date:
            guard let d = MailDate.parse(m.headerText(f)) else { return .null }
            return .string(JMAPDate.format(d))
        case .urls:
            var urls: [JSON] = []
            var rest = Substring(raw(f))
            while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
                urls.append(.string(String(rest[rest.index(after: open)..<close]).filter { !$0.isWhitespace }))
                rest = rest[rest.index(after: close)...]
            }
            return urls.isEmpty ? .null : .array(urls)
        }
    }

    static func address(_ mb: Mailbox) -> JSON {
        .object([("name", .optional(mb.name.flatMap { $0.isEmpty ? nil : $0 })), ("email", .string(mb.email))])
    }

    /// The msg-ids of a field value, without angle brackets.
    static func messageIds(_ value: String) -> [String] {
        var out: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { break }
            let id = rest[rest.index(after: open)..<close].filter { !$0.isWhitespace && $0 != "\r" && $0 != "\n" }
            if !id.isEmpty { out.append(String(id)) }
            rest = rest[rest.index(after: close)...]
        }
        return out
    }
}

/// One leaf or multipart of the body structure, with its partId (leaves only).
final class BodyPart {
    let part: MIMEPart
    let partId: String?
    let subParts: [BodyPart]

    init(part: MIMEPart, partId: String?, subParts: [BodyPart]) {
        self.part = part
        self.partId = partId
        self.subParts = subParts
    }

    var type: String { part.contentType.mimeType.lowercased() }
    var isMultipart: Bool { part.contentType.isMultipart && !part.children.isEmpty }
    var disposition: String? { part.contentDisposition?.type.lowercased() }
    var name: String? { part.filename }

    /// Leaves numbered depth first, from 1; a message/rfc822 is a leaf (its blob is the message).
    static func tree(_ root: MIMEPart) -> BodyPart {
        var counter = 0
        func build(_ p: MIMEPart, depth: Int) -> BodyPart {
            if p.contentType.isMultipart, !p.children.isEmpty, depth < 128 {
                return BodyPart(part: p, partId: nil, subParts: p.children.map { build($0, depth: depth + 1) })
            }
            counter += 1
            return BodyPart(part: p, partId: String(counter), subParts: [])
        }
        return build(root, depth: 0)
    }

    func find(_ id: String) -> BodyPart? {
        if partId == id { return self }
        for s in subParts { if let f = s.find(id) { return f } }
        return nil
    }

    var leaves: [BodyPart] { isMultipart ? subParts.flatMap(\.leaves) : [self] }
}

/// textBody, htmlBody and attachments (RFC 8621 4.1.4, parseStructure).
struct BodyLists {
    var text: [BodyPart] = []
    var html: [BodyPart] = []
    var attachments: [BodyPart] = []

    init(_ root: BodyPart) {
        var t: [BodyPart]? = [], h: [BodyPart]? = []
        parse([root], multipartType: "mixed", inAlternative: false, html: &h, text: &t)
        text = t ?? []
        html = h ?? []
    }

    static func isInlineMedia(_ type: String) -> Bool {
        type.hasPrefix("image/") || type.hasPrefix("audio/") || type.hasPrefix("video/")
    }

    private mutating func parse(_ parts: [BodyPart], multipartType: String, inAlternative: Bool,
                                html htmlIn: inout [BodyPart]?, text textIn: inout [BodyPart]?) {
        // The RFC's nulling of textBody / htmlBody applies to this level only: work on local copies
        // that share growth with the caller's lists.
        var textOn = textIn != nil, htmlOn = htmlIn != nil
        let textLength = textIn?.count ?? -1, htmlLength = htmlIn?.count ?? -1
        for (i, part) in parts.enumerated() {
            let type = part.type
            let isInline = part.disposition != "attachment"
                && (type == "text/plain" || type == "text/html" || Self.isInlineMedia(type))
                && (i == 0 || (multipartType != "related" && (Self.isInlineMedia(type) || part.name == nil)))
            if part.isMultipart {
                let sub = part.part.contentType.subtype.lowercased()
                var t: [BodyPart]? = textOn ? textIn : nil, h: [BodyPart]? = htmlOn ? htmlIn : nil
                parse(part.subParts, multipartType: sub, inAlternative: inAlternative || sub == "alternative", html: &h, text: &t)
                if textOn, let t { textIn = t }
                if htmlOn, let h { htmlIn = h }
            } else if isInline {
                if multipartType == "alternative" {
                    switch type {
                    case "text/plain": if textOn { textIn?.append(part) }
                    case "text/html": if htmlOn { htmlIn?.append(part) }
                    default: attachments.append(part)
                    }
                    continue
                } else if inAlternative {
                    if type == "text/plain" { htmlOn = false }
                    if type == "text/html" { textOn = false }
                }
                if textOn { textIn?.append(part) }
                if htmlOn { htmlIn?.append(part) }
                if (!textOn || !htmlOn) && Self.isInlineMedia(type) { attachments.append(part) }
            } else {
                attachments.append(part)
            }
        }
        if multipartType == "alternative", textOn, htmlOn, var t = textIn, var h = htmlIn {
            if textLength == t.count && htmlLength != h.count { t += h[max(0, htmlLength)...] }
            if htmlLength == h.count && textLength != t.count { h += t[max(0, textLength)...] }
            textIn = t
            htmlIn = h
        }
    }
}

/// The Email properties of one message.
struct EmailView {
    let message: Message
    let digest: String
    let structure: BodyPart
    let lists: BodyLists

    init(message: Message, digest: String) {
        self.message = message
        self.digest = digest
        structure = BodyPart.tree(message.root)
        lists = BodyLists(structure)
    }

    static let defaultBodyProperties = ["partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"]
    static let knownBodyProperties: Set<String> = Set(defaultBodyProperties + ["headers", "subParts"])

    static func emailBlobId(_ digest: String) -> String { "G" + digest.prefix(40) }
    static func partBlobId(_ digest: String, _ partId: String) -> String { "P" + digest.prefix(40) + "-" + partId }

    /// A part's blob: its body with the transfer encoding removed (for a message/rfc822
    /// part, the attached message, RFC 8621 4.1.4).
    func decoded(_ p: BodyPart) -> [UInt8] { message.decodedBody(p.part) }

    func charset(_ p: BodyPart) -> String? {
        guard p.part.contentType.type.lowercased() == "text" else { return nil }
        return p.part.contentType.parameters["charset"] ?? "us-ascii"
    }

    func partJSON(_ p: BodyPart, properties: [String]) -> JSON {
        var pairs: [(String, JSON)] = []
        for prop in properties {
            switch prop {
            case "partId": pairs.append((prop, .optional(p.partId)))
            case "blobId": pairs.append((prop, .optional(p.partId.map { Self.partBlobId(digest, $0) })))
            case "size": pairs.append((prop, .number(Double(p.isMultipart ? 0 : decoded(p).count))))
            case "headers": pairs.append((prop, .array(p.part.headers.map { .object([("name", .string($0.name)), ("value", .string(HeaderForms.raw($0)))]) })))
            case "name": pairs.append((prop, .optional(p.name)))
            case "type": pairs.append((prop, .string(p.type)))
            case "charset": pairs.append((prop, .optional(charset(p))))
            case "disposition": pairs.append((prop, .optional(p.disposition)))
            case "cid":
                let cid = p.part.firstValue(named: "Content-ID").map { HeaderForms.messageIds($0).first ?? $0 }
                pairs.append((prop, .optional(cid)))
            case "language":
                let langs = p.part.firstValue(named: "Content-Language")?.split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                pairs.append((prop, langs.map { .array($0.map { .string($0) }) } ?? .null))
            case "location": pairs.append((prop, .optional(p.part.firstValue(named: "Content-Location"))))
            case "subParts":
                pairs.append((prop, p.isMultipart ? .array(p.subParts.map { partJSON($0, properties: properties) }) : .null))
            default:
                if let h = HeaderRequest(prop) { pairs.append((prop, HeaderForms.value(h, part: p.part, message: message))) }
            }
        }
        return .object(pairs)
    }

    /// The text of a part, decoded to its charset.
    func text(_ p: BodyPart) -> String { message.text(p.part) }

    /// RFC 8621 EmailBodyValue, truncated to `maxBytes` UTF-8 octets (0: no limit).
    func bodyValue(_ p: BodyPart, maxBytes: Int) -> JSON {
        var s = text(p)
        let problem = s.contains("\u{FFFD}")
        var truncated = false
        if maxBytes > 0, s.utf8.count > maxBytes {
            var cut = s.utf8.index(s.utf8.startIndex, offsetBy: maxBytes)
            while cut > s.utf8.startIndex, !s.unicodeScalars.indices.contains(cut) { cut = s.utf8.index(before: cut) }
            s = String(s[..<cut])
            truncated = true
        }
        return .object([("value", .string(s)), ("isEncodingProblem", .bool(problem)), ("isTruncated", .bool(truncated))])
    }

    /// Up to 256 characters of the first text body part, whitespace collapsed.
    static func preview(of view: EmailView) -> String? {
        for p in view.lists.text where p.type == "text/plain" || p.type == "text/html" {
            var s = view.text(p)
            if p.type == "text/html" { s = stripTags(s) }
            let collapsed = s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            if !collapsed.isEmpty { return String(collapsed.prefix(256)) }
        }
        return nil
    }

    static func stripTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        for ch in html {
            if ch == "<" { inTag = true; out.append(" "); continue }
            if ch == ">" { inTag = false; continue }
            if !inTag { out.append(ch) }
        }
        return out.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }
}
