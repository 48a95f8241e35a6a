// An RFC 8621 Email create object turned into RFC 5322 bytes (RFC 8621 4.6).
// Every rule of 4.6 that makes a create invalid is checked, and all the
// properties at fault are named. The bytes depend only on the input: dates
// come from sentAt, boundaries and a missing Message-ID from the content.
import Foundation
import MIME

/// What a create asks for, once its message is built.
public struct ComposedEmail: Sendable {
    public var bytes: [UInt8]
    public var smimeSign: Bool
    public var smimeEncrypt: Bool
    /// `smimeHeaderProtection`, when the create gave one (else the server's default).
    public var headerProtection: HeaderProtectionPolicy? = nil
}

/// How the header fields of signed or encrypted mail are protected (RFC 9788): smimekit's
/// answer to the smime-advanced draft's open question, as the Email/set create argument
/// `smimeHeaderProtection` and the CLI's --header-protection.
public enum HeaderProtectionPolicy: String, Sendable, CaseIterable {
    /// RFC 9788 header protection; encrypted mail follows the baseline Header Confidentiality
    /// Policy (the outer Subject becomes "[...]").
    case baseline
    /// RFC 9788 header protection with nothing obscured outside (hcp_no_confidentiality).
    case noConfidentiality = "no-confidentiality"
    /// No header protection, for readers that show the protected copy as an attachment.
    case none

    public static let `default` = HeaderProtectionPolicy.baseline
}

extension JMAPCapability {
    /// What smimekit says about itself under urn:ietf:params:jmap:smime-advanced: the values
    /// `smimeHeaderProtection` takes and the one used when a create gives none.
    public static var smimeAdvancedObject: JSON {
        .object([
            ("headerProtectionPolicies", .array(HeaderProtectionPolicy.allCases.map { .string($0.rawValue) })),
            ("defaultHeaderProtection", .string(HeaderProtectionPolicy.default.rawValue)),
        ])
    }
}

public struct EmailCreateBuilder: Sendable {
    /// Where attachment blobIds are looked up as file names; nil: no blobs.
    public var blobDirectory: URL?
    /// The Date when sentAt is absent.
    public var now: Date
    /// Hex digest used to derive a Message-ID when none is given (SHA-256 from the engine).
    public var digestHex: @Sendable ([UInt8]) -> String
    /// Whether the request announced urn:ietf:params:jmap:smime-advanced (true for bare arguments).
    public var smimeCapability: Bool

    public init(blobDirectory: URL?, now: Date, smimeCapability: Bool, digestHex: @escaping @Sendable ([UInt8]) -> String) {
        self.blobDirectory = blobDirectory
        self.now = now
        self.smimeCapability = smimeCapability
        self.digestHex = digestHex
    }

