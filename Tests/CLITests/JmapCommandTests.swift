// `smimekit jmap` through the binary: the Thunderbird corpus answers as verify
// does, request-level errors exit 2 with a problem document, result references
// and method errors, and Email/set create signs into a temporary maildir.
import Foundation
import TestSupport
import XCTest

final class JmapCommandTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-jmap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: work)
    }

    static let using = #""using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail","urn:ietf:params:jmap:smimeverify","urn:ietf:params:jmap:smime-advanced"]"#

    func object(_ run: CLI.Run) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any], run.text + run.stderr)
    }

    /// The method responses, as (name, arguments, callId).
    func responses(_ run: CLI.Run, file: StaticString = #filePath, line: UInt = #line) throws -> [(String, [String: Any], String)] {
        XCTAssertEqual(run.status, 0, run.stderr, file: file, line: line)
        let list = try XCTUnwrap(try object(run)["methodResponses"] as? [[Any]], run.text, file: file, line: line)
        return list.map { ($0[0] as? String ?? "", $0[1] as? [String: Any] ?? [:], $0[2] as? String ?? "") }
    }

    func jmap(_ calls: String, _ args: [String]) throws -> CLI.Run {
        try CLI.run(["jmap"] + args, stdin: Array(#"{\#(Self.using),"methodCalls":\#(calls)}"#.utf8))
    }

    func emailId(of file: URL) throws -> String {
        let bytes = try Data(contentsOf: file)
        let run = try CLI.run(["verify", "--no-cache", "--format", "ndjson", "--no-system-trust", file.path])
        let line = try XCTUnwrap(run.lines.first, run.stderr)
        let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertFalse(bytes.isEmpty)
        return try XCTUnwrap(o["id"] as? String)
    }

    // MARK: the Thunderbird corpus

    func testThunderbirdQueryAndGetAnswerAsVerifyDoes() throws {
        try XCTSkipUnless(Interop.isAvailable, "the Thunderbird corpus is not beside the package")
        let rows = try Interop.expectedRows()
        let dir = Interop.thunderbirdDirectory.appendingPathComponent("smime")
        let store = work.appendingPathComponent("results.sqlite").path
        let trust = ["--no-system-trust", "--trust", Interop.thunderbirdTrustAnchor.path]

        // verify's answers first, through the same store.
        let verify = try CLI.run(["verify", "--store", store, "--format", "json"] + trust + [dir.path])
        XCTAssertEqual(verify.status, 1, "the corpus has failures: \(verify.stderr)")
        let list = try XCTUnwrap(((try object(verify)["methodResponses"] as? [[Any]])?.first?[1] as? [String: Any])?["list"] as? [[String: Any]])
        var verified: [String: [String: Any]] = [:]
        var pathOf: [String: String] = [:]
        for item in list {
            let id = try XCTUnwrap(item["id"] as? String)
            verified[id] = item
            pathOf[id] = String((item["path"] as? String ?? "").dropFirst(Interop.thunderbirdDirectory.path.count + 1))
        }

        let run = try jmap(##"""
            [["Email/query",{"accountId":"local","filter":{"hasVerifiedSmime":true},"calculateTotal":true},"q"],
             ["Email/get",{"accountId":"local","ids":null,"properties":["smimeStatus","smimeStatusAtDelivery","smimeErrors","smimeVerifiedAt"]},"g"]]
            """##, ["--store", store] + trust + [dir.path])
        let r = try responses(run)
        XCTAssertEqual(r.map(\.0), ["Email/query", "Email/get"], run.text)
        let ids = try XCTUnwrap(r[0].1["ids"] as? [String])
        XCTAssertEqual(r[0].1["total"] as? Int, ids.count)

        // Exactly the rows the table marks signed/verified (a row that may go either way
        // is in the answer when verify says it verified).
        let matched = Set(ids.compactMap { pathOf[$0] })
        XCTAssertEqual(matched.count, ids.count, "every id names a file verify saw")
        for row in rows {
            if row.status == ["signed/verified"] {
                XCTAssertTrue(matched.contains(row.file), "\(row.file) is signed/verified")
            } else if !row.status.contains("signed/verified") {
                XCTAssertFalse(matched.contains(row.file), "\(row.file) is \(row.status)")
            }
        }
        for file in matched { XCTAssertNotNil(rows.first { $0.file == file && $0.status.contains("signed/verified") }, file) }
        XCTAssertGreaterThanOrEqual(matched.count, rows.filter { $0.status == ["signed/verified"] }.count)

        // Email/get gives the four properties as verify --format json does. A verdict the
        // cache does not keep (its certificate has expired, say) is computed afresh by each
        // run: its smimeVerifiedAt then lies between verify's before and verify's after.
        let again = try CLI.run(["verify", "--store", store, "--format", "json"] + trust + [dir.path])
        var after: [String: [String: Any]] = [:]
        for item in try XCTUnwrap(((try object(again)["methodResponses"] as? [[Any]])?.first?[1] as? [String: Any])?["list"] as? [[String: Any]]) {
            after[item["id"] as? String ?? ""] = item
        }
        let got = try XCTUnwrap(r[1].1["list"] as? [[String: Any]])
        XCTAssertEqual(Set(got.compactMap { $0["id"] as? String }), Set(verified.keys))
        var served = 0
        for item in got {
            let id = try XCTUnwrap(item["id"] as? String)
            let want = try XCTUnwrap(verified[id])
            for key in ["smimeStatus", "smimeStatusAtDelivery", "smimeErrors"] {
                XCTAssertEqual(String(describing: item[key] ?? "absent"), String(describing: want[key] ?? "absent"), "\(pathOf[id] ?? id) \(key)")
            }
            let before = want["smimeVerifiedAt"] as? String, later = after[id]?["smimeVerifiedAt"] as? String
            let mine = item["smimeVerifiedAt"] as? String
            if before == later {
                served += 1
                XCTAssertEqual(mine, before, "\(pathOf[id] ?? id): served from the cache verify filled")
            } else {
                let (b, m, l) = (try XCTUnwrap(before), try XCTUnwrap(mine, pathOf[id] ?? id), try XCTUnwrap(later))
                XCTAssertTrue(b <= m && m <= l, "\(pathOf[id] ?? id): \(b) <= \(m) <= \(l)")
            }
        }
        XCTAssertGreaterThan(served, 30, "most verdicts come from the cache verify filled")
        // The same ids, in the same order, as query --format json.
        let query = try CLI.run(["query", "--store", store, "--has-verified-smime", "--format", "json"] + trust + [dir.path])
        XCTAssertEqual(query.status, 0, query.stderr)
        let queryIds = ((try object(query)["methodResponses"] as? [[Any]])?.first?[1] as? [String: Any])?["ids"] as? [String]
        XCTAssertEqual(queryIds, ids)
        let verifiedIds = Set(verified.filter { ["signed/verified", "encrypted+signed/verified"].contains($0.value["smimeStatus"] as? String ?? "") }.keys)
        XCTAssertEqual(Set(ids), verifiedIds)

        // Without a shared cache the verdicts are computed again, and are the same.
        let fresh = try responses(try jmap(##"[["Email/get",{"accountId":"local","properties":["smimeStatus","smimeErrors"]},"g"]]"##,
                                           ["--no-cache"] + trust + [dir.path]))
        for item in try XCTUnwrap(fresh[0].1["list"] as? [[String: Any]]) {
            let id = try XCTUnwrap(item["id"] as? String)
            XCTAssertEqual(item["smimeStatus"] as? String, verified[id]?["smimeStatus"] as? String, pathOf[id] ?? id)
            XCTAssertEqual(item["smimeErrors"] as? [String], verified[id]?["smimeErrors"] as? [String], pathOf[id] ?? id)
        }
    }

    // MARK: requests and errors

    func testRequestLevelErrorsAreProblemDocumentsAndExit2() throws {
        let box = work.appendingPathComponent("box")
        try FileManager.default.createDirectory(at: box, withIntermediateDirectories: true)
        let notJSON = try CLI.run(["jmap", "--no-cache", box.path], stdin: Array("{nope".utf8))
        XCTAssertEqual(notJSON.status, 2)
        XCTAssertEqual(try object(notJSON)["type"] as? String, "urn:ietf:params:jmap:error:notJSON")
        XCTAssertEqual(try object(notJSON)["status"] as? Int, 400)

        let unknown = try CLI.run(["jmap", "--no-cache", box.path],
                                  stdin: Array(#"{"using":["urn:example:what"],"methodCalls":[]}"#.utf8))
        XCTAssertEqual(unknown.status, 2)
        XCTAssertEqual(try object(unknown)["type"] as? String, "urn:ietf:params:jmap:error:unknownCapability")

        let notRequest = try CLI.run(["jmap", "--no-cache", box.path], stdin: Array(#"{"methodCalls":[]}"#.utf8))
        XCTAssertEqual(notRequest.status, 2)
        XCTAssertEqual(try object(notRequest)["type"] as? String, "urn:ietf:params:jmap:error:notRequest")

        // A directory that is not there is a bad operand.
        let missing = try CLI.run(["jmap", "--no-cache", work.appendingPathComponent("nothere").path], stdin: Array("{}".utf8))
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("not a directory"), missing.stderr)
    }

    func testResultReferencesAndMethodErrorsFromAFile() throws {
        let box = work.appendingPathComponent("box")
        try FileManager.default.createDirectory(at: box, withIntermediateDirectories: true)
        for (i, subject) in ["alpha", "beta", "gamma"].enumerated() {
            let text = "From: a\(i)@example.org\r\nTo: b@example.org\r\nSubject: \(subject)\r\nDate: Mon, 2\(i) Jan 2026 10:00:00 +0000\r\n\r\nbody \(i)\r\n"
            try Data(text.utf8).write(to: box.appendingPathComponent("\(i).eml"))
        }
        let request = work.appendingPathComponent("request.json")
        try Data(#"""
            {\#(Self.using),"methodCalls":[
             ["Email/query",{"accountId":"local","sort":[{"property":"receivedAt","isAscending":false}],"limit":2},"q"],
             ["Email/get",{"accountId":"local","#ids":{"resultOf":"q","name":"Email/query","path":"/ids"},"properties":["subject"]},"g"],
             ["Mailbox/get",{"accountId":"local","ids":null,"properties":["name","totalEmails"]},"m"],
             ["Core/echo",{"#names":{"resultOf":"g","name":"Email/get","path":"/list/*/subject"}},"e"],
             ["Email/get",{"accountId":"local","#ids":{"resultOf":"q","name":"Mailbox/get","path":"/ids"}},"bad"],
             ["Email/get",{"accountId":"elsewhere"},"acct"],
             ["Email/frobnicate",{"accountId":"local"},"what"]]}
            """#.utf8).write(to: request)
        let r = try responses(try CLI.run(["jmap", "--no-cache", "--request", request.path, box.path]))
        XCTAssertEqual(r.map(\.2), ["q", "g", "m", "e", "bad", "acct", "what"])
        XCTAssertEqual((r[1].1["list"] as? [[String: Any]])?.compactMap { $0["subject"] as? String }, ["gamma", "beta"])
        XCTAssertEqual((r[2].1["list"] as? [[String: Any]])?.first?["totalEmails"] as? Int, 3)
        XCTAssertEqual((r[2].1["list"] as? [[String: Any]])?.first?["name"] as? String, "box")
        XCTAssertEqual(r[3].1["names"] as? [String], ["gamma", "beta"])
        XCTAssertEqual(r[4].0, "error")
        XCTAssertEqual(r[4].1["type"] as? String, "invalidResultReference")
        XCTAssertEqual(r[5].1["type"] as? String, "accountNotFound")
        XCTAssertEqual(r[6].1["type"] as? String, "unknownMethod")

        // The Session, for scripts that want the capabilities.
        let session = try CLI.run(["jmap", "--no-cache", "--session", box.path])
        XCTAssertEqual(session.status, 0, session.stderr)
        let caps = try XCTUnwrap(try object(session)["capabilities"] as? [String: Any])
        XCTAssertNotNil(caps["urn:ietf:params:jmap:smimeverify"])
        XCTAssertNotNil(caps["urn:ietf:params:jmap:smime-advanced"])
    }

    // MARK: Email/set

    func testEmailSetCreateSignsIntoAMaildir() throws {
        let pki = try PKIFactory()
        let root = try pki.makeCA(name: "JMAP Root")
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let mail = work.appendingPathComponent("Maildir")
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: mail.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let store = work.appendingPathComponent("results.sqlite").path
        let options = ["--store", store, "--no-system-trust", "--trust", root.certPEM.path,
                       "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, mail.path]

        let inbox = try XCTUnwrap((try responses(try jmap(#"[["Mailbox/get",{"accountId":"local"},"m"]]"#, options))[0].1["list"]
            as? [[String: Any]])?.first?["id"] as? String)
        let r = try responses(try jmap(#"""
            [["Email/set",{"accountId":"local","create":{
                "signed":{"mailboxIds":{"\#(inbox)":true},"smimeSign":true,
                          "from":[{"name":"Alice","email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],
                          "subject":"signed over JMAP","textBody":[{"partId":"t","type":"text/plain"}],
                          "bodyValues":{"t":{"value":"Hello Bob, this is signed."}}},
                "stranger":{"mailboxIds":{"\#(inbox)":true},"smimeSign":true,
                          "from":[{"email":"mallory@example.org"}],"subject":"not mine",
                          "textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"x"}}}}},"s"],
             ["Email/get",{"accountId":"local","ids":["#signed"],"properties":["subject","smimeStatus","smimeErrors","size","blobId"]},"g"]]
            """#, options))
        XCTAssertEqual(r[0].0, "Email/set")
        let created = try XCTUnwrap((r[0].1["created"] as? [String: Any])?["signed"] as? [String: Any], "\(r[0].1)")
        let id = try XCTUnwrap(created["id"] as? String)
        XCTAssertNotNil(created["threadId"] as? String)
        // The signer must be named by the key's certificate: nothing is written for Mallory.
        let refused = try XCTUnwrap((r[0].1["notCreated"] as? [String: Any])?["stranger"] as? [String: Any])
        XCTAssertEqual(refused["type"] as? String, "invalidProperties", "\(refused)")

        let files = try FileManager.default.contentsOfDirectory(atPath: mail.appendingPathComponent("new").path)
        XCTAssertEqual(files.count, 1, "\(files)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: mail.appendingPathComponent("tmp").path), [])
        let file = mail.appendingPathComponent("new").appendingPathComponent(files[0])
        let bytes = try Data(contentsOf: file)
        XCTAssertEqual(created["size"] as? Int, bytes.count)
        // The id is the one verify gives the file, and the message verifies.
        XCTAssertEqual(try emailId(of: file), id)
        let verify = try CLI.run(["verify", "--no-cache", "--no-system-trust", "--trust", root.certPEM.path, "--format", "ndjson", file.path])
        XCTAssertEqual(verify.status, 0, verify.text + verify.stderr)
        XCTAssertTrue(verify.text.contains(#""smimeStatus":"signed/verified""#), verify.text)

        // The same request's Email/get found it through the creation id, verified.
        let got = try XCTUnwrap((r[1].1["list"] as? [[String: Any]])?.first, "\(r[1].1)")
        XCTAssertEqual(got["id"] as? String, id)
        XCTAssertEqual(got["subject"] as? String, "signed over JMAP")
        XCTAssertEqual(got["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(got["blobId"] as? String, created["blobId"] as? String)

        // Changing or destroying it is refused, and leaves it in place.
        let refusal = try responses(try jmap(#"[["Email/set",{"accountId":"local","update":{"\#(id)":{"keywords":{"$seen":true}}},"destroy":["\#(id)"]},"s"]]"#, options))
        XCTAssertEqual(((refusal[0].1["notDestroyed"] as? [String: Any])?[id] as? [String: Any])?["type"] as? String, "forbidden")
        XCTAssertEqual(((refusal[0].1["notUpdated"] as? [String: Any])?[id] as? [String: Any])?["type"] as? String, "forbidden")
        XCTAssertTrue(FileManager.default.fileExists(atPath: file.path))
    }

    func testEmailChangesAcrossRuns() throws {
        let box = work.appendingPathComponent("box")
        try FileManager.default.createDirectory(at: box, withIntermediateDirectories: true)
        try Data("From: a@example.org\r\nSubject: one\r\n\r\nx\r\n".utf8).write(to: box.appendingPathComponent("1.eml"))
        let store = ["--store", work.appendingPathComponent("results.sqlite").path, box.path]
        let first = try responses(try jmap(#"[["Email/get",{"accountId":"local","ids":[]},"g"]]"#, store))
        let state = try XCTUnwrap(first[0].1["state"] as? String)
        try Data("From: a@example.org\r\nSubject: two\r\n\r\ny\r\n".utf8).write(to: box.appendingPathComponent("2.eml"))
        try FileManager.default.removeItem(at: box.appendingPathComponent("1.eml"))
        let changes = try responses(try jmap(#"[["Email/changes",{"accountId":"local","sinceState":"\#(state)"},"c"]]"#, store))
        XCTAssertEqual(changes[0].0, "Email/changes", "\(changes[0].1)")
        XCTAssertEqual((changes[0].1["created"] as? [String])?.count, 1)
        XCTAssertEqual((changes[0].1["destroyed"] as? [String])?.count, 1)
        XCTAssertNotEqual(changes[0].1["newState"] as? String, state)
        let bad = try responses(try jmap(#"[["Email/changes",{"accountId":"local","sinceState":"nonsense"},"c"]]"#, store))
        XCTAssertEqual(bad[0].1["type"] as? String, "cannotCalculateChanges")
    }

    /// RFC 9219: a new smimeVerifiedAt alone is no change of the Email; a new status is.
    func testANewVerifiedAtAloneIsNoChange() throws {
        try XCTSkipUnless(Interop.isAvailable, "the Thunderbird corpus is not beside the package")
        let box = work.appendingPathComponent("box")
        try FileManager.default.createDirectory(at: box, withIntermediateDirectories: true)
        let source = Interop.thunderbirdDirectory.appendingPathComponent("smime/alice.dsig.SHA256.multipart.eml")
        try FileManager.default.copyItem(at: source, to: box.appendingPathComponent("signed.eml"))
        let store = work.appendingPathComponent("results.sqlite").path
        // --max-age 0: no verdict is served from the cache, each run verifies again.
        let trusted = ["--store", store, "--max-age", "0", "--no-system-trust", "--trust", Interop.thunderbirdTrustAnchor.path, box.path]
        let get = #"[["Email/get",{"accountId":"local","properties":["smimeStatus","smimeVerifiedAt"]},"g"]]"#
        let first = try responses(try jmap(get, trusted))[0].1
        let state = try XCTUnwrap(first["state"] as? String)
        let firstItem = try XCTUnwrap((first["list"] as? [[String: Any]])?.first)
        XCTAssertEqual(firstItem["smimeStatus"] as? String, "signed/verified")
        // Email/parse of the message's blob verifies it the same way (RFC 9219 4.1).
        let parse = try responses(try jmap(##"""
            [["Email/get",{"accountId":"local","properties":["blobId"]},"g"],
             ["Email/parse",{"accountId":"local","#blobIds":{"resultOf":"g","name":"Email/get","path":"/list/*/blobId"},
                             "properties":["subject","smimeStatus","smimeErrors"]},"p"]]
            """##, trusted))
        let parsed = try XCTUnwrap((parse[1].1["parsed"] as? [String: Any])?.values.first as? [String: Any], "\(parse[1].1)")
        XCTAssertEqual(parsed["smimeStatus"] as? String, "signed/verified")
        Thread.sleep(forTimeInterval: 1.1)
        let r = try responses(try jmap(get + "", trusted))
        let secondItem = try XCTUnwrap((r[0].1["list"] as? [[String: Any]])?.first)
        XCTAssertNotEqual(secondItem["smimeVerifiedAt"] as? String, firstItem["smimeVerifiedAt"] as? String, "verified again")
        let same = try responses(try jmap(#"[["Email/changes",{"accountId":"local","sinceState":"\#(state)"},"c"]]"#, trusted))[0].1
        XCTAssertEqual(same["newState"] as? String, state)
        XCTAssertEqual(same["updated"] as? [String], [])

        // Without the anchor the status changes: that is an update.
        let untrusted = ["--store", store, "--max-age", "0", "--no-system-trust", box.path]
        let changed = try responses(try jmap(#"[["Email/changes",{"accountId":"local","sinceState":"\#(state)"},"c"]]"#, untrusted))[0].1
        XCTAssertEqual(changed["updated"] as? [String], [try XCTUnwrap(firstItem["id"] as? String)])
        XCTAssertEqual(changed["created"] as? [String], [])
    }

    func testEmailSetSignsAndEncryptsAndTheServerReadsItWithTheKey() throws {
        let pki = try PKIFactory()
        let root = try pki.makeCA(name: "JMAP Root")
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root)
        let book = work.appendingPathComponent("book")
        try FileManager.default.createDirectory(at: book, withIntermediateDirectories: true)
        for (name, c) in [("alice", alice), ("bob", bob)] { try FileManager.default.copyItem(at: c.certPEM, to: book.appendingPathComponent(name + ".pem")) }
        let box = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: box, withIntermediateDirectories: true)
        let base = ["--no-cache", "--no-system-trust", "--trust", root.certPEM.path]
        let maker = base + ["--key", alice.keyPEM.path, "--cert", alice.certPEM.path, "--recipients", book.path, box.path]
        let boxId = try XCTUnwrap((try responses(try jmap(#"[["Mailbox/get",{"accountId":"local"},"m"]]"#, maker))[0].1["list"]
            as? [[String: Any]])?.first?["id"] as? String)
        let made = try responses(try jmap(#"""
            [["Email/set",{"accountId":"local","create":{
                "both":{"mailboxIds":{"\#(boxId)":true},"smimeSign":true,"smimeEncrypt":true,
                        "from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],"subject":"secret plan",
                        "textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"Meet at noon by the fountain."}}},
                "nobody":{"mailboxIds":{"\#(boxId)":true},"smimeEncrypt":true,
                        "from":[{"email":"alice@example.org"}],"to":[{"email":"carol@example.org"}],"subject":"no certificate",
                        "textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"x"}}}}},"s"]]
            """#, maker))[0].1
        let id = try XCTUnwrap(((made["created"] as? [String: Any])?["both"] as? [String: Any])?["id"] as? String, "\(made)")
        // Carol has no certificate in the book: nothing is written for her message.
        let refused = try XCTUnwrap((made["notCreated"] as? [String: Any])?["nobody"] as? [String: Any])
        XCTAssertTrue((refused["description"] as? String ?? "").contains("carol@example.org"), "\(refused)")
        let files = try FileManager.default.contentsOfDirectory(atPath: box.path).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(files, [id + ".eml"])
        let text = String(decoding: try Data(contentsOf: box.appendingPathComponent(files[0])), as: UTF8.self)
        XCTAssertTrue(text.contains("application/pkcs7-mime"), "encrypted")
        XCTAssertFalse(text.contains("fountain"), "the body is not readable outside")

        // Bob's key opens it: the verdict and the search look inside.
        let reader = base + ["--decrypt-key", bob.keyPEM.path, "--decrypt-cert", bob.certPEM.path, box.path]
        let r = try responses(try jmap(#"""
            [["Email/query",{"accountId":"local","filter":{"text":"fountain","hasVerifiedSmime":true}},"q"],
             ["Email/get",{"accountId":"local","ids":["\#(id)"],"properties":["smimeStatus","smimeErrors","preview"]},"g"]]
            """#, reader))
        XCTAssertEqual(r[0].1["ids"] as? [String], [id])
        let got = try XCTUnwrap((r[1].1["list"] as? [[String: Any]])?.first)
        XCTAssertEqual(got["smimeStatus"] as? String, "encrypted+signed/verified", "\(got)")
        XCTAssertTrue((got["preview"] as? String ?? "").contains("fountain"), "\(got)")
        // Without it the message is S/MIME the server cannot read.
        let blind = try responses(try jmap(#"[["Email/get",{"accountId":"local","ids":["\#(id)"],"properties":["smimeStatus"]},"g"]]"#, base + [box.path]))
        XCTAssertEqual((blind[0].1["list"] as? [[String: Any]])?.first?["smimeStatus"] as? String, "unknown")
    }
}
