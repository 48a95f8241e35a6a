import Foundation
import XCTest
@testable import ResultStore

/// issue 13 item 3: Email/changes state belongs to a scan scope, not to the cache.
final class ChangesScopeTests: XCTestCase {
    func testTheSameBytesInAnotherScopeAreCreatedAndDestroyedThere() throws {
        let dir = try TemporaryDirectory()
        let store = try ResultStore(url: dir.file("results.sqlite"))
        let a0 = try store.state(scope: "treeA"), b0 = try store.state(scope: "treeB")
        try store.recordSeen(id: "M1", path: "/a/1", status: "signed/verified", errors: nil, scope: "treeA")
        let a1 = try store.state(scope: "treeA")
        XCTAssertEqual(try store.state(scope: "treeB"), b0, "a step in A is no step in B")
        XCTAssertEqual(try store.changes(since: b0, scope: "treeB").created, [])

        // The same bytes copied into B: created in B, though A has them.
        try store.recordSeen(id: "M1", path: "/b/copy", status: "signed/verified", errors: nil, scope: "treeB")
        let b1 = try store.state(scope: "treeB")
        XCTAssertEqual(try store.changes(since: b0, scope: "treeB").created, ["M1"])
        XCTAssertEqual(try store.changes(since: a1, scope: "treeA").created, [], "nothing new in A")
        XCTAssertEqual(try store.changes(since: a0, scope: "treeA").created, ["M1"])

        // Deleted from B, still in A: destroyed in B only.
        XCTAssertEqual(try store.sweep(presentPaths: [String](), scope: "treeB"), ["M1"])
        XCTAssertEqual(try store.changes(since: b1, scope: "treeB").destroyed, ["M1"])
        XCTAssertEqual(try store.changes(since: a1, scope: "treeA"), .init(oldState: a1, newState: a1, hasMoreChanges: false,
                                                                        created: [], updated: [], destroyed: []))
        // A sweep of A sees only A's paths.
        XCTAssertEqual(try store.sweep(presentPaths: ["/a/1"], scope: "treeA"), [])
        // An update in A is not an update in B.
        try store.recordSeen(id: "M1", path: "/a/1", status: "signed/failed", errors: ["Revoked"], scope: "treeA")
        XCTAssertEqual(try store.changes(since: a1, scope: "treeA").updated, ["M1"])
        XCTAssertEqual(try store.changes(since: b1, scope: "treeB").updated, [])
    }

    func testAStateOfOneScopeIsRefusedForAnother() throws {
        let store = try ResultStore.inMemory()
        try store.recordSeen(id: "M1", path: "/a/1", status: nil, errors: nil, scope: "treeA")
        let a = try store.state(scope: "treeA")
        XCTAssertTrue(a.hasSuffix("-treeA"), a)
        for (state, scope) in [(a, "treeB"), (a, ResultStore.defaultScope), (try store.state, "treeA"), (try store.state(scope: "treeB"), "treeA")] {
            XCTAssertThrowsError(try store.changes(since: state, scope: scope), "\(state) in \(scope)") { error in
                guard case ResultStoreError.cannotCalculateChanges(_, let reason) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(reason.contains("another set of paths"), reason)
            }
        }
        XCTAssertThrowsError(try store.state(scope: "not-hex/"), "a scope is a plain word")
    }

    /// Compaction keeps answering a scope whose last step is older than the cutoff.
    func testCompactionKeepsAQuietScopeAnswerable() throws {
        let store = try ResultStore.inMemory()
        try store.recordSeen(id: "Q", path: "/q", status: nil, errors: nil, scope: "quiet")
        let quiet = try store.state(scope: "quiet")
        let busy0 = try store.state(scope: "busy")
        try store.recordSeen(batch: (1...20).map { (id: "M\($0)", path: "/b/\($0)", status: nil, errors: nil) }, scope: "busy")
        try store.compact(keepingChanges: 5)
        XCTAssertEqual(try store.changes(since: quiet, scope: "quiet").created, [], "nothing happened there since")
        XCTAssertThrowsError(try store.changes(since: busy0, scope: "busy"), "that history is gone")
    }

