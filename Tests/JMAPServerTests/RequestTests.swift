// Request-level parsing and problems (RFC 8620 3.3, 3.6.1), method-level errors
// (3.6.2), result references with JSON Pointer (3.7, RFC 6901) and the Session (2).
import Foundation
import JMAP
@testable import JMAPServer
import XCTest

final class RequestTests: BackendTestCase {
    func problem(_ b: MailBackend, _ body: String) throws -> (Int, String, JSON) {
        let reply = send(b, body)
        return (reply.status, reply.contentType, try JSON.parse(reply.body))
    }

    func testProblemDocuments() throws {
        let b = backend()
        let (status, type, doc) = try problem(b, "{not json")
        XCTAssertEqual(status, 400)
        XCTAssertEqual(type, "application/problem+json")
        XCTAssertEqual(doc["type"]?.stringValue, "urn:ietf:params:jmap:error:notJSON")
        XCTAssertEqual(doc["status"]?.numberValue, 400)

        for body in [#"[]"#, #"{"methodCalls":[]}"#, #"{"using":[],"methodCalls":{}}"#,
                     #"{"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{}]]}"#,
                     #"{"using":[1],"methodCalls":[]}"#, #"{"using":[],"methodCalls":[],"extra":1}"#] {
            let (s, _, d) = try problem(b, body)
            XCTAssertEqual(s, 400, body)
            XCTAssertEqual(d["type"]?.stringValue, "urn:ietf:params:jmap:error:notRequest", body)
        }

        let (s2, _, d2) = try problem(b, #"{"using":["urn:ietf:params:jmap:core","urn:example:nope"],"methodCalls":[]}"#)
        XCTAssertEqual(s2, 400)
        XCTAssertEqual(d2["type"]?.stringValue, "urn:ietf:params:jmap:error:unknownCapability")
        XCTAssertTrue(d2["detail"]?.stringValue?.contains("urn:example:nope") ?? false)

        var limits = JMAPLimits()
        limits.maxCallsInRequest = 2
        let small = backend(limits: limits)
        let three = #"[["Core/echo",{},"a"],["Core/echo",{},"b"],["Core/echo",{},"c"]]"#
        let (s3, _, d3) = try problem(small, request(three))
        XCTAssertEqual(s3, 400)
        XCTAssertEqual(d3["type"]?.stringValue, "urn:ietf:params:jmap:error:limit")
        XCTAssertEqual(d3["limit"]?.stringValue, "maxCallsInRequest")
        XCTAssertEqual(send(small, request(#"[["Core/echo",{},"a"],["Core/echo",{},"b"]]"#)).status, 200)

        limits = JMAPLimits()
        limits.maxSizeRequest = 50
        let (s4, _, d4) = try problem(backend(limits: limits), request(#"[["Core/echo",{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"a"]]"#))
        XCTAssertEqual(s4, 400)
        XCTAssertEqual(d4["limit"]?.stringValue, "maxSizeRequest")
    }

    func testEchoAndMethodErrors() throws {
        let b = backend()
        let echo = try one(b, "Core/echo", #"{"hello":[1,"two",{"three":null}]}"#)
        XCTAssertEqual(echo.serialized(), #"{"hello":[1,"two",{"three":null}]}"#)

        XCTAssertEqual(try errorType(b, "Nope/get", #"{"accountId":"local"}"#), "unknownMethod")
        // Mail methods need the mail capability in using.
        XCTAssertEqual(try errorType(b, "Mailbox/get", #"{"accountId":"local"}"#, using: [Capabilities.core]), "unknownMethod")
        XCTAssertEqual(try errorType(b, "Mailbox/get", #"{"accountId":"other"}"#), "accountNotFound")
        XCTAssertEqual(try errorType(b, "Mailbox/get", #"{}"#), "invalidArguments")
        XCTAssertEqual(try errorType(b, "Mailbox/get", #"{"accountId":"local","ids":"x"}"#), "invalidArguments")

        // An error answers its call only: the next call is still made, with its own callId.
        let r = try call(b, #"[["Nope/x",{},"first"],["Core/echo",{"n":1},"second"]]"#)
        XCTAssertEqual(r.map(\.0), ["error", "Core/echo"])
        XCTAssertEqual(r.map(\.2), ["first", "second"])
        XCTAssertEqual(r[0].1["description"]?.stringValue?.isEmpty, false)
    }

    func testJSONPointer() throws {
        let doc = try JSON.parse(Array(#"{"a/b":{"m~n":[1,2]},"list":[{"id":"x","t":["p","q"]},{"id":"y","t":["r"]}]}"#.utf8))
        XCTAssertEqual(try JSONPointer.evaluate("", in: doc), doc)
        XCTAssertEqual(try JSONPointer.evaluate("/a~1b/m~0n/1", in: doc), .number(2))
        XCTAssertEqual(try JSONPointer.evaluate("/list/*/id", in: doc), .array([.string("x"), .string("y")]))
        // `*` flattens arrays it yields (RFC 8620 3.7).
        XCTAssertEqual(try JSONPointer.evaluate("/list/*/t", in: doc), .array(["p", "q", "r"].map { .string($0) }))
        for bad in ["list", "/missing", "/list/2", "/list/01", "/list/0/id/deeper"] {
            XCTAssertThrowsError(try JSONPointer.evaluate(bad, in: doc), bad) { e in
                XCTAssertEqual((e as? MethodError)?.type, "invalidResultReference", bad)
            }
        }
    }

    func testResultReferences() throws {
        let b = backend()
        let r = try call(b, ##"""
            [["Core/echo",{"ids":["a","b"],"list":[{"id":"x"},{"id":"y"}]},"e1"],
             ["Core/echo",{"#got":{"resultOf":"e1","name":"Core/echo","path":"/list/*/id"}},"e2"],
             ["Core/echo",{"#got":{"resultOf":"nope","name":"Core/echo","path":"/ids"}},"e3"],
             ["Core/echo",{"#got":{"resultOf":"e1","name":"Email/query","path":"/ids"}},"e4"],
             ["Core/echo",{"#got":{"resultOf":"e1","name":"Core/echo","path":"/nothing"}},"e5"],
             ["Core/echo",{"got":1,"#got":{"resultOf":"e1","name":"Core/echo","path":"/ids"}},"e6"],
             ["Core/echo",{"#got":{"resultOf":"e1","name":"Core/echo"}},"e7"]]
            """##)
        XCTAssertEqual(r[1].1.serialized(), #"{"got":["x","y"]}"#)
        XCTAssertEqual(r[2].1["type"]?.stringValue, "invalidResultReference")
        XCTAssertEqual(r[3].1["type"]?.stringValue, "invalidResultReference")
        XCTAssertEqual(r[4].1["type"]?.stringValue, "invalidResultReference")
        XCTAssertEqual(r[5].1["type"]?.stringValue, "invalidArguments")
        XCTAssertEqual(r[6].1["type"]?.stringValue, "invalidResultReference")
        // A reference to an error response fails too: its name is "error".
        let r2 = try call(b, ##"[["Nope/x",{},"bad"],["Core/echo",{"#v":{"resultOf":"bad","name":"Nope/x","path":""}},"c"]]"##)
        XCTAssertEqual(r2[1].1["type"]?.stringValue, "invalidResultReference")
    }

    func testCreatedIdsAreEchoed() throws {
        let b = backend()
        let reply = send(b, #"{"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{},"a"]],"createdIds":{"k1":"Mabc"}}"#)
        let json = try JSON.parse(reply.body)
        XCTAssertEqual(json["createdIds"]?.serialized(), #"{"k1":"Mabc"}"#)
        let without = try JSON.parse(send(b, request(#"[["Core/echo",{},"a"]]"#)).body)
        XCTAssertNil(without["createdIds"])
        XCTAssertEqual(without["sessionState"]?.stringValue, b.sessionState)
    }

    func testSession() async throws {
        let b = backend()
        let urls = SessionURLs(apiUrl: "http://127.0.0.1:1/api", downloadUrl: "http://127.0.0.1:1/d/{accountId}/{blobId}/{name}?type={type}",
                               uploadUrl: "http://127.0.0.1:1/u/{accountId}", eventSourceUrl: "http://127.0.0.1:1/events")
        let s = try JSON.parse(await b.session(urls: urls))
        let caps = try XCTUnwrap(s["capabilities"]?.objectValue).map(\.0)
        XCTAssertEqual(Set(caps), [Capabilities.core, Capabilities.mail, Capabilities.smimeVerify, Capabilities.smimeAdvanced, Capabilities.blob])
        XCTAssertEqual(s["capabilities"]?[Capabilities.core]?["maxCallsInRequest"]?.numberValue, Double(b.limits.maxCallsInRequest))
        XCTAssertEqual(s["capabilities"]?[Capabilities.core]?["maxObjectsInGet"]?.numberValue, Double(b.limits.maxObjectsInGet))
        XCTAssertEqual(s["capabilities"]?[Capabilities.core]?["maxSizeRequest"]?.numberValue, Double(b.limits.maxSizeRequest))
        XCTAssertEqual(s["primaryAccounts"]?[Capabilities.mail]?.stringValue, "local")
        XCTAssertEqual(s["primaryAccounts"]?[Capabilities.smimeVerify]?.stringValue, "local")
        let account = try XCTUnwrap(s["accounts"]?["local"])
        XCTAssertEqual(account["name"]?.stringValue, "tester")
        XCTAssertNotNil(account["accountCapabilities"]?[Capabilities.smimeVerify])
        XCTAssertNotNil(account["accountCapabilities"]?[Capabilities.smimeAdvanced]?["headerProtectionPolicies"])
        XCTAssertEqual(s["username"]?.stringValue, "tester")
        XCTAssertEqual(s["apiUrl"]?.stringValue, urls.apiUrl)
        XCTAssertEqual(s["downloadUrl"]?.stringValue, urls.downloadUrl)
        // The state is the same for the same capabilities and accounts, in every run...
        let state = try XCTUnwrap(s["state"]?.stringValue)
        XCTAssertEqual(state, backend().sessionState)
        XCTAssertEqual(state, b.sessionState)
        // ...and changes with them.
        XCTAssertNotEqual(state, backend(username: "someone else").sessionState)
        var limits = JMAPLimits()
        limits.maxObjectsInGet = 5
        XCTAssertNotEqual(state, backend(limits: limits).sessionState)
    }

    func testAsyncSeam() async throws {
        let b = backend()
        let reply = await b.api(body: Array(request(#"[["Core/echo",{"x":true},"a"]]"#).utf8))
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.contentType, "application/json")
        XCTAssertEqual(try JSON.parse(reply.body)["methodResponses"]?.serialized(), #"[["Core/echo",{"x":true},"a"]]"#)
        let bad = await b.api(body: Array("nope".utf8))
        XCTAssertEqual(bad.status, 400)
    }
}
