// A JMAP filter evaluated in two passes, so that verification is paid only for
// messages whose answer depends on it: the first pass sees everything but the
// verified statuses (three-valued: true, false or "depends"), the second pass
// supplies them. The cheap answers of the first pass are remembered, so text
// conditions are not searched twice.
import Foundation
import JMAP
import MIME
import SMIME

public struct FilterPlan: Sendable {
    private indirect enum Node: Sendable {
        case leaf(Int)
        case and([Node])
        case or([Node])
        case not([Node])
    }

    private struct Leaf: Sendable {
        /// The condition without hasVerifiedSmime / hasVerifiedSmimeAtDelivery.
        var cheap: FilterCondition
        var hasVerifiedSmime: Bool?
        var hasVerifiedSmimeAtDelivery: Bool?
        var isTrivial: Bool
    }

    private let root: Node
    private let leaves: [Leaf]
    /// Some condition asks for a verified status.
    public let needsVerification: Bool
    /// Some condition asks for the status at delivery.
    public let needsDelivery: Bool
    /// Some condition looks into the body (text, body, hasAttachment).
    public let readsBody: Bool

    public init(_ filter: Filter) {
        var leaves: [Leaf] = []
        func build(_ f: Filter) -> Node {
            switch f {
            case .condition(let c):
                var cheap = c
                cheap.hasVerifiedSmime = nil
                cheap.hasVerifiedSmimeAtDelivery = nil
                leaves.append(Leaf(cheap: cheap, hasVerifiedSmime: c.hasVerifiedSmime,
                                   hasVerifiedSmimeAtDelivery: c.hasVerifiedSmimeAtDelivery,
                                   isTrivial: cheap == FilterCondition()))
                return .leaf(leaves.count - 1)
            case .and(let fs): return .and(fs.map(build))
            case .or(let fs): return .or(fs.map(build))
            case .not(let fs): return .not(fs.map(build))
            }
        }
        root = build(filter)
        self.leaves = leaves
        needsVerification = leaves.contains { $0.hasVerifiedSmime != nil || $0.hasVerifiedSmimeAtDelivery != nil }
        needsDelivery = leaves.contains { $0.hasVerifiedSmimeAtDelivery != nil }
        readsBody = leaves.contains { $0.cheap.text != nil || $0.cheap.body != nil || $0.cheap.hasAttachment != nil }
    }

    /// The cheap answers of one message's first pass, by leaf.
    public struct Memo: Sendable {
        fileprivate var cheap: [Bool?]
    }

    /// First pass: nil when the answer depends on a verification.
    public func firstPass(_ subject: some FilterSubject) -> (Bool?, Memo) {
        var memo = Memo(cheap: Array(repeating: nil, count: leaves.count))
        let answer = evaluate(root, cheap: { i in
            if let known = memo.cheap[i] { return known }
            let value = leaves[i].isTrivial || leaves[i].cheap.matches(subject)
            memo.cheap[i] = value
            return value
        }, verified: { _ in nil })
        return (answer, memo)
    }

    /// Some condition looks at the message itself, not only at its S/MIME verdicts.
    public var readsMessage: Bool { leaves.contains { !$0.isTrivial } }

    /// The first pass of a plan that does not read the message (`readsMessage` false).
    public func firstPassWithoutMessage() -> (Bool?, Memo) {
        precondition(!readsMessage, "the plan has conditions on the message itself")
        let memo = Memo(cheap: Array(repeating: true, count: leaves.count))
        return (evaluate(root, cheap: { _ in true }, verified: { _ in nil }), memo)
    }

    /// Second pass with the statuses known. Three-valued evaluation only ever
    /// narrows when unknowns become known, so it visits no leaf the first pass
    /// skipped, and the memo has every cheap answer it needs.
    public func secondPass(_ memo: Memo, status: String?, statusAtDelivery: String?) -> Bool {
        evaluate(root, cheap: { memo.cheap[$0] ?? false }, verified: { i in
            var ok = true
            if let want = leaves[i].hasVerifiedSmime { ok = ok && Self.isVerified(status) == want }
            if let want = leaves[i].hasVerifiedSmimeAtDelivery { ok = ok && Self.isVerified(statusAtDelivery) == want }
            return ok
        }) ?? false
    }

    private func evaluate(_ node: Node, cheap: (Int) -> Bool, verified: (Int) -> Bool?) -> Bool? {
        switch node {
        case .leaf(let i):
            guard cheap(i) else { return false }
            if leaves[i].hasVerifiedSmime == nil && leaves[i].hasVerifiedSmimeAtDelivery == nil { return true }
            return verified(i)
        case .and(let children):
            var answer: Bool? = true
            for child in children {
                switch evaluate(child, cheap: cheap, verified: verified) {
                case false?: return false
                case nil: answer = nil
                case true?: break
                }
            }
            return answer
        case .or(let children):
            var answer: Bool? = false
            for child in children {
                switch evaluate(child, cheap: cheap, verified: verified) {
                case true?: return true
                case nil: answer = nil
                case false?: break
                }
            }
            return answer
        case .not(let children):
            // RFC 8620: NOT is true when none of the conditions is.
            return evaluate(.or(children), cheap: cheap, verified: verified).map { !$0 }
        }
    }

    public static func isVerified(_ status: String?) -> Bool {
        status.flatMap(SMIMEStatus.init(rawValue:))?.isVerified ?? false
    }
}

/// A message as the cheap conditions see it: parsed, dated and its status
/// detected only when a condition asks.
public final class FileSubject: FilterSubject {
    public let bytes: [UInt8]
    public let item: InputItem
    public let limits: MIMELimits
    public let size: Int
    private let receivedAtOption: Date?
    /// From the file name, only when a keyword condition asks.
    public lazy var keywords: Set<String>? = MaildirFlags.keywords(item)

