// RFC 8621 4.4.1 FilterCondition / RFC 8620 5.5 FilterOperator, with the
// RFC 9219 S/MIME conditions, and how a message on disk is matched against a
// condition (a whole filter is evaluated by FilterPlan).
import Foundation
import MIME

public indirect enum Filter: Sendable, Equatable, FilterOperatorTree {
    case condition(FilterCondition)
    case and([Filter])
    case or([Filter])
    case not([Filter])

    /// Parses a FilterOperator or FilterCondition object. Unknown properties are
    /// `unsupportedFilter`, never ignored: a silent match would be a wrong answer.
    public static func parse(_ json: JSON, depth: Int = 0) throws(FilterError) -> Filter {
        try tree(json, depth: depth, failure: { $0 }) { pairs, _ throws(FilterError) in .condition(try FilterCondition(pairs)) }
    }

    /// A filter whatever its conditions are (RFC 8620 5.5): the FilterOperators are read
    /// here, at most 64 levels deep; the properties of each FilterCondition go to
    /// `condition`, with its depth. `failure` says a FilterError in the caller's terms.
    public static func tree<Node: FilterOperatorTree, Failure: Error>(
        _ json: JSON, depth: Int = 0, failure: (FilterError) -> Failure, condition: ([(String, JSON)], Int) throws(Failure) -> Node
    ) throws(Failure) -> Node {
        guard depth < 64 else { throw failure(.invalidArguments("the filter is nested more than 64 levels deep")) }
        guard let pairs = json.objectValue else { throw failure(.invalidArguments("a filter must be a JSON object")) }
        guard let op = json["operator"] else { return try condition(pairs, depth) }
        guard let opName = op.stringValue else { throw failure(.invalidArguments("\"operator\" must be a string")) }
        guard let conditions = json["conditions"]?.arrayValue else {
            throw failure(.invalidArguments("a FilterOperator needs a \"conditions\" array"))
        }
        for (k, _) in pairs where k != "operator" && k != "conditions" {
            throw failure(.invalidArguments("a FilterOperator has only \"operator\" and \"conditions\", not \"\(k)\""))
        }
        var subs: [Node] = []
        for c in conditions { subs.append(try tree(c, depth: depth + 1, failure: failure, condition: condition)) }
        switch opName {
        case "AND": return .and(subs)
        case "OR": return .or(subs)
        case "NOT": return .not(subs)
        default: throw failure(.invalidArguments("unknown operator \"\(opName)\" (AND, OR or NOT)"))
        }
    }

    /// True when evaluating needs a verification (so callers can skip the work otherwise).
    public var needsVerification: Bool {
        switch self {
        case .condition(let c): return c.hasVerifiedSmime != nil || c.hasVerifiedSmimeAtDelivery != nil
        case .and(let fs), .or(let fs), .not(let fs): return fs.contains { $0.needsVerification }
        }
    }
}

/// A filter as a tree whose inner nodes are FilterOperators (RFC 8620 5.5): its enum's
/// `and`, `or` and `not` cases are these.
public protocol FilterOperatorTree {
    static func and(_ operands: [Self]) -> Self
    static func or(_ operands: [Self]) -> Self
    static func not(_ operands: [Self]) -> Self
}

public enum FilterError: Error, Equatable, CustomStringConvertible, Sendable {
    /// RFC 8620 5.5: the server does not support this filter.
    case unsupportedFilter(String)
    case invalidArguments(String)

    public var type: String {
        switch self {
        case .unsupportedFilter: return "unsupportedFilter"
        case .invalidArguments: return "invalidArguments"
        }
    }

    public var description: String {
        switch self {
        case .unsupportedFilter(let s), .invalidArguments(let s): return s
        }
    }
}

/// What a filter looks at: one message and what is known about it.
public protocol FilterSubject {
    var message: Message { get }
    var size: Int { get }
    var receivedAt: Date? { get }
    /// Keywords known from the file (maildir flags), nil when unknown.
    var keywords: Set<String>? { get }
    /// smimeStatus as told without verifying (the structure): enough for hasSmime.
    /// The verified statuses are `FilterPlan`'s second pass.
    func smimeStatus() -> SMIMEStatus?
    /// The messages inside the message's S/MIME layers (opaque signed content,
    /// decrypted content), for the text, body and hasAttachment conditions. Asked
    /// for only when the message itself did not answer the condition.
    var innerMessages: [Message] { get }
}

