// `smimekit sign/encrypt/decrypt` end to end through the built binary: JMAP
// Email/set creates give byte-stable messages (golden files in Golden/) and the
// right SetErrors; every refusal of an .eml leaves nothing written.
//
// SMIMEKIT_UPDATE_GOLDEN=1 rewrites the golden files from what the binary makes.
import Foundation
import TestSupport
import XCTest

final class JMAPEmailSetTests: XCTestCase {
    var pki: PKIFactory!
    var root: CertificateFixture!
    var alice: CertificateFixture!
    var work: URL!

    override func setUpWithError() throws {
        pki = try PKIFactory()
        root = try pki.makeCA(name: "CLI Root")
        alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        work = pki.directory.appendingPathComponent("work-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    // MARK: running the binary

    static var golden: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden") }

    typealias Run = CLI.Run

    func smimekit(_ args: [String], stdin: [UInt8] = []) throws -> Run {
        try CLI.run(args, stdin: stdin, in: work)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let url = work.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func json(_ run: Run) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any], run.text + run.stderr)
    }

    /// The Email/set response arguments of a full Request's answer.
    func setResponse(_ run: Run) throws -> [String: Any] {
        let responses = try XCTUnwrap(try json(run)["methodResponses"] as? [[Any]])
        XCTAssertEqual(responses.first?.first as? String, "Email/set", run.text)
        return try XCTUnwrap(responses.first?[1] as? [String: Any])
    }

    func files(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }

    func request(_ creates: String, using: String = #""urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail","urn:ietf:params:jmap:smime-advanced""#) -> String {
        #"{"using":[\#(using)],"methodCalls":[["Email/set",{"accountId":"a1","create":{\#(creates)}},"c0"]]}"#
    }

    // MARK: golden messages

