// Email/get, Email/changes and Thread/get (RFC 8621 4, 3; RFC 9219 4.1).
import Foundation
import JMAP
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
                guard h.formAllowed else { throw .invalidArguments("the header field \(h.name) cannot be read as \(h.form.rawValue) (RFC 8621 4.1.2)") }
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
        let messages: [EngineMessage?] = needsContent || props.contains("smimeStatusAtDelivery")
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

    static func value(_ p: String, view: EmailView, entry: EmailEntry, message: EngineMessage?, ctx: RequestContext,
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
            do {
                result = try ctx.backend.engine.changes(since: since, maxChanges: maxChanges, scope: ctx.backend.scope)
            } catch {
                throw MethodError(error.type, error.description)
            }
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
