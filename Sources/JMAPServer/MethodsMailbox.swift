// Mailbox/get, Mailbox/query, Mailbox/changes and Mailbox/set (RFC 8621 2).
import Foundation
import JMAP
import SMIME

/// The Mailbox state carries the mailboxes it was taken of: each id with a digest of
/// its properties and one of its counts. Mailbox/changes reads the old set back out of
/// it, so changes can be calculated from any earlier state without a journal.
enum MailboxStates {
    /// Beyond this many mailboxes the state is a plain digest (and changes cannot be calculated).
    static let maxListed = 200

    static func entries(_ s: Snapshot) -> [(id: String, meta: String, counts: String)] {
        s.mailboxes.map { m in
            let c = s.counts(m.id)
            let meta = "\(m.name)\u{1}\(m.parentId ?? "")\u{1}\(m.role ?? "")\u{1}\(m.sortOrder)"
            return (m.id, String(Digest.sha256Hex(Array(meta.utf8)).prefix(4)),
                    String(Digest.sha256Hex(Array("\(c.total) \(c.unread) \(c.threads) \(c.unreadThreads)".utf8)).prefix(4)))
        }.sorted { $0.id < $1.id }
    }

    static func state(_ s: Snapshot) -> String {
        let e = entries(s)
        if e.count > maxListed {
            return "h" + Digest.sha256Hex(Array(e.map { $0.id + $0.meta + $0.counts }.joined().utf8)).prefix(24)
        }
        // "m", then per mailbox its id without the "B" (16 hex digits), 4 of metadata and 4 of counts.
        return "m" + e.map { $0.id.dropFirst() + $0.meta + $0.counts }.joined()
    }

    static func parse(_ state: String) -> [(id: String, meta: String, counts: String)]? {
        guard state.hasPrefix("m") else { return nil }
        let body = Array(state.dropFirst())
        guard body.count % 24 == 0, body.allSatisfy({ $0.isHexDigit }) else { return nil }
        return stride(from: 0, to: body.count, by: 24).map { i in
            ("B" + String(body[i..<i + 16]), String(body[i + 16..<i + 20]), String(body[i + 20..<i + 24]))
        }
    }
}

enum MailboxMethods {
    static let properties = ["id", "name", "parentId", "role", "sortOrder", "totalEmails", "unreadEmails", "totalThreads",
                             "unreadThreads", "myRights", "isSubscribed"]

    static func object(_ m: MailboxNode, _ s: Snapshot, properties: [String]) -> JSON {
        let c = s.counts(m.id)
        var pairs: [(String, JSON)] = []
        for p in properties {
            switch p {
            case "id": pairs.append((p, .string(m.id)))
            case "name": pairs.append((p, .string(m.name)))
            case "parentId": pairs.append((p, .optional(m.parentId)))
            case "role": pairs.append((p, .optional(m.role)))
            case "sortOrder": pairs.append((p, .number(Double(m.sortOrder))))
            case "totalEmails": pairs.append((p, .number(Double(c.total))))
            case "unreadEmails": pairs.append((p, .number(Double(c.unread))))
            case "totalThreads": pairs.append((p, .number(Double(c.threads))))
            case "unreadThreads": pairs.append((p, .number(Double(c.unreadThreads))))
            case "myRights":
                // Messages can be added (Email/set create, Email/import), nothing changed or removed.
                let rights: [(String, Bool)] = [("mayReadItems", true), ("mayAddItems", true), ("mayRemoveItems", false),
                                                ("maySetSeen", false), ("maySetKeywords", false), ("mayCreateChild", false),
                                                ("mayRename", false), ("mayDelete", false), ("maySubmit", false)]
                pairs.append((p, .object(rights.map { ($0.0, .bool($0.1)) })))
            case "isSubscribed": pairs.append((p, .bool(true)))
            default: break
            }
        }
        return .object(pairs)
    }

    static func get(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        let s = ctx.backend.mailboxSnapshot()
        var props = try args.strings("properties") ?? properties
        for p in props where !properties.contains(p) { throw .invalidArguments("Mailbox has no property \"\(p)\"") }
        if !props.contains("id") { props.insert("id", at: 0) }
        let ids = try args.strings("ids")?.map(ctx.resolve(id:))
        if let ids, ids.count > ctx.backend.limits.maxObjectsInGet {
            throw MethodError("requestTooLarge", "\(ids.count) ids asked for; at most \(ctx.backend.limits.maxObjectsInGet) at once")
        }
        var list: [JSON] = []
        var notFound: [String] = []
        if let ids {
            for id in ids {
                if let m = s.mailboxes.first(where: { $0.id == id }) { list.append(object(m, s, properties: props)) } else { notFound.append(id) }
            }
        } else {
            list = s.mailboxes.map { object($0, s, properties: props) }
        }
        return .object([("accountId", .string(ctx.backend.accountId)), ("state", .string(MailboxStates.state(s))),
                        ("list", .array(list)), ("notFound", .array(notFound.map { .string($0) }))])
    }