    public func build(_ email: JSON) throws(SetError) -> ComposedEmail {
        guard let props = email.objectValue else { throw .invalidProperties([], "an Email to create must be a JSON object") }
        var v = Validation()
        var headerSlots: [String: [UInt8]] = [:]   // standard headers by lowercase name
        var extraHeaders: [[UInt8]] = []
        var sign = false, encrypt = false
        var protection: HeaderProtectionPolicy?
        var seenHeaders: [String: String] = [:]    // lowercase header name -> property that set it
        var givenMessageID = false

        func claim(_ header: String, by property: String) -> Bool {
            let key = header.lowercased()
            if let other = seenHeaders[key] {
                v.fail(property, "\(property) and \(other) both set the \(header) header field")
                v.fail(other, nil)
                return false
            }
            seenHeaders[key] = property
            return true
        }

        for (name, value) in props {
            switch name {
            case "mailboxIds", "keywords", "receivedAt":
                continue // where the message is filed: nothing to do with its bytes
            case "id", "blobId", "threadId", "size", "hasAttachment", "preview":
                v.fail(name, "\(name) is set by the server and cannot be given on create")
            case "headers":
                v.fail(name, "give each header field as its own property (header:Name:asForm), not \"headers\" (RFC 8621 4.6)")
            case "from", "sender", "to", "cc", "bcc", "replyTo":
                let header = Self.addressHeaderNames[name]!
                guard claim(header, by: name), value != .null else { continue }
                if let list = v.addresses(value, property: name) {
                    headerSlots[header.lowercased()] = HeaderWriter.field(header, HeaderWriter.addressList(list))
                }
            case "subject":
                guard claim("Subject", by: name), value != .null else { continue }
                guard let s = value.stringValue else { v.fail(name, "subject must be a string or null"); continue }
                headerSlots["subject"] = HeaderWriter.field("Subject", HeaderWriter.unstructured(s))
            case "sentAt":
                guard claim("Date", by: name), value != .null else { continue }
                guard let s = value.stringValue, let date = MailDateWriter.rfc5322(fromRFC3339: s) else {
                    v.fail(name, "sentAt must be an RFC 3339 date-time such as 2024-03-01T10:00:00+01:00"); continue
                }
                headerSlots["date"] = HeaderWriter.field("Date", date)
            case "messageId", "inReplyTo", "references":
                let header = ["messageId": "Message-ID", "inReplyTo": "In-Reply-To", "references": "References"][name]!
                guard claim(header, by: name), value != .null else { continue }
                if let ids = v.messageIDs(value, property: name) {
                    if name == "messageId" && ids.count != 1 { v.fail(name, "messageId must hold exactly one id"); continue }
                    headerSlots[header.lowercased()] = HeaderWriter.field(header, HeaderWriter.messageIDs(ids))
                    if name == "messageId" { givenMessageID = true }
                }
            case "smimeSign", "smimeEncrypt":
                guard let b = value.boolValue else { v.fail(name, "\(name) must be true or false"); continue }
                if b && !smimeCapability {
                    v.fail(name, "\(name) needs the capability \(JMAPCapability.smimeAdvanced) in \"using\"")
                }
                if name == "smimeSign" { sign = b } else { encrypt = b }
            case "smimeHeaderProtection":
                if !smimeCapability {
                    v.fail(name, "\(name) needs the capability \(JMAPCapability.smimeAdvanced) in \"using\"")
                }
                guard let text = value.stringValue, let p = HeaderProtectionPolicy(rawValue: text) else {
                    let values = HeaderProtectionPolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                    v.fail(name, "\(name) must be one of \(values)")
                    continue
                }
                protection = p
            case "bodyStructure", "bodyValues", "textBody", "htmlBody", "attachments":
                continue // below, once the headers are known
            default:
                if name.hasPrefix("header:") {
                    guard let h = HeaderProperty(name) else { v.fail(name, "\(name) is not a header property (header:Name[:asForm][:all])"); continue }
                    if h.lowerName.hasPrefix("content-") {
                        v.fail(name, "Content-* header fields belong on body parts, not on the Email (RFC 8621 4.6)"); continue
                    }
                    guard claim(h.name, by: name) else { continue }
                    guard let fields = v.headerFields(h, value, property: name) else { continue }
                    if h.lowerName == "message-id" && !fields.isEmpty { givenMessageID = true }
                    if Self.slotOrder.contains(h.lowerName) {
                        headerSlots[h.lowerName] = fields.flatMap { $0 }
                    } else {
                        extraHeaders += fields
                    }
                } else {
                    v.fail(name, "\(name) is not an Email property smimekit can create")
                }
            }
        }

        let body = buildBody(props, &v, seenHeaders: seenHeaders)
        if let error = v.error { throw error }
        guard let entity = body else { throw .invalidProperties(["bodyStructure"], "the Email has no body") }

        if headerSlots["date"] == nil { headerSlots["date"] = HeaderWriter.field("Date", MailDateWriter.rfc5322(now)) }
        var headers = Self.slotOrder.compactMap { headerSlots[$0] } + extraHeaders
        let entityBytes = entity.serialized()
        if !givenMessageID {
            // Derived from the content, so the same input gives the same message.
            let digest = digestHex(headers.flatMap { $0 } + entityBytes)
            let domain = Self.domain(of: headerSlots, props) ?? "smimekit.invalid"
            let id = "\(digest.prefix(32))@\(domain)"
            let at = min(Self.slotOrder.firstIndex(of: "message-id")!, headers.count)
            let index = Self.slotOrder.prefix(at).filter { headerSlots[$0] != nil }.count
            headers.insert(HeaderWriter.field("Message-ID", "<\(id)>"), at: index)
        }
        return ComposedEmail(bytes: MessageWriter.message(headers: headers, entity: entityBytes), smimeSign: sign, smimeEncrypt: encrypt,
                             headerProtection: protection)
    }

