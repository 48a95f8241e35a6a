// The reader proper: header blocks and multipart splitting over raw bytes.
// Everything is offsets into one buffer; bodies are never turned into Strings.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif


/// Defect codes the reader emits, so callers can match on them.
public enum MIMEDefectCode {
    public static let mboxFromLine = "mboxFromLine"
    public static let bareLF = "bareLF"
    public static let missingHeaderBodySeparator = "missingHeaderBodySeparator"
    public static let badContentType = "badContentType"
    public static let duplicateContentType = "duplicateContentType"
    public static let missingBoundaryParameter = "missingBoundaryParameter"
    public static let boundaryNotFound = "boundaryNotFound"
    public static let missingFinalBoundary = "missingFinalBoundary"
    public static let badEncodedWord = "badEncodedWord"
    public static let encapsulatedNotParsed = "encapsulatedNotParsed"
}

final class PartParser {
    let buf: UnsafeBufferPointer<UInt8>
    let limits: MIMELimits
    var partCount = 0

    init(buf: UnsafeBufferPointer<UInt8>, limits: MIMELimits) {
        self.buf = buf
        self.limits = limits
    }

    /// Index of the next LF in [from, end), or `end`.
    @inline(__always) func nextLF(_ from: Int, _ end: Int) -> Int {
        guard from < end, let base = buf.baseAddress else { return end }
        guard let p = memchr(base + from, Int32(LF), end - from) else { return end }
        return UnsafeRawPointer(p) - UnsafeRawPointer(base)
    }

    @inline(__always) func nextByte(_ byte: UInt8, _ from: Int, _ end: Int) -> Int? {
        guard from < end, let base = buf.baseAddress else { return nil }
        guard let p = memchr(base + from, Int32(byte), end - from) else { return nil }
        return UnsafeRawPointer(p) - UnsafeRawPointer(base)
    }

    // MARK: Parts

    func parseRoot(isRoot: Bool = true) -> Result<MIMEPart, MIMEError> {
        do {
            return .success(try parsePart(start: 0, end: buf.count, depth: 0,
                                          defaultType: .textPlainDefault, isRoot: isRoot))
        } catch {
            return .failure(error)
        }
    }

    func parseHeaderOnly(defaultType: ContentType, isRoot: Bool) -> Result<MIMEPart, MIMEError> {
        do {
            return .success(try parsePart(start: 0, end: buf.count, depth: 0, defaultType: defaultType,
                                          isRoot: isRoot, headerOnly: true))
        } catch {
            return .failure(error)
        }
    }

    func parsePart(start: Int, end: Int, depth: Int, defaultType: ContentType,
                   isRoot: Bool, headerOnly: Bool = false) throws(MIMEError) -> MIMEPart {
        // Checked before any work so recursion never goes past the limit.
        if depth > limits.maxDepth { throw .depthExceeded(limit: limits.maxDepth) }
        partCount += 1
        if partCount > limits.maxParts { throw .tooManyParts(limit: limits.maxParts) }

        let hb = try parseHeaders(start: start, end: end, isRoot: isRoot)
        var defects = hb.defects

        var contentType = defaultType
        var ctSeen = false
        for f in hb.fields where asciiCaseInsensitiveEqual(f.name, "content-type") {
            if ctSeen {
                defects.append(MIMEDefect(code: MIMEDefectCode.duplicateContentType,
                                          description: "more than one Content-Type field; the first is used"))
                break
            }
            ctSeen = true
            let value = HeaderText.unfoldedString(f.rawValue[...])
            if let ct = HeaderParameters.parse(value), !ct.subtype.isEmpty {
                contentType = ct
            } else {
                defects.append(MIMEDefect(code: MIMEDefectCode.badContentType,
                                          description: "unparseable Content-Type \"\(value.prefix(100))\"; using \(defaultType.mimeType)"))
            }
        }

        var children: [MIMEPart] = []
        var encapsulated: MIMEPart?
        var preamble: Range<Int>?
        var epilogue: Range<Int>?
        let body = hb.bodyStart..<end

        if headerOnly {
            // The streaming reader splits the body itself.
        } else if contentType.isMultipart {
            if let boundary = contentType.parameters["boundary"], !boundary.isEmpty {
                let split = try splitMultipart(body: body, boundary: Array(boundary.utf8))
                preamble = split.preamble
                epilogue = split.epilogue
                if split.parts.isEmpty && split.epilogue == nil {
                    defects.append(MIMEDefect(code: MIMEDefectCode.boundaryNotFound,
                                              description: "no boundary delimiter \"--\(boundary.prefix(100))\" in the multipart body"))
                } else if split.epilogue == nil {
                    defects.append(MIMEDefect(code: MIMEDefectCode.missingFinalBoundary,
                                              description: "multipart has no close delimiter; the last part runs to the end"))
                }
                let childDefault = contentType.subtype == "digest" ? ContentType.messageRFC822 : .textPlainDefault
                children.reserveCapacity(split.parts.count)
                for r in split.parts {
                    children.append(try parsePart(start: r.lowerBound, end: r.upperBound, depth: depth + 1,
                                                  defaultType: childDefault, isRoot: false))
                }
            } else {
                defects.append(MIMEDefect(code: MIMEDefectCode.missingBoundaryParameter,
                                          description: "\(contentType.mimeType) without a boundary parameter; read as one opaque part"))
            }
        } else if contentType.type == "message",
                  contentType.subtype == "rfc822" || contentType.subtype == "global" {
            if Self.isIdentity(hb.fields) {
                encapsulated = try parsePart(start: body.lowerBound, end: body.upperBound, depth: depth + 1,
                                             defaultType: .textPlainDefault, isRoot: false)
            } else {
                defects.append(MIMEDefect(code: MIMEDefectCode.encapsulatedNotParsed,
                                          description: "\(contentType.mimeType) in a non-identity transfer encoding is not parsed as a message"))
            }
        }

        return MIMEPart(headers: hb.fields, range: start..<end, headerRange: start..<hb.headerEnd,
                        bodyRange: body, contentType: contentType, children: children,
                        encapsulated: encapsulated, depth: depth, defects: defects,
                        preambleRange: preamble, epilogueRange: epilogue)
    }

