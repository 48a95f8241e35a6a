// Email/query and Email/queryChanges (RFC 8620 5.5, 5.6; RFC 8621 4.4; RFC 9219 4.2).
// The FilterCondition properties are JMAP's own (Filter.swift), evaluated by the
// run engine's FilterPlan as the CLI's query evaluates them (the cheap conditions
// first, the S/MIME verdicts in a second pass); inMailbox and inMailboxOtherThan,
// which mean nothing to a list of files, are answered here from the mailbox tree.
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

/// A filter with the mailbox conditions taken out of each FilterCondition.
indirect enum QueryFilter: FilterOperatorTree {
    case and([QueryFilter])
    case or([QueryFilter])
    case not([QueryFilter])
    case condition(inMailbox: String?, otherThan: [String]?, rest: FilterPlan?)

    static func parse(_ json: JSON) throws(MethodError) -> QueryFilter {
        try Filter.tree(json, failure: methodError, condition: condition)
    }

    static func methodError(_ e: FilterError) -> MethodError { MethodError(e.type, e.description) }

    /// A FilterCondition: inMailbox and inMailboxOtherThan answered here, the rest by a FilterPlan.
    static func condition(_ pairs: [(String, JSON)], depth: Int) throws(MethodError) -> QueryFilter {
        var inMailbox: String?
        var otherThan: [String]?
        var rest: [(String, JSON)] = []
        for (k, v) in pairs {
            switch k {
            case "inMailbox":
                guard let s = v.stringValue else { throw .invalidArguments("\"inMailbox\" takes a Mailbox id") }
                inMailbox = s
            case "inMailboxOtherThan":
                guard let a = v.arrayValue, a.allSatisfy({ $0.stringValue != nil }) else {
                    throw .invalidArguments("\"inMailboxOtherThan\" takes an array of Mailbox ids")
                }
                otherThan = a.compactMap(\.stringValue)
            default: rest.append((k, v))
            }
        }
        var plan: FilterPlan?
        if !rest.isEmpty {
            do { plan = FilterPlan(try Filter.parse(.object(rest), depth: depth)) } catch { throw methodError(error) }
        }
        return .condition(inMailbox: inMailbox, otherThan: otherThan, rest: plan)
    }

    func matches(_ subject: EmailSubject) -> Bool {
        switch self {
        case .and(let fs): return fs.allSatisfy { $0.matches(subject) }
        case .or(let fs): return fs.contains { $0.matches(subject) }
        case .not(let fs): return !fs.contains { $0.matches(subject) }
        case .condition(let inMailbox, let otherThan, let rest):
            if let inMailbox, !subject.entry.mailboxIds.contains(inMailbox) { return false }
            if let otherThan, !subject.entry.mailboxIds.contains(where: { !otherThan.contains($0) }) { return false }
            guard let plan = rest else { return true }
            let (answer, memo) = plan.firstPass(subject)
            if let answer { return answer }
            return plan.secondPass(memo, status: subject.verdict?.status, statusAtDelivery: subject.delivery)
        }
    }

    /// Every condition property named anywhere in the filter.
    static func keys(_ json: JSON, into out: inout Set<String>, depth: Int = 0) {
        guard depth < 64, let pairs = json.objectValue else { return }
        for (k, v) in pairs {
            if k == "conditions", let a = v.arrayValue { for c in a { keys(c, into: &out, depth: depth + 1) } } else { out.insert(k) }
        }
    }
}

/// One Email as the filter conditions see it.
final class EmailSubject: FilterSubject {
    let entry: EmailEntry
    let backend: MailBackend
    let loaded: ReadMessage?
    let parsed: Message?
    let verdict: SMIMEProperties?
    let delivery: SMIMEStatus?
    /// Dates and sort keys: kept by digest in the backend, read from the file only the first time.
    lazy var facts: MailBackend.Derived = backend.derivedFacts(entry, message: loaded, parsed: parsed)

    init(entry: EmailEntry, backend: MailBackend, loaded: ReadMessage?, verdict: SMIMEProperties?, delivery: SMIMEStatus?) {
        self.entry = entry
        self.backend = backend
        self.loaded = loaded
        parsed = loaded.flatMap { try? Message(bytes: $0.bytes ?? [], limits: backend.configuration.mimeLimits) }
        self.verdict = verdict
        self.delivery = delivery
    }

    var message: Message { parsed ?? Self.empty }
    var size: Int { entry.size }
    var receivedAt: Date? { facts.receivedAt }
    var keywords: Set<String>? { entry.keywords }
    /// The status without verifying: the verdict's when the look at the mail made one
    /// (null exactly when the structure is), else the structure's.
    func smimeStatus() -> SMIMEStatus? {
        if let verdict { return verdict.status }
        return loaded.flatMap { backend.engine.detectedStatus($0, parsed: parsed) }
    }
    lazy var innerMessages: [Message] = {
        guard let loaded, let parsed else { return [] }
        return backend.engine.innerMessages(loaded, parsed: parsed)
    }()

