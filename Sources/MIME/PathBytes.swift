// File names are bytes, and need not be UTF-8 (`caf\xe9.eml` from a Latin-1
// system). A Swift String cannot hold such bytes, so a path is carried as a
// String in which each byte that is not part of valid UTF-8 stands as one
// scalar of a private-use block, U+10FF80 + (byte - 0x80), and turned back into
// that byte at every system call and on output. Valid UTF-8 that itself
// encodes a scalar of that block is escaped byte by byte too, so the mapping is
// one-to-one and every path round-trips.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum PathBytes {
    /// The scalars that stand for raw bytes 0x80...0xFF.
    public static let escapes: ClosedRange<UInt32> = 0x10FF80...0x10FFFF

    /// The String that stands for `bytes`.
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let b = Array(bytes)
        // Fast path: valid UTF-8 with no 0xF4 (the lead byte of the escape block).
        if !b.contains(0xF4), let s = String(validating: b, as: UTF8.self) { return s }
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            if let (scalar, length) = decode(b, at: i), !escapes.contains(scalar.value) {
                scalars.append(scalar)
                i += length
            } else {
                let length = decode(b, at: i)?.1 ?? 1
                for k in i..<i + length { scalars.append(Unicode.Scalar(0x10FF00 + UInt32(b[k]))!) }
                i += length
            }
        }
        return String(scalars)
    }

    /// The bytes `string` stands for.
    public static func bytes(_ string: String) -> [UInt8] {
        if !string.utf8.contains(0xF4) { return Array(string.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for u in string.unicodeScalars {
            if escapes.contains(u.value) {
                out.append(UInt8(u.value - 0x10FF00))
            } else {
                out += Array(String(u).utf8)
            }
        }
        return out
    }

    /// Whether `string` holds bytes that are not UTF-8.
    public static func hasRawBytes(_ string: String) -> Bool {
        string.utf8.contains(0xF4) && string.unicodeScalars.contains { escapes.contains($0.value) }
    }

    /// Calls `body` with the path as the C string the kernel wants.
    public static func withCString<R>(_ path: String, _ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        if !path.utf8.contains(0xF4) { return try path.withCString(body) }
        let b = bytes(path) + [0]
        return try b.withUnsafeBufferPointer { p in
            try p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { try body($0) }
        }
    }

    /// One well-formed UTF-8 sequence at `i` (RFC 3629: no overlongs, no surrogates).
    private static func decode(_ b: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let c0 = b[i]
        if c0 < 0x80 { return (Unicode.Scalar(c0), 1) }
        let length: Int
        var value: UInt32
        var low: UInt8 = 0x80, high: UInt8 = 0xBF
        switch c0 {
        case 0xC2...0xDF: length = 2; value = UInt32(c0 & 0x1F)
        case 0xE0: length = 3; value = 0; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3; value = UInt32(c0 & 0x0F)
        case 0xED: length = 3; value = 0x0D; high = 0x9F
        case 0xF0: length = 4; value = 0; low = 0x90
        case 0xF1...0xF3: length = 4; value = UInt32(c0 & 0x07)
        case 0xF4: length = 4; value = 4; high = 0x8F
        default: return nil
        }
        guard i + length <= b.count else { return nil }
        for k in 1..<length {
            let c = b[i + k]
            let (lo, hi) = k == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
            guard c >= lo && c <= hi else { return nil }
            value = value << 6 | UInt32(c & 0x3F)
        }
        return Unicode.Scalar(value).map { ($0, length) }
    }
}

/// stat(2) and friends on a path that may hold raw bytes.
public enum PathCalls {
    public static func stat(_ path: String, _ st: inout stat) -> Int32 {
        PathBytes.withCString(path) { systemStat($0, &st) }
    }

    public static func lstat(_ path: String, _ st: inout stat) -> Int32 {
        PathBytes.withCString(path) { systemLstat($0, &st) }
    }

    public static func fstatat(_ fd: Int32, _ name: String, _ st: inout stat, _ flags: Int32) -> Int32 {
        PathBytes.withCString(name) { systemFstatat(fd, $0, &st, flags) }
    }

    public static func open(_ path: String, _ flags: Int32) -> Int32 {
        PathBytes.withCString(path) { systemOpen($0, flags) }
    }

    /// The names in a directory (not . and ..), as PathBytes strings; nil when it cannot be listed.
    public static func names(in directory: Int32) -> [String]? {
        let copy = dup(directory)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return nil
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while let entry = readdir(dir) {
            let name: String = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let end = raw.firstIndex(of: 0) ?? raw.count
                return PathBytes.string(raw[..<end])
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

// The system calls under other names: inside PathCalls, `stat` names its own method.
private func systemStat(_ p: UnsafePointer<CChar>, _ st: inout stat) -> Int32 { stat(p, &st) }
private func systemLstat(_ p: UnsafePointer<CChar>, _ st: inout stat) -> Int32 { lstat(p, &st) }
private func systemFstatat(_ fd: Int32, _ p: UnsafePointer<CChar>, _ st: inout stat, _ flags: Int32) -> Int32 { fstatat(fd, p, &st, flags) }
private func systemOpen(_ p: UnsafePointer<CChar>, _ flags: Int32) -> Int32 { open(p, flags) }
