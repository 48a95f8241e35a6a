import Foundation
import MIME
import ResultStore
import TestSupport
import XCTest

/// Issue 17: with enough files in a directory, a warm run reads the directory's
/// file stamps and verdicts from the store in one go. These runs go through that
/// path (twelve files, more than `StampPrefetch.minimumFiles`) and hold it to the
/// same rules as the lookups one file at a time (FileStampCacheTests).
final class StampPrefetchCommandTests: XCTestCase {
    private var runner: SmimekitRunner!

    override func setUpWithError() throws { runner = try SmimekitRunner() }
    override func tearDown() { runner?.remove() }

    private func query(_ pki: SigningPKI, _ operands: [String]) throws -> SmimekitRunner.Result {
        let run = try runner.run(["query", "--has-verified-smime", "--format", "ndjson"] + pki.trust + operands)
        XCTAssertTrue([0, 1].contains(run.status), run.stderr)
        return run
    }

    /// Twelve signed messages in `dir`, each with its own text; returns their paths.
    private func mailbox(_ pki: SigningPKI, _ dir: String) throws -> [String] {
        try (0..<12).map { i in
            try runner.write(try pki.signed(MessageSpec(content: MessageSpec.textPart("Message \(i): pay Bob 100 EUR.\r\n"))),
                             "\(dir)/m\(i).eml")
        }
    }

    func testRowsReadPerDirectoryServeOnlyUnchangedFiles() throws {
        let pki = try SigningPKI()
        let paths = try mailbox(pki, "box/cur")
        let bad = try runner.write(try pki.factory.sign(MessageSpec(from: "<mallory@example.org>"), signer: pki.alice,
                                                        includeChain: [pki.intermediate]), "box/cur/bad.eml")
        let dir = (bad as NSString).deletingLastPathComponent
        // Files written less than two seconds ago are not remembered.
        Thread.sleep(forTimeInterval: 2.2)
        XCTAssertEqual(Set(try query(pki, [dir]).records().keys), Set(paths))
        // Warm: the same answer, from the store.
        XCTAssertEqual(Set(try query(pki, [dir]).records().keys), Set(paths))

        // Point m0's row at bad.eml's digest: a warm run that takes the rows' word
        // gives m0 bad.eml's verdict, which shows the rows are what it read.
        do {
            let store = try ResultStore(url: URL(fileURLWithPath: runner.storePath))
            let stamp = try XCTUnwrap(FileStamp(path: paths[0]))
            let badDigest = try XCTUnwrap(try store.knownDigests([(bad, try XCTUnwrap(FileStamp(path: bad)))])[0])
            let rows = try store.knownFiles(inDirectory: dir, optionsDigest: nil, now: Date(), maxAge: 3600)
            XCTAssertEqual(Set(rows.map(\.name)), Set((paths + [bad]).map { ($0 as NSString).lastPathComponent }))
            try store.recordFiles([FileRecord(path: paths[0], stamp: stamp, digest: badDigest)])
        }
        XCTAssertEqual(Set(try query(pki, [dir]).records().keys), Set(paths.dropFirst()))
        // verify hashes every file: its answer is for m0's own bytes, and it records them.
        let verify = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [dir]).records()
        XCTAssertEqual(verify[paths[0]]?["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(verify[bad]?["smimeStatus"] as? String, "signed/failed")
        XCTAssertEqual(Set(try query(pki, [dir]).records().keys), Set(paths))

        // One byte of m1's signed text changed, size kept, modification time put back:
        // the change time moved, so the row does not name it and it is verified again.
        let before = try XCTUnwrap(FileStamp(path: paths[1]))
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: paths[1])))
        let text = Array("pay Bob 100".utf8)
        let at = try XCTUnwrap((0...(bytes.count - text.count)).first { Array(bytes[$0..<$0 + text.count]) == text })
        bytes[at + 8] = UInt8(ascii: "9")
        try Data(bytes).write(to: URL(fileURLWithPath: paths[1]))
        let seconds = Int(before.modifiedNanoseconds / 1_000_000_000), nanos = Int(before.modifiedNanoseconds % 1_000_000_000)
        var times = [timespec(tv_sec: seconds, tv_nsec: nanos), timespec(tv_sec: seconds, tv_nsec: nanos)]
        XCTAssertEqual(utimensat(AT_FDCWD, paths[1], &times, 0), 0)
        XCTAssertEqual(FileStamp(path: paths[1])?.size, before.size)
        XCTAssertEqual(Set(try query(pki, [dir]).records().keys), Set(paths).subtracting([paths[1]]))
    }

    func testHardLinksAndOtherDirectoriesAreNotConfused() throws {
        let pki = try SigningPKI()
        let paths = try mailbox(pki, "a/cur")
        let others = try mailbox(pki, "a/new")
        let bad = try runner.write(try pki.factory.sign(MessageSpec(from: "<mallory@example.org>"), signer: pki.alice,
                                                        includeChain: [pki.intermediate]), "a/cur/bad.eml")
        // A second name for m0 in the same directory (same inode), and one for bad.eml.
        let link = (paths[0] as NSString).deletingLastPathComponent + "/link-to-m0.eml"
        let badLink = (paths[0] as NSString).deletingLastPathComponent + "/link-to-bad.eml"
        XCTAssertEqual(link.withCString { l in paths[0].withCString { Glibc.link($0, l) } }, 0)
        XCTAssertEqual(badLink.withCString { l in bad.withCString { Glibc.link($0, l) } }, 0)
        Thread.sleep(forTimeInterval: 2.2)
        let root = runner.home.appendingPathComponent("a").path
        let expected = Set(paths + others + [link])
        XCTAssertEqual(Set(try query(pki, [root]).records().keys), expected)
        XCTAssertEqual(Set(try query(pki, [root]).records().keys), expected, "warm, the same")
        // bad.eml replaced by a good message under the same name: a new inode, read again.
        let replacement = try pki.signed(MessageSpec(content: MessageSpec.textPart("Replaced.\r\n")))
        let tmp = runner.home.appendingPathComponent("replacement.tmp").path
        try Data(replacement).write(to: URL(fileURLWithPath: tmp))
        XCTAssertEqual(rename(tmp, bad), 0)
        XCTAssertEqual(Set(try query(pki, [root]).records().keys), expected.union([bad]))
    }
}
