import Foundation
import TestSupport
import XCTest

/// issue 13 item 4: plain `status` answers from structure alone, whatever ran
/// before; the cached verdict is opt-in (`--cached`).
final class StatusCachedTests: XCTestCase {
    func testPlainStatusDoesNotChangeAfterVerify() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try SigningPKI()
        let good = try runner.write(try pki.signed(MessageSpec()), "good.eml")
        var bad = try pki.signed(MessageSpec())
        // Alter one letter of the signed text: signed/failed once verified.
        let i = try XCTUnwrap(String(decoding: bad, as: UTF8.self).range(of: "this message")).lowerBound.utf16Offset(in: String(decoding: bad, as: UTF8.self))
        bad[i] = UInt8(ascii: "T")
        let tampered = try runner.write(bad, "bad.eml")
        let plain = try runner.write(MessageSpec().unsigned, "plain.eml")
        let encrypted = try runner.write(try pki.factory.encrypt(MessageSpec(), to: [pki.alice]), "enc.eml")
        let paths = [good, tampered, plain, encrypted]
        let structural: [String: String] = [good: "signed", tampered: "signed", plain: "null", encrypted: "unknown"]

        func statuses(_ extra: [String]) throws -> [String: String] {
            let r = try runner.run(["status"] + extra + ["--format", "ndjson"] + pki.trust + paths)
            XCTAssertEqual(r.stderr, "")
            return try r.records().mapValues { $0["smimeStatus"] as? String ?? "null" }
        }
        let before = try statuses([])
        XCTAssertEqual(before, structural)
        let verify = try runner.run(["verify", "--format", "ndjson"] + pki.trust + paths)
        XCTAssertEqual(verify.status, 1, verify.stderr)
        XCTAssertEqual(try statuses([]), structural, "plain status after verify: the same structural answer")

        var cachedWant = structural
        cachedWant[good] = "signed/verified"
        cachedWant[tampered] = "signed/failed"
        XCTAssertEqual(try statuses(["--cached"]), cachedWant, "--cached: the fresh verdicts of that verify")
        // Other trust options: no cached verdict applies, so the structural answer.
        let other = try runner.run(["status", "--cached", "--format", "ndjson", "--no-system-trust", good])
        XCTAssertEqual(try other.records()[good]?["smimeStatus"] as? String, "signed")

        let refused = try runner.run(["status", "--cached", "--no-cache", good], useStore: false)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--cached"), refused.stderr)
    }

    func testPlainStatusDoesNotOpenTheCache() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let plain = try runner.write(MessageSpec().unsigned, "plain.eml")
        let r = try runner.run(["status", "--format", "ndjson", plain])
        XCTAssertEqual(r.status, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runner.storePath), "status without --cached has no use for the cache")
    }
}
