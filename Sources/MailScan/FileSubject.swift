// A message on disk as the filter's conditions see it, and what query could not search.
import Foundation
import JMAP
import MIME
import SMIME

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
    private let structure: (() -> (status: SMIMEStatus?, refusal: String?))?

    /// Keys to open encrypted content with, for the text conditions (--decrypt-key).
    private let identities: [DecryptionIdentity]

    public init(bytes: [UInt8], item: InputItem, limits: MIMELimits, receivedAt: Date?, identities: [DecryptionIdentity] = [],
         size: Int? = nil, structure: (() -> (status: SMIMEStatus?, refusal: String?))? = nil) {
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
    private lazy var structural: SMIMEStatus? = {
        if let structure {
            let (status, refusal) = structure()
            if let refusal { self.refusal = self.refusal ?? refusal }
            return status
        }
        return parsed.map { StructureDetector.status(of: $0) } ?? .unknown
    }()

    /// Only the structural answer: the verified ones come in the plan's second pass.
    public func smimeStatus() -> SMIMEStatus? { structural }

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
}

/// Maildir file names carry flags after ":2,". They map to the RFC 8621 keywords
/// as IMAP servers map them: D $draft, F $flagged, P $forwarded, R $answered,
/// S $seen. T (trashed) has no JMAP keyword (RFC 8621 4.1.1 drops \Deleted) and
/// lower-case letters are server-specific, so both are ignored. A file without
/// the suffix has no keywords.
public enum MaildirFlags {
    public static func keywords(_ item: InputItem) -> Set<String> {
        guard case .file(let path, _) = item else { return [] }
        return keywords(path: path)
    }

    /// The keywords of a file's name.
    public static func keywords(path: String) -> Set<String> {
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
