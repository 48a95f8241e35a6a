import Foundation
import XCTest
@testable import ResultStore

final class ChangesTests: XCTestCase {
    func testCreatedUpdatedDestroyed() throws {
        let dir = try TemporaryDirectory()
        let store = try ResultStore(url: dir.file("results.sqlite"))
        let s0 = try store.state
        try store.recordSeen(batch: [
            (id: "M1", path: "/mail/1", status: "signed/verified", errors: nil),
            (id: "M2", path: "/mail/2", status: nil, errors: nil),
            (id: "M3", path: "/mail/3", status: "signed/failed", errors: ["The signature does not match"]),
        ])
        let s1 = try store.state
        XCTAssertNotEqual(s0, s1)
        XCTAssertEqual(try store.changes(since: s0),
                       .init(oldState: s0, newState: s1, hasMoreChanges: false, created: ["M1", "M2", "M3"], updated: [], destroyed: []))

        // M1's certificate was revoked meanwhile; M3's errors changed; M2 is the same.
        try store.recordSeen(id: "M1", path: "/mail/1", status: "signed/failed", errors: ["The certificate was revoked"])
        try store.recordSeen(id: "M2", path: "/mail/2", status: nil, errors: nil)
        try store.recordSeen(id: "M3", path: "/mail/3", status: "signed/failed", errors: ["The signature does not match", "Expired"])
        try store.markGone(ids: ["M2"])
        let s2 = try store.state
        let changes = try store.changes(since: s1)
        XCTAssertEqual(changes.updated, ["M1", "M3"])
        XCTAssertEqual(changes.destroyed, ["M2"])
        XCTAssertEqual(changes.created, [])
        XCTAssertEqual(changes.newState, s2)

        // From the start, M1 and M3 are simply created and M2 came and went.
        let all = try store.changes(since: s0)
        XCTAssertEqual(all.created, ["M1", "M3"])
        XCTAssertEqual(all.updated, [])
        XCTAssertEqual(all.destroyed, [])

        let none = try store.changes(since: s2)
        XCTAssertEqual(none, .init(oldState: s2, newState: s2, hasMoreChanges: false, created: [], updated: [], destroyed: []))
    }

    func testVerifiedAtAloneIsNoChange() throws {
        let store = try ResultStore.inMemory()
        try store.record(verified, for: key(1), path: "/mail/1")
        try store.recordSeen(id: "M1", path: "/mail/1", status: "signed/verified", errors: nil)
        let before = try store.state

        // Reverified a day later: same status, new smimeVerifiedAt.
        var again = verified
        again.verifiedAt = t0.addingTimeInterval(86_400)
        try store.record(again, for: key(1), path: "/mail/1")
        try store.recordSeen(id: "M1", path: "/mail/1", status: "signed/verified", errors: nil)

        XCTAssertEqual(try store.state, before)
        let changes = try store.changes(since: before)
        XCTAssertTrue(changes.created.isEmpty && changes.updated.isEmpty && changes.destroyed.isEmpty)
    }

    func testUnknownSinceState() throws {
        let store = try ResultStore.inMemory()
        let other = try ResultStore.inMemory()
        try store.recordSeen(id: "M1", path: "/m/1", status: nil, errors: nil)
        let current = try store.state
        let counter = current.split(separator: "-").last.map(String.init) ?? ""
        let generation = current.split(separator: "-").first.map(String.init) ?? ""
        for bad in ["", "garbage", "42", try other.state, "\(generation)-99", "\(generation)--1", "\(generation)-", "\(generation)-1x"] {
            XCTAssertThrowsError(try store.changes(since: bad), "since \(bad)") { error in
                guard case ResultStoreError.cannotCalculateChanges(let since, _) = error else {
                    return XCTFail("expected cannotCalculateChanges, got \(error)")
                }
                XCTAssertEqual(since, bad)
                XCTAssertEqual((error as? ResultStoreError)?.jmapType, "cannotCalculateChanges")
                XCTAssertTrue("\(error)".contains("cannotCalculateChanges"))
            }
        }
        XCTAssertEqual(counter, "1")
        XCTAssertThrowsError(try store.changes(since: current, maxChanges: 0)) { error in
            XCTAssertEqual((error as? ResultStoreError)?.jmapType, "invalidArguments")
        }
    }

    func testMaxChangesPagesThrough() throws {
        let store = try ResultStore.inMemory()
        let s0 = try store.state
        try store.recordSeen(batch: (1...5).map { (id: "M\($0)", path: "/m/\($0)", status: nil, errors: nil) })
        try store.recordSeen(id: "M1", path: "/m/1", status: "signed/verified", errors: nil)  // M1 again: still one id
        try store.recordSeen(id: "M6", path: "/m/6", status: nil, errors: nil)

        var since = s0
        var pages: [[String]] = []
        while true {
            let page = try store.changes(since: since, maxChanges: 2)
            XCTAssertLessThanOrEqual(page.created.count + page.updated.count + page.destroyed.count, 2)
            pages.append(page.created + page.updated)
            since = page.newState
            if !page.hasMoreChanges { break }
        }
        XCTAssertEqual(pages, [["M1", "M2"], ["M3", "M4"], ["M5", "M1"], ["M6"]].map { $0 })
        XCTAssertEqual(since, try store.state)
    }

