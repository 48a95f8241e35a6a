// Charset conversion to String. The common single-byte charsets and UTF-16
// are done here; everything else goes through iconv, which glibc ships with
// converters for the CJK and Cyrillic charsets mail uses.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum Charset {
    /// Converts `bytes` from `charset` (a MIME charset name, any case,
    /// quotes tolerated). An unknown or missing charset, or a failed
    /// conversion, gives UTF-8 with a Latin-1 fallback; never traps.
    public static func decode(_ bytes: [UInt8], charset: String?) -> String {
        if bytes.isEmpty { return "" }
        let name = normalize(charset)
        switch name {
        case "", "us-ascii", "unknown-8bit", "x-unknown", "default", "default_charset", "x-user-defined":
            return utf8OrLatin1(bytes[...])
        case "utf-8":
            return String(decoding: bytes, as: UTF8.self)
        case "iso-8859-1":
            return latin1(bytes[...])
        case "windows-1252":
            return windows1252(bytes)
        case "utf-16", "utf-16le", "utf-16be":
            return utf16(bytes, name: name)
        default:
            if let iconvName = iconvName(for: name), let s = iconvDecode(bytes, from: iconvName) {
                return s
            }
            return utf8OrLatin1(bytes[...])
        }
    }

    /// Canonical lowercase name for the charsets handled here.
    static func normalize(_ charset: String?) -> String {
        guard var n = charset?.trimmingWhitespace().trimmingQuotes().lowercased() else { return "" }
        n = n.trimmingWhitespace()
        // "iso8859-15", "iso_8859-15:1998" -> "iso-8859-15"
        if n.hasPrefix("iso8859") || n.hasPrefix("iso_8859") {
            n = "iso-8859" + n.dropFirst(n.hasPrefix("iso8859") ? 7 : 8)
        }
        if let colon = n.firstIndex(of: ":") { n = String(n[..<colon]) }
        if n.hasPrefix("iso-8859_") { n = "iso-8859-" + n.dropFirst(9) }
        switch n {
        case "ascii", "ansi_x3.4-1968", "us", "646", "iso646-us", "csascii": return "us-ascii"
        case "utf8", "unicode-1-1-utf-8", "x-unicode20utf8": return "utf-8"
        case "latin1", "latin-1", "l1", "iso-8859-1", "iso-ir-100", "cp819", "ibm819": return "iso-8859-1"
        case "cp1252", "x-cp1252", "windows1252", "cp-1252": return "windows-1252"
        case "utf16", "ucs-2": return "utf-16"
        default: return n
        }
    }

    static func iconvName(for n: String) -> String? {
        let name: String
        switch n {
        case "gb2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "euc-cn", "csgb2312", "gb18030", "chinese":
            name = "GB18030"   // a superset of both, and what senders really mean
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932":
            name = "CP932"     // Windows' superset; maps 0x5C to backslash as mailers expect
        case "euc-jp", "x-euc-jp", "eucjp":
            name = "EUC-JP"
        case "iso-2022-jp", "csiso2022jp", "iso-2022-jp-2":
            name = "ISO-2022-JP-2"   // superset of iso-2022-jp
        case "big5", "big-5", "cn-big5", "x-x-big5", "csbig5":
            name = "BIG5"
        case "ks_c_5601-1987", "ks_c_5601", "euc-kr", "korean", "cp949", "ks_c_5601-1989":
            name = "CP949"
        case "iso-8859-8-i", "iso-8859-8-e":
            name = "ISO-8859-8"
        case "x-mac-roman", "macintosh", "mac", "macroman":
            name = "MACINTOSH"
        case "unicode-1-1-utf-7", "utf-7", "x-utf-7":
            name = "UTF-7"
        case "tis-620", "windows-874", "cp874":
            name = "CP874"
        default:
            if n.hasPrefix("windows-"), n.count == 12 {
                name = "CP" + n.dropFirst(8)
            } else {
                name = n.uppercased()
            }
        }
        // Only plain names reach iconv.
        guard !name.isEmpty, name.count <= 40,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == ".") })
        else { return nil }
        return name
    }

    /// UTF-8 when valid, else each byte as its Latin-1 character.
    public static func utf8OrLatin1(_ b: ArraySlice<UInt8>) -> String {
        if isValidUTF8(b) { return String(decoding: b, as: UTF8.self) }
        return latin1(b)
    }

    static func isValidUTF8(_ b: ArraySlice<UInt8>) -> Bool {
        // Fast path: plain ASCII.
        if !b.contains(where: { $0 >= 0x80 }) { return true }
        var it = b.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&it) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    static func latin1(_ b: ArraySlice<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        s.reserveCapacity(b.count)
        for c in b { s.append(Unicode.Scalar(c)) }
        return String(s)
    }

    /// 0x80...0x9F of windows-1252; 0 marks the five unassigned positions.
    private static let cp1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    static func windows1252(_ b: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        s.reserveCapacity(b.count)
        for c in b {
            if c >= 0x80 && c <= 0x9F {
                let v = cp1252High[Int(c - 0x80)]
                // Unassigned bytes map to the C1 control of the same value, as browsers do.
                s.append(Unicode.Scalar(v == 0 ? UInt16(c) : v) ?? "\u{FFFD}")
            } else {
                s.append(Unicode.Scalar(c))
            }
        }
        return String(s)
    }

    static func utf16(_ b: [UInt8], name: String) -> String {
        var bigEndian = name != "utf-16le"
        var start = 0
        if b.count >= 2 {
            if b[0] == 0xFE && b[1] == 0xFF { bigEndian = true; start = 2 }
            else if b[0] == 0xFF && b[1] == 0xFE { bigEndian = false; start = 2 }
        }
        var units = [UInt16]()
        units.reserveCapacity(b.count / 2)
        var i = start
        while i + 1 < b.count {
            units.append(bigEndian ? UInt16(b[i]) << 8 | UInt16(b[i + 1]) : UInt16(b[i + 1]) << 8 | UInt16(b[i]))
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Converts with iconv; undecodable bytes become U+FFFD. nil when iconv
    /// does not know the charset.
    static func iconvDecode(_ bytes: [UInt8], from name: String) -> String? {
        let cd = iconv_open("UTF-8", name)
        guard let cd, Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        var input = bytes
        var chunk = [UInt8](repeating: 0, count: 8192)
        input.withUnsafeMutableBufferPointer { inBuf in
            guard let inBase = inBuf.baseAddress else { return }
            var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBase).assumingMemoryBound(to: CChar.self)
            var inLeft = inBuf.count
            chunk.withUnsafeMutableBufferPointer { outBuf in
                guard let outBase = outBuf.baseAddress else { return }
                while inLeft > 0 {
                    var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBase).assumingMemoryBound(to: CChar.self)
                    var outLeft = outBuf.count
                    let r = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                    let err = errno
                    out.append(contentsOf: outBuf[0..<(outBuf.count - outLeft)])
                    if r >= 0 { continue }   // size_t comes in as Int; (size_t)-1 is -1
                    if err == E2BIG { continue }
                    // EILSEQ or EINVAL (truncated sequence): replace one byte and go on.
                    out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                    if inLeft > 0, let p = inPtr {
                        inPtr = p + 1
                        inLeft -= 1
                    } else {
                        break
                    }
                }
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