    static let goldenCreates = #"""
        "plain": {"from":[{"name":"Alice Example","email":"alice@example.org"}],
                  "to":[{"name":"Bob Example","email":"bob@example.org"}],
                  "subject":"Lunch on Friday?","sentAt":"2024-03-01T10:00:00+01:00",
                  "textBody":[{"partId":"t","type":"text/plain"}],
                  "bodyValues":{"t":{"value":"Hi Bob,\n\nlunch on Friday at noon?\n\nAlice\n"}}},
        "rich": {"from":[{"name":"Alice Example","email":"alice@example.org"}],
                 "to":[{"email":"bob@example.org"}],"cc":[{"name":"Carol","email":"carol@example.org"}],
                 "subject":"Quarterly report","sentAt":"2024-03-04T08:30:00Z",
                 "messageId":["report-2024q1@example.org"],"inReplyTo":["ask@example.org"],"references":["ask@example.org"],
                 "header:X-Priority:asText":"3",
                 "textBody":[{"partId":"text"}],"htmlBody":[{"partId":"html","type":"text/html"}],
                 "attachments":[{"blobId":"report.bin","type":"application/pdf","name":"report-q1.pdf"},
                                {"blobId":"logo.bin","type":"image/png","name":"logo.png","disposition":"inline","cid":"logo@example.org"}],
                 "bodyValues":{"text":{"value":"The report is attached.\n"},
                               "html":{"value":"<p>The report is attached.</p><img src=\"cid:logo@example.org\">\n"}}},
        "intl": {"from":[{"name":"Jürgen Müller","email":"juergen@example.de"}],
                 "to":[{"name":"Zoë \"Z\" O’Brien","email":"zoe@example.ie"},{"name":"山田太郎","email":"taro@example.jp"}],
                 "subject":"Grüße aus Köln — Übersicht für das nächste Treffen mit allen Beteiligten 日本語",
                 "sentAt":"2024-12-24T18:00:00-05:00",
                 "textBody":[{"partId":"t"}],
                 "attachments":[{"blobId":"report.bin","type":"application/octet-stream","name":"Überweisung März 2024 – sehr langer Dateiname für den Test.pdf"}],
                 "bodyValues":{"t":{"value":"Schöne Grüße,\nJürgen\n"}}}
        """#

    func makeBlobs() throws -> URL {
        let blobs = work.appendingPathComponent("blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        // Fixed binary content: every byte value, so base64 and boundaries are exercised.
        try Data((0..<600).map { UInt8(($0 * 7) & 0xFF) }).write(to: blobs.appendingPathComponent("report.bin"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 40)).write(to: blobs.appendingPathComponent("logo.bin"))
        return blobs
    }

    func testCreatesGiveByteStableMessagesAndResponses() throws {
        let blobs = try makeBlobs()
        let req = try write(request(Self.goldenCreates), "golden.json")
        var firstRun: [String: [UInt8]] = [:]
        for attempt in 0..<2 {
            let out = work.appendingPathComponent("out\(attempt)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let run = try smimekit(["sign", "--jmap", req, "--output-dir", out.path, "--blob-dir", blobs.path])
            XCTAssertEqual(run.status, 0, run.stderr + run.text)
            let response = try setResponse(run)
            XCTAssertNil(response["notCreated"] as? [String: Any])
            let created = try XCTUnwrap(response["created"] as? [String: [String: Any]])
            XCTAssertEqual(Set(created.keys), ["plain", "rich", "intl"])
            for (name, entry) in created {
                let id = try XCTUnwrap(entry["id"] as? String)
                let bytes = [UInt8](try Data(contentsOf: out.appendingPathComponent("\(id).eml")))
                XCTAssertEqual(entry["size"] as? Int, bytes.count)
                XCTAssertEqual((entry["blobId"] as? String)?.dropFirst().prefix(24), id.dropFirst().prefix(24), "id and blobId come from the same digest")
                XCTAssertTrue(bytes.allSatisfy { $0 < 0x80 }, "\(name) is not 7-bit")
                XCTAssertFalse(zip([0] + bytes, bytes).contains { $1 == 0x0A && $0 != 0x0D }, "\(name) has a bare LF")
                if attempt == 0 { firstRun[name] = bytes } else { XCTAssertEqual(firstRun[name], bytes, "\(name) is not byte-stable") }
                try assertGolden(bytes, "\(name).eml")
            }
            try assertGolden(run.stdout, "response.json")
        }
        // The reader sees what was meant: non-ASCII names, subject and file name decode back.
        let intl = String(decoding: try XCTUnwrap(firstRun["intl"]), as: UTF8.self)
        XCTAssertTrue(intl.contains("filename*0*=utf-8''%C3%9Cberweisung"), intl)
        XCTAssertTrue(intl.contains("Date: Tue, 24 Dec 2024 18:00:00 -0500"))
        let rich = String(decoding: try XCTUnwrap(firstRun["rich"]), as: UTF8.self)
        XCTAssertTrue(rich.contains("Content-Type: multipart/related; type=\"text/html\";"), rich)
        XCTAssertTrue(rich.contains("Content-ID: <logo@example.org>"))
    }

    func assertGolden(_ bytes: [UInt8], _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.golden.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SMIMEKIT_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
            return
        }
        guard let expected = FileManager.default.contents(atPath: url.path) else {
            return XCTFail("no golden file \(name); run with SMIMEKIT_UPDATE_GOLDEN=1", file: file, line: line)
        }
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), String(decoding: expected, as: UTF8.self),
                       "\(name) differs from the golden file", file: file, line: line)
    }

    func testBareArgumentsGetABareResponse() throws {
        let args = #"{"accountId":"x","create":{"k":{"from":[{"email":"a@example.org"}],"sentAt":"2024-01-01T00:00:00Z","textBody":[{"partId":"1"}],"bodyValues":{"1":{"value":"hi"}}}}}"#
        let out = work.appendingPathComponent("bare")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let run = try smimekit(["encrypt", "--jmap", "-", "--output-dir", out.path], stdin: Array(args.utf8))
        XCTAssertEqual(run.status, 0, run.stderr)
        let response = try json(run)
        XCTAssertEqual(response["accountId"] as? String, "x")
        XCTAssertNotNil((response["created"] as? [String: Any])?["k"])
        XCTAssertEqual(files(out).count, 1)
    }

    // MARK: SetErrors

    func testEachInvalidCreateGetsTheRightSetError() throws {
        let base = #""from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],"sentAt":"2024-01-01T00:00:00Z""#
        let text = #""textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"hi"}}"#
        let cases: [(String, String, String, Set<String>)] = [
            ("headersList", "\(base),\(text),\"headers\":[]", "invalidProperties", ["headers"]),
            ("serverSet", "\(base),\(text),\"id\":\"x\"", "invalidProperties", ["id"]),
            ("twoFroms", "\(base),\(text),\"header:From:asAddresses\":[{\"email\":\"x@example.org\"}]", "invalidProperties", ["from", "header:From:asAddresses"]),
            ("badForm", "\(base),\(text),\"header:Subject:asAddresses\":[]", "invalidProperties", ["header:Subject:asAddresses"]),
            ("contentOnEmail", "\(base),\(text),\"header:Content-Type\":\" text/plain\"", "invalidProperties", ["header:Content-Type"]),
            ("badAddress", #""from":[{"email":"alice@example.org"}],"to":[{"email":"not an address"}],"#  + text, "invalidProperties", ["to"]),
            ("badDate", #""from":[{"email":"a@example.org"}],"sentAt":"yesterday","# + text, "invalidProperties", ["sentAt"]),
            ("twoTextParts", #"\#(base),"textBody":[{"partId":"t"},{"partId":"u"}],"bodyValues":{"t":{"value":"a"},"u":{"value":"b"}}"#, "invalidProperties", ["textBody", "bodyValues/t", "bodyValues/u"]),
            ("htmlAsText", #"\#(base),"textBody":[{"partId":"t","type":"text/html"}],"bodyValues":{"t":{"value":"a"}}"#, "invalidProperties", ["textBody/0/type", "bodyValues/t"]),
            ("structureAndText", #"\#(base),\#(text),"bodyStructure":{"partId":"t"}"#, "invalidProperties", ["textBody"]),
            ("missingValue", #"\#(base),"textBody":[{"partId":"nope"}]"#, "invalidProperties", ["textBody/0/partId"]),
            ("unusedValue", #"\#(base),"textBody":[{"partId":"t"}],"attachments":[],"bodyValues":{"t":{"value":"a"},"x":{"value":"b"}}"#, "invalidProperties", ["bodyValues/x"]),
            ("truncated", #"\#(base),"textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"a","isTruncated":true}}"#, "invalidProperties", ["bodyValues/t/isTruncated"]),
            ("cteOnPart", #"\#(base),"bodyStructure":{"partId":"t","header:Content-Transfer-Encoding":" 8bit"},"bodyValues":{"t":{"value":"a"}}"#, "invalidProperties", ["bodyStructure/header:Content-Transfer-Encoding"]),
            ("partIdAndBlob", #"\#(base),"bodyStructure":{"partId":"t","blobId":"b"},"bodyValues":{"t":{"value":"a"}}"#, "invalidProperties", ["bodyStructure/blobId", "bodyValues/t"]),
            ("unknownProperty", "\(base),\(text),\"colour\":\"red\"", "invalidProperties", ["colour"]),
            ("signWithoutKey", "\(base),\(text),\"smimeSign\":true", "invalidProperties", ["smimeSign"]),
            ("missingBlob", #"\#(base),\#(text),"attachments":[{"blobId":"nope","type":"application/pdf"}]"#, "blobNotFound", []),
            ("blobOutsideDir", #"\#(base),\#(text),"attachments":[{"blobId":"../golden.json"}]"#, "blobNotFound", []),
        ]
        let creates = cases.map { "\"\($0.0)\":{\($0.1)}" }.joined(separator: ",")
        let out = work.appendingPathComponent("invalid")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        _ = try write("{}", "golden.json")
        let run = try smimekit(["sign", "--jmap", try write(request(creates), "invalid.json"), "--output-dir", out.path, "--blob-dir", try makeBlobs().path])
        XCTAssertEqual(run.status, 1, "some creates failed: exit 1\n\(run.stderr)")
        let response = try setResponse(run)
        let notCreated = try XCTUnwrap(response["notCreated"] as? [String: [String: Any]], run.text)
        for (name, _, type, properties) in cases {
            guard let error = notCreated[name] else { XCTFail("\(name) was created"); continue }
            XCTAssertEqual(error["type"] as? String, type, "\(name): \(error)")
            XCTAssertFalse((error["description"] as? String ?? "").isEmpty, name)
            if type == "invalidProperties" {
                XCTAssertEqual(Set(error["properties"] as? [String] ?? []), properties, "\(name): \(error)")
            } else {
                XCTAssertNotNil(error["notFound"] as? [String], name)
            }
        }
        XCTAssertNil(response["created"] as? [String: Any])
        XCTAssertEqual(files(out), [], "nothing is written for a failed create")
    }

    func testSMIMECreatesAndTheirErrors() throws {
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root)
        let book = work.appendingPathComponent("book")
        try FileManager.default.createDirectory(at: book, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: alice.certPEM, to: book.appendingPathComponent("alice.pem"))
        try FileManager.default.copyItem(at: bob.certDER, to: book.appendingPathComponent("bob.der"))
        let body = #""sentAt":"2024-01-01T00:00:00Z","textBody":[{"partId":"t"}],"bodyValues":{"t":{"value":"Grüße"}}"#
        let creates = """
            "signed":{"from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],\(body),"smimeSign":true},
            "both":{"from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],"bcc":[{"email":"alice@example.org"}],\(body),"smimeSign":true,"smimeEncrypt":true},
            "twoFrom":{"from":[{"email":"alice@example.org"},{"email":"bob@example.org"}],\(body),"smimeSign":true},
            "notMine":{"from":[{"email":"bob@example.org"}],\(body),"smimeSign":true},
            "noCert":{"from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],"cc":[{"email":"nobody@example.org"}],\(body),"smimeEncrypt":true}
            """
        let out = work.appendingPathComponent("smime")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let run = try smimekit(["sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, "--recipients", book.path,
                                "--jmap", try write(request(creates), "smime.json"), "--output-dir", out.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        let response = try setResponse(run)
        let created = try XCTUnwrap(response["created"] as? [String: [String: Any]], run.text)
        let notCreated = try XCTUnwrap(response["notCreated"] as? [String: [String: Any]], run.text)
        XCTAssertEqual(Set(created.keys), ["signed", "both"])
        XCTAssertEqual(notCreated["twoFrom"]?["properties"] as? [String], ["from"])
        XCTAssertEqual(notCreated["notMine"]?["properties"] as? [String], ["smimeSign"])
        XCTAssertTrue((notCreated["notMine"]?["description"] as? String ?? "").contains("does not carry the sender address bob@example.org"))
        XCTAssertEqual(notCreated["noCert"]?["properties"] as? [String], ["cc"])
        XCTAssertTrue((notCreated["noCert"]?["description"] as? String ?? "").contains("nobody@example.org"))
        XCTAssertEqual(files(out).count, 2)

        let signed = out.appendingPathComponent("\(created["signed"]!["id"] as! String).eml")
        let verified = try pki.execute(["cms", "-verify", "-in", signed.path, "-CAfile", root.certPEM.path, "-out", "/dev/null"])
        XCTAssertTrue(verified.succeeded, verified.stderr)
        let both = out.appendingPathComponent("\(created["both"]!["id"] as! String).eml")
        // "Bcc:" as a field name: the ciphertext's base64 can hold "Bcc" by chance, never a colon.
        XCTAssertFalse(String(decoding: try Data(contentsOf: both), as: UTF8.self).contains("Bcc:"))
        let check = try smimekit(["verify", "--no-system-trust", "--trust", root.certPEM.path, "--decrypt-key", bob.keyPEM.path,
                                  "--format", "ndjson", both.path])
        XCTAssertTrue(check.text.contains("\"smimeStatus\":\"encrypted+signed/verified\""), check.text + check.stderr)
        // smimekit decrypt writes the inner signed message, which openssl verifies.
        let opened = work.appendingPathComponent("opened.eml")
        let dec = try smimekit(["decrypt", "--key", bob.keyPEM.path, "--cert", bob.certPEM.path, both.path, "-o", opened.path])
        XCTAssertEqual(dec.status, 0, dec.stderr)
        XCTAssertTrue(try pki.execute(["cms", "-verify", "-in", opened.path, "-CAfile", root.certPEM.path, "-out", "/dev/null"]).succeeded)
    }

    // MARK: .eml refusals: nothing written

    func testMessageRefusalsWriteNothing() throws {
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root)
        let expiredBob = try pki.makeLeaf(email: "bob@example.org", issuer: root, notBefore: .now - 400 * 86400, notAfter: .now - 86400)
        let p12 = try pki.pkcs12(alice, password: "secret")
        let message = try write("From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nhello\r\n", "m.eml")
        let twoFrom = try write("From: alice@example.org\r\nFrom: alice@example.org\r\nTo: bob@example.org\r\n\r\nhello\r\n", "two.eml")
        let target = work.appendingPathComponent("result.eml")
        let cases: [([String], String)] = [
            (["sign", "--key", work.appendingPathComponent("missing.key").path, message], "missing.key: cannot be read"),
            (["sign", "--key", p12.path, "--passin", "pass:wrong", message], "wrong password"),
            (["sign", "--key", bob.keyPEM.path, "--cert", alice.certPEM.path, message], "does not belong to the certificate"),
            (["sign", "--key", bob.keyPEM.path, "--cert", bob.certPEM.path, message], "does not carry the sender address alice@example.org"),
            (["sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, twoFrom], "2 From headers"),
            (["sign", message], "no signing key"),
            (["encrypt", "--recipient-cert", alice.certPEM.path, message], "bob@example.org (To): no certificate"),
            (["encrypt", "--recipient-cert", alice.certPEM.path, "--recipient-cert", expiredBob.certPEM.path, message], "expired on"),
            (["decrypt", "--key", alice.keyPEM.path, message], "not encrypted"),
        ]
        for (args, needle) in cases {
            let run = try smimekit(args + ["-o", target.path])
            XCTAssertEqual(run.status, 2, "\(args): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(needle), "\(args): expected '\(needle)' in \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("nothing written"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: target.path), "\(args) wrote a file")
            XCTAssertEqual(files(work).filter { $0.hasPrefix(".") }, [], "a temporary file was left behind")
        }
        // And with everything right, the file appears, from a PKCS#12 with its password.
        let ok = try smimekit(["sign", "--key", p12.path, "--passin", "pass:secret", "--encrypt",
                               "--recipient-cert", alice.certPEM.path, "--recipient-cert", bob.certPEM.path, message, "-o", target.path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(try pki.execute(["cms", "-decrypt", "-in", target.path, "-inkey", bob.keyPEM.path]).succeeded)
    }
}
