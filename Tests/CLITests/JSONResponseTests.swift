import Foundation
import TestSupport
import XCTest

/// issue 13 item 14: `--format json` is an RFC 8620 Response object for every
/// command; notFound holds ids; one id per set of bytes, with its paths.
final class JSONResponseTests: XCTestCase {
    /// The method responses of a Response object, checking its shape.
    private func responses(_ stdout: String, file: StaticString = #filePath, line: UInt = #line) throws -> [[Any]] {
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], stdout, file: file, line: line)
        XCTAssertEqual(Set(object.keys), ["methodResponses", "sessionState"], stdout, file: file, line: line)
        XCTAssertNotNil(object["sessionState"] as? String, file: file, line: line)
        let list = try XCTUnwrap(object["methodResponses"] as? [[Any]], stdout, file: file, line: line)
        for invocation in list {
            XCTAssertEqual(invocation.count, 3, "[name, arguments, callId]", file: file, line: line)
            XCTAssertNotNil(invocation[0] as? String, file: file, line: line)
            XCTAssertNotNil(invocation[1] as? [String: Any], file: file, line: line)
            XCTAssertNotNil(invocation[2] as? String, file: file, line: line)
        }
        return list
    }

    func testEveryCommandAnswersAResponseObject() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try SigningPKI()
        let signed = try runner.write(try pki.signed(MessageSpec()), "mail/a.eml")
        let dir = runner.home.appendingPathComponent("mail").path
        let cases: [([String], String, Bool)] = [
            (["status", "--format", "json", dir], "Email/get", false),
            (["status", "--cached", "--format", "json", dir], "Email/get", true),
            (["verify", "--format", "json"] + pki.trust + [dir], "Email/get", true),
            (["verify", "--format", "json", "--details"] + pki.trust + [dir], "Email/get", true),
            (["query", "--format", "json", "--has-smime", dir], "Email/query", false),
            (["query", "--format", "json", "--has-verified-smime"] + pki.trust + [dir], "Email/query", true),
            (["query", "--format", "json", "--filter", #"{"inMailbox":"x"}"#, dir], "error", false),
            (["changes", "--since", try runner.run(["changes", dir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines), dir], "Email/changes", true),
            (["changes", "--since", "nonsense-1", dir], "error", true),
        ]
        for (args, name, store) in cases {
            let r = try runner.run(args, useStore: store)
            let list = try responses(r.stdout)
            XCTAssertEqual(list.first?.first as? String, name, "\(args): \(r.stdout)")
        }
        _ = signed
    }

    func testNotFoundHoldsIdsAndUnreadablePathsGoBesideIt() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let plain = try runner.write(MessageSpec().unsigned, "plain.eml")
        let missing = runner.home.appendingPathComponent("missing.eml").path
        for command in ["status", "verify"] {
            let r = try runner.run([command, "--format", "json", "--no-system-trust", plain, missing])
            XCTAssertEqual(r.status, 2)
            XCTAssertTrue(r.stderr.contains("missing.eml"), r.stderr)
            let get = try XCTUnwrap(try responses(r.stdout).first?[1] as? [String: Any])
            XCTAssertEqual(get["notFound"] as? [String], [], "notFound holds ids; no id was asked for")
            XCTAssertEqual(get["notFoundPaths"] as? [String], [missing])
            let list = try XCTUnwrap(get["list"] as? [[String: Any]])
            XCTAssertEqual(list.map { $0["path"] as? String }, [plain])
        }
    }

    func testTheSameBytesAtTwoPathsAreOneIdWithBothPaths() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try SigningPKI()
        let bytes = try pki.signed(MessageSpec())
        let a = try runner.write(bytes, "a.eml")
        let other = try runner.write(MessageSpec().unsigned, "other.eml")
        let b = try runner.write(bytes, "b.eml")
        for args in [["status", "--format", "json"], ["verify", "--format", "json"] + pki.trust, ["verify", "--format", "json", "--details"] + pki.trust] {
            let r = try runner.run(args + [a, other, b])
            let get = try XCTUnwrap(try responses(r.stdout).first?[1] as? [String: Any])
            let list = try XCTUnwrap(get["list"] as? [[String: Any]], r.stdout)
            XCTAssertEqual(list.count, 2, "\(args): \(r.stdout)")
            XCTAssertEqual(Set(list.compactMap { $0["id"] as? String }).count, 2)
            XCTAssertEqual(list[0]["paths"] as? [String], [a, b])
            XCTAssertEqual(list[0]["path"] as? String, a)
            XCTAssertEqual(list[1]["paths"] as? [String], [other])
        }
        // Email/query: the id once, total counting Emails, and paths to map ids back to files.
        let q = try runner.run(["query", "--format", "json", "--no-cache", a, other, b], useStore: false)
        let query = try XCTUnwrap(try responses(q.stdout).first?[1] as? [String: Any])
        let ids = try XCTUnwrap(query["ids"] as? [String])
        XCTAssertEqual(ids.count, 2, q.stdout)
        XCTAssertEqual(query["total"] as? Int, 2)
        let paths = try XCTUnwrap(query["paths"] as? [String: [String]])
        XCTAssertEqual(paths[ids[0]], [a, b])
        XCTAssertEqual(paths[ids[1]], [other])
        XCTAssertEqual(Set(paths.keys), Set(ids))
        // With a window, paths covers exactly the ids in it.
        let w = try runner.run(["query", "--format", "json", "--no-cache", "--position", "1", a, other, b], useStore: false)
        let window = try XCTUnwrap(try responses(w.stdout).first?[1] as? [String: Any])
        XCTAssertEqual(window["ids"] as? [String], [ids[1]])
        XCTAssertEqual((window["paths"] as? [String: [String]])?.keys.sorted(), [ids[1]])
    }

    /// RFC 8621 4.6: created Emails have a threadId; a reply shares its thread.
    func testEmailSetCreatedCarriesAThreadId() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let creates = #"""
            {"using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail"],"methodCalls":[["Email/set",{"accountId":"a","create":{
              "first":{"from":[{"email":"a@example.org"}],"subject":"hello","messageId":["root@example.org"],"bodyValues":{"1":{"value":"hi"}},"textBody":[{"partId":"1","type":"text/plain"}]},
              "reply":{"from":[{"email":"b@example.org"}],"subject":"Re: hello","messageId":["reply@example.org"],"inReplyTo":["root@example.org"],"references":["root@example.org"],"bodyValues":{"1":{"value":"hi back"}},"textBody":[{"partId":"1","type":"text/plain"}]},
              "other":{"from":[{"email":"c@example.org"}],"subject":"unrelated","bodyValues":{"1":{"value":"x"}},"textBody":[{"partId":"1","type":"text/plain"}]}
            }},"c0"]]}
            """#
        let request = try runner.write(Array(creates.utf8), "request.json")
        let out = runner.home.appendingPathComponent("out").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let r = try runner.run(["sign", "--jmap", request, "--output-dir", out], useStore: false)
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let set = try XCTUnwrap(try responses(r.stdout).first?[1] as? [String: Any])
        let created = try XCTUnwrap(set["created"] as? [String: [String: Any]], r.stdout)
        let threads = try created.mapValues { try XCTUnwrap($0["threadId"] as? String, r.stdout) }
        XCTAssertEqual(threads["first"], threads["reply"], "a reply is in the thread of what it replies to")
        XCTAssertNotEqual(threads["first"], threads["other"])
        for t in threads.values { XCTAssertTrue(t.hasPrefix("T") && t.count == 25, t) }
    }
}