    func testRecreatedAfterDestroy() throws {
        let store = try ResultStore.inMemory()
        try store.recordSeen(id: "M1", path: "/m/1", status: nil, errors: nil)
        let knew = try store.state
        try store.markGone(ids: ["M1"])
        let sawGone = try store.state
        try store.recordSeen(id: "M1", path: "/m/1-restored", status: nil, errors: nil)
        XCTAssertEqual(try store.changes(since: knew).updated, ["M1"], "the client had it and has it again")
        XCTAssertEqual(try store.changes(since: sawGone).created, ["M1"])
    }

    /// `changes` notes the paths it saw batch by batch, then sweeps once per operand.
    func testPresentPathsNotedInBatches() throws {
        let store = try ResultStore.inMemory()
        try store.recordSeen(batch: (1...6).map { (id: "M\($0)", path: "/mail/\($0)", status: nil, errors: nil) }
                                    + [(id: "X", path: "/other/x", status: nil, errors: nil)])
        try store.clearPresent()
        try store.markPresent(["/mail/1", "/mail/2"])
        try store.markPresent(["/mail/2", "/mail/5"])
        XCTAssertEqual(try store.sweepUnmarked(under: "/mail").sorted(), ["M3", "M4", "M6"])
        XCTAssertEqual(try store.sweepUnmarked(under: "/mail"), [], "what is gone is gone once")
        // The notes last until cleared: a second operand is swept with the same ones.
        XCTAssertEqual(try store.sweepUnmarked(under: "/other"), ["X"])
        try store.clearPresent()
        XCTAssertEqual(try store.sweepUnmarked().sorted(), ["M1", "M2", "M5"], "after clearing nothing is noted")
    }

    func testSweepAndReplacedFiles() throws {
        let store = try ResultStore.inMemory()
        try store.recordSeen(batch: [
            (id: "A", path: "/mail/cur/a", status: nil, errors: nil),
            (id: "B", path: "/mail/cur/b", status: nil, errors: nil),
            (id: "B", path: "/mail/new/b-copy", status: nil, errors: nil),  // identical file twice
            (id: "C", path: "/other/c", status: nil, errors: nil),
        ])
        let s1 = try store.state

        // b was deleted but its copy remains; a is gone; /other is outside the sweep.
        let destroyed = try store.sweep(presentPaths: ["/mail/new/b-copy"], under: "/mail/")
        XCTAssertEqual(destroyed, ["A"])
        XCTAssertEqual(try store.changes(since: s1).destroyed, ["A"])
        XCTAssertEqual(try store.statistics().messages, 2)

        // The file at /other/c was replaced by different bytes: C goes, D comes.
        let s2 = try store.state
        try store.recordSeen(id: "D", path: "/other/c", status: "signed/verified", errors: nil)
        let changes = try store.changes(since: s2)
        XCTAssertEqual(changes.created, ["D"])
        XCTAssertEqual(changes.destroyed, ["C"])

        // A sweep without a scope covers everything; moving a file is not a change.
        let s3 = try store.state
        try store.recordSeen(id: "B", path: "/mail/cur/moved", status: nil, errors: nil)
        XCTAssertEqual(try store.sweep(presentPaths: ["/mail/cur/moved", "/other/c"]), [])
        XCTAssertEqual(try store.state, s3)
        XCTAssertEqual(try store.sweep(presentPaths: Set<String>()).sorted(), ["B", "D"])
    }

    func testCompactForgetsOldHistory() throws {
        let store = try ResultStore.inMemory()
        let s0 = try store.state
        try store.recordSeen(batch: (1...10).map { (id: "M\($0)", path: "/m/\($0)", status: nil, errors: nil) })
        try store.markGone(ids: ["M1", "M2"])
        let s12 = try store.state
        try store.recordSeen(id: "M3", path: "/m/3", status: "signed/verified", errors: nil)
        try store.record(verified, for: key(1), path: nil)

        try store.compact(now: t0.addingTimeInterval(2 * 86_400), keepingChanges: 1)
        XCTAssertThrowsError(try store.changes(since: s0)) { error in
            guard case ResultStoreError.cannotCalculateChanges = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try store.changes(since: s12).updated, ["M3"])
        let stats = try store.statistics()
        XCTAssertEqual(stats.verdicts, 0, "a two-day-old verdict can never be served")
        XCTAssertEqual(stats.destroyedMessages, 0)
        XCTAssertEqual(stats.changeLogEntries, 1)
        XCTAssertEqual(stats.messages, 8)
    }
}
