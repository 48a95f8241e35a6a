import Foundation
import XCTest
@testable import ResultStore

/// A broken cache file is moved aside, reported, and replaced by a working one.
final class RecoveryTests: XCTestCase {
    private func openCollectingWarnings(_ url: URL) throws -> (ResultStore, [String]) {
        let warnings = Collected<String>()
        let store = try ResultStore(url: url, warn: { warnings.append($0) })
        return (store, warnings.all)
    }

    private func assertWorks(_ store: ResultStore, file: StaticString = #filePath, line: UInt = #line) throws {
        try store.record(verified, for: key(7), path: nil)
        XCTAssertEqual(try store.verdict(for: key(7), now: t0, maxAge: 60), verified, file: file, line: line)
        XCTAssertEqual(try store.checkIntegrity(), ["ok"], file: file, line: line)
    }

    private func assertMovedAside(_ dir: TemporaryDirectory, warnings: [String], originalBytes: Data? = nil,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(warnings.count, 1, "\(warnings)", file: file, line: line)
        let warning = warnings.first ?? ""
        XCTAssertTrue(warning.contains("moved aside"), warning, file: file, line: line)
        let aside = dir.contents().filter { $0.hasPrefix("results.sqlite.corrupt-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }
        XCTAssertEqual(aside.count, 1, "\(dir.contents())", file: file, line: line)
        if let name = aside.first {
            XCTAssertTrue(warning.contains(name), "the warning names where the file went: \(warning)", file: file, line: line)
            if let originalBytes {
                XCTAssertEqual(try Data(contentsOf: dir.file(name)), originalBytes, "the broken file is kept as it was",
                               file: file, line: line)
            }
        }
        print("warning: \(warning)")
    }

    func testGarbageFileIsMovedAside() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<10_000).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
        try garbage.write(to: url)
        // A stale WAL beside it must not be replayed into the new cache.
        try Data(repeating: 0x5a, count: 4096).write(to: dir.file("results.sqlite-wal"))

        let (store, warnings) = try openCollectingWarnings(url)
        try assertMovedAside(dir, warnings: warnings, originalBytes: garbage)
        // SQLite itself discards a WAL without valid frames; either way it must not be the new cache's WAL.
        let wal = try? Data(contentsOf: dir.file("results.sqlite-wal"))
        XCTAssertNotEqual(wal, Data(repeating: 0x5a, count: 4096))
        try assertWorks(store)

        // Reopening the new cache is quiet.
        let (_, again) = try openCollectingWarnings(url)
        XCTAssertEqual(again, [])
    }

    /// A cache exactly as a closing store left it skips the full check; any change
    /// to the file since (here a damaged page of the same size) brings it back.
    func testOnlyATouchedCacheIsCheckedAtOpen() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        do {
            let store = try ResultStore(url: url)
            XCTAssertTrue(store.checkedAtOpen, "a new file has no marker")
            try store.record(batch: (0..<2_000).map { (key($0), verified, "/mail/cur/\($0)") })
        }
        XCTAssertTrue(dir.contents().contains("results.sqlite-checked"), "\(dir.contents())")
        do {
            let (store, warnings) = try openCollectingWarnings(url)
            XCTAssertFalse(store.checkedAtOpen, "nothing touched the file since it was closed")
            XCTAssertEqual(warnings, [])
            XCTAssertEqual(try store.verdict(for: key(1), now: t0, maxAge: 60), verified)
        }
        // While another connection has the file open, a closing store cannot vouch for it.
        do {
            let other = try SQLiteConnection(path: url.path)
            _ = try other.strings("SELECT count(*) FROM verdicts")
            do {
                let store = try ResultStore(url: url)
                try store.record(verified, for: key(9_999), path: nil)
            }
            other.close()
        }
        XCTAssertFalse(dir.contents().contains("results.sqlite-checked"), "\(dir.contents())")
        do { _ = try ResultStore(url: url) }  // closed alone: the marker is back
        XCTAssertTrue(try XCTUnwrap(ResultStore(url: url)).checkedAtOpen == false)

        // One page overwritten, same size: the file's times moved, so it is checked, and moved aside.
        var bytes = try Data(contentsOf: url)
        XCTAssertGreaterThan(bytes.count, 4 * 4096)
        bytes.replaceSubrange(4096..<(2 * 4096), with: Data(repeating: 0xFF, count: 4096))
        let handle = try FileHandle(forWritingTo: url)
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: bytes)
        try handle.close()
        let (store, warnings) = try openCollectingWarnings(url)
        XCTAssertTrue(store.checkedAtOpen)
        try assertMovedAside(dir, warnings: warnings, originalBytes: bytes)
        try assertWorks(store)
    }

    func testTruncatedDatabaseIsMovedAside() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        do {
            let store = try ResultStore(url: url)
            try store.record(batch: (0..<5_000).map { (key($0), verified, "/mail/cur/\($0)") })
            try store.recordSeen(batch: (0..<5_000).map { (id: "M\($0)", path: "/mail/cur/\($0)", status: nil, errors: nil) })
        }
        let whole = try Data(contentsOf: url)
        XCTAssertGreaterThan(whole.count, 100_000, "closing the last connection checkpointed everything into the file")
        let truncated = whole.prefix(whole.count / 2)
        try truncated.write(to: url)

        let (store, warnings) = try openCollectingWarnings(url)
        try assertMovedAside(dir, warnings: warnings, originalBytes: truncated)
        try assertWorks(store)
        XCTAssertEqual(try store.statistics().messages, 0)
    }

    func testFileCutInsideTheHeaderIsMovedAside() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        _ = try ResultStore(url: url)
        let cut = try Data(contentsOf: url).prefix(50)
        try cut.write(to: url)
        let (store, warnings) = try openCollectingWarnings(url)
        try assertMovedAside(dir, warnings: warnings, originalBytes: cut)
        try assertWorks(store)
    }

    func testSomeoneElsesDatabaseIsMovedAside() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        do {
            let other = try SQLiteConnection(path: url.path)
            try other.execute("CREATE TABLE notes(text TEXT); INSERT INTO notes VALUES ('mine')")
        }
        let (store, warnings) = try openCollectingWarnings(url)
        try assertMovedAside(dir, warnings: warnings)
        XCTAssertTrue(warnings.first?.contains("not a smimekit result cache") ?? false)
        try assertWorks(store)
    }

    func testEmptyFileIsANewCache() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
        let (store, warnings) = try openCollectingWarnings(url)
        XCTAssertEqual(warnings, [])
        try assertWorks(store)
    }

    func testUnwritableLocationIsAnErrorNotACrash() throws {
        let dir = try TemporaryDirectory()
        let blocker = dir.file("blocker")
        _ = FileManager.default.createFile(atPath: blocker.path, contents: Data("x".utf8))
        XCTAssertThrowsError(try ResultStore(url: blocker.appendingPathComponent("results.sqlite"))) { error in
            XCTAssertEqual((error as? ResultStoreError)?.jmapType, "serverFail", "\(error)")
        }
    }
}
