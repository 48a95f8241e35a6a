// RFC 3339 5.6 times, read strictly: the one parser for every time smimekit is
// given (--at, --received-at, query --before/--after, the filter JSON's
// UTCDate "before"/"after", Email/set sentAt). A time without a zone is not a
// time (whose noon?), so it is refused rather than guessed.
import Foundation
import MIME

public enum RFC3339 {
    /// A date-time as written: its fields, its offset, and the instant they name.
    public struct DateTime: Sendable, Equatable {
        public var year: Int, month: Int, day: Int
        public var hour: Int, minute: Int, second: Int
        /// The fraction of a second, 0 ..< 1.
        public var fraction: Double
        /// Minutes east of UTC (0 for Z and for -00:00).
        public var offsetMinutes: Int
        /// Z (or z) was written, not a numeric offset.
        public var isUTC: Bool

        /// The instant. A leap second (:60) is read as :59, as POSIX time has no place for it.
        public var date: Date {
            let days = CivilDate.daysFromCivil(year, month, day)
            let seconds = days * 86_400 + hour * 3600 + minute * 60 + min(second, 59) - offsetMinutes * 60
            return Date(timeIntervalSince1970: Double(seconds) + fraction)
        }
    }

    /// Why a string is not an RFC 3339 time, in words that say what to write instead.
    public enum Problem: Error, Sendable, Equatable {
        /// Date and time, but no Z or offset.
        case noZone
        /// A zone that is not Z (where only a UTCDate is accepted).
        case notUTC
        /// A bare date where a date-time is needed.
        case dateOnly
        case malformed
    }

    /// `yyyy-mm-ddThh:mm:ss[.frac](Z|±hh:mm)`, every field in range (days checked
    /// against the month, leap years included).
    public static func dateTime(_ s: String) -> Result<DateTime, Problem> {
        let b = Array(s.utf8)
        guard let (y, mo, d) = fullDate(b) else { return .failure(.malformed) }
        guard b.count > 10 else { return .failure(.dateOnly) }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t"), b.count >= 19,
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let h = number(b, 11..<13), let mi = number(b, 14..<16), let se = number(b, 17..<19),
              h < 24, mi < 60, se <= 60 else { return .failure(.malformed) }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            let start = i
            i += 1
            while i < b.count, isDigit(b[i]) { i += 1 }
            guard i > start + 1 else { return .failure(.malformed) }
            fraction = Double("0" + String(decoding: b[start..<i], as: UTF8.self)) ?? 0
            if fraction >= 1 { fraction = 0.999_999 }
        }
        guard i < b.count else { return .failure(.noZone) }
        var t = DateTime(year: y, month: mo, day: d, hour: h, minute: mi, second: se, fraction: fraction,
                         offsetMinutes: 0, isUTC: false)
        switch b[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == b.count else { return .failure(.malformed) }
            t.isUTC = true
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard b.count == i + 6, b[i + 3] == UInt8(ascii: ":"),
                  let oh = number(b, i + 1..<i + 3), let om = number(b, i + 4..<i + 6), oh < 24, om < 60 else {
                return .failure(.malformed)
            }
            t.offsetMinutes = (oh * 60 + om) * (b[i] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return .failure(.malformed)
        }
        return .success(t)
    }

    /// A time given on the command line: a date-time with a zone, or a bare
    /// full-date meaning 00:00:00Z of that day.
    public static func commandLineTime(_ s: String) -> Result<Date, Problem> {
        let b = Array(s.utf8)
        if b.count == 10, let (y, mo, d) = fullDate(b) {
            return .success(Date(timeIntervalSince1970: Double(CivilDate.daysFromCivil(y, mo, d) * 86_400)))
        }
        return dateTime(s).map(\.date)
    }

    /// RFC 8620 1.4 UTCDate: a date-time whose offset is Z. Fractional seconds
    /// are accepted (a server should not write them, a client may).
    public static func utcDate(_ s: String) -> Result<Date, Problem> {
        switch dateTime(s) {
        case .failure(let p): return .failure(p)
        case .success(let t): return t.isUTC ? .success(t.date) : .failure(.notUTC)
        }
    }

    /// The message for a command-line option given `value`, naming the option and an example.
    public static func commandLineMessage(option: String, value: String) -> String {
        let example = "such as 2026-03-01T12:00:00Z, 2026-03-01T13:00:00+01:00 or 2026-03-01 (midnight UTC)"
        if case .failure(.noZone) = dateTime(value) {
            return "\(option) takes an RFC 3339 time with a zone, \(example); '\(value)' has no zone: add Z for UTC or an offset such as +01:00"
        }
        return "\(option) takes an RFC 3339 time with a zone, \(example), not '\(value)'"
    }

    // MARK: Pieces

    static func fullDate(_ b: [UInt8]) -> (Int, Int, Int)? {
        guard b.count >= 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y = number(b, 0..<4), let mo = number(b, 5..<7), let d = number(b, 8..<10),
              (1...12).contains(mo), d >= 1, d <= CivilDate.daysIn(month: mo, year: y) else { return nil }
        return (y, mo, d)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static func number(_ b: [UInt8], _ r: Range<Int>) -> Int? {
        guard r.upperBound <= b.count else { return nil }
        var v = 0
        for i in r {
            guard isDigit(b[i]) else { return nil }
            v = v * 10 + Int(b[i] - 0x30)
        }
        return v
    }
}