    static let addressHeaderNames = ["from": "From", "sender": "Sender", "to": "To", "cc": "Cc", "bcc": "Bcc", "replyTo": "Reply-To"]
    /// The order standard fields are written in; other header:X fields follow in request order.
    static let slotOrder = ["date", "from", "sender", "reply-to", "to", "cc", "bcc", "subject", "message-id", "in-reply-to", "references"]

    static func domain(of slots: [String: [UInt8]], _ props: [(String, JSON)]) -> String? {
        let from = props.first { $0.0 == "from" }?.1.arrayValue?.first?["email"]?.stringValue
        guard let from, let at = from.lastIndex(of: "@") else { return nil }
        let d = String(from[from.index(after: at)...])
        return d.isEmpty || !d.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) ? nil : d.lowercased()
    }

    // MARK: Body

    func buildBody(_ props: [(String, JSON)], _ v: inout Validation, seenHeaders: [String: String]) -> MIMEEntity? {
        func prop(_ n: String) -> JSON? { props.first { $0.0 == n }?.1 }
        let values = bodyValues(prop("bodyValues"), &v)
        if let structure = prop("bodyStructure"), structure != .null {
            for other in ["textBody", "htmlBody", "attachments"] where prop(other).map({ $0 != .null }) ?? false {
                v.fail(other, "\(other) cannot be given together with bodyStructure (RFC 8621 4.6)")
            }
            var used = Set<String>()
            let entity = part(structure, path: "bodyStructure", values: values, used: &used, &v, emailHeaders: seenHeaders)
            checkUnused(values, used, &v)
            return entity
        }
        var used = Set<String>()
        func single(_ name: String, subtype: String) -> MIMEEntity? {
            guard let list = prop(name), list != .null else { return nil }
            guard let parts = list.arrayValue, parts.count == 1 else {
                v.fail(name, "\(name) must hold exactly one body part (RFC 8621 4.6)"); return nil
            }
            let type = parts[0]["type"]?.stringValue?.lowercased() ?? "text/plain"
            if type != "text/\(subtype)" && !(subtype == "plain" && parts[0]["type"] == nil) {
                v.fail("\(name)/0/type", "\(name) must be of type text/\(subtype)"); return nil
            }
            return part(parts[0], path: "\(name)/0", values: values, used: &used, &v, emailHeaders: seenHeaders, defaultType: "text/\(subtype)")
        }
        let text = single("textBody", subtype: "plain")
        let html = single("htmlBody", subtype: "html")
        var inline: [MIMEEntity] = []
        var attached: [MIMEEntity] = []
        if let list = prop("attachments"), list != .null {
            if let parts = list.arrayValue {
                for (i, p) in parts.enumerated() {
                    guard let e = part(p, path: "attachments/\(i)", values: values, used: &used, &v, emailHeaders: seenHeaders,
                                       defaultType: "application/octet-stream", defaultDisposition: "attachment") else { continue }
                    // Inline images referenced from the HTML go beside it in multipart/related.
                    if html != nil, p["disposition"]?.stringValue?.lowercased() == "inline", p["cid"]?.stringValue != nil {
                        inline.append(e)
                    } else {
                        attached.append(e)
                    }
                }
            } else {
                v.fail("attachments", "attachments must be an array of body parts")
            }
        }
        checkUnused(values, used, &v)
        var htmlPart = html
        if let h = html, !inline.isEmpty { htmlPart = MIMEEntity(mimeType: "multipart/related", parameters: [("type", "text/html")], body: .multipart([h] + inline)) }
        var main: MIMEEntity?
        switch (text, htmlPart) {
        case (let t?, let h?): main = MIMEEntity(mimeType: "multipart/alternative", body: .multipart([t, h]))
        case (let t?, nil): main = t
        case (nil, let h?): main = h
        case (nil, nil): main = attached.isEmpty ? MIMEEntity.text("") : nil
        }
        if attached.isEmpty { return main }
        return MIMEEntity(mimeType: "multipart/mixed", body: .multipart((main.map { [$0] } ?? []) + attached))
    }

    func bodyValues(_ json: JSON?, _ v: inout Validation) -> [String: String] {
        guard let json, json != .null else { return [:] }
        guard let pairs = json.objectValue else { v.fail("bodyValues", "bodyValues must be an object of partId to EmailBodyValue"); return [:] }
        var out: [String: String] = [:]
        for (id, value) in pairs {
            guard let text = value["value"]?.stringValue else { v.fail("bodyValues/\(id)/value", "bodyValues/\(id) needs a string \"value\""); continue }
            for flag in ["isEncodingProblem", "isTruncated"] where value[flag]?.boolValue == true {
                v.fail("bodyValues/\(id)/\(flag)", "\(flag) must be false on create (RFC 8621 4.6)")
            }
            out[id] = text
        }
        return out
    }

    func checkUnused(_ values: [String: String], _ used: Set<String>, _ v: inout Validation) {
        for id in values.keys.sorted() where !used.contains(id) {
            v.fail("bodyValues/\(id)", "bodyValues/\(id) is not referenced by any body part's partId")
        }
    }

    func part(_ json: JSON, path: String, values: [String: String], used: inout Set<String>, _ v: inout Validation,
              emailHeaders: [String: String], defaultType: String = "text/plain", defaultDisposition: String? = nil, depth: Int = 0) -> MIMEEntity? {
        guard depth < 32 else { v.fail(path, "body parts are nested too deeply"); return nil }
        guard let props = json.objectValue else { v.fail(path, "\(path) must be an EmailBodyPart object"); return nil }
        func p(_ n: String) -> JSON? {
            guard let v = props.first(where: { $0.0 == n })?.1, v != .null else { return nil }
            return v
        }
        let known: Set<String> = ["partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location", "subParts"]
        var fields: [(String, String)] = []
        var extraFieldBytes: [[UInt8]] = []
        for (name, value) in props where !known.contains(name) {
            if name == "headers" { v.fail("\(path)/headers", "give part header fields one by one (header:Name), not \"headers\""); continue }
            guard name.hasPrefix("header:"), let h = HeaderProperty(name) else {
                v.fail("\(path)/\(name)", "\(name) is not an EmailBodyPart property"); continue
            }
            if ["content-type", "content-transfer-encoding", "content-disposition"].contains(h.lowerName) {
                v.fail("\(path)/\(name)", "\(h.name) is set from type/charset/disposition/name, and Content-Transfer-Encoding is chosen by the server (RFC 8621 4.6)")
                continue
            }
            if let other = emailHeaders[h.lowerName] {
                v.fail("\(path)/\(name)", "\(h.name) is already set on the Email by \(other)"); continue
            }
            if let f = v.headerFields(h, value, property: "\(path)/\(name)") { extraFieldBytes += f }
        }
        let typeGiven = p("type")?.stringValue?.lowercased()
        if p("type") != nil && typeGiven == nil { v.fail("\(path)/type", "type must be a string") }
        if let name = p("name"), name.stringValue == nil { v.fail("\(path)/name", "name must be a string") }

        if let sub = p("subParts") {
            guard let list = sub.arrayValue else { v.fail("\(path)/subParts", "subParts must be an array"); return nil }
            let type = typeGiven ?? "multipart/mixed"
            guard type.hasPrefix("multipart/") else { v.fail("\(path)/type", "a part with subParts must be multipart/*"); return nil }
            if p("partId") != nil || p("blobId") != nil { v.fail(path, "a multipart part cannot have partId or blobId") }
            let children = list.enumerated().compactMap { i, c in
                part(c, path: "\(path)/subParts/\(i)", values: values, used: &used, &v, emailHeaders: emailHeaders, depth: depth + 1)
            }
            return MIMEEntity(mimeType: type, body: .multipart(children))
        }

        var type = typeGiven ?? (p("blobId") != nil && defaultType.hasPrefix("text/") && p("partId") == nil ? "application/octet-stream" : defaultType)
        if type.hasPrefix("multipart/") { v.fail("\(path)/type", "a multipart part needs subParts"); return nil }
        if type.split(separator: "/").count != 2 || !type.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
            v.fail("\(path)/type", "type '\(type)' is not a media type"); return nil
        }
        var parameters: [(String, String)] = []
        let encoded: BodyEncoder.Encoded
        switch (p("partId")?.stringValue, p("blobId")?.stringValue) {
        case (_?, _?):
            v.fail("\(path)/blobId", "a body part has either partId or blobId, not both"); return nil
        case (let id?, nil):
            guard let text = values[id] else { v.fail("\(path)/partId", "partId \(id) has no entry in bodyValues"); return nil }
            used.insert(id)
            if typeGiven == nil { type = defaultType }
            guard type.hasPrefix("text/") else { v.fail("\(path)/type", "a part with partId (a bodyValue) must be text/*"); return nil }
            let bytes = Array(text.utf8)
            parameters.append(("charset", bytes.allSatisfy { $0 < 0x80 } ? "us-ascii" : "utf-8"))
            encoded = BodyEncoder.text(bytes)
        case (nil, let blob?):
            guard let bytes = loadBlob(blob) else {
                v.blobNotFound(blob); return nil
            }
            if type.hasPrefix("text/") {
                parameters.append(("charset", p("charset")?.stringValue ?? (bytes.allSatisfy { $0 < 0x80 } ? "us-ascii" : "utf-8")))
                encoded = BodyEncoder.text(bytes)
            } else if type.hasPrefix("message/") && EntityExtraction.isSevenBitClean(Canonical.crlf(bytes[...])) {
                encoded = BodyEncoder.Encoded(transferEncoding: "7bit", bytes: Canonical.crlf(bytes[...]))
            } else {
                encoded = BodyEncoder.binary(bytes)
            }
        case (nil, nil):
            v.fail(path, "\(path) needs a partId (text from bodyValues) or a blobId (a file in --blob-dir)"); return nil
        }
        let name = p("name")?.stringValue
        if let name { parameters.append(("name", name)) }
        if let disposition = p("disposition")?.stringValue?.lowercased() ?? (defaultDisposition ?? (name != nil && !type.hasPrefix("text/") ? "attachment" : nil)) {
            fields.append(("Content-Disposition", ParameterWriter.value(disposition, name.map { [("filename", $0)] } ?? [])))
        }
        if let cid = p("cid")?.stringValue {
            let bare = cid.hasPrefix("<") && cid.hasSuffix(">") ? String(cid.dropFirst().dropLast()) : cid
            fields.append(("Content-ID", "<\(bare)>"))
        }
        if let language = p("language")?.arrayValue?.compactMap(\.stringValue), !language.isEmpty {
            fields.append(("Content-Language", language.joined(separator: ", ")))
        }
        if let location = p("location")?.stringValue { fields.append(("Content-Location", location)) }
        var entity = MIMEEntity(mimeType: type, parameters: parameters, fields: fields,
                                body: .encoded(transferEncoding: encoded.transferEncoding, bytes: encoded.bytes))
        entity.extraFields = extraFieldBytes
        return entity
    }

    func loadBlob(_ blobId: String) -> [UInt8]? {
        // A blobId names a file directly inside --blob-dir, never a path out of it.
        guard let dir = blobDirectory, !blobId.isEmpty, !blobId.contains("/"), !blobId.hasPrefix("."), !blobId.contains("\0") else { return nil }
        return FileManager.default.contents(atPath: dir.appendingPathComponent(blobId).path).map { [UInt8]($0) }
    }
}

