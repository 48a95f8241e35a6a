import Foundation
import TestSupport
import XCTest

/// The result cache as the commands use it (semantics.md "Cache" and "Times"),
/// and `smimekit changes`. Ages are whole seconds, so a few tests wait a second
/// or two; none asserts how long anything took.
final class ResultCacheCommandTests: XCTestCase {
    private var runner: SmimekitRunner!

    override func setUpWithError() throws { runner = try SmimekitRunner() }
    override func tearDown() { runner?.remove() }

    private func verify(_ extra: [String], _ path: String) throws -> [String: Any] {
        let run = try runner.run(["verify", "--format", "ndjson"] + extra + [path])
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        return try XCTUnwrap(try run.records()[path], run.stdout)
    }

    func testVerdictIsServedUntilMaxAge() throws {
        let pki = try SigningPKI()
        let path = try runner.write(try pki.signed(MessageSpec()), "m.eml")
        let first = try verify(pki.trust, path)
        XCTAssertEqual(first["smimeStatus"] as? String, "signed/verified")
        let computedAt = try XCTUnwrap(first["smimeVerifiedAt"] as? String)
        Thread.sleep(forTimeInterval: 2.1)
        // Served from the cache: the same smimeVerifiedAt.
        XCTAssertEqual(try verify(pki.trust, path)["smimeVerifiedAt"] as? String, computedAt)
        // Older than --max-age: computed again.
        let again = try verify(pki.trust + ["--max-age", "1"], path)
        XCTAssertNotEqual(again["smimeVerifiedAt"] as? String, computedAt)
        XCTAssertEqual(again["smimeStatus"] as? String, "signed/verified")
        // --no-cache never reads (and --at never serves the current verdict).
        XCTAssertNotEqual(try verify(pki.trust + ["--no-cache"], path)["smimeVerifiedAt"] as? String, computedAt)
        let at = try verify(pki.trust + ["--at", JMAPStyle.now()], path)
        XCTAssertNotEqual(at["smimeVerifiedAt"] as? String, computedAt)
    }

