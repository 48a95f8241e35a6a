// Writing MIME: header fields folded to 78 columns, RFC 2047 encoded words,
// RFC 2231 parameters, 7-bit-safe bodies and CRLF everywhere. What is written
// here is what gets signed, so the same input always gives the same bytes.

/// Header field text as RFC 5322 and RFC 2047 want it written.
public enum HeaderWriter {
    /// Line length we fold to (RFC 5322 2.1.1 "SHOULD be no more than 78").
    public static let lineLimit = 78

    /// "Name: value" folded at whitespace, ending in CRLF. `value` must already be
    /// ASCII (encoded words, RFC 2231 parameters).
    public static func field(_ name: String, _ value: String) -> [UInt8] {
        var out = Array(name.utf8) + [0x3A]
        var column = out.count
        // Words keep the whitespace before them, so unfolding restores the value exactly.
        let words = value.split(separator: " ", omittingEmptySubsequences: false)
        for (i, word) in words.enumerated() {
            let piece = Array(word.utf8)
            // A space precedes every word: the one after the colon, or the value's own.
            // Folding goes before that space, so unfolding gives the value back.
            if i > 0 && column + 1 + piece.count > lineLimit {
                out += [0x0D, 0x0A]
                column = 0
            }
            out.append(0x20)
            column += 1
            out += piece
            column += piece.count
        }
        out += [0x0D, 0x0A]
        return out
    }

    /// Unstructured text (Subject, Comments, header:X:asText): plain when it is
    /// printable ASCII, else the words from the first to the last one that needs
    /// it become encoded words.
    public static func unstructured(_ text: String) -> String {
        let clean = text.replacingLineBreaks()
        let words = clean.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard let first = words.firstIndex(where: needsEncoding),
              let last = words.lastIndex(where: needsEncoding) else { return clean }
        let run = words[first...last].joined(separator: " ")
        let encoded = EncodedWordWriter.encode(run, context: .text)
        return (words[..<first] + [encoded] + words[(last + 1)...]).joined(separator: " ")
    }

    /// A display name: an atom sequence, a quoted string, or encoded words.
    public static func phrase(_ text: String) -> String {
        let clean = text.replacingLineBreaks()
        if clean.unicodeScalars.contains(where: { $0.value > 0x7E || $0.value < 0x20 }) || clean.contains("=?") {
            return EncodedWordWriter.encode(clean, context: .phrase)
        }
        let atext = clean.unicodeScalars.allSatisfy { isAtext($0) || $0 == " " }
        if atext && !clean.isEmpty && !clean.hasPrefix(" ") && !clean.hasSuffix(" ") && !clean.contains("  ") { return clean }
        return quoted(clean)
    }

    /// "Name <local@domain>" or "local@domain".
    public static func mailbox(name: String?, email: String) -> String {
        guard let name, !name.isEmpty else { return email }
        return "\(phrase(name)) <\(email)>"
    }

    public static func addressList(_ mailboxes: [(name: String?, email: String)]) -> String {
        mailboxes.map { mailbox(name: $0.name, email: $0.email) }.joined(separator: ", ")
    }

    /// A group: "Name: a@x, b@y;".
    public static func group(name: String?, members: [(name: String?, email: String)]) -> String {
        "\(phrase(name ?? "")): \(addressList(members));"
    }

    /// Message ids as "<a@b> <c@d>".
    public static func messageIDs(_ ids: [String]) -> String {
        ids.map { "<\($0)>" }.joined(separator: " ")
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            if ch == "\"" || ch == "\\" { out += "\\" }
            out.unicodeScalars.append(ch)
        }
        return out + "\""
    }

    static func needsEncoding(_ word: String) -> Bool {
        word.contains("=?") || word.unicodeScalars.contains { $0.value > 0x7E || ($0.value < 0x20 && $0 != "\t") }
    }

    static func isAtext(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(c)
        }
    }
}

extension String {
    /// Header text is one line: line breaks (which would end the field) become spaces.
    func replacingLineBreaks() -> String {
        var out = ""
        var lastWasBreak = false
        for u in unicodeScalars {
            if u == "\r" || u == "\n" {
                if !lastWasBreak { out += " " }
                lastWasBreak = true
            } else {
                out.unicodeScalars.append(u)
                lastWasBreak = false
            }
        }
        return out
    }
}