    /// A version 2 cache: the change history becomes the default scope's, verdicts are kept.
    func testAVersion2CacheIsUpgraded() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let digest = String(repeating: "ab", count: 32)
        do {
            let connection = try SQLiteConnection(path: url.path)
            try connection.execute("""
                CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
                CREATE TABLE verdicts(message_digest TEXT NOT NULL, options_digest TEXT NOT NULL, status TEXT,
                    errors_json TEXT, codes_json TEXT, verified_at INTEGER, valid_until INTEGER, path TEXT,
                    PRIMARY KEY(message_digest, options_digest)) WITHOUT ROWID;
                CREATE TABLE messages(id TEXT PRIMARY KEY, status TEXT, errors_json TEXT, modseq INTEGER NOT NULL,
                    created_modseq INTEGER NOT NULL, destroyed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
                CREATE TABLE message_paths(path TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
                CREATE INDEX message_paths_by_id ON message_paths(id);
                CREATE TABLE changelog(modseq INTEGER PRIMARY KEY, id TEXT NOT NULL, kind INTEGER NOT NULL);
                CREATE TABLE files(path TEXT PRIMARY KEY, device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, digest TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE anchor_sets(id INTEGER PRIMARY KEY, anchors_json TEXT NOT NULL UNIQUE);
                CREATE TABLE delivery(message_digest TEXT NOT NULL, options_digest TEXT NOT NULL, status TEXT,
                    received_at INTEGER NOT NULL, anchor_set INTEGER NOT NULL REFERENCES anchor_sets(id),
                    PRIMARY KEY(message_digest, options_digest)) WITHOUT ROWID;
                INSERT INTO meta(key, value) VALUES ('generation', '0badcafe'), ('state', 3), ('min_state', 0);
                INSERT INTO verdicts VALUES ('\(digest)', 'options', 'signed/verified', NULL, NULL, 1700000000, NULL, NULL);
                INSERT INTO messages VALUES ('M1', 'signed/verified', NULL, 1, 1, 0), ('M2', NULL, NULL, 3, 2, 1);
                INSERT INTO message_paths VALUES ('/mail/1', 'M1');
                INSERT INTO changelog VALUES (1, 'M1', 0), (2, 'M2', 0), (3, 'M2', 2);
                PRAGMA user_version = 2;
                """)
        }
        let store = try ResultStore(url: url, warn: { _ in XCTFail("an old cache is no broken cache") })
        XCTAssertEqual(try store.state, "0badcafe-3", "the history is the default scope's")
        XCTAssertEqual(try store.changes(since: "0badcafe-0").created, ["M1"])
        XCTAssertEqual(try store.changes(since: "0badcafe-1").destroyed, [], "M2 came and went")
        XCTAssertEqual(try store.verdict(for: StoreKey(messageDigest: digest, optionsDigest: "options"),
                                         now: Date(timeIntervalSince1970: 1_700_000_060), maxAge: 3600)?.status, "signed/verified")
        // The default scope carries on from there; a new scope starts at nothing.
        try store.recordSeen(id: "M3", path: "/mail/3", status: nil, errors: nil)
        XCTAssertEqual(try store.changes(since: "0badcafe-3").created, ["M3"])
        XCTAssertEqual(try store.sweep(presentPaths: ["/mail/3"]), ["M1"])
        try store.recordSeen(id: "M1", path: "/x/1", status: nil, errors: nil, scope: "fresh")
        XCTAssertEqual(try store.changes(since: "0badcafe-0-fresh", scope: "fresh").created, ["M1"])
        XCTAssertEqual(try store.statistics().paths, 2)
        XCTAssertEqual(try store.checkIntegrity(), ["ok"])
        // And it opens again as version 3.
        let reopened = try ResultStore(url: url)
        XCTAssertEqual(try reopened.state(scope: "fresh"), try store.state(scope: "fresh"))
    }
}
