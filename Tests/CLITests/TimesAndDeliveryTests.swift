import Foundation
import TestSupport
import XCTest

/// issue 13 items 1 and 2: times on the command line, and receivedAt as
/// semantics.md "Times" defines it (user, Received, later of Date and
/// signingTime never after now, file mtime), through the built binary.
final class TimesAndDeliveryTests: XCTestCase {
    nonisolated(unsafe) static var pki: SigningPKI!

    override class func setUp() {
        super.setUp()
        pki = try? SigningPKI()
    }

    private var pki: SigningPKI { get throws { try XCTUnwrap(Self.pki, "the test PKI could not be made") } }

    private func record(_ run: SmimekitRunner.Result) throws -> [String: Any] {
        let line = try XCTUnwrap(run.lines.first, "no output: \(run.stderr)")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
    }

    // MARK: Item 1: times

    func testTimesWithoutAZoneOrWithGarbageAreRefusedByEveryOption() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let message = try runner.write(MessageSpec().unsigned, "m.eml")
        let bad = ["2026-11-24Tgarbage", "2026-11-24T12:00:00", "2026-11-24T12:00:00+0100", "2026-02-30", "@1795521600", "now"]
        let commands: [(String, [String])] = [
            ("--at", ["verify", "--no-cache"]), ("--received-at", ["verify", "--no-cache"]),
            ("--at", ["status", "--cached"]), ("--at", ["changes"]),
            ("--before", ["query", "--no-cache"]), ("--after", ["query", "--no-cache"]),
            ("--received-at", ["query", "--no-cache", "--has-smime"]),
        ]
        for value in bad {
            for (option, command) in commands {
                let r = try runner.run(command + [option, value, message], useStore: command[0] == "changes")
                XCTAssertEqual(r.status, 2, "\(command) \(option) \(value): \(r.stdout)")
                XCTAssertTrue(r.stderr.contains(option), "names the option: \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("2026-03-01T12:00:00Z"), "gives an example: \(r.stderr)")
                XCTAssertTrue(r.stdout.isEmpty, "no answer on a bad time: \(r.stdout)")
            }
        }
    }