extension FilterSubject {
    public var innerMessages: [Message] { [] }
}

public struct FilterCondition: Sendable, Equatable {
    public var hasSmime: Bool?
    public var hasVerifiedSmime: Bool?
    public var hasVerifiedSmimeAtDelivery: Bool?
    public var from: String?
    public var to: String?
    public var cc: String?
    public var bcc: String?
    public var subject: String?
    public var text: String?
    public var body: String?
    public var header: [String]?
    public var before: Date?
    public var after: Date?
    public var minSize: Int?
    public var maxSize: Int?
    public var hasAttachment: Bool?
    public var hasKeyword: String?
    public var notKeyword: String?

    public init() {}

    /// Properties of RFC 8621 that make no sense for files on disk.
    static let unsupported: Set<String> = [
        "inMailbox", "inMailboxOtherThan", "allInThreadHaveKeyword", "someInThreadHaveKeyword", "noneInThreadHaveKeyword",
    ]

    /// The properties of each JSON type, every one read alike ("header" is the one of its kind).
    private typealias Property<Value> = WritableKeyPath<FilterCondition, Value?> & Sendable
    private static let flags: [String: Property<Bool>] = [
        "hasSmime": \.hasSmime, "hasVerifiedSmime": \.hasVerifiedSmime,
        "hasVerifiedSmimeAtDelivery": \.hasVerifiedSmimeAtDelivery, "hasAttachment": \.hasAttachment,
    ]
    private static let texts: [String: Property<String>] = [
        "from": \.from, "to": \.to, "cc": \.cc, "bcc": \.bcc, "subject": \.subject, "text": \.text, "body": \.body,
        "hasKeyword": \.hasKeyword, "notKeyword": \.notKeyword,
    ]
    private static let dates: [String: Property<Date>] = ["before": \.before, "after": \.after]
    private static let sizes: [String: Property<Int>] = ["minSize": \.minSize, "maxSize": \.maxSize]

    init(_ pairs: [(String, JSON)]) throws(FilterError) {
        for (key, value) in pairs {
            func bool() throws(FilterError) -> Bool {
                guard let b = value.boolValue else { throw .invalidArguments("\"\(key)\" takes true or false") }
                return b
            }
            func string() throws(FilterError) -> String {
                guard let s = value.stringValue else { throw .invalidArguments("\"\(key)\" takes a string") }
                return s
            }
            func date() throws(FilterError) -> Date {
                // RFC 8620 1.4: a UTCDate, RFC 3339 with Z.
                guard let s = value.stringValue, case .success(let d) = RFC3339.utcDate(s) else {
                    throw .invalidArguments("\"\(key)\" takes a UTCDate (RFC 8620: RFC 3339 with Z) such as 2026-01-31T00:00:00Z, not \(value.serialized())")
                }
                return d
            }
            func size() throws(FilterError) -> Int {
                guard let n = value.numberValue, n >= 0, n == n.rounded(), n < 9e15 else {
                    throw .invalidArguments("\"\(key)\" takes a whole number of octets")
                }
                return Int(n)
            }
            if let p = Self.flags[key] { self[keyPath: p] = try bool() }
            else if let p = Self.texts[key] { self[keyPath: p] = try string() }
            else if let p = Self.dates[key] { self[keyPath: p] = try date() }
            else if let p = Self.sizes[key] { self[keyPath: p] = try size() }
            else if key == "header" {
                guard let a = value.arrayValue, (1...2).contains(a.count), let items = Optional(a.compactMap(\.stringValue)), items.count == a.count else {
                    throw .invalidArguments("\"header\" takes [name] or [name, value]")
                }
                header = items
            } else if Self.unsupported.contains(key) {
                throw .unsupportedFilter("the filter property \"\(key)\" does not apply to files on disk")
            } else {
                throw .unsupportedFilter("unknown filter property \"\(key)\"")
            }
        }
    }

