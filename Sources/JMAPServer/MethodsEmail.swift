// Email/get, Email/changes and Thread/get (RFC 8621 4, 3; RFC 9219 4.1).
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

enum EmailGet {
    static let defaultProperties = ["id", "blobId", "threadId", "mailboxIds", "keywords", "size", "receivedAt", "messageId",
                                    "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo", "subject",
                                    "sentAt", "hasAttachment", "preview", "bodyValues", "textBody", "htmlBody", "attachments"]
    static let known: Set<String> = Set(defaultProperties + ["headers", "bodyStructure"])
    /// Answered from the snapshot, without reading the message.
    static let metadata: Set<String> = ["id", "blobId", "threadId", "mailboxIds", "keywords", "size"]
    static let smime: Set<String> = Set(SMIMEProperty.allCases.map(\.rawValue))

    /// The convenience properties as the header forms they stand for (RFC 8621 4.1.2, 4.1.3).
    static let convenience: [String: HeaderRequest] = [
        "messageId": HeaderRequest(name: "Message-ID", form: .messageIds),
        "inReplyTo": HeaderRequest(name: "In-Reply-To", form: .messageIds),
        "references": HeaderRequest(name: "References", form: .messageIds),
        "sender": HeaderRequest(name: "Sender", form: .addresses),
        "from": HeaderRequest(name: "From", form: .addresses),
        "to": HeaderRequest(name: "To", form: .addresses),
        "cc": HeaderRequest(name: "Cc", form: .addresses),
        "bcc": HeaderRequest(name: "Bcc", form: .addresses),
        "replyTo": HeaderRequest(name: "Reply-To", form: .addresses),
        "subject": HeaderRequest(name: "Subject", form: .text),
        "sentAt": HeaderRequest(name: "Date", form: .date),
    ]

    static func checkProperties(_ props: [String], using: Set<String>) throws(MethodError) {
        for p in props {
            if known.contains(p) { continue }
            if smime.contains(p) {
                guard using.contains(Capabilities.smimeVerify) else {
                    throw .invalidArguments("\(p) needs \(Capabilities.smimeVerify) in \"using\" (RFC 9219)")
                }
                continue
            }
            if p.hasPrefix("header:") {
                guard let h = HeaderRequest(p) else { throw .invalidArguments("\"\(p)\" is not header:Name[:asForm][:all]") }
                guard h.formAllowed(reading: true) else { throw .invalidArguments("the header field \(h.name) cannot be read as \(h.form.rawValue) (RFC 8621 4.1.2)") }
                continue
            }
            throw .invalidArguments("Email has no property \"\(p)\"")
        }
    }

    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        let backend = ctx.backend
        var props = try args.strings("properties") ?? defaultProperties
        try checkProperties(props, using: ctx.using)
        if !props.contains("id") { props.insert("id", at: 0) }
        let bodyProps = try args.strings("bodyProperties") ?? EmailView.defaultBodyProperties
        for p in bodyProps where !EmailView.knownBodyProperties.contains(p) && HeaderRequest(p) == nil {
            throw .invalidArguments("EmailBodyPart has no property \"\(p)\"")
        }
        let fetchText = try args.bool("fetchTextBodyValues", default: false)
        let fetchHTML = try args.bool("fetchHTMLBodyValues", default: false)
        let fetchAll = try args.bool("fetchAllBodyValues", default: false)
        let maxBytes = try args.unsigned("maxBodyValueBytes") ?? 0

