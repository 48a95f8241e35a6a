// A small HTTP/1.1 client over a plain socket, for the tests of `smimekit serve`:
// it can do what a well-behaved library will not (send half a body and hang up,
// announce 10 MB and send none, read an event stream line by line), and it only
// ever connects to 127.0.0.1.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

public struct HTTPTestReply: Sendable {
    public let status: Int
    /// Header names in lower case.
    public let headers: [String: String]
    public let body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw HTTPTestError.protocolError("not a JSON object: \(text.prefix(200))")
        }
        return object
    }
}

public enum HTTPTestError: Error, CustomStringConvertible {
    case system(String)
    case protocolError(String)
    case timeout
    public var description: String {
        switch self {
        case .system(let s): return "socket: \(s)"
        case .protocolError(let s): return "HTTP: \(s)"
        case .timeout: return "timed out"
        }
    }
}

/// One TCP connection to 127.0.0.1:port. Blocking calls with a receive timeout:
/// use it from a thread (`onThread`), not from the cooperative pool.
public final class HTTPTestConnection {
    public let fd: Int32
    public let port: Int
    private var buffer: [UInt8] = []

    public init(port: Int, timeout: Double = 30) throws {
        self.port = port
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPTestError.system("socket: \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); throw HTTPTestError.system("connect to 127.0.0.1:\(port): errno \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        #if !canImport(Glibc)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    deinit { close(fd) }

    /// Sends all of `bytes`; false if the peer closed or reset the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc_send(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Closes the connection at once.
    public func hangUp() {
        var lingerOff = linger(l_onoff: 1, l_linger: 0)  // RST: the rudest disconnect
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lingerOff, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw HTTPTestError.timeout }
            if errno == ECONNRESET { return false }
            throw HTTPTestError.system("recv: errno \(errno)")
        }
        if n == 0 { return false }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// One line without its CRLF, or nil at end of stream.
    public func readLine() throws -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<nl])
                buffer.removeFirst(nl + 1)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { return nil }
        }
    }

    func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count {
            guard try fill() else { throw HTTPTestError.protocolError("connection closed in a body") }
        }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Status line and headers.
    public func readHead() throws -> (Int, [String: String]) {
        guard let statusLine = try readLine() else { throw HTTPTestError.protocolError("connection closed before a response") }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw HTTPTestError.protocolError("bad status line \(statusLine)")
        }
        var headers: [String: String] = [:]
        while let line = try readLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        return (status, headers)
    }

    /// A whole response (Content-Length, chunked, or to end of stream).
    public func readResponse() throws -> HTTPTestReply {
        let (status, headers) = try readHead()
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap(Int.init) {
            body = try readExactly(length)
        } else if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                guard let sizeLine = try readLine(), let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw HTTPTestError.protocolError("bad chunk")
                }
                if size == 0 { _ = try readLine(); break }
                body += try readExactly(size)
                _ = try readLine()
            }
        } else if status != 204 && status != 304 {
            while try fill() {}
            body = buffer
            buffer = []
        }
        return HTTPTestReply(status: status, headers: headers, body: body)
    }

    /// Whether the server has closed the connection (end of stream within the timeout).
    public func isClosedByPeer() -> Bool {
        do { while try fill() { buffer.removeAll() }; return true } catch { return false }
    }

    /// The bytes of a request; Host is 127.0.0.1:port unless `headers` gives one.
    public func requestBytes(method: String, path: String, headers: [String: String], body: [UInt8]) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        if !headers.keys.contains(where: { $0.lowercased() == "host" }) { head += "Host: 127.0.0.1:\(port)\r\n" }
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { head += "\(k): \(v)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// One request and its response on this connection (keep-alive).
    public func request(_ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8] = []) throws -> HTTPTestReply {
        guard send(requestBytes(method: method, path: path, headers: headers, body: body)) else {
            throw HTTPTestError.protocolError("could not send the request")
        }
        return try readResponse()
    }
}

/// One request on a new connection.
public func httpRequest(port: Int, _ method: String, _ path: String, token: String?, headers: [String: String] = [:],
                        body: [UInt8] = [], timeout: Double = 60) throws -> HTTPTestReply {
    let connection = try HTTPTestConnection(port: port, timeout: timeout)
    var all = headers
    if let token { all["Authorization"] = "Bearer \(token)" }
    if !body.isEmpty { all["Content-Type"] = all["Content-Type"] ?? "application/json" }
    return try connection.request(method, path, headers: all, body: body)
}

/// Runs blocking work on a thread of its own, so that it cannot starve the
/// cooperative pool that the server under test (or its backend) runs on.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

#if canImport(Glibc)
// Linux: MSG_NOSIGNAL on each send, so a reset connection is an error, not SIGPIPE.
private func Glibc_send(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { Glibc.send(fd, p, n, Int32(MSG_NOSIGNAL)) }
#else
private func Glibc_send(_ fd: Int32, _ p: UnsafeRawPointer?, _ n: Int) -> Int { Darwin.send(fd, p, n, 0) }
#endif