    /// A message too large to hold is seen through its header block: `size` is then the
    /// file's, and `structure` answers the structural status from the streaming reader.
    private let structure: (() -> (status: String?, refusal: String?))?

    /// Keys to open encrypted content with, for the text conditions (--decrypt-key).
    private let identities: [DecryptionIdentity]

    public init(bytes: [UInt8], item: InputItem, limits: MIMELimits, receivedAt: Date?, identities: [DecryptionIdentity] = [],
         size: Int? = nil, structure: (() -> (status: String?, refusal: String?))? = nil) {
        self.bytes = bytes
        self.item = item
        self.limits = limits
        self.size = size ?? bytes.count
        receivedAtOption = receivedAt
        self.identities = identities
        self.structure = structure
    }

    /// The S/MIME layers opened without checking (see `ContentLayers`); for a message
    /// seen through its header block only, nothing is opened.
    private lazy var layers: OpenedLayers = {
        guard structure == nil, let parsed else { return OpenedLayers() }
        return ContentLayers.open(parsed, identities: identities, limits: limits)
    }()

    /// Why a text, body or attachment condition could not look at all of the
    /// message, once one needed to.
    public private(set) var blindSearch: SearchBlind?

    public var innerMessages: [Message] {
        if structure != nil {
            blindSearch = .tooLarge
            return []
        }
        let l = layers
        if let b = l.blind { blindSearch = SearchBlind(b) }
        return l.inner
    }

    private var parse: Message??
    /// Why the MIME reader refused the message, once a condition asked for its parse.
    public var refusal: String?
    /// Nil when the MIME reader refuses the message.
    public var parsed: Message? {
        if let parse { return parse }
        var m: Message?
        do { m = try BareCMS.parse(bytes, limits: limits) } catch { refusal = "\(error)" }
        parse = .some(m)
        return m
    }
    /// The parse, if a condition already made one (nothing is parsed to answer).
    public var parsedSoFar: Message? { parse ?? nil }
    /// A message the reader refuses matches no header or text condition.
    public var message: Message { parsed ?? Self.empty }
    private lazy var received: Date? = {
        if let receivedAtOption { return receivedAtOption }
        // As verify reckons it: without a Received header, the signingTime counts.
        let evidence = ReceivedTime.evidence(parsed, item: item, option: nil)
        return ReceivedTime.resolve(evidence, signingTimes: evidence.needsSigningTime ? layers.signingTimes : [])?.date
    }()
    public var receivedAt: Date? { received }
    private lazy var structural: String? = {
        if let structure {
            let (status, refusal) = structure()
            if let refusal { self.refusal = self.refusal ?? refusal }
            return status
        }
        return parsed.map { StructureDetector.status(of: $0)?.rawValue } ?? SMIMEStatus.unknown.rawValue
    }()

    /// Only the structural answer: the verified ones come in the second pass.
    public func smimeStatus(verified: Bool) -> String? { structural }
    public func smimeStatusAtDelivery() -> String? { nil }

    private static let empty: Message = {
        // A bare blank line is a message with no fields and an empty body.
        guard let m = try? Message(bytes: [0x0D, 0x0A]) else { fatalError("the MIME reader refuses an empty message") }
        return m
    }()
}

/// Why query could not search all of a message's text.
public enum SearchBlind: Int, CaseIterable, Sendable {
    case encryptedWithoutKey, encryptedForSomeoneElse, unreadable, tooLarge

    public init(_ b: OpenedLayers.Blind) {
        switch b {
        case .encryptedWithoutKey: self = .encryptedWithoutKey
        case .encryptedForSomeoneElse: self = .encryptedForSomeoneElse
        case .unreadable: self = .unreadable
        }
    }

    public func phrase(_ n: Int) -> String {
        switch self {
        case .encryptedWithoutKey: return "\(n) encrypted (give --decrypt-key to search inside)"
        case .encryptedForSomeoneElse: return "\(n) encrypted for a key not given with --decrypt-key"
        case .unreadable: return "\(n) with S/MIME content that could not be read"
        case .tooLarge: return "\(n) larger than --max-in-memory-size (only its header was searched)"
        }
    }

    /// One warning for a whole run: how many messages, and why.
    public static func warning(_ counts: [SearchBlind: Int]) -> String? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        let why = allCases.compactMap { c in counts[c].map { c.phrase($0) } }.joined(separator: ", ")
        return "\(total == 1 ? "1 message" : "\(total) messages") could not be searched in full for --text, --body or --has-attachment: \(why)"
    }
}

/// Maildir file names carry flags after ":2,". They map to the RFC 8621 keywords
/// as IMAP servers map them: D $draft, F $flagged, P $forwarded, R $answered,
/// S $seen. T (trashed) has no JMAP keyword (RFC 8621 4.1.1 drops \Deleted) and
/// lower-case letters are server-specific, so both are ignored. A file without
/// the suffix has no keywords.
public enum MaildirFlags {
    public static func keywords(_ item: InputItem) -> Set<String> {
        guard case .file(let path, _) = item else { return [] }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let marker = name.range(of: ":2,", options: .backwards) else { return [] }
        var out: Set<String> = []
        for flag in name[marker.upperBound...] {
            switch flag {
            case "D": out.insert("$draft")
            case "F": out.insert("$flagged")
            case "P": out.insert("$forwarded")
            case "R": out.insert("$answered")
            case "S": out.insert("$seen")
            default: break
            }
        }
        return out
    }
}