/// header:Name[:asForm][:all] (RFC 8621 4.1.3), for Email/set's create and Email/get alike.
public struct HeaderProperty: Sendable, Equatable {
    public enum Form: String, Sendable {
        case raw = "asRaw", text = "asText", addresses = "asAddresses", grouped = "asGroupedAddresses",
             messageIds = "asMessageIds", date = "asDate", urls = "asURLs"
    }
    public let name: String
    public let form: Form
    public let all: Bool
    var lowerName: String { name.lowercased() }

    public init?(_ property: String) {
        var pieces = property.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard pieces.count >= 2, pieces[0] == "header", !pieces[1].isEmpty else { return nil }
        guard pieces[1].unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != ":" }) else { return nil }
        name = pieces[1]
        pieces.removeFirst(2)
        var all = false
        if pieces.last == "all" { all = true; pieces.removeLast() }
        self.all = all
        if pieces.isEmpty { form = .raw } else if pieces.count == 1, let f = Form(rawValue: pieces[0]) { form = f } else { return nil }
    }

    public init(name: String, form: Form, all: Bool = false) {
        self.name = name
        self.form = form
        self.all = all
    }

    /// RFC 8621 4.1.2: the forms a field RFC 5322 or RFC 2369 defines may be given or
    /// asked for in (any form for other fields); Return-Path and Received are read raw only.
    public func formAllowed(reading: Bool = false) -> Bool {
        if form == .raw { return true }
        switch lowerName {
        case "from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender", "resent-reply-to", "resent-to", "resent-cc", "resent-bcc":
            return form == .addresses || form == .grouped
        case "message-id", "in-reply-to", "references", "resent-message-id": return form == .messageIds
        case "date", "resent-date": return form == .date
        case "list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive": return form == .urls
        case "subject", "comments", "keywords", "list-id": return form == .text
        case "return-path", "received": return !reading
        default: return true
        }
    }
}

