import COpenSSLShim
import Foundation

/// Message digests for ids and cache keys (OpenSSL's SHA-256).
public enum Digest {
    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var md = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { raw in
            _ = md.withUnsafeMutableBufferPointer { out in
                SHA256(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count, out.baseAddress)
            }
        }
        return md
    }

    public static func sha256Hex(_ bytes: some ContiguousBytes) -> String {
        hex(sha256(bytes))
    }

    static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
