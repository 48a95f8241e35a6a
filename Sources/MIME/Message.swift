// The parsed message and its parts. Parsing works on byte offsets into the
// original input so that every part can be handed back exactly as transmitted.

import Foundation

/// A whole RFC 5322 message, parsed into a tree of MIME parts.
public struct Message: Sendable {
    /// The whole input, untouched.
    public let bytes: [UInt8]
    public let root: MIMEPart

    /// Parses `bytes`. Oddities become defects on the parts; only exceeded
    /// limits throw.
    /// `isRoot` false reads the bytes as a part inside another message (no
    /// leading mbox line is looked for).
    public init(bytes: [UInt8], limits: MIMELimits = .default, isRoot: Bool = true) throws(MIMEError) {
        self.bytes = bytes
        // withUnsafeBufferPointer is not typed-throws on every toolchain, so
        // carry the outcome out as a Result.
        let result = bytes.withUnsafeBufferPointer { buf in
            PartParser(buf: buf, limits: limits).parseRoot(isRoot: isRoot)
        }
        self.root = try result.get()
    }

    /// A header block alone, as the streaming reader hands it over: its part
    /// has the fields and Content-Type, and no body or children.
    init(headerBlock: [UInt8], isRoot: Bool, defaultType: ContentType, limits: MIMELimits) throws(MIMEError) {
        self.bytes = headerBlock
        let result = headerBlock.withUnsafeBufferPointer { buf in
            PartParser(buf: buf, limits: limits).parseHeaderOnly(defaultType: defaultType, isRoot: isRoot)
        }
        self.root = try result.get()
    }

    /// The bytes of `r`, clamped to the input so a stale range cannot trap.
    public func slice(_ r: Range<Int>) -> ArraySlice<UInt8> {
        let lo = min(max(r.lowerBound, 0), bytes.count)
        let hi = min(max(r.upperBound, lo), bytes.count)
        return bytes[lo..<hi]
    }
}

/// One MIME entity: header fields, a body, and for multiparts and
/// message/rfc822 the entities inside it.
public final class MIMEPart: Sendable {
    /// Header fields in transmitted order.
    public let headers: [HeaderField]
    /// The whole part: header block, separator blank line and body, as transmitted.
    public let range: Range<Int>
    /// The header fields (including a leading mbox "From " line if any),
    /// without the separator blank line.
    public let headerRange: Range<Int>
    /// The body, after the blank line. For multipart children it excludes the
    /// line end that precedes the next boundary delimiter (RFC 2046).
    public let bodyRange: Range<Int>
    /// Parsed Content-Type, or the default for the context.
    public let contentType: ContentType
    /// Parts of a multipart, in order; empty otherwise.
    public let children: [MIMEPart]
    /// The inner message of a message/rfc822 or message/global body sent in
    /// an identity encoding.
    public let encapsulated: MIMEPart?
    /// Nesting level; the root is 0.
    public let depth: Int
    public let defects: [MIMEDefect]
    /// Multipart only: the text before the first delimiter (excluding the
    /// line end that belongs to that delimiter).
    public let preambleRange: Range<Int>?
    /// Multipart only: the text after the close delimiter line; nil when
    /// there was no close delimiter.
    public let epilogueRange: Range<Int>?

    public init(headers: [HeaderField], range: Range<Int>, headerRange: Range<Int>,
                bodyRange: Range<Int>, contentType: ContentType, children: [MIMEPart],
                encapsulated: MIMEPart?, depth: Int, defects: [MIMEDefect],
                preambleRange: Range<Int>?, epilogueRange: Range<Int>?) {
        self.headers = headers
        self.range = range
        self.headerRange = headerRange
        self.bodyRange = bodyRange
        self.contentType = contentType
        self.children = children
        self.encapsulated = encapsulated
        self.depth = depth
        self.defects = defects
        self.preambleRange = preambleRange
        self.epilogueRange = epilogueRange
    }

    /// Fields whose name matches, case-insensitively, in order.
    public func fields(named name: String) -> [HeaderField] {
        headers.filter { asciiCaseInsensitiveEqual($0.name, name) }
    }

    /// The first matching field's value: unfolded, trimmed, not RFC 2047 decoded.
    public func firstValue(named name: String) -> String? {
        guard let f = headers.first(where: { asciiCaseInsensitiveEqual($0.name, name) }) else {
            return nil
        }
        return HeaderText.unfoldedString(f.rawValue[...])
    }

