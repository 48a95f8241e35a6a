import Foundation
import JMAP
@testable import MailScan
import MIME
import ResultStore
import SMIME
import TestSupport
import XCTest

/// A batch through the engine as verify, status and changes take it, and the
/// --details view of a verdict.
final class BatchVerificationTests: XCTestCase {
    private var dir: URL!
    private var factory: PKIFactory!
    private var trust: TrustStore!
    private var signer: CertificateFixture!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "Batch Test Root", key: .ecP256)
        signer = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice", issuer: root, key: .ecP256)
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        trust = try TrustStore(config)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func service(_ store: ResultStore?) -> VerdictService {
        VerdictService(verifier: MessageVerifier(trust: trust), store: store, maxAge: 3600, at: nil, receivedAt: nil,
                       maxBytes: 1 << 20, jobs: 2)
    }

    /// A signed message, a plain one, a missing file, in that order.
    private func batch() throws -> [InputItem] {
        let signed = try factory.sign(MessageSpec(from: "alice@example.org"), signer: signer)
        return [.file(try write(signed, "good.eml")),
                .file(try write(Array("From: bob@example.org\r\nSubject: plain\r\n\r\nhello\r\n".utf8), "plain.eml")),
                .file(dir.appendingPathComponent("missing.eml").path)]
    }

    func testVerifyKeepsInputOrderAndFailures() throws {
        let items = try batch()
        let results = service(nil).verify(items, delivery: true, details: true)
        XCTAssertEqual(results.count, 3)
        let good = try results[0].get()
        XCTAssertEqual(good.verdict.status, .signedVerified)
        XCTAssertNotNil(good.verdict.fresh)
        XCTAssertEqual(good.message.item.displayPath, items[0].displayPath)
        XCTAssertNil(try results[1].get().verdict.status)
        XCTAssertThrowsError(try results[2].get())
        // The same verdicts as verdicts(for:), which goes through it.
        XCTAssertEqual(service(nil).verdicts(for: items).map { try? $0.get().status }, [.signedVerified, nil, nil])
    }

    func testDetailsOfAFreshVerdictOnly() throws {
        let items = try batch()
        let (message, verdict) = try service(nil).verify([items[0]], details: true)[0].get()
        let details = try XCTUnwrap(VerificationDetails(id: message.id, verdict: verdict))
        XCTAssertEqual(details.id, message.id)
        let json = details.json
        XCTAssertEqual(json["layers"]?.arrayValue?.count, 1)
        XCTAssertEqual(json["signers"]?.arrayValue?.first?["emails"]?.arrayValue?.first?.stringValue, "alice@example.org")
        XCTAssertEqual(json["signers"]?.arrayValue?.first?["verified"], .bool(true))
        XCTAssertEqual(json["problems"]?.arrayValue?.count, 0)
        XCTAssertEqual(json["headerProtection"], .null)
        XCTAssertNil(VerificationDetails(id: "x", verdict: Verdict()))
    }

    func testStatusesFromStructureAndFromTheCache() throws {
        let items = try batch()
        let plain = StructureRead.statuses(items, limits: .default, maxBytes: 1 << 20, inMemory: 1 << 20, jobs: 2)
        XCTAssertEqual(try plain[0].get().status, .signed)
        XCTAssertNil(try plain[1].get().status)
        XCTAssertThrowsError(try plain[2].get())

        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let s = service(store)
        _ = s.verify(items)
        s.finish()
        let cached = StructureRead.statuses(items, limits: .default, maxBytes: 1 << 20, inMemory: 1 << 20, jobs: 2, cached: s)
        XCTAssertEqual(try cached[0].get().status, .signedVerified)
        XCTAssertNil(try cached[1].get().status)
        XCTAssertThrowsError(try cached[2].get())
    }

    func testChangesRunRecordsAndReportsFailures() throws {
        let items = try batch()
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let scope = ScanScope.key(operands: [dir.path])
        let before = try store.state(scope: scope)
        var failed: [String] = []
        try ChangesScan(store: store, scope: scope, service: service(store))
            .run(items.makeIterator(), jobs: 2) { item, _ in failed.append(item.displayPath) }
        XCTAssertEqual(failed, [items[2].displayPath])
        let changes = try store.changes(since: before, maxChanges: nil, scope: scope)
        XCTAssertEqual(changes.created.count, 2)
    }
}