        let synced = ctx.sync()
        let s = synced.snapshot
        let requested = try args.strings("ids")?.map(ctx.resolve(id:))
        let ids = requested ?? s.emails.map(\.id)
        if ids.count > backend.limits.maxObjectsInGet {
            throw MethodError("requestTooLarge", "\(ids.count) Emails asked for; at most \(backend.limits.maxObjectsInGet) at once (maxObjectsInGet)")
        }
        var found: [EmailEntry] = []
        var notFound: [String] = []
        var seen: Set<String> = []
        for id in ids where seen.insert(id).inserted {
            if let e = s.email(id) { found.append(e) } else { notFound.append(id) }
        }
        let needsContent = props.contains { !metadata.contains($0) && !smime.contains($0) }
        let messages: [ReadMessage?] = needsContent || props.contains("smimeStatusAtDelivery")
            ? found.map { backend.index.bytes(of: $0) } : found.map { _ in nil }
        var delivery: [String: SMIMEProperties] = [:]
        if props.contains("smimeStatusAtDelivery") {
            let pairs = zip(found, messages).compactMap { e, m in m.map { (e, $0) } }
            for ((e, _), v) in zip(pairs, backend.engine.verdicts(pairs.map(\.1), delivery: true)) {
                if case .success(let p) = v { delivery[e.id] = p }
            }
        }
        var list: [JSON] = []
        for (e, m) in zip(found, messages) {
            let parsed = m.flatMap { try? Message(bytes: $0.bytes ?? [], limits: backend.configuration.mimeLimits) }
            let view = parsed.map { EmailView(message: $0, digest: e.digest) }
            var verdict = synced.verdicts[e.id]
            if let d = delivery[e.id] {
                verdict = verdict ?? d
                verdict?.statusAtDelivery = d.statusAtDelivery
            }
            var pairs: [(String, JSON)] = []
            for p in props {
                switch p {
                case "id": pairs.append((p, .string(e.id)))
                case "blobId": pairs.append((p, .string(EmailView.emailBlobId(e.digest))))
                case "threadId": pairs.append((p, .string(e.threadId)))
                case "mailboxIds": pairs.append((p, .object(e.mailboxIds.map { ($0, .bool(true)) })))
                case "keywords": pairs.append((p, .object(e.keywords.sorted().map { ($0, .bool(true)) })))
                case "size": pairs.append((p, .number(Double(e.size))))
                case "receivedAt":
                    let d = backend.derivedFacts(e, message: m, parsed: parsed)
                    pairs.append((p, .optional(d.receivedAt.map(JMAPDate.format))))
                case "smimeStatus", "smimeStatusAtDelivery", "smimeErrors", "smimeVerifiedAt":
                    let values = verdict ?? SMIMEProperties(status: nil)
                    pairs.append((p, values.value(SMIMEProperty(rawValue: p)!)))
                default:
                    guard let view else { pairs.append((p, .null)); continue }
                    pairs.append((p, value(p, view: view, entry: e, message: m, ctx: ctx, bodyProps: bodyProps,
                                           fetch: (fetchText, fetchHTML, fetchAll), maxBytes: maxBytes)))
                }
            }
            list.append(.object(pairs))
        }
        return .object([("accountId", .string(backend.accountId)), ("state", .string(synced.emailState)),
                        ("list", .array(list)), ("notFound", .array(notFound.map { .string($0) }))])
    }

    static func value(_ p: String, view: EmailView, entry: EmailEntry, message: ReadMessage?, ctx: RequestContext,
                      bodyProps: [String], fetch: (text: Bool, html: Bool, all: Bool), maxBytes: Int) -> JSON {
        let m = view.message
        if let h = convenience[p] { return HeaderForms.value(h, part: m.root, message: m) }
        if let h = HeaderRequest(p) { return HeaderForms.value(h, part: m.root, message: m) }
        switch p {
        case "headers":
            return .array(m.root.headers.map { .object([("name", .string($0.name)), ("value", .string(HeaderForms.raw($0)))]) })
        case "bodyStructure": return view.partJSON(view.structure, properties: bodyProps + (bodyProps.contains("subParts") ? [] : ["subParts"]))
        case "textBody": return .array(view.lists.text.map { view.partJSON($0, properties: bodyProps) })
        case "htmlBody": return .array(view.lists.html.map { view.partJSON($0, properties: bodyProps) })
        case "attachments": return .array(view.lists.attachments.map { view.partJSON($0, properties: bodyProps) })
        case "hasAttachment":
            if MessageText.hasAttachment(m) { return .bool(true) }
            let inner = message.map { ctx.backend.engine.innerMessages($0, parsed: m) } ?? []
            return .bool(inner.contains(where: MessageText.hasAttachment))
        case "preview":
            if let p = EmailView.preview(of: view) { return .string(p) }
            // Opaque signed or decrypted content: the preview of what a reader sees inside.
            for inner in message.map({ ctx.backend.engine.innerMessages($0, parsed: m) }) ?? [] {
                if let p = EmailView.preview(of: EmailView(message: inner, digest: view.digest)) { return .string(p) }
            }
            return .string("")
        case "bodyValues":
            var parts: [BodyPart] = []
            if fetch.all {
                parts = view.structure.leaves.filter { $0.part.contentType.type.lowercased() == "text" }
            } else {
                if fetch.text { parts += view.lists.text }
                if fetch.html { parts += view.lists.html }
            }
            var seen: Set<String> = []
            var out: [(String, JSON)] = []
            for part in parts where part.part.contentType.type.lowercased() == "text" {
                guard let id = part.partId, seen.insert(id).inserted else { continue }
                out.append((id, view.bodyValue(part, maxBytes: maxBytes)))
            }
            return .object(out)
        default: return .null
        }
    }
}