    static func isIdentity(_ fields: [HeaderField]) -> Bool {
        guard let f = fields.first(where: { asciiCaseInsensitiveEqual($0.name, "content-transfer-encoding") }) else {
            return true
        }
        let v = HeaderText.unfoldedString(f.rawValue[...]).lowercased()
        return v.isEmpty || v.hasPrefix("7bit") || v.hasPrefix("8bit") || v.hasPrefix("binary")
    }

    // MARK: Header block

    struct HeaderBlock {
        var fields: [HeaderField] = []
        var headerEnd: Int
        var bodyStart: Int
        var defects: [MIMEDefect] = []
    }

    func parseHeaders(start: Int, end: Int, isRoot: Bool) throws(MIMEError) -> HeaderBlock {
        var hb = HeaderBlock(headerEnd: end, bodyStart: end)
        var i = start
        var sawBareLF = false
        var badEncodedWord = false

        // The field being collected: start, colon position, end of its content
        // (before the final line end) and end including the line end.
        var fStart = -1, fColon = 0, fContentEnd = 0, fEnd = 0

        func finishField() throws(MIMEError) {
            guard fStart >= 0 else { return }
            let name = String(decoding: UnsafeBufferPointer(rebasing: buf[fStart..<trimNameEnd(fStart, fColon)]),
                              as: UTF8.self)
            let raw = Array(buf[(fColon + 1)..<fContentEnd])
            if !badEncodedWord, EncodedWords.containsMalformed(raw) { badEncodedWord = true }
            hb.fields.append(HeaderField(name: name, rawValue: raw, range: fStart..<fEnd))
            fStart = -1
            if hb.fields.count > limits.maxHeaderFields {
                throw .tooManyHeaderFields(limit: limits.maxHeaderFields)
            }
        }

        if isRoot, end - i >= 5, buf[i] == 0x46, buf[i + 1] == 0x72, buf[i + 2] == 0x6F,
           buf[i + 3] == 0x6D, buf[i + 4] == SP {   // "From "
            let nl = nextLF(i, end)
            i = nl < end ? nl + 1 : end
            hb.defects.append(MIMEDefect(code: MIMEDefectCode.mboxFromLine,
                                         description: "leading mbox \"From \" line skipped"))
        }

        var terminated = false
        while i < end {
            let nl = nextLF(i, end)
            let next = nl < end ? nl + 1 : end
            var contentEnd = nl
            if contentEnd > i && buf[contentEnd - 1] == CR {
                contentEnd -= 1
            } else if nl < end {
                sawBareLF = true
            }
            if contentEnd == i {
                // The blank line that ends the header block.
                try finishField()
                hb.headerEnd = i
                hb.bodyStart = next
                terminated = true
                break
            }
            let c = buf[i]
            // Only lines that turn out to be header lines count toward the limit.
            let tooLarge = next - start > limits.maxHeaderBytes
            if c == SP || c == HT {
                if fStart >= 0 {
                    if tooLarge { throw .headerTooLarge(limit: limits.maxHeaderBytes) }
                    fContentEnd = contentEnd
                    fEnd = next
                    i = next
                    continue
                }
            } else if let colon = nextByte(COLON, i, contentEnd), isFieldName(i, trimNameEnd(i, colon)) {
                if tooLarge { throw .headerTooLarge(limit: limits.maxHeaderBytes) }
                try finishField()
                fStart = i; fColon = colon; fContentEnd = contentEnd; fEnd = next
                i = next
                continue
            }
            // Not a field and not a continuation: the body starts here.
            try finishField()
            hb.headerEnd = i
            hb.bodyStart = i
            terminated = true
            hb.defects.append(MIMEDefect(code: MIMEDefectCode.missingHeaderBodySeparator,
                                         description: "line \(i - start) bytes into the header block is not a header field; the body starts there"))
            break
        }
        if !terminated {
            try finishField()
            hb.headerEnd = end
            hb.bodyStart = end
        }
        if sawBareLF {
            hb.defects.append(MIMEDefect(code: MIMEDefectCode.bareLF,
                                         description: "header lines end in LF without CR"))
        }
        if badEncodedWord {
            hb.defects.append(MIMEDefect(code: MIMEDefectCode.badEncodedWord,
                                         description: "a header field holds a malformed RFC 2047 encoded word"))
        }
        return hb
    }

