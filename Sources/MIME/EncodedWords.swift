// RFC 2047 encoded words in header text.

/// Decoding of RFC 2047 encoded words ("=?charset?B?...?=").
public enum EncodedWords {
    /// Replaces every well-formed encoded word by its text. Whitespace
    /// between adjacent encoded words is dropped (RFC 2047 6.2); words in the
    /// same charset are joined before charset conversion, so a character
    /// split across two words survives. Malformed words stay as they are.
    public static func decode(_ s: String) -> String {
        let b = Array(s.utf8)
        guard b.count >= 8, hasWordStart(b[...]) else { return s }
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var runCharset: String?
        var runBytes: [UInt8] = []
        var literalStart = 0
        var lastWasWord = false
        var i = 0

        func flushRun() {
            if let cs = runCharset {
                out.append(contentsOf: Charset.decode(runBytes, charset: cs).utf8)
            }
            runCharset = nil
            runBytes.removeAll(keepingCapacity: true)
        }

        while i + 1 < b.count {
            guard b[i] == 0x3D, b[i + 1] == 0x3F, let w = parseWord(b, at: i) else {
                i += 1
                continue
            }
            let between = b[literalStart..<i]
            let onlyWhitespace = between.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
            if !(lastWasWord && onlyWhitespace) {
                flushRun()
                out.append(contentsOf: between)
            }
            if let cs = runCharset, cs != w.charset { flushRun() }
            runCharset = w.charset
            runBytes.append(contentsOf: w.bytes)
            i = w.end
            literalStart = i
            lastWasWord = true
        }
        flushRun()
        out.append(contentsOf: b[literalStart...])
        // Pieces are valid UTF-8: input literals came from a String and
        // decoded words from Charset.decode.
        return String(decoding: out, as: UTF8.self)
    }

    /// True when `raw` holds something that starts like an encoded word
    /// and ends like one but does not decode.
    static func containsMalformed(_ raw: [UInt8]) -> Bool {
        guard hasWordStart(raw[...]) else { return false }
        var i = 0
        while i + 1 < raw.count {
            if raw[i] == 0x3D, raw[i + 1] == 0x3F {
                if let w = parseWord(raw, at: i) {
                    i = w.end
                    continue
                }
                var k = i + 2
                while k + 1 < raw.count, !isSpaceByte(raw[k]) {
                    if raw[k] == 0x3F, raw[k + 1] == 0x3D { return true }
                    k += 1
                }
            }
            i += 1
        }
        return false
    }

    private static func hasWordStart(_ b: ArraySlice<UInt8>) -> Bool {
        var prev: UInt8 = 0
        for c in b {
            if prev == 0x3D && c == 0x3F { return true }
            prev = c
        }
        return false
    }

    @inline(__always) private static func isSpaceByte(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A
    }

    struct Word {
        var charset: String
        var bytes: [UInt8]
        var end: Int
    }

    /// Parses "=?charset[*lang]?E?text?=" starting at `i`, nil if malformed.
    static func parseWord(_ b: [UInt8], at i: Int) -> Word? {
        let n = b.count
        var k = i + 2
        let csStart = k
        while k < n, b[k] != 0x3F {
            if isSpaceByte(b[k]) || k - csStart > 64 { return nil }
            k += 1
        }
        guard k < n, k > csStart else { return nil }
        var csBytes = b[csStart..<k]
        if let star = csBytes.firstIndex(of: 0x2A) { csBytes = b[csStart..<star] }   // RFC 2231 language
        guard !csBytes.isEmpty else { return nil }
        k += 1
        guard k + 1 < n, b[k + 1] == 0x3F else { return nil }
        let enc = lowerASCII(b[k])
        guard enc == 0x62 || enc == 0x71 else { return nil }   // b, q
        k += 2
        let textStart = k
        while k + 1 < n, !(b[k] == 0x3F && b[k + 1] == 0x3D) {
            if isSpaceByte(b[k]) { return nil }
            k += 1
        }
        guard k + 1 < n else { return nil }
        let text = b[textStart..<k]
        let decoded: [UInt8]
        if enc == 0x62 {
            // Only the base64 alphabet may appear; anything else is a broken word.
            for c in text where !(isBase64Char(c) || c == 0x3D) { return nil }
            decoded = TransferEncoding.decodeBase64(text)
        } else {
            decoded = decodeQ(text)
        }
        let charset = String(decoding: csBytes, as: UTF8.self).lowercased()
        return Word(charset: charset, bytes: decoded, end: k + 2)
    }

    private static func isBase64Char(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
    }

    /// RFC 2047 4.2: "_" is a space, "=XX" a byte; a stray "=" is kept.
    static func decodeQ(_ t: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(t.count)
        var i = t.startIndex
        while i < t.endIndex {
            let c = t[i]
            if c == 0x5F {
                out.append(0x20)
            } else if c == 0x3D, i + 2 < t.endIndex, let h = hexValue(t[i + 1]), let l = hexValue(t[i + 2]) {
                out.append(h << 4 | l)
                i += 3
                continue
            } else {
                out.append(c)
            }
            i += 1
        }
        return out
    }
}

@inline(__always) func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 0x30...0x39: return c - 0x30
    case 0x41...0x46: return c - 0x41 + 10
    case 0x61...0x66: return c - 0x61 + 10
    default: return nil
    }
}