/// RFC 8621 4.9: blobs (uploads, messages, message/rfc822 parts) read as Emails, with the
/// RFC 9219 properties when asked for (verified as Email/get verifies).
enum EmailParse {
    static let defaultProperties = ["messageId", "inReplyTo", "references", "sender", "from", "to", "cc", "bcc", "replyTo",
                                    "subject", "sentAt", "hasAttachment", "preview", "bodyValues", "textBody", "htmlBody", "attachments"]

    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        let backend = ctx.backend
        guard let blobIds = try args.strings("blobIds")?.map(ctx.resolve(id:)) else { throw .invalidArguments("\"blobIds\" is required") }
        if blobIds.count > backend.limits.maxObjectsInGet {
            throw MethodError("requestTooLarge", "\(blobIds.count) blobs to parse; at most \(backend.limits.maxObjectsInGet) at once (maxObjectsInGet)")
        }
        let props = try args.strings("properties") ?? defaultProperties
        try EmailGet.checkProperties(props, using: ctx.using)
        let bodyProps = try args.strings("bodyProperties") ?? EmailView.defaultBodyProperties
        for p in bodyProps where !EmailView.knownBodyProperties.contains(p) && HeaderRequest(p) == nil {
            throw .invalidArguments("EmailBodyPart has no property \"\(p)\"")
        }
        let fetch = (try args.bool("fetchTextBodyValues", default: false), try args.bool("fetchHTMLBodyValues", default: false),
                     try args.bool("fetchAllBodyValues", default: false))
        let maxBytes = try args.unsigned("maxBodyValueBytes") ?? 0
        var parsed: [(String, JSON)] = [], notParsable: [String] = [], notFound: [String] = []
        var loaded: [(String, ReadMessage, Message)] = []
        for id in blobIds {
            guard let blob = backend.blob(id) else { notFound.append(id); continue }
            guard let m = try? Message(bytes: blob.bytes, limits: backend.configuration.mimeLimits) else { notParsable.append(id); continue }
            // Not a file in a mailbox: the bytes are given, and no path is ever read.
            loaded.append((id, ReadMessage(item: .file("/nonexistent/jmap-blob/" + id), digest: .of(blob.bytes), size: blob.bytes.count,
                                           bytes: blob.bytes), m))
        }
        var verdicts: [SMIMEProperties?] = loaded.map { _ in nil }
        if props.contains(where: { EmailGet.smime.contains($0) }) {
            let results = backend.engine.verdicts(loaded.map(\.1), delivery: props.contains("smimeStatusAtDelivery"))
            verdicts = results.map { try? $0.get() }
        }
        for ((id, message, m), verdict) in zip(loaded, verdicts) {
            let view = EmailView(message: m, digest: message.digest.hex)
            let entry = EmailEntry(id: "", digest: message.digest.hex, size: message.size, paths: [], mailboxIds: [], keywords: [], threadId: "")
            var pairs: [(String, JSON)] = []
            for p in props {
                switch p {
                case "id", "mailboxIds", "keywords", "receivedAt", "threadId": pairs.append((p, .null))
                case "blobId": pairs.append((p, .string(id)))
                case "size": pairs.append((p, .number(Double(message.size))))
                case _ where EmailGet.smime.contains(p):
                    pairs.append((p, (verdict ?? SMIMEProperties(status: nil)).value(SMIMEProperty(rawValue: p)!)))
                default:
                    pairs.append((p, EmailGet.value(p, view: view, entry: entry, message: message, ctx: ctx, bodyProps: bodyProps,
                                                    fetch: fetch, maxBytes: maxBytes)))
                }
            }
            parsed.append((id, .object(pairs)))
        }
        return .object([
            ("accountId", .string(backend.accountId)),
            ("parsed", parsed.isEmpty ? .null : .object(parsed)),
            ("notParsable", notParsable.isEmpty ? .null : .array(notParsable.map { .string($0) })),
            ("notFound", notFound.isEmpty ? .null : .array(notFound.map { .string($0) })),
        ])
    }
}