/// RFC 2047 encoded words in UTF-8, each at most 75 characters, never
/// splitting a character between two words (RFC 2047 5).
public enum EncodedWordWriter {
    public enum Context {
        /// Unstructured text: Q may carry most printable ASCII.
        case text
        /// A phrase (display name): Q may carry only letters, digits and !*+-/ (RFC 2047 5(3)).
        case phrase
    }

    /// Space-separated encoded words for `text`. B when more than a third of the
    /// bytes would need escaping (shorter), else Q (readable).
    public static func encode(_ text: String, context: Context) -> String {
        let bytes = Array(text.utf8)
        let escaped = bytes.filter { !qSafe($0, context) }.count
        let useB = escaped * 3 > bytes.count
        var words: [String] = []
        var current: [UInt8] = []
        let prefix = useB ? "=?UTF-8?B?" : "=?UTF-8?Q?"
        // Words of at most 64 characters, so a word after a field name still fits in 78 columns.
        let room = 64 - prefix.count - 2
        func encodedLength(_ b: [UInt8]) -> Int {
            useB ? (b.count + 2) / 3 * 4 : b.reduce(0) { $0 + (qSafe($1, context) || $1 == 0x20 ? 1 : 3) }
        }
        func flush() {
            guard !current.isEmpty else { return }
            words.append(prefix + (useB ? base64(current) : q(current, context)) + "?=")
            current.removeAll()
        }
        for ch in text.unicodeScalars {
            let piece = Array(String(ch).utf8)
            if encodedLength(current + piece) > room { flush() }
            current += piece
        }
        flush()
        return words.joined(separator: " ")
    }