    static func matches(_ m: MailboxNode, _ filter: JSON, depth: Int = 0) throws(MethodError) -> Bool {
        guard depth < 32, let pairs = filter.objectValue else { throw .invalidArguments("a Mailbox filter must be an object") }
        if let op = filter["operator"]?.stringValue {
            guard let conditions = filter["conditions"]?.arrayValue else { throw .invalidArguments("a FilterOperator needs \"conditions\"") }
            var results: [Bool] = []
            for c in conditions { results.append(try matches(m, c, depth: depth + 1)) }
            switch op {
            case "AND": return results.allSatisfy { $0 }
            case "OR": return results.contains(true)
            case "NOT": return !results.contains(true)
            default: throw .invalidArguments("unknown operator \"\(op)\" (AND, OR or NOT)")
            }
        }
        for (key, value) in pairs {
            switch key {
            case "parentId":
                if try !equals(m.parentId, value, key, takes: "an id") { return false }
            case "name":
                guard let s = value.stringValue else { throw .invalidArguments("\"name\" takes a string") }
                if m.name.range(of: s, options: .caseInsensitive) == nil { return false }
            case "role":
                if try !equals(m.role, value, key, takes: "a string") { return false }
            case "hasAnyRole":
                guard let b = value.boolValue else { throw .invalidArguments("\"hasAnyRole\" takes true or false") }
                if (m.role != nil) != b { return false }
            case "isSubscribed":
                guard let b = value.boolValue else { throw .invalidArguments("\"isSubscribed\" takes true or false") }
                if !b { return false }
            default:
                throw MethodError("unsupportedFilter", "Mailbox/query has no filter property \"\(key)\"")
            }
        }
        return true
    }

    /// Whether a property that may be null is the one the condition names (null: none).
    static func equals(_ actual: String?, _ wanted: JSON, _ key: String, takes what: String) throws(MethodError) -> Bool {
        if wanted == .null { return actual == nil }
        guard let s = wanted.stringValue else { throw .invalidArguments("\"\(key)\" takes \(what) or null") }
        return actual == s
    }

    static func query(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        let s = ctx.backend.mailboxSnapshot()
        var found = s.mailboxes
        if let f = json["filter"], f != .null {
            var kept: [MailboxNode] = []
            for m in found where try matches(m, f) { kept.append(m) }
            found = kept
        }
        if let sort = json["sort"], sort != .null {
            guard let comparators = sort.arrayValue else { throw .invalidArguments("\"sort\" must be an array of Comparators") }
            var keys: [(String, Bool)] = []
            for c in comparators {
                guard let p = c["property"]?.stringValue else { throw .invalidArguments("a Comparator needs a \"property\"") }
                guard p == "name" || p == "sortOrder" else { throw MethodError("unsupportedSort", "Mailbox/query sorts by name or sortOrder, not \"\(p)\"") }
                keys.append((p, c["isAscending"]?.boolValue ?? true))
            }
            let order = Dictionary(uniqueKeysWithValues: s.mailboxes.enumerated().map { ($1.id, $0) })
            found.sort { a, b in
                for (p, asc) in keys {
                    let (x, y): (String, String) = p == "name" ? (a.name.lowercased(), b.name.lowercased())
                        : (String(format: "%010d", a.sortOrder), String(format: "%010d", b.sortOrder))
                    if x != y { return asc ? x < y : x > y }
                }
                return order[a.id]! < order[b.id]!
            }
        }
        return try Window.response(found.map(\.id), args: args, accountId: ctx.backend.accountId,
                                   queryState: MailboxStates.state(s), canCalculateChanges: false)
    }

