import Foundation

/// Byte-level helpers for the messages this module makes. They find things by
/// the exact spelling openssl writes; they are not a MIME parser.
public enum SMIMEMessage {
    /// Every bare LF becomes CRLF; existing CRLFs are left alone.
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 32)
        var previous: UInt8 = 0
        for b in bytes {
            if b == 0x0A && previous != 0x0D { out.append(0x0D) }
            out.append(b)
            previous = b
        }
        return out
    }

    /// Base64 in 64-character CRLF lines, as openssl writes it.
    public static func base64Lines(_ der: [UInt8]) -> [UInt8] {
        let text = Data(der).base64EncodedString()
        var out: [UInt8] = []
        var line = 0
        for ch in text.utf8 {
            out.append(ch)
            line += 1
            if line == 64 { out += [0x0D, 0x0A]; line = 0 }
        }
        if line > 0 { out += [0x0D, 0x0A] }
        return out
    }

    static func decodeBase64(_ text: ArraySlice<UInt8>) throws -> [UInt8] {
        guard let data = Data(base64Encoded: Data(text), options: .ignoreUnknownCharacters) else {
            throw FixtureError.malformed("the CMS block is not valid base64")
        }
        return [UInt8](data)
    }

    /// The CMS structure of a signed or encrypted message, decoded.
    public static func cms(in message: [UInt8]) throws -> [UInt8] {
        try decodeBase64(message[try cmsBase64Range(in: message)])
    }

    /// The base64 lines (with their line ends) of the signature part of a
    /// multipart/signed message, or of the body of an application/pkcs7-mime one.
    public static func cmsBase64Range(in message: [UInt8]) throws -> Range<Int> {
        guard let headerEnd = find("\r\n\r\n", in: message) else {
            throw FixtureError.malformed("no end of header")
        }
        var start = headerEnd + 4
        // The last signature part: a signed entity nested in the first part comes earlier.
        if let sigType = findLast("Content-Type: application/pkcs7-signature", in: message, from: start)
            ?? findLast("Content-Type: application/x-pkcs7-signature", in: message, from: start) {
            guard let partHeaderEnd = find("\r\n\r\n", in: message, from: sigType) else {
                throw FixtureError.malformed("signature part has no body")
            }
            start = partHeaderEnd + 4
        }
        // Take whole lines made only of base64 characters.
        var end = start
        while end < message.count {
            var lineEnd = end
            while lineEnd < message.count, message[lineEnd] != 0x0D, message[lineEnd] != 0x0A { lineEnd += 1 }
            let line = message[end..<lineEnd]
            if line.isEmpty || !line.allSatisfy(isBase64) { break }
            end = lineEnd
            if end < message.count, message[end] == 0x0D { end += 1 }
            if end < message.count, message[end] == 0x0A { end += 1 }
        }
        guard end > start else { throw FixtureError.malformed("no base64 CMS block found") }
        return start..<end
    }

    private static func isBase64(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b)
            || b == 0x2B || b == 0x2F || b == 0x3D
    }

    static func findLast(_ needle: String, in haystack: [UInt8], from start: Int = 0) -> Int? {
        var found: Int?
        var next = start
        while let at = find(needle, in: haystack, from: next) { found = at; next = at + 1 }
        return found
    }

    static func find(_ needle: String, in haystack: [UInt8], from start: Int = 0) -> Int? {
        let n = Array(needle.utf8)
        guard !n.isEmpty, haystack.count >= n.count, start <= haystack.count - n.count else { return nil }
        var i = start
        while i <= haystack.count - n.count {
            if haystack[i] == n[0] && Array(haystack[i..<(i + n.count)]) == n { return i }
            i += 1
        }
        return nil
    }
}

/// Ways to damage a signed message, for the verifier's failure paths.
public enum Tamper {
    /// Changes one byte of the signed content: the case of the first letter of
    /// the first part's body (multipart/signed), or of the eContent's body
    /// (pkcs7-mime). The CMS stays well-formed; only the digest no longer matches.
    public static func alterSignedContent(_ message: [UInt8]) throws -> [UInt8] {
        var out = message
        if let signedType = SMIMEMessage.find("multipart/signed", in: message),
           let boundaryLine = firstBoundary(in: message, after: signedType),
           let partHeaderEnd = SMIMEMessage.find("\r\n\r\n", in: message, from: boundaryLine) {
            try toggleFirstLetter(in: &out, from: partHeaderEnd + 4)
            return out
        }
        let range = try SMIMEMessage.cmsBase64Range(in: message)
        var der = try SMIMEMessage.decodeBase64(message[range])
        // The eContent is itself a MIME entity: its first blank line ends its header.
        guard let bodyStart = SMIMEMessage.find("\r\n\r\n", in: der) else {
            throw FixtureError.malformed("no MIME entity inside the SignedData")
        }
        try toggleFirstLetter(in: &der, from: bodyStart + 4)
        return Array(message[..<range.lowerBound]) + SMIMEMessage.base64Lines(der) + Array(message[range.upperBound...])
    }