/// RFC 8621 5.1 SearchSnippet/get: the subject and a piece of the text body with the
/// words of the filter's text, subject and body conditions marked.
enum SearchSnippets {
    static func terms(_ json: JSON, into out: inout [String], depth: Int = 0) {
        guard depth < 64, let pairs = json.objectValue else { return }
        for (k, v) in pairs {
            if k == "conditions", let a = v.arrayValue { for c in a { terms(c, into: &out, depth: depth + 1) } }
            if ["text", "subject", "body"].contains(k), let t = v.stringValue, !t.isEmpty { out.append(t) }
        }
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// `text` with every term marked, or nil when none is in it.
    static func marked(_ text: String, _ terms: [String]) -> String? {
        var ranges: [Range<String.Index>] = []
        for t in terms {
            var from = text.startIndex
            while from < text.endIndex, let r = text.range(of: t, options: .caseInsensitive, range: from..<text.endIndex) {
                ranges.append(r)
                from = r.upperBound
            }
        }
        guard !ranges.isEmpty else { return nil }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var out = ""
        var at = text.startIndex
        for r in ranges where r.lowerBound >= at {
            out += escape(String(text[at..<r.lowerBound])) + "<mark>" + escape(String(text[r])) + "</mark>"
            at = r.upperBound
        }
        return out + escape(String(text[at...]))
    }

    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        guard let ids = try args.strings("emailIds")?.map(ctx.resolve(id:)) else { throw .invalidArguments("\"emailIds\" is required") }
        if ids.count > ctx.backend.limits.maxObjectsInGet {
            throw MethodError("requestTooLarge", "\(ids.count) snippets asked for; at most \(ctx.backend.limits.maxObjectsInGet) at once")
        }
        var words: [String] = []
        if let f = json["filter"], f != .null {
            _ = try QueryFilter.parse(f)   // the same filter Email/query takes, or the same error
            terms(f, into: &words)
        }
        let synced = ctx.sync()
        var list: [JSON] = [], notFound: [String] = []
        for id in ids {
            guard let e = synced.snapshot.email(id) else { notFound.append(id); continue }
            var subject: JSON = .null, preview: JSON = .null
            if !words.isEmpty, let m = ctx.backend.index.bytes(of: e),
               let parsed = try? Message(bytes: m.bytes ?? [], limits: ctx.backend.configuration.mimeLimits) {
                let view = EmailView(message: parsed, digest: e.digest)
                if let f = parsed.root.fields(named: "Subject").last, let s = marked(parsed.headerText(f), words) { subject = .string(s) }
                let inner = ctx.backend.engine.innerMessages(m, parsed: parsed).map { EmailView(message: $0, digest: e.digest) }
                for v in [view] + inner {
                    guard let part = v.lists.text.first(where: { $0.type == "text/plain" || $0.type == "text/html" }) else { continue }
                    var text = v.text(part)
                    if part.type == "text/html" { text = EmailView.stripTags(text) }
                    text = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
                    guard let hit = words.compactMap({ text.range(of: $0, options: .caseInsensitive) }).min(by: { $0.lowerBound < $1.lowerBound }) else { continue }
                    let start = text.index(hit.lowerBound, offsetBy: -min(80, text.distance(from: text.startIndex, to: hit.lowerBound)))
                    let end = text.index(start, offsetBy: min(255, text.distance(from: start, to: text.endIndex)))
                    if let s = marked(String(text[start..<end]), words) { preview = .string(s); break }
                }
            }
            list.append(.object([("emailId", .string(id)), ("subject", subject), ("preview", preview)]))
        }
        return .object([("accountId", .string(ctx.backend.accountId)), ("list", .array(list)),
                        ("notFound", notFound.isEmpty ? .null : .array(notFound.map { .string($0) }))])
    }
}