    static func changes(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        guard let since = try args.string("sinceState") else { throw .invalidArguments("\"sinceState\" is required") }
        let maxChanges = try args.unsigned("maxChanges")
        if maxChanges == 0 { throw .invalidArguments("\"maxChanges\" must be positive") }
        let s = ctx.backend.mailboxSnapshot()
        let now = MailboxStates.entries(s)
        let newState = MailboxStates.state(s)
        var created: [String] = [], updated: [String] = [], destroyed: [String] = []
        var onlyCounts = true
        if since != newState {
            guard let old = MailboxStates.parse(since) else {
                throw MethodError("cannotCalculateChanges", "the state \"\(since)\" is not one this server gave for Mailboxes (or it held too many mailboxes to list)")
            }
            let oldById = Dictionary(old.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let nowIds = Set(now.map(\.id))
            for e in now {
                guard let o = oldById[e.id] else { created.append(e.id); continue }
                if o.meta != e.meta { updated.append(e.id); onlyCounts = false } else if o.counts != e.counts { updated.append(e.id) }
            }
            destroyed = old.map(\.id).filter { !nowIds.contains($0) }
        }
        let total = created.count + updated.count + destroyed.count
        if let maxChanges, total > maxChanges {
            // The state names whole sets, so there is no intermediate state to hand out.
            throw MethodError("cannotCalculateChanges", "\(total) mailboxes changed, more than maxChanges \(maxChanges); fetch them again with Mailbox/get")
        }
        let counts = ["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"]
        return .object([
            ("accountId", .string(ctx.backend.accountId)),
            ("oldState", .string(since)),
            ("newState", .string(newState)),
            ("hasMoreChanges", .bool(false)),
            ("created", .array(created.map { .string($0) })),
            ("updated", .array(updated.map { .string($0) })),
            ("destroyed", .array(destroyed.map { .string($0) })),
            ("updatedProperties", (!updated.isEmpty && onlyCounts) ? .array(counts.map { .string($0) }) : .null),
        ])
    }

    /// Mailboxes are the directories given: they are not created, changed or destroyed over JMAP.
    static func set(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let s = ctx.backend.mailboxSnapshot()
        let state = MailboxStates.state(s)
        if let want = json["ifInState"]?.stringValue, want != state {
            throw MethodError("stateMismatch", "the Mailbox state is \(state), not \(want)")
        }
        func refusals(_ ids: [String], _ what: String) -> JSON {
            ids.isEmpty ? .null : .object(ids.map { id in
                let known = s.mailboxes.contains { $0.id == id }
                return (id, SetError(type: known ? "forbidden" : "notFound",
                                     description: known ? "mailboxes are the directories smimekit was given; they cannot be \(what) over JMAP" : "there is no mailbox \(id)").json)
            })
        }
        let create = json["create"]?.objectValue?.map(\.0) ?? []
        let notCreated: JSON = create.isEmpty ? .null : .object(create.map {
            ($0, SetError(type: "forbidden", description: "mailboxes are the directories smimekit was given; make the directory and give it as an operand").json)
        })
        return .object([
            ("accountId", .string(ctx.backend.accountId)), ("oldState", .string(state)), ("newState", .string(state)),
            ("created", .null), ("updated", .null), ("destroyed", .null),
            ("notCreated", notCreated),
            ("notUpdated", refusals(json["update"]?.objectValue?.map(\.0) ?? [], "changed")),
            ("notDestroyed", refusals(json["destroy"]?.arrayValue?.compactMap(\.stringValue) ?? [], "destroyed")),
        ])
    }
}

/// position, anchor, anchorOffset and limit (RFC 8620 5.5) over a result list.
enum Window {
    static func apply(_ ids: [String], args: Arguments) throws(MethodError) -> (position: Int, ids: [String]) {
        var position = try args.int("position") ?? 0
        if let anchor = try args.string("anchor") {
            guard let i = ids.firstIndex(of: anchor) else { throw MethodError("anchorNotFound", "the anchor \(anchor) is not in the results") }
            position = max(0, i + (try args.int("anchorOffset") ?? 0))
        } else if position < 0 {
            position = max(0, ids.count + position)
        }
        let limit = try args.unsigned("limit")
        guard position < ids.count else { return (position, []) }
        let end = limit.map { min(ids.count, position + $0) } ?? ids.count
        return (position, Array(ids[position..<end]))
    }

    /// A /query response (RFC 8620 5.5): the window of `ids` the arguments ask for, and
    /// their number when calculateTotal is true.
    static func response(_ ids: [String], args: Arguments, accountId: String, queryState: String,
                         canCalculateChanges: Bool) throws(MethodError) -> JSON {
        let (position, window) = try apply(ids, args: args)
        var pairs: [(String, JSON)] = [
            ("accountId", .string(accountId)),
            ("queryState", .string(queryState)),
            ("canCalculateChanges", .bool(canCalculateChanges)),
            ("position", .number(Double(position))),
            ("ids", .array(window.map { .string($0) })),
        ]
        if try args.bool("calculateTotal", default: false) { pairs.append(("total", .number(Double(ids.count)))) }
        return .object(pairs)
    }
}