    /// End of the field name before the colon, without obsolete whitespace.
    @inline(__always) func trimNameEnd(_ s: Int, _ colon: Int) -> Int {
        var e = colon
        while e > s && (buf[e - 1] == SP || buf[e - 1] == HT) { e -= 1 }
        return e
    }

    /// RFC 5322 ftext: printable ASCII except colon, at least one byte.
    func isFieldName(_ s: Int, _ e: Int) -> Bool {
        guard e > s else { return false }
        for k in s..<e {
            let b = buf[k]
            if b < 33 || b > 126 { return false }
        }
        return true
    }

    // MARK: Multipart

    struct Split {
        var parts: [Range<Int>] = []
        var preamble: Range<Int>?
        var epilogue: Range<Int>?
    }

    /// Splits a multipart body at RFC 2046 delimiter lines. One pass, so
    /// the work is linear in the body size.
    func splitMultipart(body: Range<Int>, boundary: [UInt8]) throws(MIMEError) -> Split {
        var split = Split()
        let end = body.upperBound
        var lineStart = body.lowerBound
        var partStart: Int?     // nil while still in the preamble

        while lineStart < end {
            let nl = nextLF(lineStart, end)
            let next = nl < end ? nl + 1 : end
            if let isClose = delimiter(at: lineStart, lineEnd: nl, boundary: boundary) {
                let regionStart = partStart ?? body.lowerBound
                // The line end before the delimiter belongs to the delimiter.
                var contentEnd = lineStart
                if contentEnd > regionStart && buf[contentEnd - 1] == LF {
                    contentEnd -= 1
                    if contentEnd > regionStart && buf[contentEnd - 1] == CR { contentEnd -= 1 }
                }
                if let ps = partStart {
                    split.parts.append(ps..<contentEnd)
                    if partCount + split.parts.count > limits.maxParts {
                        throw .tooManyParts(limit: limits.maxParts)
                    }
                } else {
                    split.preamble = body.lowerBound..<contentEnd
                }
                if isClose {
                    split.epilogue = next..<end
                    return split
                }
                partStart = next
            }
            lineStart = next
        }
        if let ps = partStart {
            split.parts.append(ps..<end)
        } else {
            split.preamble = body
        }
        return split
    }

    /// nil when the line [s, lineEnd) is not a delimiter for `boundary`;
    /// otherwise whether it is the close delimiter. Only transport padding
    /// (spaces, tabs) may follow; anything else means it is not a delimiter.
    @inline(__always) func delimiter(at s: Int, lineEnd: Int, boundary: [UInt8]) -> Bool? {
        let n = boundary.count
        guard lineEnd - s >= n + 2, buf[s] == DASH, buf[s + 1] == DASH else { return nil }
        var k = s + 2
        for b in boundary {
            if buf[k] != b { return nil }
            k += 1
        }
        var isClose = false
        if k + 1 < lineEnd && buf[k] == DASH && buf[k + 1] == DASH {
            isClose = true
            k += 2
        }
        while k < lineEnd {
            let b = buf[k]
            if b != SP && b != HT && !(b == CR && k == lineEnd - 1) { return nil }
            k += 1
        }
        return isClose
    }
}
