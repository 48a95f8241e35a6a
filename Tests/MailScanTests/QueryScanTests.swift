import Foundation
import JMAP
@testable import MailScan
import MIME
import ResultStore
import SMIME
import TestSupport
import XCTest

/// A query over a list of files, as a JMAP server's Email/query runs it: the
/// cheap first pass, verification only where the answer depends on it, sort keys.
final class QueryScanTests: XCTestCase {
    private var dir: URL!
    private var factory: PKIFactory!
    private var trust: TrustStore!
    private var items: [InputItem] = []

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailscan-query-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "MailScan Query Root", key: .ecP256)
        let signer = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice", issuer: root, key: .ecP256)
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        trust = try TrustStore(config)
        let signed = try factory.sign(MessageSpec(from: "alice@example.org", subject: "invoice 1"), signer: signer)
        let files: [(String, [UInt8])] = [
            ("a-good.eml", signed),
            ("b-tampered.eml", try Tamper.alterSignedContent(signed)),
            ("c-plain.eml", Array("From: bob@example.org\r\nSubject: invoice 2 with a longer subject line\r\n\r\nhello there\r\n".utf8)),
        ]
        for (name, bytes) in files {
            let url = dir.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            items.append(.file(url.path))
        }
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func service(_ store: ResultStore?) -> VerdictService {
        VerdictService(verifier: MessageVerifier(trust: trust), store: store, maxAge: 3600, at: nil, receivedAt: nil,
                       maxBytes: 1 << 20, jobs: 2)
    }

    private func scan(_ json: String, sort: [String] = [], verdicts: Bool = false, ids: Bool = true) throws -> QueryScan {
        QueryScan(filter: try Filter.parse(try JSON.parse(Array(json.utf8))), comparators: sort.compactMap(Comparator.init),
                  limits: .default, maxBytes: 1 << 20, inMemoryLimit: 1 << 20, verdictsForMatches: verdicts, needsIDs: ids, jobs: 2)
    }

    private func names(_ results: [QueryResult]) -> [String] {
        results.compactMap { r in
            guard case .success(_?) = r.outcome else { return nil }
            return URL(fileURLWithPath: r.item.displayPath).lastPathComponent
        }
    }

    func testVerifiedConditionsVerifyAndCheapOnesDoNot() throws {
        let verified = try scan(#"{"hasVerifiedSmime":true}"#)
        XCTAssertTrue(verified.needsVerifier)
        XCTAssertEqual(names(verified.results(for: items, service: service(nil))), ["a-good.eml"])

        let cheap = try scan(#"{"subject":"invoice","hasSmime":false}"#)
        XCTAssertFalse(cheap.needsVerifier)
        let results = cheap.results(for: items, service: nil)
        XCTAssertEqual(names(results), ["c-plain.eml"])
        guard case .success(let match?) = results[2].outcome else { return XCTFail("no match") }
        XCTAssertNil(match.verdict, "nothing was verified")
        XCTAssertEqual(match.id, EmailID.make(digestHex: Digest.sha256Hex(try [UInt8](Data(contentsOf: URL(fileURLWithPath: items[2].displayPath))))))
    }

    func testMatchesCarryVerdictsAndSortKeysWhenAsked() throws {
        let q = try scan(#"{"hasSmime":true}"#, sort: ["size:desc"], verdicts: true)
        let results = q.results(for: items, service: service(nil))
        let matches = results.compactMap { try? $0.outcome.get() }
        XCTAssertEqual(matches.map { $0.verdict?.status }, [.signedVerified, .signedFailed])
        XCTAssertEqual(matches.map(\.keys.count), [1, 1])
        var window = QueryWindow<String>(comparators: q.comparators)
        for (r, m) in zip(results.filter { (try? $0.outcome.get()) != nil }, matches) {
            _ = window.add(r.item.displayPath, id: m.id, path: r.item.displayPath, keys: m.keys)
        }
        XCTAssertEqual(try window.finish().get().total, 2)
    }

    func testWithoutIdsNothingIsHashed() throws {
        let results = try scan(#"{"subject":"invoice"}"#, ids: false).results(for: items, service: nil)
        XCTAssertEqual(names(results).count, 3)
        for r in results { XCTAssertNil(try r.outcome.get()?.id) }
    }

    func testAVerdictOnlyQueryIsAnsweredFromTheStoreWithoutReadingAgain() throws {
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let first = service(store)
        let q = try scan(#"{"hasVerifiedSmime":false}"#)
        XCTAssertEqual(names(q.results(for: items, service: first)), ["b-tampered.eml", "c-plain.eml"])
        first.finish()
        // The next run knows every file by its stamp and every verdict: the same answer.
        let second = service(store)
        XCTAssertEqual(names(q.results(for: items, service: second)), ["b-tampered.eml", "c-plain.eml"])
        second.finish()
    }

    func testAnUnreadableFileIsAFailureNotANonMatch() throws {
        let results = try scan(#"{"subject":"invoice"}"#).results(for: [.file(dir.appendingPathComponent("gone.eml").path)], service: nil)
        guard case .failure(let f) = results[0].outcome else { return XCTFail("not a failure") }
        XCTAssertEqual(f.error, .unreadable(errno: ENOENT))
    }

    func testStructureReadTellsTheStatusWithoutCryptography() throws {
        let statuses = try items.map { try StructureRead.read($0, limits: .default, maxBytes: 1 << 20, inMemory: 1 << 20).get().status }
        XCTAssertEqual(statuses, [.signed, .signed, nil])
    }

    /// Issue 17: a warm verdict-only query over a walked directory is answered from
    /// the directory's rows (`servedVerdicts`), and a file rewritten in place (the
    /// directory's own stamp unchanged; new size, times, maybe inode) is not: it is
    /// read and verified again, and answers by its new bytes.
    func testAWarmQueryIsAnsweredFromTheDirectoryRowsButAnEditedFileIsVerifiedAgain() throws {
        let mail = dir.appendingPathComponent("cur")
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        let good = try Data(contentsOf: URL(fileURLWithPath: items[0].displayPath))
        let tampered = try Data(contentsOf: URL(fileURLWithPath: items[1].displayPath))
        for i in 0..<12 { try (i % 3 == 2 ? tampered : good).write(to: mail.appendingPathComponent("m\(i).eml")) }
        // The store remembers only files written at least two seconds before they were read.
        Thread.sleep(forTimeInterval: 2.2)
        let walk = { Array(InputWalk(operands: [mail.path], stdinIsTerminal: true)) }
        let store = try ResultStore(url: dir.appendingPathComponent("results.sqlite"))
        let q = try scan(#"{"hasVerifiedSmime":true}"#, ids: false)
        let verified = (0..<12).filter { $0 % 3 != 2 }.map { "m\($0).eml" }.sorted()
        let first = service(store)
        XCTAssertEqual(names(q.results(for: walk(), service: first)), verified)
        first.finish()

        let second = service(store)
        let items = walk()
        XCTAssertEqual(second.servedVerdicts(items).filter { $0 != nil }.count, 12, "every file from its directory's rows")
        XCTAssertEqual(names(q.results(for: items, service: second)), verified)
        second.finish()

        // m0.eml rewritten in place with the tampered bytes.
        try tampered.write(to: mail.appendingPathComponent("m0.eml"))
        let third = service(store)
        let edited = walk()
        let served = third.servedVerdicts(edited)
        XCTAssertEqual(edited.indices.filter { served[$0] == nil }.map { URL(fileURLWithPath: edited[$0].displayPath).lastPathComponent },
                       ["m0.eml"])
        XCTAssertEqual(names(q.results(for: edited, service: third)), verified.filter { $0 != "m0.eml" })
        third.finish()
    }

    /// The walk's own directory listing names entries exactly as PathCalls does:
    /// ASCII straight from the bytes, UTF-8 and raw bytes through PathBytes.
    func testTheWalksListingNamesEntriesAsPathCallsDoes() throws {
        let list = dir.appendingPathComponent("names")
        try FileManager.default.createDirectory(at: list, withIntermediateDirectories: true)
        for name in ["plain.eml", "caf\u{E9}.eml", ".hidden", "x"] {
            try Data("x".utf8).write(to: list.appendingPathComponent(name))
        }
        // A Latin-1 name: not UTF-8.
        let raw = Array((list.path + "/caf").utf8) + [0xE9, UInt8(ascii: "2"), 0]
        let fd = raw.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_CREAT | O_WRONLY, 0o600) }
        }
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        let dfd = open(list.path, O_RDONLY | O_DIRECTORY)
        defer { close(dfd) }
        let mine = try XCTUnwrap(InputWalk.names(in: dfd))
        XCTAssertEqual(mine.sorted(), try XCTUnwrap(PathCalls.names(in: dfd)).sorted())
        XCTAssertEqual(mine.count, 5)
        XCTAssertTrue(mine.contains { PathBytes.hasRawBytes($0) })
        XCTAssertFalse(mine.contains("."))
        XCTAssertFalse(mine.contains(".."))
        let walked = Array(InputWalk(operands: [list.path], stdinIsTerminal: true)).map { URL(fileURLWithPath: $0.displayPath).lastPathComponent }
        XCTAssertEqual(walked.count, 4, "the dot file is not walked")
    }
}