    static let empty: Message = {
        guard let m = try? Message(bytes: [0x0D, 0x0A]) else { fatalError("the MIME reader refuses an empty message") }
        return m
    }()
}

enum EmailQuery {
    static let sortProperties = ["receivedAt", "sentAt", "size", "from", "to", "subject", "hasKeyword"]
    /// Conditions answered without the message's bytes.
    static let cheapKeys: Set<String> = ["operator", "hasSmime", "hasVerifiedSmime", "hasVerifiedSmimeAtDelivery", "minSize",
                                         "maxSize", "hasKeyword", "notKeyword", "inMailbox", "inMailboxOtherThan"]

    struct Comparator {
        let property: String
        let ascending: Bool
        let keyword: String?
    }

    /// RFC 5256 2.1, in short: leading Re:, Fwd:, Fw: and [tags] removed, case folded.
    static func baseSubject(_ s: String) -> String {
        var t = s.trimmingCharacters(in: .whitespaces)
        var changed = true
        while changed {
            changed = false
            for prefix in ["re:", "fwd:", "fw:", "aw:", "wg:"] where t.lowercased().hasPrefix(prefix) {
                t = String(t.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
                changed = true
            }
            if t.hasPrefix("["), let close = t.firstIndex(of: "]"), close != t.index(before: t.endIndex) {
                t = String(t[t.index(after: close)...]).trimmingCharacters(in: .whitespaces)
                changed = true
            }
        }
        return t.lowercased()
    }

    static func comparators(_ json: JSON?) throws(MethodError) -> [Comparator] {
        guard let json, json != .null else { return [] }
        guard let list = json.arrayValue else { throw .invalidArguments("\"sort\" must be an array of Comparators") }
        var out: [Comparator] = []
        for c in list {
            guard let p = c["property"]?.stringValue else { throw .invalidArguments("a Comparator needs a \"property\"") }
            guard sortProperties.contains(p) else {
                throw MethodError("unsupportedSort", "Email/query sorts by \(sortProperties.joined(separator: ", ")), not \"\(p)\"")
            }
            if let collation = c["collation"]?.stringValue, !["i;ascii-casemap", "i;unicode-casemap"].contains(collation) {
                throw MethodError("unsupportedSort", "the collation \"\(collation)\" is not supported")
            }
            let keyword = c["keyword"]?.stringValue
            if p == "hasKeyword" && keyword == nil { throw .invalidArguments("sorting by hasKeyword needs a \"keyword\"") }
            out.append(Comparator(property: p, ascending: c["isAscending"]?.boolValue ?? true, keyword: keyword?.lowercased()))
        }
        return out
    }

    /// The matching ids, in order, and the query state's own part.
    static func results(_ ctx: RequestContext, _ json: JSON, synced: Synced) throws(MethodError) -> [String] {
        let backend = ctx.backend
        let s = synced.snapshot
        var filter: QueryFilter?
        var keys: Set<String> = []
        if let f = json["filter"], f != .null {
            filter = try QueryFilter.parse(f)
            QueryFilter.keys(f, into: &keys)
        }
        let sort = try comparators(json["sort"])
        let collapse = try Arguments(json).bool("collapseThreads", default: false)
        // No filter and no sort: the snapshot's order, with nothing to evaluate per Email.
        if filter == nil && sort.isEmpty {
            guard collapse else { return s.emails.map(\.id) }
            var threads: Set<String> = []
            return s.emails.filter { threads.insert($0.threadId).inserted }.map(\.id)
        }
        // Sorting needs no read: its keys are kept by digest once a message has been read.
        let needsMessage = !keys.subtracting(cheapKeys).isEmpty
        var delivery: [String: SMIMEStatus?] = [:]
        if keys.contains("hasVerifiedSmimeAtDelivery") {
            let messages = s.emails.map(\.unread)
            for (e, v) in zip(s.emails, backend.engine.verdicts(messages, delivery: true)) {
                if case .success(let p) = v { delivery[e.id] = .some(p.statusAtDelivery) }
            }
        }
        var matched: [(EmailEntry, EmailSubject)] = []
        for e in s.emails {
            let loaded = needsMessage ? backend.index.bytes(of: e) : nil
            let subject = EmailSubject(entry: e, backend: backend, loaded: loaded, verdict: synced.verdicts[e.id],
                                       delivery: delivery[e.id] ?? nil)
            if filter?.matches(subject) ?? true { matched.append((e, subject)) }
        }
        if !sort.isEmpty {
            let order = Dictionary(uniqueKeysWithValues: s.emails.enumerated().map { ($1.id, $0) })
            matched.sort { a, b in
                for c in sort {
                    let r = compare(c, a, b)
                    if r != 0 { return c.ascending ? r < 0 : r > 0 }
                }
                return order[a.0.id]! < order[b.0.id]!
            }
        }
        // collapseThreads: only the first Email of each thread, in the sorted order (RFC 8621 4.4.3).
        if collapse {
            var threads: Set<String> = []
            matched = matched.filter { threads.insert($0.0.threadId).inserted }
        }
        return matched.map(\.0.id)
    }

    static func compare(_ c: Comparator, _ a: (EmailEntry, EmailSubject), _ b: (EmailEntry, EmailSubject)) -> Int {
        func cmp<T: Comparable>(_ x: T?, _ y: T?) -> Int {
            switch (x, y) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let x?, let y?): return x < y ? -1 : (x > y ? 1 : 0)
            }
        }
        switch c.property {
        case "receivedAt": return cmp(a.1.facts.receivedAt, b.1.facts.receivedAt)
        case "sentAt": return cmp(a.1.facts.sentAt, b.1.facts.sentAt)
        case "size": return cmp(a.0.size, b.0.size)
        case "from": return cmp(a.1.facts.from.lowercased(), b.1.facts.from.lowercased())
        case "to": return cmp(a.1.facts.to.lowercased(), b.1.facts.to.lowercased())
        case "subject": return cmp(a.1.facts.subject, b.1.facts.subject)
        case "hasKeyword":
            let k = c.keyword ?? ""
            return cmp(a.0.keywords.contains(k) ? 1 : 0, b.0.keywords.contains(k) ? 1 : 0)
        default: return 0
        }
    }

    /// The query's part of a queryState: a digest of its filter and sort.
    static func queryKey(_ json: JSON) -> String {
        let f = (json["filter"] ?? .null).serialized(), s = (json["sort"] ?? .null).serialized()
        return String(Digest.sha256Hex(Array("\(f)\u{1}\(s)".utf8)).prefix(8))
    }

    static func run(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        let synced = ctx.sync()
        return try Window.response(try results(ctx, json, synced: synced), args: args, accountId: ctx.backend.accountId,
                                   queryState: synced.emailState + "-" + queryKey(json), canCalculateChanges: synced.journaled)
    }

    /// RFC 8620 5.6. Messages are named by their bytes and never change, so only the
    /// Emails the journal says were created, updated (their S/MIME verdict changed) or
    /// destroyed since the old state can have entered or left the results. Each of them
    /// is reported removed, and added again at its index when it matches now.
    static func changes(_ ctx: RequestContext, _ json: JSON) throws(MethodError) -> JSON {
        let args = Arguments(json)
        guard let since = try args.string("sinceQueryState") else { throw .invalidArguments("\"sinceQueryState\" is required") }
        let maxChanges = try args.unsigned("maxChanges")
        if maxChanges == 0 { throw .invalidArguments("\"maxChanges\" must be positive") }
        let upToId = try args.string("upToId")
        let synced = ctx.sync()
        let key = queryKey(json)
        guard let dash = since.lastIndex(of: "-"), since[since.index(after: dash)...] == key else {
            throw MethodError("cannotCalculateChanges", "the state \"\(since)\" is not one this server gave for this filter and sort")
        }
        let oldEmailState = String(since[..<dash])
        let ids = try results(ctx, json, synced: synced)
        var changed: Set<String> = []
        var changedOrder: [String] = []
        if oldEmailState != synced.emailState {
            guard synced.journaled else {
                throw MethodError("cannotCalculateChanges", "the result cache is off, so no journal of changes is kept; run Email/query again")
            }
            var state = oldEmailState
            var rounds = 0
            while state != synced.emailState && rounds < 1_000 {
                rounds += 1
                let c = try ctx.backend.engine.changes(since: state, maxChanges: nil, scope: ctx.backend.scope)
                for id in c.created + c.updated + c.destroyed where changed.insert(id).inserted { changedOrder.append(id) }
                if !c.hasMoreChanges || c.newState == state { break }
                state = c.newState
            }
        }
        var added: [(String, Int)] = []
        for (i, id) in ids.enumerated() {
            if changed.contains(id) { added.append((id, i)) }
            if let upToId, id == upToId { break }
        }
        let removed = changedOrder
        if let maxChanges, removed.count + added.count > maxChanges {
            throw MethodError("tooManyChanges", "\(removed.count + added.count) changes, more than maxChanges \(maxChanges)")
        }
        var pairs: [(String, JSON)] = [
            ("accountId", .string(ctx.backend.accountId)),
            ("oldQueryState", .string(since)),
            ("newQueryState", .string(synced.emailState + "-" + key)),
            ("removed", .array(removed.map { .string($0) })),
            ("added", .array(added.map { .object([("id", .string($0.0)), ("index", .number(Double($0.1)))]) })),
        ]
        if try args.bool("calculateTotal", default: false) { pairs.insert(("total", .number(Double(ids.count))), at: 3) }
        return .object(pairs)
    }
}