    /// Every condition but hasVerifiedSmime and hasVerifiedSmimeAtDelivery, which only
    /// `FilterPlan` evaluates (it is the one evaluation of a whole filter).
    func matchesWithoutVerification(_ s: some FilterSubject) -> Bool {
        let m = s.message
        if let n = minSize, s.size < n { return false }
        if let n = maxSize, s.size >= n { return false }
        if let d = before { guard let r = s.receivedAt, r < d else { return false } }
        if let d = after { guard let r = s.receivedAt, r >= d else { return false } }
        if let k = hasKeyword { guard let ks = s.keywords, ks.contains(k.lowercased()) else { return false } }
        if let k = notKeyword, let ks = s.keywords, ks.contains(k.lowercased()) { return false }
        if let q = from, !Self.headerContains(m, "From", q) { return false }
        if let q = to, !Self.headerContains(m, "To", q) { return false }
        if let q = cc, !Self.headerContains(m, "Cc", q) { return false }
        if let q = bcc, !Self.headerContains(m, "Bcc", q) { return false }
        if let q = subject, !Self.headerContains(m, "Subject", q) { return false }
        if let h = header {
            let fields = m.root.fields(named: h[0])
            if fields.isEmpty { return false }
            if h.count == 2, !fields.contains(where: { Self.contains(m.headerText($0), h[1]) }) { return false }
        }
        // The content inside S/MIME layers counts as the message's own (RFC 8621 searches
        // what a reader sees); it is asked for only when the outside did not answer.
        if let want = hasAttachment,
           (MessageText.hasAttachment(m) || s.innerMessages.contains(where: MessageText.hasAttachment)) != want { return false }
        if let q = body, !MessageText.bodyContains(m, q), !s.innerMessages.contains(where: { MessageText.bodyContains($0, q) }) {
            return false
        }
        if let q = text {
            let fields = ["From", "To", "Cc", "Bcc", "Subject"]
            func found(_ m: Message) -> Bool { fields.contains { Self.headerContains(m, $0, q) } || MessageText.bodyContains(m, q) }
            if !found(m) && !s.innerMessages.contains(where: found) { return false }
        }
        if let want = hasSmime, (s.smimeStatus() != nil) != want { return false }
        return true
    }

    static func headerContains(_ m: Message, _ name: String, _ q: String) -> Bool {
        let part = shownHeaders(m)
        return part.fields(named: name).contains { contains(m.headerText($0), q) }
    }

    /// The header block a reader shows: with header protection (RFC 9788 hp or the older
    /// protected-headers="v1" on the signed part, or a signed message/rfc822 wrapping) the
    /// protected fields, when they can be read without a key; else the message's own.
    public static func shownHeaders(_ m: Message) -> MIMEPart {
        let root = m.root
        guard root.contentType.mimeType == "multipart/signed", let first = root.children.first else { return root }
        if first.contentType.mimeType == "message/rfc822", let inner = first.encapsulated { return inner }
        let p = first.contentType.parameters
        let hp = p["hp"]?.lowercased(), legacy = p["protected-headers"]?.lowercased()
        if hp == "clear" || hp == "cipher" || legacy == "v1", !first.fields(named: "From").isEmpty { return first }
        return root
    }

    /// Case-insensitive, diacritic-sensitive substring search, as most JMAP servers do.
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        needle.isEmpty || haystack.range(of: needle, options: [.caseInsensitive]) != nil
    }
}

/// What "body" and "attachment" mean for a stored message.
public enum MessageText {
    /// Text parts of the message (text/plain and text/html), not attachments, not inside attached messages.
    public static func bodyContains(_ m: Message, _ q: String) -> Bool {
        var found = false
        walk(m.root, depth: 0) { part in
            guard !found, part.contentType.type == "text", !isAttachment(part) else { return }
            if FilterCondition.contains(m.text(part), q) { found = true }
        }
        return found
    }

    public static func hasAttachment(_ m: Message) -> Bool {
        var found = false
        walk(m.root, depth: 0) { part in
            if !found && isAttachment(part) { found = true }
        }
        return found
    }

    static func isAttachment(_ part: MIMEPart) -> Bool {
        let type = part.contentType.mimeType
        // S/MIME's own parts are packaging, not attachments.
        if ["application/pkcs7-signature", "application/x-pkcs7-signature", "application/pkcs7-mime", "application/x-pkcs7-mime"].contains(type) {
            return false
        }
        if part.contentType.isMultipart { return false }
        if part.contentDisposition?.type == "attachment" { return true }
        if part.filename != nil && part.contentDisposition?.type != "inline" { return true }
        return false
    }

    static func walk(_ part: MIMEPart, depth: Int, _ visit: (MIMEPart) -> Void) {
        guard depth < 256 else { return }
        visit(part)
        for c in part.children { walk(c, depth: depth + 1, visit) }
    }
}
