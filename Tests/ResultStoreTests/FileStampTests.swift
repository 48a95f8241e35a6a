import Foundation
import XCTest
import MIME
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
        // What version 1 wrote: no files table, anchor sets inside each delivery row.
        do {
            let connection = try SQLiteConnection(path: url.path)
            try connection.execute("""
                CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
                CREATE TABLE verdicts(message_digest TEXT NOT NULL, options_digest TEXT NOT NULL, status TEXT,
                    errors_json TEXT, codes_json TEXT, verified_at INTEGER, valid_until INTEGER, path TEXT,
                    PRIMARY KEY(message_digest, options_digest)) WITHOUT ROWID;
                CREATE TABLE delivery(message_digest TEXT NOT NULL, options_digest TEXT NOT NULL, status TEXT,
                    received_at INTEGER NOT NULL, anchors_json TEXT NOT NULL,
                    PRIMARY KEY(message_digest, options_digest)) WITHOUT ROWID;
                CREATE TABLE messages(id TEXT PRIMARY KEY, status TEXT, errors_json TEXT, modseq INTEGER NOT NULL,
                    created_modseq INTEGER NOT NULL, destroyed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                CREATE TABLE message_paths(path TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
                CREATE INDEX message_paths_by_id ON message_paths(id);
                CREATE TABLE changelog(modseq INTEGER PRIMARY KEY, id TEXT NOT NULL, kind INTEGER NOT NULL);
                INSERT INTO meta(key, value) VALUES ('generation', '0badcafe'), ('state', 3), ('min_state', 0);
                INSERT INTO verdicts VALUES ('\(digestA)', 'options', 'signed/verified', NULL, NULL, 1700000000, NULL, NULL);
                INSERT INTO delivery VALUES ('\(digestA)', 'd-options', 'signed/verified', 1690000000, '["aa","bb"]');
                INSERT INTO delivery VALUES ('\(digestB)', 'd-options', 'signed/failed', 1690000001, '["aa","bb"]');
                INSERT INTO delivery VALUES ('\(digestB)', 'other', NULL, 1690000002, '["cc"]');
                PRAGMA user_version = 1;
                """)
        }
        let store = try ResultStore(url: url, warn: { _ in })
        XCTAssertEqual(try store.state, "0badcafe-3", "the change history is kept")
        XCTAssertEqual(try store.verdict(for: StoreKey(messageDigest: digestA, optionsDigest: "options"),
                                         now: Date(timeIntervalSince1970: 1_700_000_060), maxAge: 3600)?.status, "signed/verified")
        let delivered = try store.deliveryVerdicts(
            for: [StoreKey(messageDigest: digestA, optionsDigest: "d-options"), StoreKey(messageDigest: digestB, optionsDigest: "d-options"),
                  StoreKey(messageDigest: digestB, optionsDigest: "other")],
            currentAnchors: ["aa"])
        XCTAssertEqual(delivered.map { $0?.status }, ["signed/verified", "signed/failed", nil], "anchor sets kept; 'aa' is not in ['cc']")
        XCTAssertEqual(delivered[0]?.anchorSet, ["aa", "bb"])
        XCTAssertEqual(delivered[1]?.receivedAt, Date(timeIntervalSince1970: 1_690_000_001))
        try store.recordFiles([FileRecord(path: "p", stamp: stamp, digest: digestA)], now: now)
        XCTAssertEqual(try store.knownDigests([("p", stamp)]), [digestA])
        XCTAssertEqual(dir.contents().filter { $0.contains("corrupt") }, [], "nothing was moved aside")
    }

    /// Delivery rows share their anchor set instead of each holding a copy.
    func testAnchorSetsAreStoredOnce() throws {
        let store = try ResultStore.inMemory()
        let anchors = (0..<150).map { String(format: "%064x", $0) }
        let batch = (0..<50).map { i in
            (StoreKey(messageDigest: String(format: "%064x", i), optionsDigest: "d"),
             DeliveryVerdict(status: "signed/verified", receivedAt: Date(timeIntervalSince1970: 1_690_000_000), anchorSet: anchors.shuffled()))
        }
        try store.recordDelivery(batch: batch)
        try store.recordDelivery(batch: [(StoreKey(messageDigest: digestA, optionsDigest: "d"),
                                          DeliveryVerdict(status: nil, receivedAt: Date(timeIntervalSince1970: 1), anchorSet: ["ff"]))])
        let sets = try store.locked { try $0.strings("SELECT count(*) FROM anchor_sets") }
        XCTAssertEqual(sets, ["2"])
        let found = try store.deliveryVerdicts(for: batch.map(\.0), currentAnchors: Set(anchors.prefix(10)))
        XCTAssertEqual(found.compactMap { $0 }.count, 50)
        XCTAssertEqual(found[7]?.anchorSet, anchors.sorted())
        // An anchor added since: recomputed.
        XCTAssertNil(try store.deliveryVerdicts(for: [batch[0].0], currentAnchors: ["ee"])[0])
    }
}
