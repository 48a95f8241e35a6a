// `smimekit serve` through the binary, on 127.0.0.1 and a port the system
// picks: session and auth, methods of the real backend, limits, clients that go
// away, 8 clients x 50 requests agreeing with `smimekit verify`, SIGTERM leaving
// the result store whole, and a real JMAP client library (jmaplib).
import Foundation
import TestSupport
import XCTest

final class ServeCommandTests: XCTestCase {
    let smimeProperties = ["smimeStatus", "smimeStatusAtDelivery", "smimeErrors"]

    private func thunderbirdMessages(_ names: [String]) throws -> [URL] {
        try XCTSkipUnless(Interop.isAvailable, "the shared interop corpus is not beside the package")
        return names.map { Interop.thunderbirdDirectory.appendingPathComponent("smime/\($0)") }
    }

    private func post(_ server: ServeProcess, _ token: String, _ body: [UInt8]) async throws -> HTTPTestReply {
        let port = server.port
        return try await onThread { try httpRequest(port: port, "POST", "/jmap/api", token: token, body: body) }
    }

    /// What `smimekit verify --format json` says of every message under `directory`: id -> properties.
    private func verifyVerdicts(_ directory: String, trust: URL) throws -> [String: [String: Any]] {
        let run = try CLI.run(["verify", "--format", "json", "--no-cache", "--trust", trust.path, directory])
        XCTAssertNotEqual(run.status, 2, run.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        let responses = try XCTUnwrap(object["methodResponses"] as? [[Any]])
        let list = try XCTUnwrap((responses.first?[1] as? [String: Any])?["list"] as? [[String: Any]])
        var out: [String: [String: Any]] = [:]
        for entry in list { out[try XCTUnwrap(entry["id"] as? String)] = entry }
        return out
    }

    private func same(_ a: Any?, _ b: Any?) -> Bool {
        func normal(_ x: Any?) -> Data {
            let value: Any = (x == nil || x is NSNull) ? NSNull() : x!
            return (try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys])) ?? Data()
        }
        return normal(a) == normal(b)
    }

    // MARK: Session, auth, methods

    func testSessionAuthAndMethodsOverAMaildir() async throws {
        let home = try ServeHome()
        defer { home.remove() }
        let maildir = try home.maildir(try thunderbirdMessages([
            "alice.sig.SHA256.opaque.eml", "alice.dsig.SHA256.multipart.eml", "alice.dsig.SHA1.multipart.eml",
        ]))
        let server = try ServeProcess(["--token-file", home.tokenFile, "--store", home.storePath,
                                       "--trust", Interop.thunderbirdTrustAnchor.path, maildir], home: home.url)
        defer { server.kill() }
        XCTAssertGreaterThan(server.port, 0, server.stderr)
        let port = server.port
        let token = home.token

        let session = try await onThread { try httpRequest(port: port, "GET", "/.well-known/jmap", token: token) }
        XCTAssertEqual(session.status, 200, session.text)
        let object = try session.json()
        XCTAssertEqual(object["apiUrl"] as? String, "http://127.0.0.1:\(port)/jmap/api")
        let capabilities = try XCTUnwrap(object["capabilities"] as? [String: Any])
        for c in ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:smimeverify"] {
            XCTAssertNotNil(capabilities[c], c)
        }
        let core = try XCTUnwrap(capabilities["urn:ietf:params:jmap:core"] as? [String: Any])
        XCTAssertEqual(core["maxSizeRequest"] as? Int, 10_000_000)

        let missing = try await onThread { try httpRequest(port: port, "GET", "/.well-known/jmap", token: nil) }
        XCTAssertEqual(missing.status, 401)
        XCTAssertEqual(missing.headers["www-authenticate"], #"Bearer realm="smimekit""#)
        let wrong = try await onThread { try httpRequest(port: port, "POST", "/jmap/api", token: token.uppercased() + "x",
                                                         body: jmapRequest([["Core/echo", ["a": 1], "e"]])) }
        XCTAssertEqual(wrong.status, 401)

        let echo = try await post(server, token, jmapRequest([["Core/echo", ["a": 1], "e"]]))
        XCTAssertEqual(echo.status, 200, echo.text)
        XCTAssertEqual(try echo.methodResponses().first?.first as? String, "Core/echo")

        let notJSON = try await post(server, token, Array("{\"using\": [".utf8))
        XCTAssertEqual(notJSON.status, 400)
        XCTAssertEqual(try notJSON.json()["type"] as? String, "urn:ietf:params:jmap:error:notJSON")

        let account = try XCTUnwrap((object["primaryAccounts"] as? [String: String])?["urn:ietf:params:jmap:mail"])
        let query = try await post(server, token, jmapRequest([
            ["Mailbox/get", ["accountId": account], "m"],
            ["Email/query", ["accountId": account, "filter": ["hasVerifiedSmime": true]], "q"],
            ["Email/get", ["accountId": account, "#ids": ["resultOf": "q", "name": "Email/query", "path": "/ids"],
                           "properties": ["smimeStatus", "blobId", "size"]], "g"],
        ]))
        XCTAssertEqual(query.status, 200, query.text)
        let responses = try query.methodResponses()
        XCTAssertEqual(responses.map { $0[0] as? String }, ["Mailbox/get", "Email/query", "Email/get"], query.text)
        XCTAssertEqual(((responses[0][1] as? [String: Any])?["list"] as? [Any])?.count, 1, "one maildir, one mailbox")
        let ids = try XCTUnwrap((responses[1][1] as? [String: Any])?["ids"] as? [String])
        XCTAssertEqual(ids.count, 2, "the two SHA-256 signatures verify, the SHA-1 one does not: \(query.text)")
        let list = try XCTUnwrap((responses[2][1] as? [String: Any])?["list"] as? [[String: Any]])
        XCTAssertEqual(Set(list.compactMap { $0["smimeStatus"] as? String }), ["signed/verified"])

        // The download URL gives the message's bytes.
        let first = try XCTUnwrap(list.first)
        let blobId = try XCTUnwrap(first["blobId"] as? String)
        let download = try await onThread {
            try httpRequest(port: port, "GET", "/jmap/download/\(account)/\(blobId)/m.eml?type=message/rfc822", token: token)
        }
        XCTAssertEqual(download.status, 200)
        XCTAssertEqual(download.body.count, first["size"] as? Int)
        XCTAssertEqual(download.headers["content-type"], "message/rfc822")
        XCTAssertEqual(download.headers["content-disposition"], #"attachment; filename="m.eml""#)

        XCTAssertEqual(server.terminate(), 0, server.stderr)
    }

    func testStartUpRefusals() throws {
        let open = try ServeHome(tokenMode: 0o644)
        defer { open.remove() }
        let maildir = try open.maildir([])
        let refused = try ServeProcess(["--token-file", open.tokenFile, maildir], home: open.url, timeout: 30)
        defer { refused.kill() }
        XCTAssertEqual(refused.port, 0)
        XCTAssertEqual(refused.waitForExit(), 2)
        XCTAssertTrue(refused.stderr.contains("chmod 600 \(open.tokenFile)"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("listening"), refused.stderr)

        let empty = try ServeHome()
        defer { empty.remove() }
        _ = FileManager.default.createFile(atPath: empty.tokenFile, contents: Data("\n".utf8))
        chmod(empty.tokenFile, 0o600)
        let emptyRun = try ServeProcess(["--token-file", empty.tokenFile, try empty.maildir([])], home: empty.url, timeout: 30)
        defer { emptyRun.kill() }
        XCTAssertEqual(emptyRun.waitForExit(), 2)
        XCTAssertTrue(emptyRun.stderr.contains("is empty"), emptyRun.stderr)

        // Not loopback, without --allow-non-loopback: refused before anything is bound.
        let good = try ServeHome()
        defer { good.remove() }
        let wide = try ServeProcess(["--token-file", good.tokenFile, try good.maildir([])], home: good.url, listen: "0.0.0.0:0", timeout: 30)
        defer { wide.kill() }
        XCTAssertEqual(wide.waitForExit(), 2)
        XCTAssertTrue(wide.stderr.contains("--allow-non-loopback"), wide.stderr)
        XCTAssertFalse(wide.stderr.contains("listening"), wide.stderr)
    }

    func testEventSourcePingsThenPushesANewMessage() async throws {
        let home = try ServeHome()
        defer { home.remove() }
        let messages = try thunderbirdMessages(["alice.sig.SHA256.opaque.eml", "alice.dsig.SHA256.multipart.eml"])
        let maildir = try home.maildir([messages[0]])
        let server = try ServeProcess(["--token-file", home.tokenFile, "--store", home.storePath,
                                       "--trust", Interop.thunderbirdTrustAnchor.path, maildir], home: home.url)
        defer { server.kill() }
        let port = server.port
        let token = home.token
        XCTAssertGreaterThan(port, 0, server.stderr)
        let query = jmapRequest([["Email/query", ["accountId": "local"], "q"]])
        let before = try await post(server, token, query)
        XCTAssertEqual(try ((before.methodResponses()[0][1] as? [String: Any])?["ids"] as? [String])?.count, 1)

        let events = Task {
            try await onThread { () -> [String] in
                let c = try HTTPTestConnection(port: port, timeout: 30)
                _ = c.send(c.requestBytes(method: "GET", path: "/jmap/eventsource/?types=Email&closeafter=state&ping=1",
                                          headers: ["Authorization": "Bearer \(token)"], body: []))
                let (status, headers) = try c.readHead()
                var lines = ["\(status) \(headers["content-type"] ?? "")"]
                while let line = try c.readLine() {
                    if line.hasPrefix("event:") || line.hasPrefix("data:") { lines.append(line) }
                    if line == "0" { break }  // the last chunk: closeafter=state ended the stream
                }
                return lines
            }
        }
        try await Task.sleep(nanoseconds: 1_500_000_000)  // a ping goes out meanwhile
        try FileManager.default.copyItem(at: messages[1], to: URL(fileURLWithPath: maildir).appendingPathComponent("new/1800000000.M9P9.test"))
        let after = try await post(server, token, query)  // the backend looks again, and announces the change
        XCTAssertEqual(try ((after.methodResponses()[0][1] as? [String: Any])?["ids"] as? [String])?.count, 2)
        let lines = try await events.value
        XCTAssertEqual(lines.first, "200 text/event-stream")
        XCTAssertTrue(lines.contains("event: ping"), "\(lines)")
        XCTAssertTrue(lines.contains(#"data: {"interval":1}"#), "\(lines)")
        XCTAssertEqual(lines.filter { $0 == "event: state" }.count, 1, "\(lines)")
        let state = try XCTUnwrap(lines.first { $0.hasPrefix("data: {\"@type\"") })
        let change = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(state.dropFirst(6).utf8)) as? [String: Any])
        XCTAssertEqual(change["@type"] as? String, "StateChange")
        let changed = try XCTUnwrap((change["changed"] as? [String: [String: String]])?["local"])
        XCTAssertEqual(Set(changed.keys), ["Email"], "types=Email: only Email's state is pushed")
        XCTAssertEqual(server.terminate(), 0, server.stderr)
    }

    // MARK: Limits and clients that go away

    func testTenMegabyteRequestAndDisconnectingClients() async throws {
        let home = try ServeHome()
        defer { home.remove() }
        let maildir = try home.maildir(try thunderbirdMessages(["alice.sig.SHA256.opaque.eml", "alice.dsig.SHA256.multipart.eml"]))
        let server = try ServeProcess(["--token-file", home.tokenFile, "--store", home.storePath,
                                       "--trust", Interop.thunderbirdTrustAnchor.path, maildir], home: home.url)
        defer { server.kill() }
        let port = server.port
        let token = home.token
        XCTAssertGreaterThan(port, 0, server.stderr)

        let (reply, closed) = try await onThread { () -> (HTTPTestReply, Bool) in
            let c = try HTTPTestConnection(port: port, timeout: 20)
            _ = c.send("POST /jmap/api HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\n"
                       + "Content-Type: application/json\r\nContent-Length: \(10 << 20)\r\n\r\n")
            _ = c.send([UInt8](repeating: 0x20, count: 1 << 16))
            return (try c.readResponse(), c.isClosedByPeer())
        }
        XCTAssertEqual(reply.status, 400, reply.text)
        XCTAssertEqual(try reply.json()["type"] as? String, "urn:ietf:params:jmap:error:limit")
        XCTAssertEqual(try reply.json()["limit"] as? String, "maxSizeRequest")
        XCTAssertTrue(closed)

        let getAll = jmapRequest([["Email/query", ["accountId": "local"], "q"],
                                  ["Email/get", ["accountId": "local", "#ids": ["resultOf": "q", "name": "Email/query", "path": "/ids"],
                                                 "properties": ["smimeStatus", "subject", "preview"]], "g"]])
        try await onThread {
            for _ in 0..<4 {
                // Half a body, then gone.
                let a = try HTTPTestConnection(port: port)
                _ = a.send("POST /jmap/api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 5000\r\n\r\n{\"using\":[")
                a.hangUp()
                // A whole request, gone before the answer.
                let b = try HTTPTestConnection(port: port)
                _ = b.send(b.requestBytes(method: "POST", path: "/jmap/api", headers: ["Authorization": "Bearer \(token)"], body: getAll))
                b.hangUp()
                // An event stream, gone.
                let e = try HTTPTestConnection(port: port)
                _ = e.send(e.requestBytes(method: "GET", path: "/jmap/eventsource/?types=*&closeafter=no&ping=1",
                                          headers: ["Authorization": "Bearer \(token)"], body: []))
                usleep(50_000)
                e.hangUp()
            }
        }
        // The server is still whole and still answers.
        for _ in 0..<20 {
            let r = try await post(server, token, getAll)
            XCTAssertEqual(r.status, 200, r.text)
        }
        XCTAssertTrue(server.process.isRunning)
        XCTAssertEqual(server.terminate(), 0, server.stderr)
    }

    // MARK: Many clients, the same answers as the CLI

    func testEightClientsOfFiftyRequestsAgreeWithVerify() async throws {
        _ = try thunderbirdMessages([])
        let home = try ServeHome()
        defer { home.remove() }
        let corpus = Interop.thunderbirdDirectory.appendingPathComponent("smime").path
        let expected = try verifyVerdicts(corpus, trust: Interop.thunderbirdTrustAnchor)
        XCTAssertGreaterThan(expected.count, 50)
        let expectedVerified = Set(expected.filter { $0.value["smimeStatus"] as? String == "signed/verified" }.keys)
        XCTAssertFalse(expectedVerified.isEmpty)

        let server = try ServeProcess(["--token-file", home.tokenFile, "--store", home.storePath,
                                       "--trust", Interop.thunderbirdTrustAnchor.path, corpus], home: home.url)
        defer { server.kill() }
        let port = server.port
        let token = home.token
        XCTAssertGreaterThan(port, 0, server.stderr)

        let properties = smimeProperties
        let request = jmapRequest([
            ["Email/query", ["accountId": "local", "filter": ["hasVerifiedSmime": true]], "q"],
            ["Email/get", ["accountId": "local", "#ids": ["resultOf": "q", "name": "Email/query", "path": "/ids"],
                           "properties": properties], "v"],
            ["Email/query", ["accountId": "local"], "all"],
            ["Email/get", ["accountId": "local", "#ids": ["resultOf": "all", "name": "Email/query", "path": "/ids"],
                           "properties": properties], "g"],
        ])
        typealias Answer = (verified: Set<String>, emails: [String: [String: Any]])
        func parse(_ reply: HTTPTestReply) throws -> Answer {
            let responses = try reply.methodResponses()
            let verified = try XCTUnwrap((responses[0][1] as? [String: Any])?["ids"] as? [String])
            let list = try XCTUnwrap((responses[3][1] as? [String: Any])?["list"] as? [[String: Any]])
            var emails: [String: [String: Any]] = [:]
            for e in list { emails[e["id"] as? String ?? ""] = e }
            return (Set(verified), emails)
        }
        // Warm the store once, then 8 clients at once, 50 requests each, on keep-alive connections.
        _ = try await post(server, token, request)
        let started = ContinuousClock.now
        let replies = try await withThrowingTaskGroup(of: [HTTPTestReply].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await onThread {
                        let c = try HTTPTestConnection(port: port, timeout: 120)
                        return try (0..<50).map { _ in
                            try c.request("POST", "/jmap/api", headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: request)
                        }
                    }
                }
            }
            var all: [HTTPTestReply] = []
            for try await r in group { all += r }
            return all
        }
        let elapsed = ContinuousClock.now - started
        XCTAssertEqual(replies.count, 400)
        var disagreements: [String] = []
        for reply in replies {
            guard reply.status == 200 else { disagreements.append("status \(reply.status): \(reply.text.prefix(200))"); continue }
            let answer = try parse(reply)
            if answer.verified != expectedVerified { disagreements.append("hasVerifiedSmime ids differ") }
            if Set(answer.emails.keys) != Set(expected.keys) { disagreements.append("Email ids differ") }
            for (id, cli) in expected {
                for p in properties where !same(answer.emails[id]?[p], cli[p]) {
                    disagreements.append("\(id) \(p): serve \(String(describing: answer.emails[id]?[p])), verify \(String(describing: cli[p]))")
                }
            }
        }
        XCTAssertEqual(disagreements.count, 0, Array(Set(disagreements)).prefix(10).joined(separator: "\n"))
        print("serve: 400 requests of \(expected.count) Email/get each, 8 clients, in \(elapsed)")
        XCTAssertEqual(server.terminate(), 0, server.stderr)
    }

    // MARK: Shutdown

    func testSIGTERMLeavesTheStoreConsistent() async throws {
        let home = try ServeHome()
        defer { home.remove() }
        let corpus = Interop.thunderbirdDirectory.appendingPathComponent("smime").path
        _ = try thunderbirdMessages([])
        let server = try ServeProcess(["--token-file", home.tokenFile, "--store", home.storePath,
                                       "--trust", Interop.thunderbirdTrustAnchor.path, corpus], home: home.url)
        defer { server.kill() }
        let port = server.port
        let token = home.token
        XCTAssertGreaterThan(port, 0, server.stderr)
        let getAll = jmapRequest([["Email/query", ["accountId": "local"], "q"],
                                  ["Email/get", ["accountId": "local", "#ids": ["resultOf": "q", "name": "Email/query", "path": "/ids"],
                                                 "properties": smimeProperties], "g"]])
        // Requests in flight (the first verifies the whole corpus) when SIGTERM comes.
        let inFlight = (0..<3).map { _ in
            Task { try await onThread { try httpRequest(port: port, "POST", "/jmap/api", token: token, body: getAll) } }
        }
        usleep(150_000)
        let status = server.terminate(timeout: 60)
        XCTAssertEqual(status, 0, server.stderr)
        for task in inFlight {
            // Each was either answered whole or never started (connection refused); none is cut off.
            if case .success(let reply) = await task.result {
                XCTAssertEqual(reply.status, 200, reply.text.prefix(300).description)
                XCTAssertNoThrow(try reply.methodResponses())
            }
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: home.storePath))
        XCTAssertTrue(FileManager.default.fileExists(atPath: home.storePath + "-checked"),
                      "the store was closed (and marked clean) on the way out")

        // A later run with the same store works, and finds it whole.
        let later = try CLI.run(["verify", "--store", home.storePath, "--format", "json",
                                 "--trust", Interop.thunderbirdTrustAnchor.path, corpus])
        XCTAssertNotEqual(later.status, 2, later.stderr)
        XCTAssertFalse(later.stderr.lowercased().contains("corrupt"), later.stderr)
        XCTAssertFalse(later.stderr.contains("warning"), later.stderr)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(later.stdout)))
    }

    // MARK: A real JMAP client

    /// The test venv's python (scripts/setup --for-tests), else one on the system, that can import jmaplib.
    private func jmapPython() throws -> URL {
        var candidates: [String] = []
        if let p = ProcessInfo.processInfo.environment["SMIMEKIT_TEST_PYTHON"], !p.isEmpty { candidates.append(p) }
        candidates += [PackageRoot.url.appendingPathComponent(".venv-tests/bin/python3").path, "/usr/bin/python3", "/usr/local/bin/python3"]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: c)
            p.arguments = ["-c", "import jmap.client"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            if (try? p.run()) != nil {
                p.waitUntilExit()
                if p.terminationStatus == 0 { return URL(fileURLWithPath: c) }
            }
        }
        throw FixtureError.toolNotFound("python3 with jmaplib (run scripts/setup --for-tests)")
    }

    func testJmaplibAgainstTheThunderbirdCorpus() async throws {
        _ = try thunderbirdMessages([])
        let python = try jmapPython()
        let home = try ServeHome()
        defer { home.remove() }
        let corpus = Interop.thunderbirdDirectory.appendingPathComponent("smime").path
        let expected = try verifyVerdicts(corpus, trust: Interop.thunderbirdTrustAnchor)
        let server = try ServeProcess(["--token-file", home.tokenFile, "--store", home.storePath,
                                       "--trust", Interop.thunderbirdTrustAnchor.path, corpus], home: home.url)
        defer { server.kill() }
        XCTAssertGreaterThan(server.port, 0, server.stderr)

        let script = PackageRoot.url.appendingPathComponent("Tests/TestSupport/jmap_client_check.py")
        let p = Process()
        p.executableURL = python
        p.arguments = [script.path, "http://127.0.0.1:\(server.port)/.well-known/jmap", home.tokenFile]
        let out = home.url.appendingPathComponent("client.out")
        let err = home.url.appendingPathComponent("client.err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        p.waitUntilExit()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(p.terminationStatus, 0, stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any], stderr)

        XCTAssertEqual(report["apiUrl"] as? String, "http://127.0.0.1:\(server.port)/jmap/api")
        XCTAssertTrue((report["capabilities"] as? [String] ?? []).contains("urn:ietf:params:jmap:smimeverify"))
        XCTAssertEqual((report["echo"] as? [String: Any])?["hello"] as? String, "smimekit")

        // hasVerifiedSmime: exactly what expected.tsv marks signed/verified (where it allows nothing else)...
        let verified = Set(try XCTUnwrap(report["verified"] as? [String]))
        let rows = try Interop.expectedRows()
        var pathToId: [String: String] = [:]
        for (id, e) in expected { if let path = e["path"] as? String { pathToId[URL(fileURLWithPath: path).lastPathComponent] = id } }
        for row in rows where row.file.hasPrefix("smime/") {
            guard let id = pathToId[URL(fileURLWithPath: row.file).lastPathComponent] else { continue }
            if row.status == ["signed/verified"] { XCTAssertTrue(verified.contains(id), "\(row.file) should be verified") }
            if !row.status.contains("signed/verified") { XCTAssertFalse(verified.contains(id), "\(row.file) should not be verified") }
        }
        // ... and what verify says.
        XCTAssertEqual(verified, Set(expected.filter { $0.value["smimeStatus"] as? String == "signed/verified" }.keys))
        // Email/get's smime properties are verify's.
        let emails = try XCTUnwrap(report["emails"] as? [String: [String: Any]])
        XCTAssertEqual(Set(emails.keys), Set(expected.keys))
        for (id, cli) in expected {
            for p in smimeProperties {
                XCTAssertTrue(same(emails[id]?[p], cli[p]), "\(id) \(p): client saw \(String(describing: emails[id]?[p])), verify \(String(describing: cli[p]))")
            }
            XCTAssertEqual(emails[id]?["smimeVerifiedAt"] is NSNull, cli["smimeVerifiedAt"] == nil || cli["smimeVerifiedAt"] is NSNull, id)
        }
        XCTAssertEqual(server.terminate(), 0, server.stderr)
    }
}