    /// Cuts the base64 CMS block to `fraction` of its lines; the MIME framing stays.
    public static func truncateSignature(_ message: [UInt8], keeping fraction: Double = 0.5) throws -> [UInt8] {
        let range = try SMIMEMessage.cmsBase64Range(in: message)
        let block = Array(message[range])
        var lineStarts = [0]
        for (i, b) in block.enumerated() where b == 0x0A && i + 1 < block.count { lineStarts.append(i + 1) }
        let keep = max(1, min(lineStarts.count - 1, Int(Double(lineStarts.count) * fraction)))
        let cut = lineStarts.count > 1 ? lineStarts[keep] : block.count / 2
        return Array(message[..<range.lowerBound]) + block[..<cut] + Array(message[range.upperBound...])
    }

    /// The first occurrence of `old` replaced by `new`; throws when absent.
    public static func replacing(_ old: String, with new: String, in message: [UInt8]) throws -> [UInt8] {
        guard let at = SMIMEMessage.find(old, in: message) else {
            throw FixtureError.malformed("\"\(old)\" does not occur in the message")
        }
        return Array(message[..<at]) + Array(new.utf8) + Array(message[(at + old.utf8.count)...])
    }

    private static func firstBoundary(in message: [UInt8], after index: Int) -> Int? {
        guard let param = SMIMEMessage.find("boundary=\"", in: message, from: index) else { return nil }
        let valueStart = param + 10
        guard let quote = message[valueStart...].firstIndex(of: 0x22) else { return nil }
        let boundary = "--" + String(decoding: message[valueStart..<quote], as: UTF8.self) + "\r\n"
        return SMIMEMessage.find(boundary, in: message, from: quote)
    }

    private static func toggleFirstLetter(in bytes: inout [UInt8], from start: Int) throws {
        guard let i = bytes[start...].firstIndex(where: { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw FixtureError.malformed("no letter in the signed content")
        }
        bytes[i] ^= 0x20
    }
}

/// Just enough DER to splice CRLs into a SignedData.
enum DER {
    struct Element {
        let tag: UInt8
        let start: Int  // of the tag
        let contentStart: Int
        let end: Int
    }

    /// The definite-length elements of bytes[range].
    static func elements(_ bytes: [UInt8], _ range: Range<Int>) throws -> [Element] {
        var out: [Element] = []
        var i = range.lowerBound
        while i < range.upperBound {
            guard i + 1 < range.upperBound else { throw FixtureError.malformed("truncated DER") }
            let tag = bytes[i]
            var length = Int(bytes[i + 1])
            var contentStart = i + 2
            if length == 0x80 { throw FixtureError.malformed("indefinite length (BER) is not handled") }
            if length > 0x80 {
                let count = length & 0x7F
                guard count <= 4, contentStart + count <= range.upperBound else { throw FixtureError.malformed("bad DER length") }
                length = bytes[contentStart..<(contentStart + count)].reduce(0) { $0 << 8 | Int($1) }
                contentStart += count
            }
            guard contentStart + length <= range.upperBound else { throw FixtureError.malformed("DER runs past its parent") }
            out.append(Element(tag: tag, start: i, contentStart: contentStart, end: contentStart + length))
            i = contentStart + length
        }
        return out
    }

    static func encode(tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var length: [UInt8]
        if content.count < 0x80 {
            length = [UInt8(content.count)]
        } else {
            var n = content.count
            length = []
            while n > 0 { length.insert(UInt8(n & 0xFF), at: 0); n >>= 8 }
            length.insert(0x80 | UInt8(length.count), at: 0)
        }
        return [tag] + length + content
    }

    /// ContentInfo{signedData, [0] SignedData{..., [1] crls, signerInfos}}
    /// with `crls` appended to the crls field (created before signerInfos).
    static func insertingCRLs(_ crls: [[UInt8]], into contentInfo: [UInt8]) throws -> [UInt8] {
        guard let outer = try elements(contentInfo, 0..<contentInfo.count).first, outer.tag == 0x30 else {
            throw FixtureError.malformed("not a ContentInfo")
        }
        let ci = try elements(contentInfo, outer.contentStart..<outer.end)
        guard ci.count == 2, ci[1].tag == 0xA0,
              let sd = try elements(contentInfo, ci[1].contentStart..<ci[1].end).first, sd.tag == 0x30 else {
            throw FixtureError.malformed("not a SignedData ContentInfo")
        }
        let fields = try elements(contentInfo, sd.contentStart..<sd.end)
        guard let signerInfos = fields.last, signerInfos.tag == 0x31 else {
            throw FixtureError.malformed("SignedData does not end with signerInfos")
        }
        var body: [UInt8] = []
        var inserted = false
        for field in fields {
            if field.tag == 0xA1 {
                body += encode(tag: 0xA1, Array(contentInfo[field.contentStart..<field.end]) + crls.flatMap { $0 })
                inserted = true
            } else {
                if field.start == signerInfos.start && !inserted {
                    body += encode(tag: 0xA1, crls.flatMap { $0 })
                }
                body += contentInfo[field.start..<field.end]
            }
        }
        let signedData = encode(tag: 0x30, body)
        return encode(tag: 0x30, Array(contentInfo[ci[0].start..<ci[0].end]) + encode(tag: 0xA0, signedData))
    }
}