    static func qSafe(_ b: UInt8, _ context: Context) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x2A, 0x2B, 0x2D, 0x2F: return true
        case 0x22...0x7E where context == .text:
            // "=", "?" and "_" have meaning inside a Q word.
            return b != 0x3D && b != 0x3F && b != 0x5F
        default: return false
        }
    }

    static func q(_ bytes: [UInt8], _ context: Context) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in bytes {
            if b == 0x20 { out.append(0x5F) } else if qSafe(b, context) { out.append(b) } else {
                out += [0x3D, hex[Int(b >> 4)], hex[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        String(decoding: TransferEncoding.encodeBase64(bytes, lineLength: 0), as: UTF8.self)
    }
}

/// Content-Type and Content-Disposition values with RFC 2045 / RFC 2231 parameters.
public enum ParameterWriter {
    /// `value; a=b; name*=utf-8''...`: tokens bare, other ASCII quoted, non-ASCII
    /// percent-encoded (RFC 2231 4), long values split into numbered sections (RFC 2231 3).
    public static func value(_ base: String, _ parameters: [(String, String)]) -> String {
        var out = base
        for (name, v) in parameters { out += "; " + parameter(name, v) }
        return out
    }

    static let sectionLimit = 60

    public static func parameter(_ name: String, _ value: String) -> String {
        let ascii = value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
        if ascii {
            let plain = isToken(value) ? value : HeaderWriter.quoted(value)
            if plain.utf8.count <= sectionLimit { return "\(name)=\(plain)" }
            // Long ASCII: numbered quoted sections.
            return chunks(Array(value.utf8), sectionLimit).enumerated().map { i, c in
                "\(name)*\(i)=\(HeaderWriter.quoted(String(decoding: c, as: UTF8.self)))"
            }.joined(separator: "; ")
        }
        // Percent-encode whole characters, so no section ends inside one. Each section
        // fits one folded line: " name*N*=" (and "utf-8''" on the first) plus the text and ";".
        var sections: [String] = []
        var current = ""
        for ch in value.unicodeScalars {
            let enc = percent(Array(String(ch).utf8))
            let budget = HeaderWriter.lineLimit - 2 - name.utf8.count - 5 - (sections.isEmpty ? 7 : 0)
            if current.utf8.count + enc.utf8.count > budget && !current.isEmpty {
                sections.append(current)
                current = ""
            }
            current += enc
        }
        if !current.isEmpty { sections.append(current) }
        if sections.count == 1 { return "\(name)*=utf-8''\(sections[0])" }
        return sections.enumerated().map { i, s in
            i == 0 ? "\(name)*0*=utf-8''\(s)" : "\(name)*\(i)*=\(s)"
        }.joined(separator: "; ")
    }

    static func chunks(_ b: [UInt8], _ n: Int) -> [ArraySlice<UInt8>] {
        stride(from: 0, to: b.count, by: n).map { b[$0..<min($0 + n, b.count)] }
    }

    static func isToken(_ s: String) -> Bool {
        !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            c.value > 0x20 && c.value < 0x7F && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains(c)
        }
    }

    static func percent(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for b in bytes {
            let attributeChar: Bool
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: attributeChar = true
            default: attributeChar = "!#$&+-.^_`|~".utf8.contains(b)
            }
            if attributeChar { out.append(b) } else { out += [0x25, hex[Int(b >> 4)], hex[Int(b & 15)]] }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Chooses a 7-bit-safe transfer encoding for a body.
public enum BodyEncoder {
    public struct Encoded: Sendable {
        public let transferEncoding: String
        public let bytes: [UInt8]
        public init(transferEncoding: String, bytes: [UInt8]) {
            self.transferEncoding = transferEncoding
            self.bytes = bytes
        }
    }

    /// Text: 7bit when it can travel unchanged (ASCII, short lines, no trailing
    /// whitespace, no line starting "From "), else quoted-printable. Line ends become CRLF.
    public static func text(_ bytes: [UInt8]) -> Encoded {
        let crlf = Canonical.crlf(bytes[...])
        if travelsAs7bit(crlf) { return Encoded(transferEncoding: "7bit", bytes: crlf) }
        return Encoded(transferEncoding: "quoted-printable", bytes: TransferEncoding.encodeQuotedPrintable(bytes))
    }

    /// Anything else: base64 in 76-character lines.
    public static func binary(_ bytes: [UInt8]) -> Encoded {
        Encoded(transferEncoding: "base64", bytes: TransferEncoding.encodeBase64(bytes))
    }

    /// True when CRLF-canonical bytes survive any transport and re-encoding
    /// unchanged, which a signature needs (RFC 8551 3.1.3).
    public static func travelsAs7bit(_ crlf: [UInt8]) -> Bool {
        sevenBitLines(crlf, every: lineOK)
    }

    /// ASCII without NUL, CR only in CRLF (no bare LF either), and every line (its CRLF
    /// left out, the last one too) such that `lineOK` holds.
    static func sevenBitLines(_ b: [UInt8], every lineOK: (ArraySlice<UInt8>) -> Bool) -> Bool {
        var lineStart = 0
        var i = 0
        while i < b.count {
            let c = b[i]
            if c >= 0x80 || c == 0 { return false }
            if c == 0x0D {
                guard i + 1 < b.count, b[i + 1] == 0x0A else { return false }
                if !lineOK(b[lineStart..<i]) { return false }
                i += 2
                lineStart = i
                continue
            }
            if c == 0x0A { return false }
            i += 1
        }
        return lineOK(b[lineStart..<b.count])
    }

    private static func lineOK(_ line: ArraySlice<UInt8>) -> Bool {
        if line.count > 998 { return false }
        if let last = line.last, last == 0x20 || last == 0x09 { return false }
        return !line.starts(with: Array("From ".utf8))
    }
}

/// A MIME entity to be written: Content-* header fields and a body that is
/// either encoded bytes or parts (a multipart).
public struct MIMEEntity: Sendable {
    public enum Body: Sendable {
        /// Bytes already transfer-encoded, CRLF line ends.
        case encoded(transferEncoding: String, bytes: [UInt8])
        /// A multipart; the boundary is derived from the parts when written.
        case multipart([MIMEEntity])
    }

    /// "type/subtype", lowercase.
    public var mimeType: String
    public var parameters: [(String, String)]
    /// Further fields (Content-Disposition, Content-ID, ...) as (name, folded-ready ASCII value).
    public var fields: [(String, String)]
    /// Complete fields written as given (name, colon, value, CRLF), after `fields`.
    public var extraFields: [[UInt8]] = []
    public var body: Body

    public init(mimeType: String, parameters: [(String, String)] = [], fields: [(String, String)] = [], body: Body) {
        self.mimeType = mimeType
        self.parameters = parameters
        self.fields = fields
        self.body = body
    }

    /// A text part: charset us-ascii or utf-8 as the text needs, 7bit or quoted-printable.
    public static func text(_ text: String, subtype: String = "plain", fields: [(String, String)] = []) -> MIMEEntity {
        let bytes = Array(text.utf8)
        let charset = bytes.allSatisfy { $0 < 0x80 } ? "us-ascii" : "utf-8"
        let enc = BodyEncoder.text(bytes)
        return MIMEEntity(mimeType: "text/\(subtype)", parameters: [("charset", charset)], fields: fields,
                          body: .encoded(transferEncoding: enc.transferEncoding, bytes: enc.bytes))
    }

    /// The entity's bytes: header fields, blank line, body; CRLF throughout.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        switch body {
        case .encoded(let cte, let bytes):
            out += HeaderWriter.field("Content-Type", ParameterWriter.value(mimeType, parameters))
            if cte != "7bit" { out += HeaderWriter.field("Content-Transfer-Encoding", cte) }
            for (n, v) in fields { out += HeaderWriter.field(n, v) }
            for f in extraFields { out += f }
            out += [0x0D, 0x0A]
            out += bytes
        case .multipart(let parts):
            let bodies = parts.map { $0.serialized() }
            let boundary = Boundary.make(for: bodies)
            out += HeaderWriter.field("Content-Type", ParameterWriter.value(mimeType, parameters + [("boundary", boundary)]))
            for (n, v) in fields { out += HeaderWriter.field(n, v) }
            for f in extraFields { out += f }
            out += [0x0D, 0x0A]
            out += Boundary.join(bodies, boundary: boundary)
        }
        return out
    }
}

/// Multipart boundaries derived from the content, so the same message is
/// written the same way every time (golden files, reproducible signatures).
public enum Boundary {
    public static func make(for parts: [[UInt8]], prefix: String = "=_smk_") -> String {
        var seed: UInt64 = 0
        while true {
            var h1: UInt64 = 0xcbf29ce484222325 ^ seed
            var h2: UInt64 = 0x84222325cbf29ce4 &+ seed
            for part in parts {
                for b in part {
                    h1 = (h1 ^ UInt64(b)) &* 0x100000001b3
                    h2 = (h2 &+ UInt64(b)) &* 0x9E3779B97F4A7C15
                }
                h1 = (h1 ^ 0xFF) &* 0x100000001b3
            }
            let candidate = prefix + hex(h1) + hex(h2)
            // "=_" cannot occur in base64 or quoted-printable; 7bit text is checked.
            let needle = Array(("--" + candidate).utf8)
            if !parts.contains(where: { contains($0, needle) }) { return candidate }
            seed &+= 1
        }
    }

    /// Parts between delimiter lines, each part followed by the CRLF that belongs to the next delimiter.
    public static func join(_ parts: [[UInt8]], boundary: String) -> [UInt8] {
        let b = Array(boundary.utf8)
        var out: [UInt8] = []
        for part in parts {
            out += [0x2D, 0x2D] + b + [0x0D, 0x0A]
            out += part
            out += [0x0D, 0x0A]
        }
        out += [0x2D, 0x2D] + b + [0x2D, 0x2D, 0x0D, 0x0A]
        return out
    }

    static func hex(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    static func contains(_ hay: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, hay.count >= needle.count else { return false }
        var i = 0
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && hay[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

/// A whole RFC 5322 message: the outer header fields, MIME-Version, then an entity.
public enum MessageWriter {
    /// `headers` are complete folded fields (name, colon, value, CRLF).
    public static func message(headers: [[UInt8]], entity: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for h in headers { out += h }
        out += Array("MIME-Version: 1.0\r\n".utf8)
        out += entity
        return out
    }
}