/// Collects every invalid property of one create.
struct Validation {
    var properties: [String] = []
    var messages: [String] = []
    var missingBlobs: [String] = []

    mutating func fail(_ property: String, _ message: String?) {
        if !properties.contains(property) { properties.append(property) }
        if let message { messages.append(message) }
    }

    mutating func blobNotFound(_ id: String) {
        if !missingBlobs.contains(id) { missingBlobs.append(id) }
    }

    /// invalidProperties wins over blobNotFound: the client must fix the request first.
    var error: SetError? {
        if !properties.isEmpty { return .invalidProperties(properties, messages.joined(separator: "; ")) }
        if !missingBlobs.isEmpty {
            return SetError(type: "blobNotFound", description: "no blob named \(missingBlobs.joined(separator: ", ")) in --blob-dir", notFound: missingBlobs)
        }
        return nil
    }

    mutating func addresses(_ json: JSON, property: String) -> [(name: String?, email: String)]? {
        guard let list = json.arrayValue else { fail(property, "\(property) must be an array of EmailAddress objects"); return nil }
        var out: [(name: String?, email: String)] = []
        for (i, a) in list.enumerated() {
            guard let email = a["email"]?.stringValue, Self.validEmail(email) else {
                fail(property, "\(property)[\(i)] needs an \"email\" like name@example.org (ASCII; IDN domains in xn-- form)"); return nil
            }
            let name = a["name"]?.stringValue
            if let n = a["name"], n != .null, name == nil { fail(property, "\(property)[\(i)].name must be a string or null"); return nil }
            out.append((name, email))
        }
        return out
    }

