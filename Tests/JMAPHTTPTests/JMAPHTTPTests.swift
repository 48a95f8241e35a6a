// The HTTP front of `smimekit serve` with a fake backend, over 127.0.0.1 on a
// port the kernel picks: routes, auth, limits, blobs, the event source, clients
// that go away, concurrency and graceful shutdown.
import Foundation
import JMAPServer
import Logging
import ServiceLifecycle
import TestSupport
import XCTest
@testable import JMAPHTTP

final class JMAPHTTPTests: XCTestCase {
    let token = "s3cret-token-0123456789"

    /// Starts the front on 127.0.0.1:0, runs `body` with the port, then shuts down gracefully.
    func withServer(_ backend: FakeBackend, idleTimeout: Int64 = 120, _ body: (Int) async throws -> Void) async throws {
        var configuration = JMAPHTTPConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token)
        configuration.idleTimeoutSeconds = idleTimeout
        let server = try JMAPHTTPServer(backend: backend, configuration: configuration)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(
            services: [server.makeService(logger: quiet, onListening: { continuation.yield($0) })], logger: quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { XCTFail("no port"); return }
        do {
            try await body(port)
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func request(_ port: Int, _ method: String, _ path: String, token: String?, headers: [String: String] = [:],
                 body: [UInt8] = []) async throws -> HTTPTestReply {
        try await onThread { try httpRequest(port: port, method, path, token: token, headers: headers, body: body) }
    }

    func echo(_ tag: String) -> [UInt8] {
        Array(#"{"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{"tag":"\#(tag)"},"c1"]]}"#.utf8)
    }

    // MARK: Session

    func testSessionDiscoveryNamesURLsOfTheHostTheClientUsed() async throws {
        try await withServer(FakeBackend()) { port in
            let reply = try await request(port, "GET", "/.well-known/jmap", token: token)
            XCTAssertEqual(reply.status, 200)
            XCTAssertEqual(reply.headers["content-type"], "application/json")
            let session = try reply.json()
            XCTAssertEqual(session["apiUrl"] as? String, "http://127.0.0.1:\(port)/jmap/api")
            XCTAssertEqual(session["downloadUrl"] as? String, "http://127.0.0.1:\(port)/jmap/download/{accountId}/{blobId}/{name}?type={type}")
            XCTAssertEqual(session["uploadUrl"] as? String, "http://127.0.0.1:\(port)/jmap/upload/{accountId}/")
            XCTAssertEqual(session["eventSourceUrl"] as? String,
                           "http://127.0.0.1:\(port)/jmap/eventsource/?types={types}&closeafter={closeafter}&ping={ping}")

            let proxied = try await request(port, "GET", "/.well-known/jmap", token: token,
                                            headers: ["Host": "mail.example.test", "X-Forwarded-Proto": "https"])
            XCTAssertEqual(try proxied.json()["apiUrl"] as? String, "https://mail.example.test/jmap/api")
            let hostile = try await request(port, "GET", "/.well-known/jmap", token: token,
                                            headers: ["Host": "evil.test/\"><script>"])
            XCTAssertEqual(try hostile.json()["apiUrl"] as? String, "http://127.0.0.1:\(port)/jmap/api")

            let apiReply = try await request(port, "POST", "/jmap/api", token: token, body: echo("x"))
            XCTAssertEqual(apiReply.status, 200)
            let responses = try apiReply.json()["methodResponses"] as? [[Any]]
            XCTAssertEqual(responses?.first?.first as? String, "Core/echo")
            XCTAssertEqual((responses?.first?[1] as? [String: Any])?["tag"] as? String, "x")
        }
    }

    func testUnknownRoutesAndWrongMethods() async throws {
        try await withServer(FakeBackend()) { port in
            let missing = try await request(port, "GET", "/jmap/nothing", token: token)
            XCTAssertEqual(missing.status, 404)
            let wrong = try await request(port, "GET", "/jmap/api", token: token)
            XCTAssertEqual(wrong.status, 405)
            XCTAssertEqual(wrong.headers["allow"], "POST")
            let notJSON = try await request(port, "POST", "/jmap/api", token: token, body: Array("{not json".utf8))
            XCTAssertEqual(notJSON.status, 400)
            XCTAssertEqual(try notJSON.json()["type"] as? String, "urn:ietf:params:jmap:error:notJSON")
        }
    }

    // MARK: Who may come in

    func testEveryRouteNeedsTheBearerToken() async throws {
        let backend = FakeBackend()
        try await withServer(backend) { port in
            for path in ["/.well-known/jmap", "/jmap/download/a1/b1/m.eml", "/jmap/eventsource/?types=*&closeafter=no&ping=0"] {
                let none = try await request(port, "GET", path, token: nil)
                XCTAssertEqual(none.status, 401, path)
                XCTAssertEqual(none.headers["www-authenticate"], #"Bearer realm="smimekit""#, path)
            }
            let noneAPI = try await request(port, "POST", "/jmap/api", token: nil, body: echo("x"))
            XCTAssertEqual(noneAPI.status, 401)
            // Without the token, a big body is not read: 401, and the connection closed.
            let (bigReply, bigClosed) = try await onThread { () -> (HTTPTestReply, Bool) in
                let c = try HTTPTestConnection(port: port, timeout: 20)
                _ = c.send("POST /jmap/api HTTP/1.1\r\nHost: x\r\nContent-Length: \(8 << 20)\r\n\r\n")
                _ = c.send([UInt8](repeating: 0x20, count: 4096))
                return (try c.readResponse(), c.isClosedByPeer())
            }
            XCTAssertEqual(bigReply.status, 401)
            XCTAssertEqual(bigReply.headers["www-authenticate"], #"Bearer realm="smimekit""#)
            XCTAssertTrue(bigClosed)
            XCTAssertEqual(backend.apiCalls, 0, "an unauthenticated request never reaches the backend")

            let wrong = try await request(port, "GET", "/.well-known/jmap", token: "s3cret-token-0123456780")
            XCTAssertEqual(wrong.status, 401)
            XCTAssertEqual(wrong.headers["www-authenticate"], #"Bearer realm="smimekit", error="invalid_token""#)
            let prefix = try await request(port, "GET", "/.well-known/jmap", token: String(token.dropLast()))
            XCTAssertEqual(prefix.status, 401)
            let longer = try await request(port, "GET", "/.well-known/jmap", token: token + "x")
            XCTAssertEqual(longer.status, 401)
            let basic = try await request(port, "GET", "/.well-known/jmap", token: nil,
                                          headers: ["Authorization": "Basic " + Data("u:\(token)".utf8).base64EncodedString()])
            XCTAssertEqual(basic.status, 401)

            let right = try await request(port, "GET", "/.well-known/jmap", token: token)
            XCTAssertEqual(right.status, 200)
            let lowerScheme = try await request(port, "GET", "/.well-known/jmap", token: nil, headers: ["Authorization": "bearer \(token)"])
            XCTAssertEqual(lowerScheme.status, 200, "the auth scheme is case-insensitive (RFC 7235)")
        }
    }

    func testConstantTimeEqualityIsEquality() {
        XCTAssertTrue(constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        XCTAssertFalse(constantTimeEqual(Array("abd".utf8), Array("abc".utf8)))
        XCTAssertFalse(constantTimeEqual(Array("ab".utf8), Array("abc".utf8)))
        XCTAssertFalse(constantTimeEqual(Array("".utf8), Array("abc".utf8)))
        XCTAssertFalse(constantTimeEqual(Array(repeating: 97, count: 259), Array("abc".utf8)))
        XCTAssertFalse(constantTimeEqual(Array("abcabc".utf8), Array("abc".utf8)))
    }

    func testTokenFileMustBePrivateAndNotEmpty() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jmaphttp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("token").path
        _ = FileManager.default.createFile(atPath: file, contents: Data("tok-en\n".utf8))

        for mode in [0o644, 0o640, 0o604, 0o660] {
            chmod(file, mode_t(mode))
            XCTAssertThrowsError(try loadBearerToken(path: file), "mode \(String(mode, radix: 8))") { error in
                XCTAssertEqual(error as? ServeSetupError, .tokenFileTooOpen(path: file, mode: UInt16(mode)))
                XCTAssertTrue("\(error)".contains("chmod 600 \(file)"), "\(error)")
            }
        }
        chmod(file, 0o600)
        XCTAssertEqual(try loadBearerToken(path: file), "tok-en", "the trailing newline is not part of the token")
        chmod(file, 0o400)
        XCTAssertEqual(try loadBearerToken(path: file), "tok-en")
        chmod(file, 0o600)
        _ = FileManager.default.createFile(atPath: file, contents: Data("\n".utf8))
        chmod(file, 0o600)
        XCTAssertThrowsError(try loadBearerToken(path: file)) { XCTAssertEqual($0 as? ServeSetupError, .tokenFileEmpty(path: file)) }
        XCTAssertThrowsError(try loadBearerToken(path: dir.appendingPathComponent("none").path))
    }

    func testOnlyLoopbackWithoutTheFlag() throws {
        XCTAssertTrue(try ListenAddress(parsing: "127.0.0.1:0").isLoopback)
        XCTAssertTrue(try ListenAddress(parsing: "127.1.2.3:80").isLoopback)
        XCTAssertTrue(try ListenAddress(parsing: "[::1]:8080").isLoopback)
        XCTAssertTrue(try ListenAddress(parsing: "localhost:8080").isLoopback)
        XCTAssertEqual(try ListenAddress(parsing: ":8080"), ListenAddress(host: "127.0.0.1", port: 8080))
        XCTAssertEqual(try ListenAddress(parsing: "8080"), ListenAddress(host: "127.0.0.1", port: 8080))
        XCTAssertFalse(try ListenAddress(parsing: "0.0.0.0:8080").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "192.168.1.5:8080").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "[::]:8080").isLoopback)
        XCTAssertFalse(try ListenAddress(parsing: "mail.example.org:8080").isLoopback)
        for bad in ["127.0.0.1:", "127.0.0.1:70000", "::1:80", "[::1]80", "host:port"] {
            XCTAssertThrowsError(try ListenAddress(parsing: bad), bad)
        }

        let backend = FakeBackend()
        for host in ["0.0.0.0", "192.168.1.5", "::"] {
            XCTAssertThrowsError(try JMAPHTTPServer(backend: backend, configuration: .init(
                listen: ListenAddress(host: host, port: 0), token: token))) { error in
                XCTAssertEqual(error as? ServeSetupError, .notLoopback(host))
                XCTAssertTrue("\(error)".contains("--allow-non-loopback"))
            }
        }
        // Allowed, it warns (the server is only made, never bound here).
        let allowed = try JMAPHTTPServer(backend: backend, configuration: .init(
            listen: ListenAddress(host: "0.0.0.0", port: 0), token: token, allowNonLoopback: true))
        XCTAssertEqual(allowed.warnings.count, 1)
        XCTAssertTrue(allowed.warnings[0].contains("not loopback"))
        let local = try JMAPHTTPServer(backend: backend, configuration: .init(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token))
        XCTAssertEqual(local.warnings, [])
    }

    // MARK: Limits

    func testTenMegabyteRequestIsRefusedWithoutReadingIt() async throws {
        let backend = FakeBackend()  // maxSizeRequest 10,000,000
        try await withServer(backend) { port in
            let token = self.token
            let (reply, closed) = try await onThread { () -> (HTTPTestReply, Bool) in
                let c = try HTTPTestConnection(port: port, timeout: 20)
                let head = "POST /jmap/api HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(10 << 20)\r\n\r\n"
                XCTAssertTrue(c.send(head))
                _ = c.send([UInt8](repeating: 0x20, count: 65536))  // a little of it, then wait for the answer
                let reply = try c.readResponse()
                return (reply, c.isClosedByPeer())
            }
            XCTAssertEqual(reply.status, 400)
            XCTAssertEqual(reply.headers["content-type"], "application/problem+json")
            let problem = try reply.json()
            XCTAssertEqual(problem["type"] as? String, "urn:ietf:params:jmap:error:limit")
            XCTAssertEqual(problem["limit"] as? String, "maxSizeRequest")
            XCTAssertEqual(reply.headers["connection"], "close")
            XCTAssertTrue(closed, "the server hangs up rather than read the other 10 MB")
            XCTAssertEqual(backend.apiCalls, 0)
        }
        // Without a Content-Length, the refusal comes once the octets pass the limit.
        let small = FakeBackend(limits: .with(\.maxSizeRequest, 100_000))
        try await withServer(small) { port in
            let token = self.token
            let reply = try await onThread { () -> HTTPTestReply in
                let c = try HTTPTestConnection(port: port, timeout: 20)
                let head = "POST /jmap/api HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n"
                XCTAssertTrue(c.send(head))
                for _ in 0..<3 {
                    _ = c.send("10000\r\n")
                    _ = c.send([UInt8](repeating: 0x20, count: 0x10000))
                    _ = c.send("\r\n")
                }
                return try c.readResponse()
            }
            XCTAssertEqual(reply.status, 400)
            XCTAssertEqual(try reply.json()["limit"] as? String, "maxSizeRequest")
            XCTAssertEqual(small.apiCalls, 0)
            // Just under the limit goes through (and the backend says it is not JSON).
            let fits = try await request(port, "POST", "/jmap/api", token: token, body: [UInt8](repeating: 0x20, count: 100_000))
            XCTAssertEqual(fits.status, 400)
            XCTAssertEqual(try fits.json()["type"] as? String, "urn:ietf:params:jmap:error:notJSON")
            XCTAssertEqual(small.apiCalls, 1)
        }
    }

    func testConcurrencyLimitAnswersWithTheLimitProblem() async throws {
        let backend = FakeBackend(limits: .with(\.maxConcurrentRequests, 2), delay: 1.0)
        try await withServer(backend) { port in
            let token = self.token
            let body = echo("slow")
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        let r = try await onThread { try httpRequest(port: port, "POST", "/jmap/api", token: token, body: body) }
                        return (r.status, (try? r.json())?["limit"] as? String)
                    }
                }
                var all: [(Int, String?)] = []
                for try await s in group { all.append(s) }
                return all
            }
            XCTAssertLessThanOrEqual(backend.maxInFlight, 2)
            XCTAssertEqual(statuses.filter { $0.0 == 200 }.count + statuses.filter { $0.0 == 400 }.count, 5)
            XCTAssertGreaterThanOrEqual(statuses.filter { $0.0 == 400 && $0.1 == "maxConcurrentRequests" }.count, 1)
            XCTAssertGreaterThanOrEqual(statuses.filter { $0.0 == 200 }.count, 2)
        }
    }

    // MARK: Blobs

    func testUploadThenDownload() async throws {
        let backend = FakeBackend(limits: .with(\.maxSizeUpload, 1000))
        try await withServer(backend) { port in
            let content = Array("Subject: hello\r\n\r\nbody\r\n".utf8)
            let up = try await request(port, "POST", "/jmap/upload/a1/", token: token,
                                       headers: ["Content-Type": "message/rfc822"], body: content)
            XCTAssertEqual(up.status, 201)
            let uploaded = try up.json()
            XCTAssertEqual(uploaded["accountId"] as? String, "a1")
            XCTAssertEqual(uploaded["type"] as? String, "message/rfc822")
            XCTAssertEqual(uploaded["size"] as? Int, content.count)
            let blobId = try XCTUnwrap(uploaded["blobId"] as? String)

            let down = try await request(port, "GET", "/jmap/download/a1/\(blobId)/h%C3%A9llo%20w.eml?type=text%2Fplain", token: token)
            XCTAssertEqual(down.status, 200)
            XCTAssertEqual(down.body, content)
            XCTAssertEqual(down.headers["content-type"], "text/plain", "6.2: the type parameter is the Content-Type")
            XCTAssertEqual(down.headers["content-disposition"], #"attachment; filename="h_llo w.eml"; filename*=UTF-8''h%C3%A9llo%20w.eml"#)
            let plain = try await request(port, "GET", "/jmap/download/a1/b1/m.eml", token: token)
            XCTAssertEqual(plain.status, 200)
            XCTAssertEqual(plain.headers["content-type"], "message/rfc822", "without type, the blob's own type")
            XCTAssertEqual(plain.headers["content-disposition"], #"attachment; filename="m.eml""#)
            let injected = try await request(port, "GET", "/jmap/download/a1/b1/m.eml?type=text/plain%0D%0AX-Evil:%201", token: token)
            XCTAssertEqual(injected.status, 400)
            XCTAssertNil(injected.headers["x-evil"])

            let unknown = try await request(port, "GET", "/jmap/download/a1/nope/m.eml", token: token)
            XCTAssertEqual(unknown.status, 404)
            let otherAccount = try await request(port, "GET", "/jmap/download/a2/b1/m.eml", token: token)
            XCTAssertEqual(otherAccount.status, 404)

            let big = try await request(port, "POST", "/jmap/upload/a1/", token: token,
                                        headers: ["Content-Type": "message/rfc822"], body: [UInt8](repeating: 65, count: 1001))
            XCTAssertEqual(big.status, 413)
            XCTAssertEqual(try big.json()["type"] as? String, "urn:ietf:params:jmap:error:limit")
            XCTAssertEqual(try big.json()["limit"] as? String, "maxSizeUpload")
        }
    }

    // MARK: Event source

    func testEventSourcePingsAndPushesStateChanges() async throws {
        let backend = FakeBackend()
        try await withServer(backend) { port in
            let token = self.token
            let lines = try await withThrowingTaskGroup(of: [String].self) { group in
                group.addTask {
                    try await onThread { () -> [String] in
                        let c = try HTTPTestConnection(port: port, timeout: 20)
                        guard c.send(c.requestBytes(method: "GET", path: "/jmap/eventsource/?types=Email,Mailbox&closeafter=state&ping=1",
                                                    headers: ["Authorization": "Bearer \(token)", "Accept": "text/event-stream"], body: [])) else { return [] }
                        let (status, headers) = try c.readHead()
                        var seen = ["status \(status)", "type \(headers["content-type"] ?? "")"]
                        // Body is chunked: collect the event-stream lines, dropping chunk sizes.
                        while let line = try c.readLine() {
                            if line.hasPrefix("event:") || line.hasPrefix("data:") || line.hasPrefix("id:") { seen.append(line) }
                            if line == "0" { break }
                        }
                        return seen
                    }
                }
                group.addTask {
                    // Wait for the subscription and a ping, then a change the stream does not want, then one it does.
                    for _ in 0..<100 where backend.subscriberCount == 0 { try await Task.sleep(nanoseconds: 50_000_000) }
                    try await Task.sleep(nanoseconds: 1_600_000_000)
                    backend.emit(["a1": ["Thread": "t9"]])
                    try await Task.sleep(nanoseconds: 200_000_000)
                    backend.emit(["a1": ["Email": "e2", "Thread": "t10"]])
                    return []
                }
                var all: [String] = []
                for try await l in group { all += l }
                return all
            }
            XCTAssertEqual(lines.first, "status 200")
            XCTAssertEqual(lines.dropFirst().first, "type text/event-stream")
            XCTAssertTrue(lines.contains("event: ping"), "\(lines)")
            XCTAssertTrue(lines.contains(#"data: {"interval":1}"#), "\(lines)")
            let stateEvents = lines.filter { $0 == "event: state" }
            XCTAssertEqual(stateEvents.count, 1, "closeafter=state: one state event, then the end; Thread alone is not pushed. \(lines)")
            XCTAssertTrue(lines.contains(#"data: {"@type":"StateChange","changed":{"a1":{"Email":"e2"}}}"#), "\(lines)")
            XCTAssertTrue(lines.contains("id: 1"), "\(lines)")
            for _ in 0..<40 where backend.subscriberCount > 0 { try await Task.sleep(nanoseconds: 50_000_000) }
            XCTAssertEqual(backend.subscriberCount, 0, "the stream's subscription ends with the response")
        }
    }

    func testGracefulShutdownFinishesRequestsAndEndsEventStreams() async throws {
        let backend = FakeBackend(delay: 1.5)
        let server = try JMAPHTTPServer(backend: backend, configuration: .init(listen: ListenAddress(host: "127.0.0.1", port: 0), token: token))
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [server.makeService(logger: quiet, onListening: { continuation.yield($0) })], logger: quiet))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let next = await iterator.next()
        let port = try XCTUnwrap(next)
        let token = self.token
        let body = echo("inflight")
        let slow = Task { try await onThread { try httpRequest(port: port, "POST", "/jmap/api", token: token, body: body) } }
        let events = Task {
            try await onThread { () -> Bool in
                let c = try HTTPTestConnection(port: port, timeout: 20)
                _ = c.send(c.requestBytes(method: "GET", path: "/jmap/eventsource/?types=*&closeafter=no&ping=0",
                                          headers: ["Authorization": "Bearer \(token)"], body: []))
                _ = try c.readHead()
                while let _ = try c.readLine() {}
                return true  // the server ended the stream
            }
        }
        for _ in 0..<100 where backend.current == 0 || backend.subscriberCount == 0 { try await Task.sleep(nanoseconds: 20_000_000) }
        XCTAssertEqual(backend.current, 1)
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        let reply = try await slow.value
        XCTAssertEqual(reply.status, 200, "the request in flight is answered")
        let ended = try await events.value
        XCTAssertTrue(ended)
        try await running.value
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
        XCTAssertEqual(backend.finished, 1)
        XCTAssertThrowsError(try HTTPTestConnection(port: port, timeout: 2).request("GET", "/.well-known/jmap"), "no longer listening")
    }

    // MARK: Clients that go away, and many at once

    func testClientsThatDisconnectMidRequestLeaveTheServerWhole() async throws {
        let backend = FakeBackend(limits: .with(\.maxConcurrentRequests, 2), delay: 0.5)
        try await withServer(backend) { port in
            let token = self.token
            let body = echo("gone")
            try await onThread {
                // Half a body, then a reset.
                for _ in 0..<3 {
                    let c = try HTTPTestConnection(port: port)
                    _ = c.send("POST /jmap/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 1000\r\n\r\n{\"using\":")
                    c.hangUp()
                }
                // Whole requests, gone before the (slow) answer.
                for _ in 0..<3 {
                    let c = try HTTPTestConnection(port: port)
                    _ = c.send(c.requestBytes(method: "POST", path: "/jmap/api", headers: ["Authorization": "Bearer \(token)"], body: body))
                    usleep(100_000)
                    c.hangUp()
                }
                // Half a header.
                let c = try HTTPTestConnection(port: port)
                _ = c.send("GET /.well-known/jmap HTTP/1.1\r\nAuthoriz")
                c.hangUp()
            }
            for _ in 0..<100 where backend.current > 0 { try await Task.sleep(nanoseconds: 50_000_000) }
            try await Task.sleep(nanoseconds: 200_000_000)
            // No slot of maxConcurrentRequests leaked: more requests in a row than the limit all go through.
            for i in 0..<4 {
                let r = try await request(port, "POST", "/jmap/api", token: token, body: echo("after\(i)"))
                XCTAssertEqual(r.status, 200, "request \(i) after the disconnects: \(r.text)")
            }
        }
    }

    func testStalledConnectionsAreClosedButEventStreamsAreNot() async throws {
        try await withServer(FakeBackend(), idleTimeout: 1) { port in
            let token = self.token
            async let stalled: Bool = onThread {
                let c = try HTTPTestConnection(port: port, timeout: 10)
                _ = c.send("POST /jmap/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 100\r\n\r\n{")
                let start = Date()
                _ = try? c.readResponse()
                return c.isClosedByPeer() && Date().timeIntervalSince(start) < 8
            }
            async let idle: Bool = onThread {
                let c = try HTTPTestConnection(port: port, timeout: 10)
                _ = try c.request("GET", "/.well-known/jmap", headers: ["Authorization": "Bearer \(token)"])
                return c.isClosedByPeer()  // kept alive, then closed once idle
            }
            async let stream: Bool = onThread {
                let c = try HTTPTestConnection(port: port, timeout: 3)
                _ = c.send(c.requestBytes(method: "GET", path: "/jmap/eventsource/?types=*&closeafter=no&ping=0",
                                          headers: ["Authorization": "Bearer \(token)"], body: []))
                _ = try c.readHead()
                do { _ = try c.readLine(); return false } catch HTTPTestError.timeout { return true }  // still open after 3 s
            }
            let (s, i, e) = try await (stalled, idle, stream)
            XCTAssertTrue(s, "a request whose body stopped coming is dropped")
            XCTAssertTrue(i, "an idle keep-alive connection is closed")
            XCTAssertTrue(e, "an event stream is not idle")
        }
    }

    func testManyClientsInParallel() async throws {
        let backend = FakeBackend(delay: 0.005)
        try await withServer(backend) { port in
            let token = self.token
            let mismatches = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        try await onThread { () -> Int in
                            let c = try HTTPTestConnection(port: port)  // keep-alive: 50 requests on one connection
                            var bad = 0
                            for n in 0..<50 {
                                let tag = "c\(client)-r\(n)"
                                let body = Array(#"{"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{"tag":"\#(tag)"},"\#(tag)"]]}"#.utf8)
                                let r = try c.request("POST", "/jmap/api", headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: body)
                                let responses = (try? r.json())?["methodResponses"] as? [[Any]]
                                if r.status != 200 || responses?.first?[2] as? String != tag { bad += 1 }
                            }
                            return bad
                        }
                    }
                }
                var total = 0
                for try await b in group { total += b }
                return total
            }
            XCTAssertEqual(mismatches, 0)
            XCTAssertEqual(backend.apiCalls, 400)
            XCTAssertGreaterThan(backend.maxInFlight, 1, "requests are served in parallel")
        }
    }
}
