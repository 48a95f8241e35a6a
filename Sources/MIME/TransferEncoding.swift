// RFC 2045 content transfer encodings. Decoders are tolerant because real
// mail is: they skip what they do not understand instead of failing.

public enum TransferEncoding {
    private static let base64Alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// 0...63 for alphabet bytes, 0xFE for "=", 0xFF for everything else.
    private static let base64Values: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in base64Alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        t[0x3D] = 0xFE
        // URL-safe letters show up in broken mailers; accept them too.
        t[0x2D] = 62
        t[0x5F] = 63
        return t
    }()

    /// Decodes base64, ignoring whitespace and garbage. "=" ends a quantum,
    /// so concatenated encodings decode; a truncated tail yields what it can.
    public static func decodeBase64(_ b: ArraySlice<UInt8>) -> [UInt8] {
        // Writes through a pointer into a buffer of the largest possible size:
        // Array.append's capacity check per byte cost more than the decoding.
        let capacity = b.count / 4 * 3 + 3
        return [UInt8](unsafeUninitializedCapacity: capacity) { out, count in
            var o = 0
            var acc: UInt32 = 0
            var n = 0
            func flush() {
                // 2 symbols carry 1 byte, 3 carry 2; a lone symbol carries nothing.
                if n == 2 {
                    out[o] = UInt8(truncatingIfNeeded: acc >> 4); o += 1
                } else if n == 3 {
                    out[o] = UInt8(truncatingIfNeeded: acc >> 10)
                    out[o + 1] = UInt8(truncatingIfNeeded: acc >> 2)
                    o += 2
                }
                acc = 0
                n = 0
            }
            base64Values.withUnsafeBufferPointer { table in
                b.withUnsafeBufferPointer { input in
                    let end = input.count
                    var i = 0
                    while i < end {
                        // Four symbols on a quantum boundary: the usual case, done at once
                        // (a value of 64 or more, "=" or garbage, sets a bit the OR keeps).
                        if n == 0 && i + 4 <= end {
                            let v0 = table[Int(input[i])], v1 = table[Int(input[i + 1])]
                            let v2 = table[Int(input[i + 2])], v3 = table[Int(input[i + 3])]
                            if (v0 | v1 | v2 | v3) < 64 {
                                let q = UInt32(v0) << 18 | UInt32(v1) << 12 | UInt32(v2) << 6 | UInt32(v3)
                                out[o] = UInt8(truncatingIfNeeded: q >> 16)
                                out[o + 1] = UInt8(truncatingIfNeeded: q >> 8)
                                out[o + 2] = UInt8(truncatingIfNeeded: q)
                                o += 3
                                i += 4
                                continue
                            }
                        }
                        let v = table[Int(input[i])]
                        i += 1
                        if v < 64 {
                            acc = acc << 6 | UInt32(v)
                            n += 1
                            if n == 4 {
                                out[o] = UInt8(truncatingIfNeeded: acc >> 16)
                                out[o + 1] = UInt8(truncatingIfNeeded: acc >> 8)
                                out[o + 2] = UInt8(truncatingIfNeeded: acc)
                                o += 3
                                acc = 0
                                n = 0
                            }
                        } else if v == 0xFE && n > 0 {
                            flush()
                        }
                    }
                }
            }
            flush()
            count = o
        }
    }

    /// Decodes quoted-printable: "=XX" (either case), soft line breaks
    /// ("=" then optional whitespace then a line end), trailing whitespace on
    /// a line removed (RFC 2045 6.7), a stray "=" kept literally. Line ends
    /// are kept as they were.
    public static func decodeQuotedPrintable(_ b: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var keep = 0   // output length without this line's literal trailing whitespace
        var i = b.startIndex
        let end = b.endIndex
        while i < end {
            let c = b[i]
            switch c {
            case 0x3D:
                if i + 2 < end, let h = hexValue(b[i + 1]), let l = hexValue(b[i + 2]) {
                    out.append(h << 4 | l)
                    keep = out.count
                    i += 3
                    continue
                }
                // Soft line break, allowing whitespace before the line end;
                // an "=" at the very end is a soft break into nothing.
                var k = i + 1
                while k < end, b[k] == 0x20 || b[k] == 0x09 { k += 1 }
                if k == end {
                    i = end
                    continue
                }
                if b[k] == 0x0A {
                    i = k + 1
                    continue
                }
                if k + 1 < end, b[k] == 0x0D, b[k + 1] == 0x0A {
                    i = k + 2
                    continue
                }
                out.append(c)
                keep = out.count
            case 0x20, 0x09:
                out.append(c)
            case 0x0D where i + 1 < end && b[i + 1] == 0x0A:
                out.removeSubrange(keep..<out.count)
                out.append(0x0D)
                out.append(0x0A)
                keep = out.count
                i += 2
                continue
            case 0x0A:
                out.removeSubrange(keep..<out.count)
                out.append(0x0A)
                keep = out.count
            default:
                out.append(c)
                keep = out.count
            }
            i += 1
        }
        return out
    }

    /// Base64 in lines of `lineLength` characters, each ended by CRLF.
    /// A `lineLength` of 0 or less gives one line without a line end.
    public static func encodeBase64(_ b: [UInt8], lineLength: Int = 76) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(b.count / 3 * 4 + b.count / 57 * 2 + 8)
        var col = 0
        func put(_ c: UInt8) {
            out.append(c)
            if lineLength > 0 {
                col += 1
                if col == lineLength {
                    out.append(0x0D); out.append(0x0A)
                    col = 0
                }
            }
        }
        let a = base64Alphabet
        var i = 0
        while i + 2 < b.count {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
            put(a[Int(v >> 18 & 63)]); put(a[Int(v >> 12 & 63)])
            put(a[Int(v >> 6 & 63)]); put(a[Int(v & 63)])
            i += 3
        }
        let rest = b.count - i
        if rest == 1 {
            let v = UInt32(b[i]) << 16
            put(a[Int(v >> 18 & 63)]); put(a[Int(v >> 12 & 63)]); put(0x3D); put(0x3D)
        } else if rest == 2 {
            let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8
            put(a[Int(v >> 18 & 63)]); put(a[Int(v >> 12 & 63)]); put(a[Int(v >> 6 & 63)]); put(0x3D)
        }
        if lineLength > 0 && col > 0 { out.append(0x0D); out.append(0x0A) }
        return out
    }

    /// Quoted-printable with CRLF line ends (LF or CR alone in the input count
    /// as line ends), lines of at most 76 characters, and "From " and "." at
    /// a line start protected so the result survives mbox and SMTP unchanged.
    public static func encodeQuotedPrintable(_ b: [UInt8]) -> [UInt8] {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(b.count + b.count / 8)
        var line = [UInt8]()   // encoded current line

        func emit(_ piece: [UInt8]) {
            // Keep room for a soft break "=" within 76 characters.
            if line.count + piece.count > 75 {
                out.append(contentsOf: line)
                out.append(contentsOf: [0x3D, 0x0D, 0x0A])
                line.removeAll(keepingCapacity: true)
            }
            line.append(contentsOf: piece)
        }
        func escaped(_ c: UInt8) -> [UInt8] { [0x3D, hex[Int(c >> 4)], hex[Int(c & 15)]] }
        func endLine() {
            out.append(contentsOf: line)
            out.append(0x0D); out.append(0x0A)
            line.removeAll(keepingCapacity: true)
        }

        var i = 0
        var atLineStart = true
        while i < b.count {
            let c = b[i]
            if c == 0x0D || c == 0x0A {
                endLine()
                i += (c == 0x0D && i + 1 < b.count && b[i + 1] == 0x0A) ? 2 : 1
                atLineStart = true
                continue
            }
            let nextIsLineEnd = i + 1 >= b.count || b[i + 1] == 0x0D || b[i + 1] == 0x0A
            var piece: [UInt8]
            if c == 0x20 || c == 0x09 {
                piece = nextIsLineEnd ? escaped(c) : [c]
            } else if c == 0x3D || c < 0x20 || c > 0x7E {
                piece = escaped(c)
            } else if atLineStart && (c == 0x2E ||
                       (c == 0x46 && i + 4 < b.count && b[(i + 1)...(i + 4)].elementsEqual([0x72, 0x6F, 0x6D, 0x20]))) {
                piece = escaped(c)
            } else {
                piece = [c]
            }
            emit(piece)
            atLineStart = false
            i += 1
        }
        out.append(contentsOf: line)
        return out
    }
}

