import Foundation
import XCTest
import MIME
@testable import ResultStore

/// Issue 17, the warm run's fast path: `knownFiles(inDirectory:)` reads a
/// directory's file stamps joined with their verdicts in one range read, and
/// must say exactly what the point lookups (`knownDigests`, `verdicts(for:)`) say.
final class DirectoryReadTests: XCTestCase {
    private func read(_ store: ResultStore, _ dir: String, options: String?, maxAge: TimeInterval = 3600) throws -> [String: KnownFile] {
        let rows = try store.knownFiles(inDirectory: dir, optionsDigest: options, now: now, maxAge: maxAge)
        XCTAssertEqual(rows.map(\.name), rows.map(\.name).sorted(), "in path order")
        XCTAssertTrue(rows.allSatisfy { !$0.name.isEmpty && !$0.name.contains("/") })
        let base = dir.hasSuffix("/") ? dir : dir + "/"
        return Dictionary(uniqueKeysWithValues: rows.map { (base + $0.name, $0) })
    }

    private let stamp = FileStamp(device: 2049, inode: 1_234_567, size: 5120,
                                  modifiedNanoseconds: 1_700_000_000_123_456_789,
                                  changedNanoseconds: 1_700_000_000_223_456_789)
    /// An hour after the stamp's times: every stamp above is settled.
    private let now = Date(timeIntervalSince1970: 1_700_003_600)
    private let options = String(repeating: "e", count: 64)