    func testOptionsThatChangeTheVerdictAreKeptApart() throws {
        let pki = try SigningPKI()
        let spec = MessageSpec(from: "<mallory@example.org>")
        let path = try runner.write(try pki.factory.sign(spec, signer: pki.alice, includeChain: [pki.intermediate]), "m.eml")
        XCTAssertEqual(try verify(pki.trust, path)["smimeStatus"] as? String, "signed/failed")
        XCTAssertEqual(try verify(pki.trust + ["--no-sender-check"], path)["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(try verify(pki.trust, path)["smimeStatus"] as? String, "signed/failed")
    }

    func testCertificateExpiringBeforeTheMaxAge() throws {
        let pki = try SigningPKI()
        let shortLived = try pki.factory.makeLeaf(email: "alice@example.org", issuer: pki.intermediate, key: .ecP256,
                                                  notAfter: .now + 3)
        let path = try runner.write(try pki.signed(MessageSpec(), by: shortLived), "m.eml")
        XCTAssertEqual(try verify(pki.trust, path)["smimeStatus"] as? String, "signed/verified")
        Thread.sleep(forTimeInterval: 4.5)
        // Within --max-age, but past the certificate's notAfter: never served.
        let later = try verify(pki.trust, path)
        XCTAssertEqual(later["smimeStatus"] as? String, "signed/failed")
        XCTAssertTrue((later["smimeErrors"] as? [String] ?? []).contains { $0.contains("expired") }, "\(later)")
    }

    func testAtDeliveryIsRecomputedWhenAnAnchorIsAdded() throws {
        let pki = try SigningPKI()
        let other = try pki.factory.makeCA(name: "Unrelated Root", key: .ecP256)
        let path = try runner.write(try pki.signed(MessageSpec()), "m.eml")
        let onlyOther = ["--no-system-trust", "--trust", other.certPEM.path]
        let before = try verify(onlyOther, path)
        XCTAssertEqual(before["smimeStatusAtDelivery"] as? String, "signed/failed")
        let both = onlyOther + ["--trust", pki.root.certPEM.path]
        let after = try verify(both, path)
        XCTAssertEqual(after["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(after["smimeStatusAtDelivery"] as? String, "signed/verified")
    }

    func testAtDeliveryIsKeptWhenAnAnchorIsRemoved() throws {
        let pki = try SigningPKI()
        let other = try pki.factory.makeCA(name: "Unrelated Root", key: .ecP256)
        let path = try runner.write(try pki.signed(MessageSpec()), "m.eml")
        let both = ["--no-system-trust", "--trust", other.certPEM.path, "--trust", pki.root.certPEM.path]
        XCTAssertEqual(try verify(both, path)["smimeStatusAtDelivery"] as? String, "signed/verified")
        // The signer's root is gone: the status now fails, the one at delivery stays.
        let onlyOther = ["--no-system-trust", "--trust", other.certPEM.path]
        let after = try verify(onlyOther, path)
        XCTAssertEqual(after["smimeStatus"] as? String, "signed/failed")
        XCTAssertEqual(after["smimeStatusAtDelivery"] as? String, "signed/verified")
    }

    func testCorruptStoreIsMovedAsideWithAWarning() throws {
        let pki = try SigningPKI()
        let path = try runner.write(try pki.signed(MessageSpec()), "m.eml")
        try FileManager.default.createDirectory(atPath: (runner.storePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(String(repeating: "not a database ", count: 400).utf8).write(to: URL(fileURLWithPath: runner.storePath))
        let run = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("warning") && run.stderr.contains("moved aside"), run.stderr)
        XCTAssertEqual(try run.records()[path]?["smimeStatus"] as? String, "signed/verified")
        let siblings = try FileManager.default.contentsOfDirectory(atPath: (runner.storePath as NSString).deletingLastPathComponent)
        XCTAssertTrue(siblings.contains { $0.contains(".corrupt-") }, "\(siblings)")
        // The new store works, without further warnings.
        let again = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [path])
        XCTAssertEqual(again.stderr, "")
    }

    func testConcurrentRunsShareOneStore() throws {
        let pki = try SigningPKI()
        let bytes = try pki.signed(MessageSpec())
        var paths: [String] = []
        for i in 0..<40 {
            // Distinct bytes, one signature: an extra header outside the signed part.
            paths.append(try runner.write(Array("X-Copy: \(i)\r\n".utf8) + bytes, "mail/\(i).eml"))
        }
        let directory = runner.home.appendingPathComponent("mail").path
        let group = DispatchGroup()
        let statuses = StatusBox()
        let runner: SmimekitRunner = self.runner
        let arguments = ["verify", "--format", "ndjson", "--jobs", "1"] + pki.trust + [directory]
        for _ in 0..<3 {
            DispatchQueue.global().async(group: group) {
                let run = try? runner.run(arguments)
                statuses.add(run?.status ?? -1, run?.stderr ?? "did not run")
            }
        }
        group.wait()
        for (status, stderr) in statuses.all { XCTAssertEqual(status, 0, stderr) }
        let status = try runner.run(["status", "--cached", "--format", "ndjson"] + pki.trust + [directory])
        XCTAssertEqual(status.stderr, "")
        XCTAssertEqual(try status.records().values.filter { $0["smimeStatus"] as? String == "signed/verified" }.count, paths.count)
    }

    func testStatusShowsAFreshCachedVerdict() throws {
        let pki = try SigningPKI()
        let path = try runner.write(try pki.signed(MessageSpec()), "m.eml")
        XCTAssertEqual(try runner.run(["status", "--format", "ndjson"] + pki.trust + [path]).records()[path]?["smimeStatus"] as? String, "signed")
        _ = try verify(pki.trust, path)
        XCTAssertEqual(try runner.run(["status", "--cached", "--format", "ndjson"] + pki.trust + [path]).records()[path]?["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(try runner.run(["status", "--format", "ndjson", "--no-cache"] + pki.trust + [path], useStore: false).records()[path]?["smimeStatus"] as? String, "signed")
    }

    // MARK: changes

    private func changes(_ arguments: [String]) throws -> [String: Any] {
        let run = try runner.run(["changes"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let response = try XCTUnwrap((try run.json() as? [String: Any])?["methodResponses"] as? [[Any]], run.stdout)
        XCTAssertEqual(response[0][0] as? String, "Email/changes")
        return try XCTUnwrap(response[0][1] as? [String: Any])
    }

    private func state(_ arguments: [String] = []) throws -> String {
        let run = try runner.run(["changes"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testChangesCreatedUpdatedDestroyed() throws {
        let pki = try SigningPKI()
        let other = try pki.factory.makeCA(name: "Unrelated Root", key: .ecP256)
        let directory = runner.home.appendingPathComponent("mail").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // States belong to the set of paths scanned: the start is that of the (empty) directory.
        let start = try state(pki.trust + [directory])
        let signed = try runner.write(try pki.signed(MessageSpec()), "mail/a.eml")
        let plain = try runner.write(Array("From: x@example.org\r\nSubject: plain\r\n\r\nhi\r\n".utf8), "mail/b.eml")
        let ids = try runner.run(["verify", "--no-cache", "--format", "ndjson"] + pki.trust + [directory], useStore: false).records().mapValues { $0["id"] as! String }

        let created = try changes(["--since", start] + pki.trust + [directory])
        XCTAssertEqual(Set(created["created"] as? [String] ?? []), [ids[signed]!, ids[plain]!])
        XCTAssertEqual(created["updated"] as? [String], [])
        XCTAssertEqual(created["oldState"] as? String, start)
        let s1 = try XCTUnwrap(created["newState"] as? String)

        // Another anchor set: the signed message's status changes.
        let updated = try changes(["--since", s1, "--no-system-trust", "--trust", other.certPEM.path, directory])
        XCTAssertEqual(updated["updated"] as? [String], [ids[signed]!])
        XCTAssertEqual(updated["created"] as? [String], [])
        let s2 = try XCTUnwrap(updated["newState"] as? String)

        try FileManager.default.removeItem(atPath: plain)
        let destroyed = try changes(["--since", s2, "--no-system-trust", "--trust", other.certPEM.path, directory])
        XCTAssertEqual(destroyed["destroyed"] as? [String], [ids[plain]!])
        XCTAssertEqual(destroyed["updated"] as? [String], [])

        // Everything since the start, in one response, and in steps of one.
        let again = ["--no-system-trust", "--trust", other.certPEM.path, directory]
        let all = try changes(["--since", start] + again)
        XCTAssertEqual(all["created"] as? [String], [ids[signed]!])
        let step = try changes(["--since", start, "--max-changes", "1"] + again)
        XCTAssertEqual(step["hasMoreChanges"] as? Bool, true)
    }

    func testVerifiedAtAloneIsNoChange() throws {
        let pki = try SigningPKI()
        let path = try runner.write(try pki.signed(MessageSpec()), "mail/a.eml")
        let directory = (path as NSString).deletingLastPathComponent
        let s1 = try state(pki.trust + [directory])
        Thread.sleep(forTimeInterval: 1.1)
        // Verified again (--max-age 0): a new smimeVerifiedAt, the same status and errors.
        let c = try changes(["--since", s1, "--max-age", "0"] + pki.trust + [directory])
        XCTAssertEqual(c["created"] as? [String], [])
        XCTAssertEqual(c["updated"] as? [String], [])
        XCTAssertEqual(c["destroyed"] as? [String], [])
        XCTAssertEqual(c["newState"] as? String, s1)
    }

    func testChangesFromAnUnknownStateIsAJMAPError() throws {
        let run = try runner.run(["changes", "--since", "nonsense-1"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stdout.contains("cannotCalculateChanges"), run.stdout)
    }
}

/// Statuses gathered from several threads.
private final class StatusBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int32, String)] = []
    func add(_ status: Int32, _ stderr: String) { lock.withLock { items.append((status, stderr)) } }
    var all: [(Int32, String)] { lock.withLock { items } }
}

enum JMAPStyle {
    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }
}
