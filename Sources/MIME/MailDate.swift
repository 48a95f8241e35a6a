// RFC 5322 3.3 date-time, read loosely: the field order and spelling of
// real mail varies (asctime order, full month names, named zones, comments).

import Foundation

public enum MailDate {
    /// The instant named by `s`, or nil when no day, month and year can be found.
    public static func parse(_ s: String) -> Date? {
        var s = s
        // On bytes: every message of a run has its Received and Date headers read,
        // and String's Character-by-Character view made this a visible cost.
        return s.withUTF8 { parse(bytes: $0) }
    }

    typealias Token = UnsafeBufferPointer<UInt8>

    static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        // Drop comments, then split on whitespace and commas; only the first 32 tokens count.
        var cleaned = [UInt8]()
        cleaned.reserveCapacity(bytes.count)
        var depth = 0
        for c in bytes {
            if c == UInt8(ascii: "(") { depth += 1; continue }
            if c == UInt8(ascii: ")") { if depth > 0 { depth -= 1 }; continue }
            if depth == 0 { cleaned.append(c == UInt8(ascii: ",") ? 0x20 : c) }
        }
        return cleaned.withUnsafeBufferPointer { text -> Date? in
            var tokens: [Range<Int>] = []
            var i = 0
            while i < text.count && tokens.count < 32 {
                while i < text.count && isSpace(text[i]) { i += 1 }
                let start = i
                while i < text.count && !isSpace(text[i]) { i += 1 }
                if i > start { tokens.append(start..<i) }
            }
            return interpret(tokens.map { Token(rebasing: text[$0]) })
        }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

    private static func interpret(_ tokens: [Token]) -> Date? {
        var day: Int?, month: Int?, year: Int?
        var hour = 0, minute = 0, second = 0
        var haveTime = false
        var offset = 0   // seconds east of UTC

        for raw in tokens {
            var t = raw
            if !haveTime && t.contains(UInt8(ascii: ":")) {
                // "14:38:03", possibly with a zone glued on ("14:38:03+0100").
                var zonePart: Token?
                if let z = t.firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
                    zonePart = Token(rebasing: t[z...])
                    t = Token(rebasing: t[..<z])
                }
                let parts = t.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
                guard parts.count >= 2, parts.count <= 3,
                      let h = smallInt(parts[0]), let m = smallInt(parts[1]) else { continue }
                var sec = 0
                if parts.count == 3 {
                    // Fractions of a second are dropped.
                    guard let sv = smallInt(parts[2].split(separator: UInt8(ascii: ".")).first ?? []) else { continue }
                    sec = sv
                }
                guard h < 24, m < 60, sec <= 60 else { return nil }
                hour = h; minute = m; second = min(sec, 59)
                haveTime = true
                if let z = zonePart, let o = numericZone(z) { offset = o }
                continue
            }
            if let first = t.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-"), let o = numericZone(t) {
                offset = o
                continue
            }
            if let n = smallInt(t) {
                if day == nil && t.count <= 2 && n >= 1 && n <= 31 {
                    day = n
                } else if year == nil {
                    switch t.count {
                    case 1, 2: year = n < 50 ? 2000 + n : 1900 + n   // RFC 5322 4.3
                    case 3: year = 1900 + n
                    default: year = n
                    }
                }
                continue
            }
            // Month and zone names are ASCII; anything else matches neither.
            guard t.allSatisfy({ $0 < 0x80 }) else { continue }
            let lower = t.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            if month == nil, lower.count >= 3, let m = monthNumber(lower[0..<3]) {
                let trimmed = trimDots(lower)
                if lower.count == 3 || monthNames[m - 1].utf8.starts(with: trimmed) {
                    month = m
                    continue
                }
            }
            if let o = namedZones[String(decoding: lower, as: UTF8.self)] { offset = o * 3600 }
        }

        guard let d = day, let m = month, let y = year, y >= 1, y <= 9999 else { return nil }
        guard d <= CivilDate.daysIn(month: m, year: y) else { return nil }
        let days = CivilDate.daysFromCivil(y, m, d)
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: TimeInterval(secs))
    }

    private static let monthNames = ["january", "february", "march", "april", "may", "june", "july",
                                     "august", "september", "october", "november", "december"]

    private static func monthNumber(_ abbr: ArraySlice<UInt8>) -> Int? {
        monthNames.firstIndex(where: { $0.utf8.starts(with: abbr) }).map { $0 + 1 }
    }

    private static func trimDots(_ b: [UInt8]) -> ArraySlice<UInt8> {
        var lo = b.startIndex, hi = b.endIndex
        while lo < hi && b[lo] == UInt8(ascii: ".") { lo += 1 }
        while hi > lo && b[hi - 1] == UInt8(ascii: ".") { hi -= 1 }
        return b[lo..<hi]
    }

    /// RFC 5322 4.3 obsolete zones; military letters mean nothing reliable
    /// (RFC 1123 got their sign wrong), so they count as UTC.
    private static let namedZones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0,
        "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6, "pst": -8, "pdt": -7,
        "cet": 1, "cest": 2, "bst": 1, "met": 1, "mest": 2, "eet": 2, "eest": 3, "jst": 9,
    ]

    /// "+hhmm" / "-hhmm" (also "+hh:mm") to seconds east of UTC.
    private static func numericZone(_ t: some Collection<UInt8>) -> Int? {
        guard let sign = t.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") else { return nil }
        let digits = t.dropFirst().filter { $0 != UInt8(ascii: ":") }
        guard digits.count == 4, let v = smallInt(digits) else { return nil }
        let h = v / 100, m = v % 100
        guard h <= 23, m <= 59 else { return nil }
        let o = h * 3600 + m * 60
        return sign == UInt8(ascii: "-") ? -o : o
    }

    /// Decimal digits only, at most 9 of them (no overflow).
    private static func smallInt(_ t: some Collection<UInt8>) -> Int? {
        guard !t.isEmpty, t.count <= 9 else { return nil }
        var n = 0
        for u in t {
            guard u >= 0x30 && u <= 0x39 else { return nil }
            n = n * 10 + Int(u - 0x30)
        }
        return n
    }
}

/// Proleptic Gregorian calendar arithmetic, shared by every date reader
/// (RFC 5322 here, RFC 3339 in JMAP).
public enum CivilDate {
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
