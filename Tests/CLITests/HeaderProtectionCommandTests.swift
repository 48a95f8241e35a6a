// Header protection through the binary: sign/encrypt make it by default,
// --header-protection and smimeHeaderProtection choose, and verify --details
// shows the protected fields in text and JSON.
import Foundation
import TestSupport
import XCTest

final class HeaderProtectionCommandTests: XCTestCase {
    var pki: PKIFactory!
    var root, alice, bob: CertificateFixture!
    var work: URL!

    override func setUpWithError() throws {
        pki = try PKIFactory(sharingKeys: true)
        root = try pki.makeCA(name: "HP CLI Root")
        alice = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice Example", issuer: root)
        bob = try pki.makeLeaf(email: "bob@example.org", commonName: "Bob Example", issuer: root)
        work = pki.directory.appendingPathComponent("hp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    func smimekit(_ args: [String], stdin: [UInt8] = []) throws -> CLI.Run {
        try CLI.run(args, stdin: stdin, in: work)
    }

    let message = "From: Alice Example <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Quarterly numbers\r\nDate: Fri, 01 Mar 2024 10:00:00 +0000\r\nMessage-ID: <hp-cli@example.org>\r\nContent-Type: text/plain\r\n\r\nThe numbers are good.\r\n"

    func write(_ text: String, _ name: String) throws -> String {
        let url = work.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func read(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }

    func testSignVerifyDetails() throws {
        let input = try write(message, "in.eml")
        let signed = work.appendingPathComponent("signed.eml").path
        let s = try smimekit(["sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, input, "-o", signed])
        XCTAssertEqual(s.status, 0, s.stderr)
        XCTAssertTrue(try read(signed).contains("hp=\"clear\""))

        let json = try smimekit(["verify", "--no-cache", "--no-system-trust", "--trust", root.certPEM.path, "--details", "--format", "ndjson", signed])
        XCTAssertEqual(json.status, 0, json.text + json.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any], json.text)
        let details = try XCTUnwrap(record["details"] as? [String: Any])
        let hp = try XCTUnwrap(details["headerProtection"] as? [String: Any], json.text)
        XCTAssertEqual(hp["mode"] as? String, "clear")
        let fields = try XCTUnwrap(hp["fields"] as? [[String: String]])
        XCTAssertTrue(fields.contains { $0["name"] == "Subject" && $0["value"] == "Quarterly numbers" }, "\(fields)")

        // The outer Subject changed after signing: still verified, and the note says so.
        var signedText = try read(signed)
        let first = try XCTUnwrap(signedText.range(of: "Subject: Quarterly numbers\r\n"), "the outer Subject comes first")
        signedText.replaceSubrange(first, with: "Subject: Please pay\r\n")
        let changed = try write(signedText, "changed.eml")
        let text = try smimekit(["verify", "--no-cache", "--no-system-trust", "--trust", root.certPEM.path, "--details", "--format", "text", changed])
        XCTAssertEqual(text.status, 0, text.text + text.stderr)
        XCTAssertTrue(text.text.contains("protected:    hp=\"clear\""), text.text)
        XCTAssertTrue(text.text.contains("[protectedHeaderDiffers] The protected Subject (\"Quarterly numbers\")"), text.text)
    }

    func testQueryFiltersOnTheProtectedValues() throws {
        let input = try write(message, "in.eml")
        let dir = work.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let signed = dir.appendingPathComponent("signed.eml").path
        XCTAssertEqual(try smimekit(["sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, input, "-o", signed]).status, 0)
        // Someone changed the outer Subject and From display name after signing.
        var text = try read(signed)
        let first = try XCTUnwrap(text.range(of: "Subject: Quarterly numbers\r\n"))
        text.replaceSubrange(first, with: "Subject: Please pay\r\n")
        try Data(text.utf8).write(to: URL(fileURLWithPath: signed))
        func matches(_ filter: String) throws -> [String] {
            let run = try smimekit(["query", "--no-cache", "--filter", filter, dir.path])
            XCTAssertTrue(run.status == 0 || run.status == 1, run.stderr)
            return run.lines
        }
        XCTAssertEqual(try matches(#"{"subject":"quarterly"}"#).count, 1, "the protected Subject is searched")
        XCTAssertEqual(try matches(#"{"subject":"please pay"}"#).count, 0, "the unprotected one is not shown, so not found")
        XCTAssertEqual(try matches(#"{"from":"alice@example.org"}"#).count, 1)
    }

    func testEncryptObscuresAndDecryptRestores() throws {
        let input = try write(message, "in.eml")
        let out = work.appendingPathComponent("enc.eml").path
        let e = try smimekit(["encrypt", "--sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path,
                              "--recipient-cert", alice.certPEM.path, "--recipient-cert", bob.certPEM.path, input, "-o", out])
        XCTAssertEqual(e.status, 0, e.stderr)
        let encrypted = try read(out)
        XCTAssertTrue(encrypted.contains("Subject: [...]\r\n"))
        XCTAssertFalse(encrypted.contains("Quarterly"))
        let d = try smimekit(["decrypt", "--key", bob.keyPEM.path, "--cert", bob.certPEM.path, out])
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertTrue(d.text.hasPrefix("From: Alice Example <alice@example.org>"), d.text)
        XCTAssertTrue(d.text.contains("Subject: Quarterly numbers\r\n"))
        XCTAssertFalse(d.text.contains("Subject: [...]\r\nDate"), "the obscured Subject is not shown outside")

        // none: the old layout.
        let old = work.appendingPathComponent("old.eml").path
        let n = try smimekit(["encrypt", "--header-protection", "none", "--recipient-cert", alice.certPEM.path, "--recipient-cert", bob.certPEM.path, input, "-o", old])
        XCTAssertEqual(n.status, 0, n.stderr)
        XCTAssertTrue(try read(old).contains("Subject: Quarterly numbers"))
    }

    func testBadPolicyIsRefused() throws {
        let input = try write(message, "in.eml")
        let r = try smimekit(["sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, "--header-protection", "strict", input])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--header-protection takes baseline, no-confidentiality, none"), r.stderr)
        XCTAssertTrue(r.stdout.isEmpty)
    }

    func testJMAPArgument() throws {
        let body = #""bodyValues":{"b":{"value":"Hello"}},"textBody":[{"partId":"b","type":"text/plain"}]"#
        let creates = """
            "plain":{"from":[{"email":"alice@example.org"}],"subject":"Hi",\(body),"smimeSign":true,"smimeHeaderProtection":"none"},
            "protected":{"from":[{"email":"alice@example.org"}],"subject":"Hi",\(body),"smimeSign":true},
            "bad":{"from":[{"email":"alice@example.org"}],"subject":"Hi",\(body),"smimeSign":true,"smimeHeaderProtection":"cipher"}
            """
        let request = #"{"using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail","urn:ietf:params:jmap:smime-advanced"],"methodCalls":[["Email/set",{"accountId":"a1","create":{\#(creates)}},"c0"]]}"#
        let out = work.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let run = try smimekit(["sign", "--key", alice.keyPEM.path, "--cert", alice.certPEM.path, "--jmap", try write(request, "req.json"), "--output-dir", out.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        let answer = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout)) as? [String: Any])
        let set = try XCTUnwrap((answer["methodResponses"] as? [[Any]])?.first?[1] as? [String: Any])
        let created = try XCTUnwrap(set["created"] as? [String: [String: Any]], run.text)
        let notCreated = try XCTUnwrap(set["notCreated"] as? [String: [String: Any]], run.text)
        XCTAssertEqual(notCreated["bad"]?["type"] as? String, "invalidProperties")
        XCTAssertEqual(notCreated["bad"]?["properties"] as? [String], ["smimeHeaderProtection"])
        let plain = try read(out.appendingPathComponent("\(created["plain"]!["id"] as! String).eml").path)
        let protected = try read(out.appendingPathComponent("\(created["protected"]!["id"] as! String).eml").path)
        XCTAssertFalse(plain.contains("hp="))
        XCTAssertTrue(protected.contains("hp=\"clear\""))
    }
}
