import COpenSSLShim
import Foundation

/// Message digests for ids and cache keys (OpenSSL's SHA-256).
public enum Digest {
    /// Fetched once: OpenSSL 3's one-shot SHA256() looks the algorithm up on every
    /// call, which costs as much as hashing a small message.
    private static let sha256Algorithm = EVP_MD_fetch(nil, "SHA256", nil).map { SharedObject(pointer: $0) }

    public static func sha256(_ bytes: some ContiguousBytes) -> [UInt8] {
        var md = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { raw in
            md.withUnsafeMutableBufferPointer { out in
                var len: UInt32 = 0
                if let algorithm = sha256Algorithm?.pointer {
                    EVP_Digest(raw.baseAddress, raw.count, out.baseAddress, &len, algorithm, nil)
                } else {
                    SHA256(raw.baseAddress?.assumingMemoryBound(to: UInt8.self), raw.count, out.baseAddress)
                }
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