    /// Lowercased mechanism, "7bit" when absent or empty.
    public var contentTransferEncoding: String {
        guard let v = firstValue(named: "Content-Transfer-Encoding") else { return "7bit" }
        // Stop at whitespace, ';' or a comment: some mailers append junk.
        var token = ""
        for ch in v.unicodeScalars {
            if ch == " " || ch == "\t" || ch == ";" || ch == "(" { break }
            token.unicodeScalars.append(ch)
        }
        token = token.trimmingQuotes().lowercased()
        return token.isEmpty ? "7bit" : token
    }

    /// Content-Disposition parsed like a Content-Type, with `subtype` empty.
    public var contentDisposition: ContentType? {
        guard let v = firstValue(named: "Content-Disposition") else { return nil }
        return HeaderParameters.parse(v)
    }

    /// The disposition filename, else the content-type name; RFC 2047
    /// words inside are decoded because many mailers put them there.
    public var filename: String? {
        let raw = contentDisposition?.parameters["filename"] ?? contentType.parameters["name"]
        guard let raw else { return nil }
        return raw.contains("=?") ? EncodedWords.decode(raw) : raw
    }

    /// The date of the topmost Received field (after its last ';'), if any.
    public var receivedDate: Date? {
        guard let v = firstValue(named: "Received"),
              let semi = v.lastIndex(of: ";") else { return nil }
        return MailDate.parse(String(v[v.index(after: semi)...]))
    }

    /// True when the body is to be read as an identity encoding.
    var hasIdentityEncoding: Bool {
        switch contentTransferEncoding {
        case "7bit", "8bit", "binary": return true
        default: return false
        }
    }
}

extension Message {
    /// The body with its transfer encoding removed; no charset conversion.
    public func decodedBody(_ part: MIMEPart) -> [UInt8] {
        let body = slice(part.bodyRange)
        switch part.contentTransferEncoding {
        case "base64": return TransferEncoding.decodeBase64(body)
        case "quoted-printable": return TransferEncoding.decodeQuotedPrintable(body)
        default: return Array(body)
        }
    }

    /// The decoded body as text in its declared charset.
    public func text(_ part: MIMEPart) -> String {
        Charset.decode(decodedBody(part), charset: part.contentType.parameters["charset"])
    }

    /// The field value unfolded, RFC 2047 decoded and trimmed.
    public func headerText(_ field: HeaderField) -> String {
        HeaderText.decoded(field)
    }

    /// The field value read as an RFC 5322 address list.
    public func addresses(_ field: HeaderField) -> [AddressListEntry] {
        AddressList.parse(HeaderText.unfoldedString(field.rawValue[...]))
    }
}

extension ContentType {
    /// RFC 2045 5.2 default.
    static let textPlainDefault = ContentType(type: "text", subtype: "plain",
                                              parameters: ["charset": "us-ascii"])
    /// RFC 2046 5.1.5 default inside multipart/digest.
    static let messageRFC822 = ContentType(type: "message", subtype: "rfc822")
}

/// Header text helpers shared by the part accessors.
enum HeaderText {
    /// Removes line ends (unfolding per RFC 5322 2.2.3), reads the bytes as
    /// UTF-8 with a Latin-1 fallback, and trims surrounding whitespace.
    static func unfoldedString(_ raw: ArraySlice<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        for b in raw where b != 0x0D && b != 0x0A { out.append(b) }
        return Charset.utf8OrLatin1(out[...]).trimmingWhitespace()
    }

    static func decoded(_ field: HeaderField) -> String {
        EncodedWords.decode(unfoldedString(field.rawValue[...])).trimmingWhitespace()
    }
}

func asciiCaseInsensitiveEqual(_ a: String, _ b: String) -> Bool {
    let x = a.utf8, y = b.utf8
    guard x.count == y.count else { return false }
    for (p, q) in zip(x, y) where lowerASCII(p) != lowerASCII(q) { return false }
    return true
}

@inline(__always) func lowerASCII(_ b: UInt8) -> UInt8 {
    (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
}

extension String {
    func trimmingWhitespace() -> String {
        let s = unicodeScalars
        guard let first = s.firstIndex(where: { !isWS($0) }) else { return "" }
        // A non-whitespace scalar exists, so lastIndex cannot be nil.
        let last = s.lastIndex(where: { !isWS($0) }) ?? first
        return String(s[first...last])
    }

    func trimmingQuotes() -> String {
        var s = self
        if s.hasPrefix("\"") { s.removeFirst() }
        if s.hasSuffix("\"") { s.removeLast() }
        return s
    }
}

@inline(__always) func isWS(_ c: Unicode.Scalar) -> Bool {
    c == " " || c == "\t" || c == "\r" || c == "\n"
}
