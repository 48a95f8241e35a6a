import Foundation
import TestSupport
import XCTest

/// Messages above --max-in-memory-size go through the streaming path of every
/// reading command, and must get the answers the in-memory path gives.
final class LargeMessageCommandTests: XCTestCase {
    var pki: SigningPKI!
    var runner: SmimekitRunner!

    override func setUpWithError() throws {
        pki = try SigningPKI()
        runner = try SmimekitRunner()
    }

    override func tearDown() { runner?.remove() }

    func content(_ size: Int) -> [UInt8] {
        var text = "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        let line = String(repeating: "0123456789", count: 7) + "\r\n"
        text.reserveCapacity(size + 100)
        while text.utf8.count < size { text += line }
        return Array(text.utf8)
    }

    func verdicts(_ args: [String], _ paths: [String]) throws -> [String: [String: Any]] {
        let r = try runner.run(["verify", "--no-cache", "--format", "ndjson", "--properties", "smimeStatus,smimeErrors"] + pki.trust + args + paths, useStore: false)
        XCTAssertNotEqual(r.status, 2, r.stderr)
        return try r.records()
    }

    /// About 40 MB, above the default in-memory limit of 32 MiB: verified by streaming.
    func testA40MBSignedMessageVerifiesWithTheDefaults() throws {
        let message = try pki.signed(MessageSpec(content: content(40_000_000)))
        XCTAssertGreaterThan(message.count, 32 << 20)
        let good = try runner.write(message, "big.eml")
        var tampered = message
        var at = tampered.count * 3 / 4
        while tampered[at] < 0x30 || tampered[at] > 0x39 { at += 1 }
        tampered[at] = tampered[at] == 0x30 ? 0x31 : 0x30
        let bad = try runner.write(tampered, "big-tampered.eml")
        let got = try verdicts([], [good, bad])
        XCTAssertEqual(got[good]?["smimeStatus"] as? String, "signed/verified", "\(String(describing: got[good]))")
        XCTAssertEqual(got[bad]?["smimeStatus"] as? String, "signed/failed")
        XCTAssertEqual((got[bad]?["smimeErrors"] as? [String])?.first?.contains("altered"), true, "\(String(describing: got[bad]))")
        let status = try runner.run(["status", "--no-cache", "--format", "ndjson", good], useStore: false)
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("\"smimeStatus\":\"signed\""), status.stdout)
    }

    func testStreamedVerdictsEqualInMemoryOnes() throws {
        let body = content(20_000)
        var paths: [String] = []
        paths.append(try runner.write(try pki.signed(MessageSpec(content: body)), "signed.eml"))
        paths.append(try runner.write(try Tamper.alterSignedContent(try pki.signed(MessageSpec(content: body))), "tampered.eml"))
        paths.append(try runner.write(try pki.signed(MessageSpec(from: "Eve <eve@example.org>", content: body)), "spoofed.eml"))
        paths.append(try runner.write(MessageSpec(content: body).unsigned, "unsigned.eml"))
        let lfOnly = try pki.signed(MessageSpec(content: body)).filter { $0 != 0x0D }
        paths.append(try runner.write(lfOnly, "lf-only.eml"))
        let memory = try verdicts([], paths)
        let streamed = try verdicts(["--max-in-memory-size", "1000"], paths)
        XCTAssertEqual(memory.count, paths.count)
        for p in paths {
            XCTAssertEqual(streamed[p]?["smimeStatus"] as? String, memory[p]?["smimeStatus"] as? String, p)
            XCTAssertEqual(streamed[p]?["smimeErrors"] as? [String], memory[p]?["smimeErrors"] as? [String], p)
        }
        XCTAssertEqual(memory[paths[0]]?["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(memory[paths[4]]?["smimeStatus"] as? String, "signed/verified")
        // status and query take the same path and give the same answers and ids.
        for command in [["status", "--no-cache"], ["query", "--no-cache", "--format", "ndjson", "--has-smime"]] {
            let a = try runner.run(command + paths, useStore: false)
            let b = try runner.run(command + ["--max-in-memory-size", "1000"] + paths, useStore: false)
            XCTAssertEqual(a.stdout, b.stdout, command.joined(separator: " "))
            XCTAssertFalse(a.stdout.isEmpty)
        }
    }

    func testLargeOpaqueSignedMessageIsNotClaimedVerified() throws {
        let opaque = try pki.factory.sign(MessageSpec(from: "<alice@example.org>", content: content(20_000)), signer: pki.alice,
                                          detached: false, includeChain: [pki.intermediate])
        let path = try runner.write(opaque, "opaque.eml")
        XCTAssertEqual(try verdicts([], [path])[path]?["smimeStatus"] as? String, "signed/verified")
        let streamed = try verdicts(["--max-in-memory-size", "1000"], [path])[path]
        XCTAssertEqual(streamed?["smimeStatus"] as? String, "signed/failed")
        let error = (streamed?["smimeErrors"] as? [String])?.first ?? ""
        XCTAssertTrue(error.contains("--max-in-memory-size"), error)
    }

    func testMaxMessageSizeStaysAHardLimit() throws {
        let path = try runner.write(try pki.signed(MessageSpec(content: content(20_000))), "signed.eml")
        let r = try runner.run(["verify", "--no-cache", "--max-in-memory-size", "1000", "--max-message-size", "10000"] + pki.trust + [path], useStore: false)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--max-message-size") || r.stdout.contains("--max-message-size"), r.stderr + r.stdout)
        let help = try runner.run(["verify", "--help"], useStore: false)
        XCTAssertTrue(help.stdout.contains("default 4 GiB"), help.stdout)
        XCTAssertTrue(help.stdout.contains("--max-in-memory-size"))
    }

    func testQueryWarnsWhenABodyConditionCannotSeeTheBody() throws {
        let path = try runner.write(MessageSpec(subject: "needle in the subject", content: content(20_000)).unsigned, "plain.eml")
        let header = try runner.run(["query", "--no-cache", "--max-in-memory-size", "1000", "--subject", "needle", path], useStore: false)
        XCTAssertEqual(header.status, 0, header.stderr)
        XCTAssertEqual(header.stdout, path + "\n")
        XCTAssertFalse(header.stderr.contains("only its header"), header.stderr)
        let text = try runner.run(["query", "--no-cache", "--max-in-memory-size", "1000", "--text", "0123456789", path], useStore: false)
        XCTAssertTrue(text.stderr.contains("only its header was searched"), text.stderr)
    }

    /// Standard input cannot be read twice: above 256 KiB it used to be read again
    /// (and found "changed"); above --max-in-memory-size it is spooled to a file and streamed.
    func testStandardInputOfAnySizeIsVerified() throws {
        let message = try pki.signed(MessageSpec(content: content(400_000)))
        let tampered = try Tamper.alterSignedContent(message)
        for extra in [[], ["--max-in-memory-size", "1000"]] {
            for (bytes, want) in [(message, "signed/verified"), (tampered, "signed/failed")] {
                let r = try CLI.run(["verify", "--no-cache", "--format", "ndjson"] + pki.trust + extra + ["-"], stdin: bytes)
                XCTAssertTrue(r.text.contains("\"smimeStatus\":\"\(want)\""), "\(extra): \(r.text) \(r.stderr)")
            }
            let q = try CLI.run(["query", "--no-cache", "--has-verified-smime"] + pki.trust + extra + ["-"], stdin: message)
            XCTAssertEqual(q.text, "-\n", "\(extra): \(q.stderr)")
            let st = try CLI.run(["status", "--no-cache", "--format", "ndjson"] + extra + ["-"], stdin: message)
            XCTAssertTrue(st.text.contains("\"smimeStatus\":\"signed\""), st.text + st.stderr)
        }
        let refused = try CLI.run(["verify", "--no-cache", "--max-in-memory-size", "1000", "--max-message-size", "100000"] + pki.trust + ["-"], stdin: message)
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--max-message-size") || refused.text.contains("--max-message-size"), refused.stderr)
    }
}
