import Foundation
import TestSupport
import XCTest

/// issue 3's "done means" for `status`, through the built binary.
final class StatusCommandTests: XCTestCase {
    func testThunderbirdCorpusStatuses() throws {
        let dir = Interop.thunderbirdDirectory
        let run = try CLI.run(["status", "--format", "ndjson", dir.appendingPathComponent("smime").path, dir.appendingPathComponent("smime-manual").path])
        XCTAssertEqual(run.status, 1, "some files there (keys, plain MIME) carry no S/MIME: \(run.stderr)")
        var got: [String: String] = [:]
        for line in run.lines {
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let path = json["path"] as! String
            got[String(path.dropFirst(dir.path.count + 1))] = json["smimeStatus"] as? String ?? "null"
        }
        let rows = try Interop.expectedRows()
        XCTAssertGreaterThan(rows.count, 60)
        for row in rows {
            // Enveloped and OpenPGP-signed messages are `unknown` without a key; every other one is signed.
            let want = row.status == ["unknown"] ? "unknown" : "signed"
            XCTAssertEqual(got[row.file], want, row.file)
        }
        XCTAssertEqual(got["smime/alice.textplain"], "null", "a plain message")
        XCTAssertEqual(got["smime/TestCA.pem"], "null")
    }

    func testBadFilesGetAnAnswerOrAnErrorLineAndExit2() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-status-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data().write(to: dir.appendingPathComponent("empty.eml"))
        var random = SystemRandomNumberGenerator()
        try Data((0..<65536).map { _ in UInt8.random(in: 0...255, using: &random) }).write(to: dir.appendingPathComponent("random.bin"))
        try Data("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=x\r\n\r\n--x\r\n".utf8)
            .write(to: dir.appendingPathComponent("truncated.eml"))
        let missing = dir.appendingPathComponent("missing.eml").path
        let run = try CLI.run(["status", "--format", "ndjson", dir.path, missing])
        XCTAssertEqual(run.status, 2, "an unreadable operand is trouble")
        XCTAssertEqual(run.lines.count, 3, run.text)
        XCTAssertTrue(run.text.contains("\"smimeStatus\":\"signed\""), "the truncated multipart/signed still says it is signed")
        XCTAssertTrue(run.stderr.contains("missing.eml"), run.stderr)
    }

    func testAMessagePastALimitIsAnsweredAndTheLimitNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = "From: a@example.org\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        for i in 1..<100 { text += "--b\(i - 1)\r\nContent-Type: multipart/mixed; boundary=b\(i)\r\n\r\n" }
        let file = dir.appendingPathComponent("deep.eml")
        try Data(text.utf8).write(to: file)

        let status = try CLI.run(["status", "--no-cache", "--format", "ndjson", file.path])
        XCTAssertEqual(status.lines.count, 1)
        XCTAssertTrue(status.text.contains("\"unknown\""), status.text)
        XCTAssertTrue(status.stderr.contains("--max-depth"), status.stderr)

        let query = try CLI.run(["query", "--no-cache", "--subject", "deep", file.path])
        XCTAssertEqual(query.status, 1, "a message the reader refuses matches no header condition")
        XCTAssertTrue(query.stderr.contains("--max-depth"), query.stderr)
        let raised = try CLI.run(["query", "--no-cache", "--max-depth", "200", "--subject", "deep", file.path])
        XCTAssertEqual(raised.lines, [file.path])
        XCTAssertEqual(raised.stderr, "")
    }
}