enum EmailChanges {
    static func run(_ ctx: RequestContext, _ json: JSON, type: String) throws(MethodError) -> JSON {
        let args = Arguments(json)
        guard let since = try args.string("sinceState") else { throw .invalidArguments("\"sinceState\" is required") }
        let maxChanges = try args.unsigned("maxChanges")
        if maxChanges == 0 { throw .invalidArguments("\"maxChanges\" must be positive") }
        let synced = ctx.sync()
        var result = EmailChangeSet(oldState: since, newState: synced.emailState, hasMoreChanges: false, created: [], updated: [], destroyed: [])
        if since != synced.emailState {
            guard synced.journaled else {
                throw MethodError("cannotCalculateChanges", "the result cache is off, so no journal of changes is kept; fetch the Emails again")
            }
            result = try ctx.backend.engine.changes(since: since, maxChanges: maxChanges, scope: ctx.backend.scope)
        }
        return .object([
            ("accountId", .string(ctx.backend.accountId)),
            ("oldState", .string(result.oldState)),
            ("newState", .string(result.newState)),
            ("hasMoreChanges", .bool(result.hasMoreChanges)),
            ("created", .array(result.created.map { .string($0) })),
            ("updated", .array(result.updated.map { .string($0) })),
            ("destroyed", .array(result.destroyed.map { .string($0) })),
        ])
    }
}

enum ThreadGet {
    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        let synced = ctx.sync()
        var threads: [String: [String]] = [:]
        var order: [String] = []
        for e in synced.snapshot.emails {
            if threads[e.threadId] == nil { order.append(e.threadId) }
            threads[e.threadId, default: []].append(e.id)
        }
        let ids = try args.strings("ids")?.map(ctx.resolve(id:)) ?? order
        if ids.count > ctx.backend.limits.maxObjectsInGet {
            throw MethodError("requestTooLarge", "\(ids.count) Threads asked for; at most \(ctx.backend.limits.maxObjectsInGet) at once")
        }
        var list: [JSON] = [], notFound: [String] = []
        for id in ids {
            if let emails = threads[id] {
                // RFC 8621 3: oldest receivedAt first.
                let dated = emails.enumerated().map { i, eid -> (Int, Date?, String) in
                    let e = synced.snapshot.email(eid)!
                    return (i, ctx.backend.derivedFacts(e, message: nil, parsed: nil).receivedAt, eid)
                }.sorted { a, b in
                    switch (a.1, b.1) {
                    case (let x?, let y?) where x != y: return x < y
                    case (nil, _?): return false
                    case (_?, nil): return true
                    default: return a.0 < b.0
                    }
                }
                list.append(.object([("id", .string(id)), ("emailIds", .array(dated.map { .string($0.2) }))]))
            } else {
                notFound.append(id)
            }
        }
        return .object([("accountId", .string(ctx.backend.accountId)), ("state", .string(synced.emailState)),
                        ("list", .array(list)), ("notFound", .array(notFound.map { .string($0) }))])
    }
}
