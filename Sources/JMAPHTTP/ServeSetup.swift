// What `smimekit serve` checks before it binds: where to listen, and the bearer
// token that every request must carry.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A start-up refusal, worded for the person who started the server: each says
/// what is wrong and what to do about it.
public enum ServeSetupError: Error, Equatable, CustomStringConvertible {
    case badListenAddress(String)
    case notLoopback(String)
    case tokenFileUnreadable(path: String, reason: String)
    case tokenFileTooOpen(path: String, mode: UInt16)
    case tokenFileEmpty(path: String)

    public var description: String {
        switch self {
        case .badListenAddress(let text):
            return "--listen \(text): not HOST:PORT (for example 127.0.0.1:8080, [::1]:8080, or port 0 to pick one)"
        case .notLoopback(let host):
            return "--listen \(host): not a loopback address; the server speaks plain HTTP, so put a TLS proxy in front and give --allow-non-loopback to listen there"
        case .tokenFileUnreadable(let path, let reason):
            return "token file \(path): \(reason)"
        case .tokenFileTooOpen(let path, let mode):
            return "token file \(path) is readable by group or others (mode \(String(mode, radix: 8))): run chmod 600 \(path)"
        case .tokenFileEmpty(let path):
            return "token file \(path) is empty: write a long random token into it (for example: openssl rand -hex 32 > \(path); chmod 600 \(path))"
        }
    }
}

/// The address to bind: a host (an IPv4 or IPv6 literal, or a name) and a port (0: any free one).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT`, `[V6]:PORT`, or `:PORT` / `PORT` for 127.0.0.1.
    public init(parsing text: String) throws {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ServeSetupError.badListenAddress(text)
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            if colon != text.startIndex { host = String(text[..<colon]) }
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw ServeSetupError.badListenAddress(text) }  // a bare IPv6 address needs brackets
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw ServeSetupError.badListenAddress(text)
        }
        self.host = host
        self.port = port
    }

    /// Whether only this machine can reach the address: 127.0.0.0/8, ::1, or localhost.
    public var isLoopback: Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, h, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        return false
    }

    /// The host as it goes into a URL (IPv6 literals in brackets).
    public var urlHost: String { host.contains(":") ? "[\(host)]" : host }

    public var description: String { "\(urlHost):\(port)" }
}

/// The bearer token: the token file's content without its trailing newline.
/// The file must be private to its owner (no permission bits for group or others),
/// as ssh insists for a private key: a token anyone on the machine can read guards nothing.
public func loadBearerToken(path: String) throws -> String {
    var st = stat()
    guard stat(path, &st) == 0 else {
        throw ServeSetupError.tokenFileUnreadable(path: path, reason: String(cString: strerror(errno)))
    }
    guard (st.st_mode & S_IFMT) == S_IFREG else {
        throw ServeSetupError.tokenFileUnreadable(path: path, reason: "not a regular file")
    }
    let mode = UInt16(st.st_mode & 0o7777)
    if mode & 0o077 != 0 {
        throw ServeSetupError.tokenFileTooOpen(path: path, mode: mode)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ServeSetupError.tokenFileUnreadable(path: path, reason: "cannot be read")
    }
    var token = String(decoding: data, as: UTF8.self)
    while token.hasSuffix("\n") || token.hasSuffix("\r") || token.hasSuffix("\r\n") {
        token.removeLast()
    }
    if token.isEmpty { throw ServeSetupError.tokenFileEmpty(path: path) }
    return token
}

/// Equality of two byte strings in time that depends only on their lengths, not
/// on where they first differ, so a client cannot find the token a byte at a time.
func constantTimeEqual(_ a: some Collection<UInt8>, _ b: [UInt8]) -> Bool {
    var difference: UInt8 = a.count == b.count ? 0 : 1
    var i = 0
    for x in a {
        let y = b.isEmpty ? 0 : b[i % b.count]
        difference |= x ^ y
        i += 1
    }
    return difference == 0
}
