import Foundation
import JMAP
@testable import MailScan
import MIME
import ResultStore
import SMIME
import TestSupport
import XCTest

/// The cached verifier: verdicts computed once, served from the store afterwards,
/// the same from concurrent callers, and for a list of files as for a walk.
final class VerdictServiceTests: XCTestCase {
    private var dir: URL!
    private var factory: PKIFactory!
    private var trust: TrustStore!
    private var signer: CertificateFixture!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailscan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "MailScan Test Root", key: .ecP256)
        signer = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice", issuer: root, key: .ecP256)
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        trust = try TrustStore(config)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func service(_ store: ResultStore?, jobs: Int = 2, hashesEveryFile: Bool = false) -> VerdictService {
        VerdictService(verifier: MessageVerifier(trust: trust), store: store, maxAge: 3600, at: nil, receivedAt: nil,
                       maxBytes: 1 << 20, jobs: jobs, hashesEveryFile: hashesEveryFile)
    }

    private func fixtures() throws -> (good: String, tampered: String, plain: String) {
        let spec = MessageSpec(from: "alice@example.org")
        let signed = try factory.sign(spec, signer: signer)
        return (try write(signed, "good.eml"),
                try write(try Tamper.alterSignedContent(signed), "tampered.eml"),
                try write(Array("From: bob@example.org\r\nSubject: plain\r\n\r\nhello\r\n".utf8), "plain.eml"))
    }

    func testVerdictsAreComputedOnceThenServedFromTheStore() throws {
        let (good, tampered, plain) = try fixtures()
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let items = [good, tampered, plain].map { InputItem.file($0) }

        let first = service(store)
        let fresh = first.verdicts(for: items)
        first.finish()
        let statuses = try fresh.map { try $0.get().status }
        XCTAssertEqual(statuses, [.signedVerified, .signedFailed, nil])
        XCTAssertNotNil(try fresh[0].get().fresh, "computed now")
        XCTAssertNotNil(try fresh[0].get().verifiedAt)

        // A new service over the same store (the next run): nothing verified again.
        let second = service(store)
        let served = second.verdicts(for: items)
        second.finish()
        XCTAssertEqual(try served.map { try $0.get().status }, statuses)
        XCTAssertNil(try served[0].get().fresh, "served from the store")
        XCTAssertNil(try served[1].get().fresh, "served from the store")
        XCTAssertEqual(try served[1].get().errors, try fresh[1].get().errors)
    }

    func testWithoutAStoreEveryVerdictIsFresh() throws {
        let (good, _, _) = try fixtures()
        let s = service(nil)
        for _ in 0..<2 {
            let v = try XCTUnwrap(s.verdicts(for: [.file(good)]).first).get()
            XCTAssertEqual(v.status, .signedVerified)
            XCTAssertNotNil(v.fresh)
        }
    }

    func testConcurrentCallersGetTheSameVerdicts() throws {
        let (good, tampered, plain) = try fixtures()
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let s = service(store, jobs: 2)
        let items = Array(repeating: [good, tampered, plain].map { InputItem.file($0) }, count: 5).flatMap { $0 }
        let answers = WorkPool.map(Array(0..<6), jobs: 6) { _ in
            s.verdicts(for: items, delivery: true).map { (try? $0.get()).map { [$0.status, $0.statusAtDelivery] } }
        }
        s.finish()
        let expected: [[SMIMEStatus?]?] = Array(repeating: [[.signedVerified, .signedVerified], [.signedFailed, .signedFailed], [nil, nil]],
                                           count: 5).flatMap { $0 }
        for a in answers { XCTAssertEqual(a, expected) }
    }

    func testAFileThatIsGoneOrTooLargeIsAnInputFailure() throws {
        let (good, _, _) = try fixtures()
        let s = VerdictService(verifier: MessageVerifier(trust: trust), store: nil, maxAge: 0, at: nil, receivedAt: nil,
                               maxBytes: 64, jobs: 1)
        let results = s.verdicts(for: [.file(dir.appendingPathComponent("missing.eml").path), .file(good)])
        guard case .failure(let missing) = results[0], case .failure(let large) = results[1] else {
            return XCTFail("expected two failures: \(results)")
        }
        XCTAssertEqual(missing.error, .unreadable(errno: ENOENT))
        if case .tooLarge(_, 64) = large.error {} else { XCTFail("not tooLarge: \(large)") }
        // The engine names the remedy; the words of a flag are the command line's.
        XCTAssertEqual(large.remedy, .raiseMessageSizeLimit)
        XCTAssertFalse(large.reason.contains("--"), large.reason)
        XCTAssertNil(missing.remedy)
    }

    func testAFileChangedAfterItsDigestWasRecordedIsReadAgainWhenHashed() throws {
        let (good, _, plain) = try fixtures()
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let s = service(store)
        XCTAssertEqual(try s.verdicts(for: [.file(good)])[0].get().status, .signedVerified)
        s.finish()
        // The same path now holds other bytes: verify's rule (hash every file) never serves the old verdict.
        try FileManager.default.removeItem(atPath: good)
        try FileManager.default.copyItem(atPath: plain, toPath: good)
        let again = service(store, hashesEveryFile: true)
        XCTAssertNil(try again.verdicts(for: [.file(good)])[0].get().status)
        again.finish()
    }

    func testTheEngineNamesNoFlagOfTheCommandLine() {
        XCTAssertFalse(BareCMS.note.message.contains("--"), BareCMS.note.message)
        XCTAssertTrue(BareCMS.note(advice: "use --no-sender-check").message.hasSuffix("; use --no-sender-check"))
        for remedy in [Remedy.raiseMessageSizeLimit, .readStandardInput, .giveSigningKey, .giveRecipientCertificates, .skipSenderCheck] {
            XCTAssertFalse(remedy.words.contains("--"), remedy.words)
        }
        XCTAssertFalse(InputFailure(.notRegular(.fifo)).reason.contains("--"))
        XCTAssertEqual(InputFailure(.notRegular(.fifo)).remedy, .readStandardInput)
    }
}
