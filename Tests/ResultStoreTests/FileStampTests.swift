import Foundation
import XCTest
@testable import ResultStore

/// The files table: a digest is given back only for a file whose stat(2) stamp is
/// exactly the one recorded, and a file written too recently is not recorded.
final class FileStampTests: XCTestCase {
    private let digestA = String(repeating: "a", count: 64)
    private let digestB = String(repeating: "0123456789abcdef", count: 4)
    /// Written an hour before "now": settled.
    private let stamp = FileStamp(device: 2049, inode: 1_234_567, size: 5120,
                                  modifiedNanoseconds: 1_700_000_000_123_456_789,
                                  changedNanoseconds: 1_700_000_000_223_456_789)
    private var now: Date { Date(timeIntervalSince1970: 1_700_003_600) }

    func testDigestOnlyForTheSameStamp() throws {
        let store = try ResultStore.inMemory()
        try store.recordFiles([FileRecord(path: "/mail/cur/1", stamp: stamp, digest: digestA),
                               FileRecord(path: "/mail/cur/2", stamp: stamp, digest: digestB)], now: now)
        XCTAssertEqual(try store.knownDigests([("/mail/cur/1", stamp), ("/mail/cur/2", stamp), ("/mail/cur/3", stamp)]),
                       [digestA, digestB, nil])
        // Any field of the stamp differing is another file, or the same file written since.
        var changed: [FileStamp] = []
        for edit in [{ (s: inout FileStamp) in s.device += 1 }, { $0.inode += 1 }, { $0.size += 1 },
                     { $0.modifiedNanoseconds += 1 }, { $0.changedNanoseconds += 1 }] {
            var s = stamp
            edit(&s)
            changed.append(s)
        }
        XCTAssertEqual(try store.knownDigests(changed.map { ("/mail/cur/1", $0) }), [nil, nil, nil, nil, nil])
        // Recording again replaces what the path held.
        try store.recordFiles([FileRecord(path: "/mail/cur/1", stamp: changed[4], digest: digestB)], now: now)
        XCTAssertEqual(try store.knownDigests([("/mail/cur/1", stamp), ("/mail/cur/1", changed[4])]), [nil, digestB])
    }

    func testRecentlyWrittenFilesAreNotRecorded() throws {
        let store = try ResultStore.inMemory()
        var fresh = stamp
        fresh.changedNanoseconds = Int64(now.timeIntervalSince1970 * 1e9) - 500_000_000  // half a second ago
        var touchedAhead = stamp
        touchedAhead.modifiedNanoseconds = Int64(now.timeIntervalSince1970 * 1e9) + 3_600_000_000_000  // mtime in the future
        try store.recordFiles([FileRecord(path: "fresh", stamp: fresh, digest: digestA),
                               FileRecord(path: "ahead", stamp: touchedAhead, digest: digestA),
                               FileRecord(path: "old", stamp: stamp, digest: digestA)], now: now)
        XCTAssertEqual(try store.knownDigests([("fresh", fresh), ("ahead", touchedAhead), ("old", stamp)]), [nil, nil, digestA])
        XCTAssertFalse(fresh.isSettled(at: now))
        XCTAssertTrue(fresh.isSettled(at: now.addingTimeInterval(2)))
    }

    func testOnlyHexDigestsAreRecorded() throws {
        let store = try ResultStore.inMemory()
        try store.recordFiles([FileRecord(path: "x", stamp: stamp, digest: "not a digest"),
                               FileRecord(path: "y", stamp: stamp, digest: digestA.uppercased())], now: now)
        XCTAssertEqual(try store.knownDigests([("x", stamp), ("y", stamp)]), [nil, nil])
    }

    func testStampOfARealFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("m.eml")
        try Data("hello\r\n".utf8).write(to: url)
        let before = try XCTUnwrap(FileStamp(path: url.path))
        XCTAssertEqual(before.size, 7)
        XCTAssertEqual(FileStamp(path: url.path), before)
        XCTAssertNil(FileStamp(path: dir.url.path), "a directory has no stamp")
        XCTAssertNil(FileStamp(path: dir.file("missing").path))
        // Same size, modification time put back: the change time still tells.
        Thread.sleep(forTimeInterval: 0.01)
        try Data("jello\r\n".utf8).write(to: url)
        var times = [timespec(tv_sec: Int(before.modifiedNanoseconds / 1_000_000_000), tv_nsec: Int(before.modifiedNanoseconds % 1_000_000_000)),
                     timespec(tv_sec: Int(before.modifiedNanoseconds / 1_000_000_000), tv_nsec: Int(before.modifiedNanoseconds % 1_000_000_000))]
        XCTAssertEqual(utimensat(AT_FDCWD, url.path, &times, 0), 0)
        let after = try XCTUnwrap(FileStamp(path: url.path))
        XCTAssertEqual(after.modifiedNanoseconds, before.modifiedNanoseconds)
        XCTAssertNotEqual(after, before)
    }

    func testAVersion1CacheIsUpgradedInPlace() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let key = StoreKey(messageDigest: digestA, optionsDigest: "options")
        let verdict = StoredVerdict(status: "signed/verified", verifiedAt: Date(timeIntervalSince1970: 1_700_000_000))
        do {
            let store = try ResultStore(url: url)
            try store.record(verdict, for: key, path: nil)
        }
        // Make it what version 1 wrote: no files table.
        do {
            let connection = try SQLiteConnection(path: url.path)
            try connection.execute("DROP TABLE files; PRAGMA user_version = 1;")
        }
        let store = try ResultStore(url: url, warn: { _ in })
        XCTAssertEqual(try store.verdict(for: key, now: Date(timeIntervalSince1970: 1_700_000_060), maxAge: 3600), verdict,
                       "the verdicts of a version 1 cache are kept")
        try store.recordFiles([FileRecord(path: "p", stamp: stamp, digest: digestA)], now: now)
        XCTAssertEqual(try store.knownDigests([("p", stamp)]), [digestA])
        XCTAssertEqual(dir.contents().filter { $0.contains("corrupt") }, [], "nothing was moved aside")
    }
}