    private func digest(_ i: Int) -> String {
        let hex = String(i, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    private func stamp(_ i: Int) -> FileStamp {
        var s = stamp
        s.inode += UInt64(i)
        return s
    }

    func testOnlyTheFilesDirectlyInTheDirectory() throws {
        let store = try ResultStore.inMemory()
        let paths = ["/mail/cur/a", "/mail/cur/b", "/mail/cur/sub/c", "/mail/cur2/d", "/mail/cur0", "/mail/cu/e",
                     "/mail/cur", "/mail/curé/f", "/mail/a"]
        try store.recordFiles(paths.enumerated().map { FileRecord(path: $1, stamp: stamp($0), digest: digest($0)) }, now: now)
        let found = try read(store, "/mail/cur", options: nil)
        XCTAssertEqual(Set(found.keys), ["/mail/cur/a", "/mail/cur/b"])
        XCTAssertEqual(found["/mail/cur/b"], KnownFile(name: "b", stamp: stamp(1), digest: digest(1), verdict: nil))
        // A trailing slash is the same directory; a non-ASCII name is matched by its bytes.
        XCTAssertEqual(try read(store, "/mail/cur/", options: nil), found)
        XCTAssertEqual(Set(try read(store, "/mail/curé", options: nil).keys),
                       ["/mail/curé/f"])
        XCTAssertEqual(Set(try read(store, "/mail", options: nil).keys),
                       ["/mail/cur0", "/mail/cur", "/mail/a"])
        XCTAssertEqual(try read(store, "/nothing", options: nil), [:])
        // Relative paths, as recorded.
        try store.recordFiles([FileRecord(path: "rel/x", stamp: stamp, digest: digest(99))], now: now)
        XCTAssertEqual(Set(try read(store, "rel", options: nil).keys), ["rel/x"])
    }

    func testVerdictsOnlyUnderTheOptionsAndWhenServable() throws {
        let store = try ResultStore.inMemory()
        try store.recordFiles((0..<6).map { FileRecord(path: "/m/\($0)", stamp: stamp($0), digest: digest($0)) }, now: now)
        let fresh = StoredVerdict(status: "signed/verified", errors: nil, verifiedAt: now.addingTimeInterval(-60))
        let failed = StoredVerdict(status: "signed/failed", errors: ["The signature does not match"],
                                   errorCodes: ["badSignature"], verifiedAt: now.addingTimeInterval(-60),
                                   validUntil: now.addingTimeInterval(3600))
        let old = StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-7200))
        let expired = StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-60), validUntil: now)
        let later = StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(60))
        let unsigned = StoredVerdict(status: nil, verifiedAt: nil)
        try store.record(batch: [
            (StoreKey(messageDigest: digest(0), optionsDigest: options), fresh, nil),
            (StoreKey(messageDigest: digest(1), optionsDigest: options), failed, nil),
            (StoreKey(messageDigest: digest(2), optionsDigest: options), old, nil),
            (StoreKey(messageDigest: digest(3), optionsDigest: options), expired, nil),
            (StoreKey(messageDigest: digest(4), optionsDigest: String(repeating: "f", count: 64)), fresh, nil),
            (StoreKey(messageDigest: digest(5), optionsDigest: options), unsigned, nil),
            (StoreKey(messageDigest: digest(7), optionsDigest: options), later, nil),
        ])
        let found = try read(store, "/m", options: options)
        XCTAssertEqual(found.count, 6)
        XCTAssertEqual(found["/m/0"]?.verdict, fresh)
        XCTAssertEqual(found["/m/1"]?.verdict, failed)
        XCTAssertNil(found["/m/2"]?.verdict, "older than maxAge")
        XCTAssertNil(found["/m/3"]?.verdict, "at validUntil")
        XCTAssertNil(found["/m/4"]?.verdict, "filed under other options")
        XCTAssertEqual(found["/m/5"]?.verdict, unsigned, "a verdict without a status is still a verdict")
        XCTAssertNotNil(found["/m/5"])
        // Without an options digest, no verdict at all.
        XCTAssertTrue(try read(store, "/m", options: nil)
            .values.allSatisfy { $0.verdict == nil })
        // Point lookups say the same.
        let keys = (0..<6).map { StoreKey(messageDigest: digest($0), optionsDigest: options) }
        XCTAssertEqual(try store.verdicts(for: keys, now: now, maxAge: 3600), (0..<6).map { found["/m/\($0)"]?.verdict })

        // canServe applies the same rule later.
        XCTAssertTrue(ResultStore.canServe(fresh, now: now, maxAge: 3600))
        XCTAssertFalse(ResultStore.canServe(fresh, now: now.addingTimeInterval(3540), maxAge: 3600))
        XCTAssertFalse(ResultStore.canServe(failed, now: now.addingTimeInterval(3600), maxAge: 86_400))
        XCTAssertFalse(ResultStore.canServe(later, now: now, maxAge: 3600))
        XCTAssertFalse(ResultStore.canServe(fresh, now: now, maxAge: 0))
        XCTAssertFalse(ResultStore.canServe(fresh, now: now, maxAge: .nan))
        XCTAssertFalse(ResultStore.canServe(fresh, now: Date(timeIntervalSince1970: .nan), maxAge: 3600))
        XCTAssertTrue(ResultStore.canServe(unsigned, now: now.addingTimeInterval(1e6), maxAge: 3600))
        XCTAssertFalse(ResultStore.canServe(StoredVerdict(status: "signed/verified", verifiedAt: Date(timeIntervalSince1970: .infinity)),
                                            now: now, maxAge: 3600))
    }

    func testRowsThatAreNotUsableAreLeftOut() throws {
        let store = try ResultStore.inMemory()
        try store.recordFiles([FileRecord(path: "/d/good", stamp: stamp, digest: digest(1))], now: now)
        try store.locked { connection in
            try connection.execute("""
                INSERT INTO files(path, device, inode, size, mtime_ns, ctime_ns, digest) VALUES
                    ('/d/upper', 1, 2, 3, 4, 5, '\(digest(2).uppercased().replacingOccurrences(of: "0", with: "A"))'),
                    ('/d/short', 1, 2, 3, 4, 5, 'abc');
                """)
        }
        let found = try read(store, "/d", options: options)
        XCTAssertEqual(Set(found.keys), ["/d/good"])
        XCTAssertEqual(try store.knownDigests([("/d/upper", FileStamp(device: 1, inode: 2, size: 3, modifiedNanoseconds: 4, changedNanoseconds: 5)),
                                               ("/d/short", FileStamp(device: 1, inode: 2, size: 3, modifiedNanoseconds: 4, changedNanoseconds: 5))]),
                       [nil, nil])
    }

    /// Many files, some re-recorded with other stamps, some with verdicts: the
    /// directory read and the point lookups agree on every path and every stamp.
    func testAgreesWithThePointLookups() throws {
        var generator = SystemRandomNumberGenerator()
        let store = try ResultStore.inMemory()
        var records: [FileRecord] = []
        for i in 0..<400 {
            let dir = ["/x/cur", "/x/new", "/x/cur/deep", "/x"][i % 4]
            records.append(FileRecord(path: "\(dir)/\(i)", stamp: stamp(i), digest: digest(i % 150)))
        }
        try store.recordFiles(records, now: now)
        // Some paths rewritten since: their stamp and digest change.
        let rewritten = records.indices.filter { _ in Int.random(in: 0..<5, using: &generator) == 0 }
        try store.recordFiles(rewritten.map { FileRecord(path: records[$0].path, stamp: stamp($0 + 1000), digest: digest($0 + 1000)) }, now: now)
        let verdict = StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-10))
        try store.record(batch: (0..<1400).filter { $0 % 3 == 0 }.map {
            (StoreKey(messageDigest: digest($0), optionsDigest: options), verdict, nil)
        })
        for dir in ["/x/cur", "/x/new", "/x/cur/deep", "/x"] {
            let found = try read(store, dir, options: options)
            let mine = records.indices.filter { (records[$0].path as NSString).deletingLastPathComponent == dir }
            XCTAssertEqual(found.count, mine.count, dir)
            for i in mine {
                let path = records[i].path
                // Both the stamp first recorded and the one recorded since.
                for candidate in [stamp(i), stamp(i + 1000)] {
                    let point = try store.knownDigests([(path, candidate)])[0]
                    let range = found[path].flatMap { $0.stamp == candidate ? $0.digest : nil }
                    XCTAssertEqual(range, point, path)
                }
                let known = try XCTUnwrap(found[path])
                let pointVerdict = try store.verdict(for: StoreKey(messageDigest: known.digest, optionsDigest: options),
                                                     now: now, maxAge: 3600)
                XCTAssertEqual(known.verdict, pointVerdict, path)
            }
        }
    }

    // MARK: Version 5: the verdict copies in the files rows

    /// A copy is under one options digest: a read under other options knows
    /// nothing from the row, and the point lookup still finds their verdict.
    func testACopyUnderOtherOptionsIsNotAnAnswer() throws {
        let store = try ResultStore.inMemory()
        let other = String(repeating: "f", count: 64)
        try store.recordFiles([FileRecord(path: "/m/a", stamp: stamp, digest: digest(1))], now: now)
        let mine = StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-60))
        let theirs = StoredVerdict(status: "signed/failed", errors: ["no"], errorCodes: ["badSignature"], verifiedAt: now.addingTimeInterval(-30))
        try store.record(batch: [(StoreKey(messageDigest: digest(1), optionsDigest: options), mine, "/m/a")])
        XCTAssertEqual(try read(store, "/m", options: options)["/m/a"], KnownFile(name: "a", stamp: stamp, digest: digest(1), verdict: mine))
        // Filed since under other options: the row's copy is theirs.
        try store.record(batch: [(StoreKey(messageDigest: digest(1), optionsDigest: other), theirs, nil)])
        let row = try XCTUnwrap(try read(store, "/m", options: options)["/m/a"])
        XCTAssertFalse(row.verdictKnown)
        XCTAssertNil(row.verdict)
        XCTAssertEqual(try store.verdict(for: StoreKey(messageDigest: digest(1), optionsDigest: options), now: now, maxAge: 3600), mine)
        XCTAssertEqual(try read(store, "/m", options: other)["/m/a"]?.verdict, theirs)
        XCTAssertEqual(try read(store, "/m", options: other)["/m/a"]?.verdictKnown, true)
    }

    /// A file recorded after its digest's verdict (a copy, a rename) gets the copy;
    /// a path whose bytes changed loses the copy of its old digest's verdict.
    func testAFileRowTakesTheVerdictOfItsDigest() throws {
        let store = try ResultStore.inMemory()
        let verdict = StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-60))
        try store.record(batch: [(StoreKey(messageDigest: digest(1), optionsDigest: options), verdict, nil)])
        try store.recordFiles([FileRecord(path: "/m/copy", stamp: stamp, digest: digest(1)),
                               FileRecord(path: "/m/other", stamp: stamp(1), digest: digest(2))], now: now)
        var found = try read(store, "/m", options: options)
        XCTAssertEqual(found["/m/copy"]?.verdict, verdict)
        XCTAssertEqual(found["/m/other"]?.verdictKnown, false)
        // Rewritten in place: new stamp, new bytes.
        try store.recordFiles([FileRecord(path: "/m/copy", stamp: stamp(7), digest: digest(3))], now: now)
        found = try read(store, "/m", options: options)
        XCTAssertEqual(found["/m/copy"]?.stamp, stamp(7))
        XCTAssertEqual(found["/m/copy"]?.verdictKnown, false)
        XCTAssertNil(found["/m/copy"]?.verdict)
    }

    /// compact deletes verdicts that can never be served again, and their copies with them.
    func testCompactDropsTheCopiesOfTheVerdictsItDeletes() throws {
        let store = try ResultStore.inMemory()
        try store.recordFiles([FileRecord(path: "/m/old", stamp: stamp, digest: digest(1)),
                               FileRecord(path: "/m/new", stamp: stamp(1), digest: digest(2))], now: now)
        try store.record(batch: [
            (StoreKey(messageDigest: digest(1), optionsDigest: options), StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-90_000)), nil),
            (StoreKey(messageDigest: digest(2), optionsDigest: options), StoredVerdict(status: "signed/verified", verifiedAt: now.addingTimeInterval(-60)), nil),
        ])
        XCTAssertEqual(try read(store, "/m", options: options)["/m/old"]?.verdictKnown, true)
        try store.compact(now: now)
        let found = try read(store, "/m", options: options)
        XCTAssertEqual(found["/m/old"]?.verdictKnown, false)
        XCTAssertEqual(found["/m/new"]?.verdictKnown, true)
        let copies = try store.locked { try $0.strings("SELECT count(*) FROM files WHERE v_options IS NOT NULL") }
        XCTAssertEqual(copies, ["1"])
    }

    /// A version 4 cache (files rows without copies) is upgraded in place: the
    /// copies are filled from the verdicts there are, and a file edited since is
    /// still told apart by its stamp.
    func testAVersion4CacheGetsItsCopiesFilled() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let verdict = StoredVerdict(status: "signed/failed", errors: ["The signature does not match"], errorCodes: ["badSignature"],
                                    verifiedAt: now.addingTimeInterval(-60))
        do {
            let store = try ResultStore(url: url)
            try store.recordFiles([FileRecord(path: "/m/a", stamp: stamp, digest: digest(1)),
                                   FileRecord(path: "/m/b", stamp: stamp(1), digest: digest(2))], now: now)
            try store.record(batch: [(StoreKey(messageDigest: digest(1), optionsDigest: options), verdict, nil)])
            // Back to what version 4 wrote.
            try store.locked { connection in
                try connection.execute("""
                    DROP INDEX files_by_digest;
                    ALTER TABLE files DROP COLUMN v_options; ALTER TABLE files DROP COLUMN v_status;
                    ALTER TABLE files DROP COLUMN v_errors_json; ALTER TABLE files DROP COLUMN v_codes_json;
                    ALTER TABLE files DROP COLUMN v_verified_at; ALTER TABLE files DROP COLUMN v_valid_until;
                    PRAGMA user_version = 4;
                    """)
            }
        }
        let store = try ResultStore(url: url)
        XCTAssertEqual(try store.locked { try $0.strings("PRAGMA user_version") }, ["\(ResultStore.schemaVersion)"])
        var found = try read(store, "/m", options: options)
        XCTAssertEqual(found["/m/a"], KnownFile(name: "a", stamp: stamp, digest: digest(1), verdict: verdict))
        XCTAssertEqual(found["/m/b"]?.verdictKnown, false)
        // /m/a edited in place since: its row names the old stamp, so the old digest and
        // verdict are not its; once read again, its row is the new bytes', without a verdict.
        XCTAssertEqual(try store.knownDigests([("/m/a", stamp(5))]), [nil])
        try store.recordFiles([FileRecord(path: "/m/a", stamp: stamp(5), digest: digest(5))], now: now)
        found = try read(store, "/m", options: options)
        XCTAssertEqual(found["/m/a"]?.stamp, stamp(5))
        XCTAssertEqual(found["/m/a"]?.verdictKnown, false)
        XCTAssertEqual(dir.contents().filter { $0.contains("corrupt") }, [], "nothing was moved aside")
    }
}