/// S/MIME canonical line ends.
public enum Canonical {
    /// Every bare LF and bare CR becomes CRLF; existing CRLF pairs are kept
    /// (RFC 8551 3.1.1).
    public static func crlf(_ b: ArraySlice<UInt8>) -> [UInt8] {
        b.withUnsafeBufferPointer { input in
            // Count the line ends to rewrite first: signed mail is usually CRLF
            // already, and then this is one scan and one copy.
            var added = 0
            var i = 0
            while i < input.count {
                let c = input[i]
                if c == 0x0D {
                    if i + 1 < input.count && input[i + 1] == 0x0A { i += 1 } else { added += 1 }
                } else if c == 0x0A {
                    added += 1
                }
                i += 1
            }
            if added == 0 { return Array(input) }
            return [UInt8](unsafeUninitializedCapacity: input.count + added) { out, count in
                var o = 0
                var i = 0
                while i < input.count {
                    let c = input[i]
                    if c == 0x0D || c == 0x0A {
                        out[o] = 0x0D
                        out[o + 1] = 0x0A
                        o += 2
                        if c == 0x0D && i + 1 < input.count && input[i + 1] == 0x0A { i += 1 }
                    } else {
                        out[o] = c
                        o += 1
                    }
                    i += 1
                }
                count = o
            }
        }
    }

    /// Every CRLF pair becomes a bare LF (the inverse of `crlf` on its output).
    public static func bareLF(_ b: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            if b[i] == 0x0D, i + 1 < b.count, b[i + 1] == 0x0A { i += 1; continue }
            out.append(b[i])
            i += 1
        }
        return out
    }
}
