// A JSON value with ordered object keys: JMAP responses read better, and
// transcripts diff cleanly, when keys come out in the order we put them in.
import Foundation
import MIME

public enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSON? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var numberValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [(String, JSON)]? { if case .object(let o) = self { return o } else { return nil } }

    public static func strings(_ a: [String]?) -> JSON {
        guard let a else { return .null }
        return .array(a.map { .string($0) })
    }

    public static func optional(_ s: String?) -> JSON { s.map { .string($0) } ?? .null }

    /// Compact serialisation (one line), with "/" left unescaped.
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    public func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            if n.isFinite, n == n.rounded(), abs(n) < 1e15 { out += String(Int64(n)) } else if n.isFinite { out += String(n) } else { out += "null" }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { out += "," }
                JSON.writeString(k, to: &out)
                out += ":"
                v.write(to: &out)
            }
            out += "}"
        }
    }

    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        // Most strings need no escape: copy them whole. 0xE2 leads U+2028 and U+2029.
        // 0xF4 leads the scalars that stand for a path's raw bytes (PathBytes).
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 || $0 == 0xF4 }) {
            out += s
            out += "\""
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x2028 || u.value == 0x2029:
                out += String(format: "\\u%04x", u.value)
            case _ where PathBytes.escapes.contains(u.value):
                // A byte of a file name that is not UTF-8: written as a lone low surrogate,
                // U+DC80 + (byte - 0x80), the escape Python's surrogateescape reads back.
                out += String(format: "\\udc%02x", u.value - 0x10FF00)
            default: out.unicodeScalars.append(u)
            }
        }
        out += "\""
    }

    /// Parses JSON text; keys keep their order.
    public static func parse(_ text: [UInt8]) throws -> JSON {
        var p = JSONParser(bytes: text)
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw JSONError.syntax("unexpected text after the JSON value", p.i) }
        return v
    }
}

public enum JSONError: Error, CustomStringConvertible, Sendable {
    case syntax(String, Int)
    public var description: String {
        switch self {
        case .syntax(let why, let at): return "invalid JSON at byte \(at): \(why)"
        }
    }
}

private struct JSONParser {
    let bytes: [UInt8]
    var i = 0

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func value(depth: Int) throws -> JSON {
        guard depth < 512 else { throw JSONError.syntax("nested too deeply", i) }
        guard i < bytes.count else { throw JSONError.syntax("unexpected end", i) }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            var pairs: [(String, JSON)] = []
            try members(closedBy: "}") { p throws in
                guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: "\"") else { throw JSONError.syntax("expected a key", p.i) }
                let k = try p.string()
                p.skipSpace()
                guard p.i < p.bytes.count, p.bytes[p.i] == UInt8(ascii: ":") else { throw JSONError.syntax("expected ':'", p.i) }
                p.i += 1
                p.skipSpace()
                pairs.append((k, try p.value(depth: depth + 1)))
            }
            return .object(pairs)
        case UInt8(ascii: "["):
            var items: [JSON] = []
            try members(closedBy: "]") { p throws in items.append(try p.value(depth: depth + 1)) }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            guard i > start, let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else {
                throw JSONError.syntax("unexpected character", start)
            }
            return .number(d)
        }
    }

    /// The members of an object or array, its opening bracket at `i`: `member` reads
    /// each (white space before it skipped), commas between them, up to `close`.
    mutating func members(closedBy close: Unicode.Scalar, _ member: (inout JSONParser) throws -> Void) throws {
        let close = UInt8(ascii: close)
        i += 1
        skipSpace()
        if i < bytes.count, bytes[i] == close { i += 1; return }
        while true {
            skipSpace()
            try member(&self)
            skipSpace()
            guard i < bytes.count else { throw JSONError.syntax("unexpected end", i) }
            if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
            if bytes[i] == close { i += 1; return }
            throw JSONError.syntax("expected ',' or '\(Character(Unicode.Scalar(close)))'", i)
        }
    }

    mutating func literal(_ word: String, _ v: JSON) throws -> JSON {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<i + w.count]) == w else { throw JSONError.syntax("unexpected word", i) }
        i += w.count
        return v
    }

    mutating func string() throws -> String {
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") {
                guard i + 1 < bytes.count else { break }
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar), i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        if (0xDC00..<0xE000).contains(low) { scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00) }
                    }
                    out += Array(String(UnicodeScalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: out.append(e)
                }
                continue
            }
            guard c >= 0x20 else { throw JSONError.syntax("control character in string", i) }
            out.append(c)
            i += 1
        }
        throw JSONError.syntax("unterminated string", i)
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw JSONError.syntax("bad \\u escape", i)
        }
        i += 4
        return v
    }
}