    static func validEmail(_ s: String) -> Bool {
        guard let at = s.lastIndex(of: "@"), at != s.startIndex, s.index(after: at) != s.endIndex else { return false }
        return s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && !"<>,;\"()[]\\".unicodeScalars.contains($0) }
    }

    mutating func messageIDs(_ json: JSON, property: String) -> [String]? {
        guard let list = json.arrayValue?.compactMap(\.stringValue), list.count == json.arrayValue?.count, !list.isEmpty else {
            fail(property, "\(property) must be a non-empty array of message ids (without angle brackets)"); return nil
        }
        for id in list where !(id.contains("@") && id.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F && $0 != "<" && $0 != ">" }) {
            fail(property, "\(property): '\(id)' is not a message id such as abc@example.org"); return nil
        }
        return list
    }

    /// The complete fields for a header:X property (several with :all).
    mutating func headerFields(_ h: HeaderProperty, _ value: JSON, property: String) -> [[UInt8]]? {
        guard h.formAllowed() else { fail(property, "\(h.name) cannot be given \(h.form.rawValue) (RFC 8621 4.1.2)"); return nil }
        if h.lowerName == "content-transfer-encoding" { fail(property, "Content-Transfer-Encoding is chosen by the server"); return nil }
        var values: [JSON]
        if h.all {
            guard let list = value.arrayValue else { fail(property, "\(property) (:all) must be an array"); return nil }
            values = list
        } else {
            values = value == .null ? [] : [value]
        }
        var out: [[UInt8]] = []
        for item in values {
            let text: String?
            switch h.form {
            case .raw:
                guard let s = item.stringValue, s.unicodeScalars.allSatisfy({ $0.value < 0x7F }),
                      !Self.hasBareLineEnd(s) else {
                    fail(property, "\(property) must be 7-bit text, folded only with CRLF plus whitespace"); return nil
                }
                // Raw is the field body as transmitted, normally starting with a space.
                out.append(Array("\(h.name):\(s.hasPrefix(" ") || s.hasPrefix("\t") ? "" : " ")\(s)\r\n".utf8))
                continue
            case .text:
                text = item.stringValue.map(HeaderWriter.unstructured)
            case .addresses:
                text = addresses(item, property: property).map(HeaderWriter.addressList)
                if text == nil { return nil }
            case .grouped:
                guard let groups = item.arrayValue else { fail(property, "\(property) must be an array of EmailAddressGroup"); return nil }
                var parts: [String] = []
                for g in groups {
                    guard let list = g["addresses"], let members = addresses(list, property: property) else { return nil }
                    if let name = g["name"]?.stringValue {
                        parts.append(HeaderWriter.group(name: name, members: members))
                    } else {
                        parts.append(HeaderWriter.addressList(members))
                    }
                }
                text = parts.joined(separator: ", ")
            case .messageIds:
                text = messageIDs(item, property: property).map(HeaderWriter.messageIDs)
                if text == nil { return nil }
            case .date:
                text = item.stringValue.flatMap(MailDateWriter.rfc5322(fromRFC3339:))
            case .urls:
                text = item.arrayValue?.compactMap(\.stringValue).map { "<\($0)>" }.joined(separator: ", ")
            }
            guard let text else { fail(property, "\(property) has the wrong type for \(h.form.rawValue)"); return nil }
            out.append(HeaderWriter.field(h.name, text))
        }
        return out
    }

    static func hasBareLineEnd(_ s: String) -> Bool {
        let b = Array(s.utf8)
        for (i, c) in b.enumerated() {
            if c == 0x0A && (i == 0 || b[i - 1] != 0x0D) { return true }
            if c == 0x0D && (i + 1 >= b.count || b[i + 1] != 0x0A) { return true }
            if c == 0x0A && (i + 1 >= b.count || (b[i + 1] != 0x20 && b[i + 1] != 0x09)) { return true }
        }
        return false
    }
}

