import Foundation
import TestSupport
import XCTest

/// `smimekit trust list` and the options that choose the anchors, through the built binary.
final class TrustListCommandTests: XCTestCase {
    override func setUpWithError() throws {
        try NSSRootStore.ensureInstalled()
    }

    private func records(_ run: CLI.Run) throws -> [[String: String]] {
        try run.lines.map { line in
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
            return object.compactMapValues { $0 as? String }
        }
    }

    private func hasSubject(_ records: [[String: String]], _ cn: String) -> Bool {
        records.contains { $0["subject"]?.hasPrefix("CN=\(cn),") ?? false }
    }

    func testDefaultListIsNSSEmailRoots() throws {
        let run = try CLI.run(["trust", "list", "--format", "ndjson"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "", "no fallback warning when NSS is there")
        let list = try records(run)
        XCTAssertTrue(hasSubject(list, "GlobalSign Secure Mail Root R45"))
        XCTAssertTrue(hasSubject(list, "HARICA Client RSA Root CA 2021"))
        XCTAssertFalse(hasSubject(list, "Sectigo Public Server Authentication Root R46"))
        XCTAssertGreaterThan(list.count, 50)
        for record in list {
            XCTAssertEqual(record["source"], "nss-email")
            XCTAssertEqual(record["sha256"]?.count, 64)
            XCTAssertNotNil(record["notAfter"].flatMap { $0.hasSuffix("Z") ? $0 : nil }, "\(record)")
        }
        let r45 = try XCTUnwrap(list.first { $0["subject"]?.hasPrefix("CN=GlobalSign Secure Mail Root R45,") ?? false })
        XCTAssertEqual(r45["sha256"], "319af0a7729e6f89269c131ea6a3a16fcd86389fdcab3c47a4a675c161a3f974")

        // Text: a line an anchor, fingerprint first and subject last.
        let text = try CLI.run(["trust", "list", "--format", "text"])
        XCTAssertEqual(text.status, 0)
        XCTAssertEqual(text.lines.count, list.count)
        XCTAssertTrue(text.lines.contains { $0.hasPrefix("319af0a7729e6f89269c131ea6a3a16fcd86389fdcab3c47a4a675c161a3f974  2045-03-18T00:00:00Z  nss-email") && $0.hasSuffix("CN=GlobalSign Secure Mail Root R45,O=GlobalSign nv-sa,C=BE") }, text.text)
    }

    func testBundleSourceNoneAndOwnAnchors() throws {
        let bundle = try records(try CLI.run(["trust", "list", "--format", "ndjson", "--trust-source", "bundle"]))
        XCTAssertTrue(hasSubject(bundle, "Sectigo Public Server Authentication Root R46"))
        XCTAssertTrue(bundle.allSatisfy { $0["source"] == "bundle" })

        let none = try CLI.run(["trust", "list", "--no-system-trust"])
        XCTAssertEqual(none.status, 1, "no anchor at all")
        XCTAssertEqual(none.stdout, [])

        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Listed Own Root")
        let own = try records(try CLI.run(["trust", "list", "--format", "ndjson", "--trust-source", "none", "--trust", root.certPEM.path]))
        XCTAssertEqual(own.count, 1)
        XCTAssertEqual(own.first?["source"], root.certPEM.path)
        XCTAssertEqual(own.first?["subject"], "CN=Listed Own Root,O=smimekit fixtures")
    }

    func testContradictionsAndBadValuesAreRefused() throws {
        let both = try CLI.run(["trust", "list", "--no-system-trust", "--trust-source", "bundle"])
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertTrue(both.stderr.contains("contradict"), both.stderr)
        let bad = try CLI.run(["trust", "list", "--trust-source", "tls"])
        XCTAssertNotEqual(bad.status, 0)
        let weak = try CLI.run(["verify", "--min-rsa-bits", "512", "-"], stdin: [])
        XCTAssertNotEqual(weak.status, 0)
        XCTAssertTrue(weak.stderr.contains("--min-rsa-bits takes 1024 or more"), weak.stderr)
    }

    /// verify takes the same choice: a message under a test root verifies only when the root is trusted,
    /// and a change of --trust-source is a change of the anchor set the store files verdicts under.
    func testVerifyHonoursTheSourceAndTheCacheFollows() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "CLI Trust Root")
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let message = try pki.write(try pki.sign(MessageSpec(), signer: alice), name: "signed.eml")
        let store = pki.directory.appendingPathComponent("results.sqlite").path
        func status(_ extra: [String]) throws -> String? {
            let run = try CLI.run(["verify", "--format", "ndjson", "--store", store] + extra + [message.path])
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try XCTUnwrap(run.lines.first, run.stderr).utf8)) as? [String: Any])
            return json["smimeStatus"] as? String
        }
        XCTAssertEqual(try status(["--trust", root.certPEM.path]), "signed/verified")
        XCTAssertEqual(try status(["--trust-source", "bundle", "--trust", root.certPEM.path]), "signed/verified")
        // Same bytes, other anchors: never the cached verdict of another anchor set.
        XCTAssertEqual(try status(["--trust-source", "bundle"]), "signed/failed")
        XCTAssertEqual(try status([]), "signed/failed")
        XCTAssertEqual(try status(["--trust-source", "none", "--trust", root.certPEM.path]), "signed/verified")
    }

    func testMissingModuleWarnsOnceAndFallsBack() throws {
        let run = try CLI.run(["trust", "list", "--format", "ndjson"], environment: ["SMIMEKIT_NSS_MODULE": "/nonexistent/libnssckbi.so"])
        XCTAssertEqual(run.status, 0)
        let warnings = run.stderr.split(separator: "\n")
        XCTAssertEqual(warnings.count, 1, run.stderr)
        XCTAssertTrue(warnings.first?.hasPrefix("smimekit: warning: ") ?? false)
        XCTAssertTrue(try records(run).allSatisfy { $0["source"] == "bundle" })
    }
}