    func testAcceptedTimesMeanWhatTheySay() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        let signed = try runner.write(try pki.signed(MessageSpec()), "signed.eml")
        for (given, meant) in [("2027-01-01T01:00:00+01:00", "2027-01-01T00:00:00Z"), ("2027-01-01", "2027-01-01T00:00:00Z"),
                               ("2026-12-31T23:59:59.999Z", "2026-12-31T23:59:59Z"), ("2026-12-31t19:30:00-04:30", "2027-01-01T00:00:00Z")] {
            let r = try runner.run(["verify", "--no-cache"] + pki.trust + ["--at", given, "--format", "ndjson", signed], useStore: false)
            XCTAssertEqual(try record(r)["smimeVerifiedAt"] as? String, meant, given)
        }
        // query --before/--after against a Received header of 2026-11-24T12:00:00Z.
        let received = try runner.write(MessageSpec(extraHeaders: ["Received: from a by b; Tue, 24 Nov 2026 12:00:00 +0000"]).unsigned, "r.eml")
        func matches(_ args: [String]) throws -> Bool {
            let r = try runner.run(["query", "--no-cache"] + args + [received], useStore: false)
            XCTAssertNotEqual(r.status, 2, r.stderr)
            return r.status == 0
        }
        XCTAssertTrue(try matches(["--after", "2026-11-24T12:00:00Z"]))
        XCTAssertFalse(try matches(["--after", "2026-11-24T12:00:00.001Z"]))
        XCTAssertTrue(try matches(["--before", "2026-11-24T13:00:01+01:00"]))
        XCTAssertFalse(try matches(["--before", "2026-11-24T13:00:00+01:00"]))
        XCTAssertTrue(try matches(["--after", "2026-11-24", "--before", "2026-11-25"]))
        XCTAssertFalse(try matches(["--filter", #"{"before":"2026-11-24T12:00:00Z"}"#]))
        XCTAssertTrue(try matches(["--filter", #"{"before":"2026-11-24T12:00:00.5Z"}"#]))
        let offset = try runner.run(["query", "--no-cache", "--filter", #"{"before":"2026-11-24T13:00:00+01:00"}"#, received], useStore: false)
        XCTAssertEqual(offset.status, 2, "a filter's UTCDate is Z only (RFC 8620 1.4)")
        XCTAssertTrue(offset.stderr.contains("invalidArguments"), offset.stderr)
    }

    // MARK: Item 2: receivedAt and smimeStatusAtDelivery

    /// 33 of 33 good Thunderbird messages were signed/failed at delivery: with no
    /// Received header, receivedAt was the Date header, written before signing.
    func testEveryGoodThunderbirdMessageIsVerifiedAtDeliveryToo() throws {
        try XCTSkipUnless(Interop.isAvailable, "the Thunderbird corpus is not beside the package")
        let rows = try Interop.expectedRows()
        let dir = Interop.thunderbirdDirectory.path
        for withKey in [false, true] {
            var args = ["verify", "--no-cache", "--no-system-trust", "--trust", Interop.thunderbirdTrustAnchor.path, "--format", "ndjson"]
            if withKey { args += ["--decrypt-key", Interop.bobPKCS12.path, "--passin", "pass:\(Interop.pkcs12Password)"] }
            let run = try CLI.run(args + rows.map(\.url.path))
            var checked = 0
            for line in run.lines {
                let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                let path = String(try XCTUnwrap(o["path"] as? String).dropFirst(dir.count + 1))
                let row = try XCTUnwrap(rows.first { $0.file == path }, path)
                let expected = withKey ? row.statusWithBobKey : row.status
                guard let status = o["smimeStatus"] as? String, status.hasSuffix("/verified"), expected.contains(status) else { continue }
                checked += 1
                XCTAssertEqual(o["smimeStatusAtDelivery"] as? String, status, "\(path) (key: \(withKey)) at delivery")
            }
            XCTAssertGreaterThanOrEqual(checked, withKey ? 40 : 30, "the good messages of the corpus (key: \(withKey))")
        }
    }

    /// A message `smimekit sign` has just made from a draft: no Received header, a Date
    /// from when the draft was written (before the certificate was even issued).
    func testAMessageSignedJustNowFromADraftVerifiesAtDelivery() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "Draft Root", key: .ecP256, notBefore: .now - 3600)
        let alice = try factory.makeLeaf(email: "alice@example.org", issuer: root, key: .ecP256, notBefore: .now - 600)
        let p12 = try factory.pkcs12(alice, password: "pw")
        for date in [Date.now - 2 * 86_400, nil] {
            let draft = try runner.write(MessageSpec(from: "Alice <alice@example.org>", date: date).unsigned, "draft.eml")
            let signed = runner.home.appendingPathComponent("signed.eml").path
            let sign = try runner.run(["sign", "--key", p12.path, "--passin", "pass:pw", draft, "-o", signed], useStore: false)
            XCTAssertEqual(sign.status, 0, sign.stderr)
            let trust = ["--no-system-trust", "--trust", root.certPEM.path]
            let v = try runner.run(["verify", "--no-cache"] + trust + ["--format", "ndjson", "--details", signed], useStore: false)
            let o = try record(v)
            XCTAssertEqual(o["smimeStatus"] as? String, "signed/verified", v.stdout)
            XCTAssertEqual(o["smimeStatusAtDelivery"] as? String, "signed/verified", "Date \(String(describing: date)): \(v.stdout)")
            let details = try XCTUnwrap(o["details"] as? [String: Any])
            XCTAssertEqual(details["receivedAtSource"] as? String, "signingTime", v.stdout)
            XCTAssertEqual((details["deliveryProblems"] as? [Any])?.count, 0, v.stdout)
            // The same through the cache: the first run stores it, the second serves it.
            for _ in 0..<2 {
                let cached = try runner.run(["verify"] + trust + ["--format", "ndjson", signed])
                XCTAssertEqual(try record(cached)["smimeStatusAtDelivery"] as? String, "signed/verified", cached.stdout)
            }
            // status served from the cache's current verdict: the delivery one is computed anyway.
            let q = try runner.run(["query"] + trust + ["--has-verified-smime-at-delivery", signed])
            XCTAssertEqual(q.lines, [signed], q.stderr)
        }
    }

    func testDetailsSayWhereReceivedAtCameFrom() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        let received = "Received: from mx.example.org by mail.example.org; Tue, 24 Nov 2026 12:00:00 +0000"
        var cases: [(name: String, bytes: [UInt8], extra: [String], source: String, text: String, at: String?)] = [
            ("received", try pki.signed(MessageSpec(extraHeaders: [received])), [], "receivedHeader", "(Received header)", "2026-11-24T12:00:00Z"),
            ("option", try pki.signed(MessageSpec(extraHeaders: [received])), ["--received-at", "2026-11-25T00:00:00+02:00"],
             "receivedAtOption", "(--received-at)", "2026-11-24T22:00:00Z"),
            ("signing", try pki.signed(MessageSpec(date: .now - 86_400 * 3)), [], "signingTime", "(signingTime)", nil),
            ("future", try pki.signed(MessageSpec(date: .now + 86_400 * 3)), [], "now", "(now: the later of the Date header and signingTime lies in the future)", nil),
            ("date", MessageSpec(date: Date(timeIntervalSince1970: 1_795_521_600)).unsigned, [], "dateHeader", "(Date header)", "2026-11-24T12:00:00Z"),
        ]
        cases.append(("mtime", MessageSpec(date: nil).unsigned, [], "fileModificationTime", "(file modification time)", "2020-01-02T03:04:05Z"))
        for c in cases {
            let path = try runner.write(c.bytes, "\(c.name).eml")
            if c.name == "mtime" {
                var times = [timespec(tv_sec: 1_577_934_245, tv_nsec: 0), timespec(tv_sec: 1_577_934_245, tv_nsec: 0)]
                XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
            }
            let json = try runner.run(["verify", "--no-cache"] + pki.trust + c.extra + ["--details", "--format", "ndjson", path], useStore: false)
            let details = try XCTUnwrap(try record(json)["details"] as? [String: Any], json.stdout)
            XCTAssertEqual(details["receivedAtSource"] as? String, c.source, "\(c.name): \(json.stdout)")
            if let at = c.at { XCTAssertEqual(details["receivedAt"] as? String, at, c.name) }
            let text = try runner.run(["verify", "--no-cache"] + pki.trust + c.extra + ["--details", "--format", "text", path], useStore: false)
            let line = try XCTUnwrap(text.lines.first { $0.hasPrefix("  received:") }, "\(c.name): \(text.stdout)")
            XCTAssertTrue(line.hasSuffix(c.text), "\(c.name): \(line)")
            if let at = c.at { XCTAssertTrue(line.contains(at), "\(c.name): \(line)") }
            if c.name == "signing" || c.name == "future" {
                XCTAssertEqual(try record(json)["smimeStatusAtDelivery"] as? String, "signed/verified", "\(c.name): \(json.stdout)")
            }
        }
    }

    /// A Received header from before the signer's certificate was valid: verified now,
    /// failed at delivery, and the text view says so without JSON.
    func testAtDeliveryProblemsAreShownInTheTextView() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        let early = Date.now - 86_400 * 10
        let header = "Received: from a by b; \(MessageSpec.rfc5322(early))"
        let path = try runner.write(try pki.signed(MessageSpec(extraHeaders: [header])), "early.eml")
        let plain = try runner.run(["verify", "--no-cache"] + pki.trust + ["--format", "text", path], useStore: false)
        XCTAssertEqual(plain.status, 0, "verified now: \(plain.stdout) \(plain.stderr)")
        XCTAssertTrue(plain.stdout.hasPrefix("signed/verified"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("(at delivery: signed/failed)"), plain.stdout)

        let details = try runner.run(["verify", "--no-cache"] + pki.trust + ["--format", "text", "--details", path], useStore: false)
        let lines = details.lines
        let at = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("  at delivery:") }, details.stdout)
        XCTAssertTrue(lines[at].hasSuffix("signed/failed"), lines[at])
        let below = lines[(at + 1)...].prefix { $0.hasPrefix("    ✗ [") }
        XCTAssertTrue(below.contains { $0.hasPrefix("    ✗ [certificateNotYetValid]") }, details.stdout)
        XCTAssertTrue(below.contains { $0.hasPrefix("    ✗ [signingTimeInFuture]") }, "received before it was signed: \(details.stdout)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("  received:") && $0.hasSuffix("(Received header)") }, details.stdout)
        XCTAssertFalse(lines.contains { $0.hasPrefix("  ✗") }, "no problem now: \(details.stdout)")

        // Served from the cache the next time, the plain line says the same.
        for _ in 0..<2 {
            let cached = try runner.run(["verify"] + pki.trust + ["--format", "text", path])
            XCTAssertTrue(cached.stdout.contains("(at delivery: signed/failed)"), cached.stdout)
        }
    }

    /// query's --before/--after and sort reckon receivedAt as verify does: with no
    /// Received header, a signingTime later than Date wins.
    func testQueryReckonsReceivedAtAsVerifyDoes() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        let signed = try runner.write(try pki.signed(MessageSpec(date: .now - 3 * 86_400)), "signed.eml")
        let unsigned = try runner.write(MessageSpec(date: .now - 2 * 86_400).unsigned, "unsigned.eml")
        let yesterday = ISO8601DateFormatter().string(from: .now - 86_400)
        let after = try runner.run(["query", "--no-cache", "--after", yesterday, signed, unsigned], useStore: false)
        XCTAssertEqual(after.lines, [signed], after.stderr)
        let before = try runner.run(["query", "--no-cache", "--before", yesterday, signed, unsigned], useStore: false)
        XCTAssertEqual(before.lines, [unsigned], before.stderr)
        let sorted = try runner.run(["query", "--no-cache", "--sort", "receivedAt:desc", signed, unsigned], useStore: false)
        XCTAssertEqual(sorted.lines, [signed, unsigned], sorted.stderr)
        let v = try runner.run(["verify", "--no-cache"] + pki.trust + ["--details", "--format", "ndjson", signed], useStore: false)
        let details = try XCTUnwrap(try record(v)["details"] as? [String: Any])
        let receivedAt = try XCTUnwrap(ISO8601DateFormatter().date(from: try XCTUnwrap(details["receivedAt"] as? String)))
        XCTAssertGreaterThan(receivedAt, .now - 86_400, "verify agrees: \(v.stdout)")
    }
}