/// RFC 5322 dates written from JMAP dates, keeping the sender's offset.
public enum MailDateWriter {
    static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// "2024-03-01T10:00:00+01:00" -> "Fri, 1 Mar 2024 10:00:00 +0100"; nil when not RFC 3339.
    public static func rfc5322(fromRFC3339 s: String) -> String? {
        guard case .success(let t) = RFC3339.dateTime(s) else { return nil }
        return format(y: t.year, mo: t.month, d: t.day, h: t.hour, mi: t.minute, s: min(t.second, 59), offsetMinutes: t.offsetMinutes)
    }

    /// Now-style date in UTC.
    public static func rfc5322(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return format(y: Int(tm.tm_year) + 1900, mo: Int(tm.tm_mon) + 1, d: Int(tm.tm_mday), h: Int(tm.tm_hour),
                      mi: Int(tm.tm_min), s: Int(tm.tm_sec), offsetMinutes: 0)
    }

    static func format(y: Int, mo: Int, d: Int, h: Int, mi: Int, s: Int, offsetMinutes: Int) -> String {
        // Day of week by Sakamoto's method.
        let t = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4]
        let yy = mo < 3 ? y - 1 : y
        let dow = (yy + yy / 4 - yy / 100 + yy / 400 + t[mo - 1] + d) % 7
        let sign = offsetMinutes < 0 ? "-" : "+"
        let off = abs(offsetMinutes)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(days[dow]), \(d) \(months[mo - 1]) \(year) \(two(h)):\(two(mi)):\(two(s)) \(sign)\(two(off / 60))\(two(off % 60))"
    }
}
