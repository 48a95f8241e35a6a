import Foundation
import MIME
import ResultStore
import TestSupport
import XCTest

/// A warm run names a message by the digest its file had when last read, as long
/// as the file's stat(2) stamp is unchanged, and reads it again otherwise.
final class FileStampCacheTests: XCTestCase {
    private var runner: SmimekitRunner!

    override func setUpWithError() throws { runner = try SmimekitRunner() }
    override func tearDown() { runner?.remove() }

    private func query(_ pki: SigningPKI, _ paths: [String]) throws -> SmimekitRunner.Result {
        let run = try runner.run(["query", "--has-verified-smime", "--format", "ndjson"] + pki.trust + paths)
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        return run
    }

    func testAnUnchangedFileIsNotReadAgain() throws {
        let pki = try SigningPKI()
        let good = try runner.write(try pki.signed(MessageSpec()), "good.eml")
        let bad = try runner.write(try pki.factory.sign(MessageSpec(from: "<mallory@example.org>"), signer: pki.alice,
                                                        includeChain: [pki.intermediate]), "bad.eml")
        // Files written less than two seconds ago are not remembered.
        Thread.sleep(forTimeInterval: 2.2)
        let first = try query(pki, [good, bad])
        XCTAssertEqual(Array(try first.records().keys), [good])
        let badID = try XCTUnwrap(try runner.run(["verify", "--format", "ndjson"] + pki.trust + [bad]).records()[bad]?["id"] as? String)

        // Point good.eml's row at bad.eml's digest. Had the next run read good.eml,
        // it would still match; served from the row, it takes bad.eml's verdict.
        do {
            let store = try ResultStore(url: URL(fileURLWithPath: runner.storePath))
            let goodStamp = try XCTUnwrap(FileStamp(path: good))
            let badStamp = try XCTUnwrap(FileStamp(path: bad))
            let badDigest = try XCTUnwrap(try store.knownDigests([(bad, badStamp)])[0], "the first run recorded bad.eml")
            XCTAssertNotNil(try store.knownDigests([(good, goodStamp)])[0], "the first run recorded good.eml")
            try store.recordFiles([FileRecord(path: good, stamp: goodStamp, digest: badDigest)])
        }
        let served = try query(pki, [good, bad])
        XCTAssertEqual(served.status, 1, "good.eml was named by the recorded digest, not read: \(served.stdout)")
        // verify never takes the row's word (its answer is a security decision): it
        // hashes good.eml, answers for its own bytes, and records what it read.
        let verify = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [good]).records()[good]
        XCTAssertNotEqual(verify?["id"] as? String, badID)
        XCTAssertEqual(verify?["smimeStatus"] as? String, "signed/verified")

        // Written again (same bytes, same size): the change time moved, so it is read again.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.write(to: URL(fileURLWithPath: good))
        XCTAssertEqual(Array(try query(pki, [good, bad]).records().keys), [good])
    }

    func testAFileRewrittenWithItsOldSizeAndTimeIsVerifiedAgain() throws {
        let pki = try SigningPKI()
        var bytes = try pki.signed(MessageSpec(content: MessageSpec.textPart("Pay Bob 100 EUR.\r\n")))
        let path = try runner.write(bytes, "m.eml")
        Thread.sleep(forTimeInterval: 2.2)
        XCTAssertEqual(Array(try query(pki, [path]).records().keys), [path])
        let before = try XCTUnwrap(FileStamp(path: path))

        // One byte of the signed text changed, size kept, modification time put back.
        let text = Array("Pay Bob 100".utf8)
        let at = try XCTUnwrap((0...(bytes.count - text.count)).first { Array(bytes[$0..<$0 + text.count]) == text })
        bytes[at + 8] = UInt8(ascii: "9")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let seconds = Int(before.modifiedNanoseconds / 1_000_000_000), nanos = Int(before.modifiedNanoseconds % 1_000_000_000)
        var times = [timespec(tv_sec: seconds, tv_nsec: nanos), timespec(tv_sec: seconds, tv_nsec: nanos)]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)
        XCTAssertEqual(FileStamp(path: path)?.size, before.size)
        XCTAssertEqual(FileStamp(path: path)?.modifiedNanoseconds, before.modifiedNanoseconds)

        let after = try query(pki, [path])
        XCTAssertEqual(after.status, 1, "the altered message must not be served the old verdict: \(after.stdout)")
        let record = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [path]).records()[path]
        XCTAssertEqual(record?["smimeStatus"] as? String, "signed/failed")
    }
}
