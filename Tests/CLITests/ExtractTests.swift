import Foundation
import TestSupport
import XCTest

/// issue 13 item 17a: verify --out/--signer, as openssl cms -verify -out/-signer,
/// and SHA-256 fingerprints of the path in --details.
final class ExtractTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Habits.temporaryDirectory("extract") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// What openssl itself gets out of the message.
    func openssl(_ arguments: [String]) throws -> [UInt8] {
        try OpenSSLTool(workingDirectory: dir).run(arguments).stdout
    }

    func testOutWritesTheSignedEntityOfAMultipartSigned() throws {
        let run = try CLI.run(["verify", "--out", path("content.eml"), "--signer", path("signer.pem"), "--format", "text"] + Habits.trusted + [Habits.example("signed.eml")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.text.hasPrefix("signed/verified"), "the verdict is printed as usual")
        let content = try [UInt8](Data(contentsOf: dir.appendingPathComponent("content.eml")))
        // The first part of the multipart/signed, byte for byte as in the file.
        let message = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Habits.example("signed.eml"))))
        XCTAssertFalse(content.isEmpty)
        XCTAssertNotNil(Self.find(content, in: message), "the content is a slice of the message as transmitted")
        XCTAssertTrue(String(decoding: content, as: UTF8.self).hasPrefix("Content-Type: text/plain"))
        // openssl agrees on the signer.
        let ours = try openssl(["x509", "-in", path("signer.pem"), "-noout", "-fingerprint", "-sha256"])
        try Data(message).write(to: dir.appendingPathComponent("m.eml"))
        _ = try openssl(["cms", "-verify", "-noverify", "-in", path("m.eml"), "-signer", path("theirs.pem"), "-out", "/dev/null"])
        let theirs = try openssl(["x509", "-in", path("theirs.pem"), "-noout", "-fingerprint", "-sha256"])
        XCTAssertEqual(ours, theirs)
    }

    func testOutOfAnOpaqueSignatureIsTheEContentAndDashIsStandardOutput() throws {
        let run = try CLI.run(["verify", "--out", "-", "--format", "text"] + Habits.trusted + [Habits.example("opaque-signed.eml")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("signed/verified"), "with --out - the verdict goes to standard error: \(run.stderr)")
        let theirs = try openssl(["cms", "-verify", "-noverify", "-in", Habits.example("opaque-signed.eml"), "-binary"])
        XCTAssertEqual(run.stdout, theirs, "the same bytes openssl cms -verify writes")
    }

    func testAFailedSignatureWritesNoContentButTheSignerIsStillWritten() throws {
        let run = try CLI.run(["verify", "--out", path("content.eml"), "--signer", path("signer.pem")] + Habits.trusted + [Habits.example("tampered.eml")])
        XCTAssertEqual(run.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("content.eml")), "unverified content never leaves")
        XCTAssertTrue(run.stderr.contains("not written to \(path("content.eml")): the message is signed/failed, not verified"), run.stderr)
        XCTAssertTrue(try String(contentsOfFile: path("signer.pem"), encoding: .utf8).hasPrefix("-----BEGIN CERTIFICATE-----\n"))
    }

    func testAnEncryptedMessageGivesItsDecryptedContent() throws {
        let run = try CLI.run(["verify", "--decrypt-key", Habits.example("alice.p12"), "--passin", "pass:example", "--out", path("plain.eml")]
                              + Habits.trusted + [Habits.example("encrypted.eml")])
        XCTAssertEqual(run.status, 1, "encrypted without a signature is not verified: \(run.stderr)")
        _ = try openssl(["pkcs12", "-in", Habits.example("alice.p12"), "-nocerts", "-nodes", "-passin", "pass:example", "-out", path("key.pem")])
        let theirs = try openssl(["cms", "-decrypt", "-in", Habits.example("encrypted.eml"), "-inkey", path("key.pem"), "-binary"])
        XCTAssertEqual(try [UInt8](Data(contentsOf: dir.appendingPathComponent("plain.eml"))), theirs)
    }

    func testNothingToWriteAndMoreThanOneMessageAreTrouble() throws {
        let unsigned = try CLI.run(["verify", "--out", path("x")] + Habits.trusted + [Habits.example("unsigned.eml")])
        XCTAssertEqual(unsigned.status, 2)
        XCTAssertTrue(unsigned.stderr.contains("nothing to write to \(path("x"))"), unsigned.stderr)
        let two = try CLI.run(["verify", "--out", path("x")] + Habits.trusted + [Habits.example("signed.eml"), Habits.example("tampered.eml")])
        XCTAssertEqual(two.status, 2)
        XCTAssertTrue(two.stderr.hasPrefix("smimekit: --out writes what one message holds"), two.stderr)
        let directory = try CLI.run(["verify", "--signer", path("x")] + Habits.trusted + [Habits.root.appendingPathComponent("examples").path])
        XCTAssertEqual(directory.status, 2)
    }

    func testAMessageTooLargeForMemoryIsNotWrittenOut() throws {
        // Above --max-in-memory-size a message is streamed, never held whole: --out refuses it.
        let run = try CLI.run(["verify", "--max-in-memory-size", "200", "--out", path("content.eml")] + Habits.trusted + [Habits.example("signed.eml")])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("larger than --max-in-memory-size: --out and --signer read the message into memory; raise --max-in-memory-size"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("content.eml")))
    }

    func testDetailsShowTheSHA256OfEveryCertificateInThePath() throws {
        let leaf = try openssl(["x509", "-in", Habits.example("alice.pem"), "-noout", "-fingerprint", "-sha256"])
        let root = try openssl(["x509", "-in", Habits.ca, "-noout", "-fingerprint", "-sha256"])
        func hex(_ out: [UInt8]) -> String {
            String(String(decoding: out, as: UTF8.self).split(separator: "=").last!).trimmingCharacters(in: .whitespacesAndNewlines)
                .replacingOccurrences(of: ":", with: "").lowercased()
        }
        let json = try CLI.run(["verify", "--details", "--format", "ndjson"] + Habits.trusted + [Habits.example("signed.eml")])
        let object = try JSONSerialization.jsonObject(with: Data(json.lines[0].utf8)) as! [String: Any]
        let signer = ((object["details"] as! [String: Any])["signers"] as! [[String: Any]])[0]
        XCTAssertEqual(signer["chainSha256"] as? [String], [hex(leaf), hex(root)])
        let text = try CLI.run(["verify", "--details", "--format", "text"] + Habits.trusted + [Habits.example("signed.eml")])
        XCTAssertTrue(text.text.contains("sha-256:    \(hex(leaf))\n                   < \(hex(root))\n"), text.text)
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<i + needle.count]) == needle { return i }
        return nil
    }
}
