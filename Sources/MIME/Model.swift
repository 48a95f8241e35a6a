// The public model of a parsed message. Every part remembers the exact byte
// ranges it came from, because a signature is checked over the transmitted
// bytes, never over a re-serialisation.

/// Limits that keep hostile input from exhausting the reader.
public struct MIMELimits: Sendable, Hashable {
    /// Deepest multipart / message nesting accepted (root is depth 0).
    public var maxDepth: Int
    /// Total number of MIME parts in one message.
    public var maxParts: Int
    /// Total bytes of one header block (all fields of one part).
    public var maxHeaderBytes: Int
    /// Number of header fields in one header block.
    public var maxHeaderFields: Int

    public init(maxDepth: Int = 64, maxParts: Int = 10_000,
                maxHeaderBytes: Int = 1 << 20, maxHeaderFields: Int = 5_000) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderFields = maxHeaderFields
    }

    public static let `default` = MIMELimits()
}

/// Why a message could not be read at all. Recoverable oddities (a missing
/// final boundary, a bad encoded word) are not errors: they become
/// `MIMEPart.defects` and reading goes on.
public enum MIMEError: Error, Sendable, Hashable, CustomStringConvertible {
    case depthExceeded(limit: Int)
    case tooManyParts(limit: Int)
    case headerTooLarge(limit: Int)
    case tooManyHeaderFields(limit: Int)

    /// A stable code for scripts.
    public var code: String {
        switch self {
        case .depthExceeded: return "mimeDepthExceeded"
        case .tooManyParts: return "mimeTooManyParts"
        case .headerTooLarge: return "mimeHeaderTooLarge"
        case .tooManyHeaderFields: return "mimeTooManyHeaderFields"
        }
    }

    public var description: String {
        switch self {
        case .depthExceeded(let n):
            return "MIME nesting is deeper than \(n) levels (raise it with --max-depth)"
        case .tooManyParts(let n):
            return "message has more than \(n) MIME parts (raise it with --max-parts)"
        case .headerTooLarge(let n):
            return "a header block is larger than \(n) bytes (raise it with --max-header-bytes)"
        case .tooManyHeaderFields(let n):
            return "a header block has more than \(n) fields (raise it with --max-header-fields)"
        }
    }
}

/// One header field as transmitted.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written (case preserved).
    public let name: String
    /// The raw field body after the colon, still folded and undecoded,
    /// bytes exactly as transmitted (without the final line end).
    public let rawValue: [UInt8]
    /// Byte range of the whole field (name, colon, body, folding, final line end)
    /// in `Message.bytes`.
    public let range: Range<Int>
}

/// A parsed Content-Type (or Content-Disposition) with RFC 2231 parameters
/// already joined and decoded. Type, subtype and parameter names are lowercased.
public struct ContentType: Sendable, Hashable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String] = [:]

    /// "type/subtype", lowercased.
    public var mimeType: String { "\(type)/\(subtype)" }
    public var isMultipart: Bool { type == "multipart" }
}

/// Something odd the reader tolerated.
public struct MIMEDefect: Sendable, Hashable, CustomStringConvertible {
    public let code: String
    public let description: String
}

/// A mailbox: an optional display name and an address (RFC 5322 3.4).
public struct Mailbox: Sendable, Hashable {
    /// Display name after RFC 2047 decoding and unquoting, nil when absent.
    public var name: String?
    /// "local@domain" as written (no angle brackets); may be empty when the
    /// input held no usable address.
    public var email: String
    public init(name: String?, email: String) {
        self.name = name
        self.email = email
    }
}

/// An entry of an address list: a mailbox, or a named group of mailboxes.
public enum AddressListEntry: Sendable, Hashable {
    case mailbox(Mailbox)
    case group(name: String?, members: [Mailbox])
}
