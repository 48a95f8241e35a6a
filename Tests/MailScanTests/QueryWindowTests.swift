import Foundation
import JMAP
@testable import MailScan
import XCTest

final class QueryWindowTests: XCTestCase {
    /// Adds `ids` in order (path = id, sort key = the number in the id) and returns what streamed and the window.
    private func run(_ window: inout QueryWindow<String>, _ ids: [String]) -> (streamed: [String], window: QueryWindow<String>.Window?) {
        var streamed: [String] = []
        for id in ids {
            let key: SortValue = .number(Double(id.dropFirst()) ?? 0)
            if let e = window.add(id, id: id, path: id, keys: window.comparators.isEmpty ? [] : [key]) { streamed.append(e) }
        }
        return (streamed, try? window.finish().get())
    }

    func testStreamsPositionAndLimitWithoutKeepingAnything() {
        var w = QueryWindow<String>(position: 1, limit: 2)
        XCTAssertTrue(w.streams)
        let (streamed, window) = run(&w, ["m1", "m2", "m3", "m4"])
        XCTAssertEqual(streamed, ["m2", "m3"])
        XCTAssertEqual(window?.elements, [])
        XCTAssertEqual(window?.position, 1)
        XCTAssertEqual(window?.total, 4)
        XCTAssertTrue(w.isSatisfied)
    }

    func testATotalWantedIsNeverSatisfied() {
        var w = QueryWindow<String>(limit: 1, needsTotal: true)
        _ = run(&w, ["m1", "m2"])
        XCTAssertFalse(w.isSatisfied)
        XCTAssertEqual(w.total, 2)
    }

    func testNegativePositionCountsFromTheEndClampedToZero() {
        var w = QueryWindow<String>(position: -2)
        XCTAssertFalse(w.streams)
        XCTAssertEqual(run(&w, ["m1", "m2", "m3"]).window?.elements, ["m2", "m3"])
        var clamped = QueryWindow<String>(position: -10, limit: 1)
        let window = run(&clamped, ["m1", "m2"]).window
        XCTAssertEqual(window?.elements, ["m1"])
        XCTAssertEqual(window?.position, 0)
    }

    func testSortsByTheComparatorsThenByPath() throws {
        var w = QueryWindow<String>(comparators: [try XCTUnwrap(Comparator("size:desc"))], limit: 3)
        let (streamed, window) = run(&w, ["m2", "m9", "m5", "m7"])
        XCTAssertEqual(streamed, [])
        XCTAssertEqual(window?.elements, ["m9", "m7", "m5"])
        XCTAssertEqual(window?.total, 4)
    }

    func testAnchorAndOffset() {
        var w = QueryWindow<String>(anchor: "m3", anchorOffset: -1, limit: 2)
        let window = run(&w, ["m1", "m2", "m3", "m4"]).window
        XCTAssertEqual(window?.elements, ["m2", "m3"])
        XCTAssertEqual(window?.position, 1)
        var before = QueryWindow<String>(anchor: "m1", anchorOffset: -5)
        XCTAssertEqual(run(&before, ["m1", "m2"]).window?.position, 0)
    }

    func testAnAnchorNotFoundIsAnError() {
        var w = QueryWindow<String>(anchor: "nope")
        for id in ["m1", "m2"] { _ = w.add(id, id: id, path: id) }
        XCTAssertEqual(w.finish().map(\.total), .failure(.anchorNotFound))
    }

    func testTheSameIDAtSeveralPathsCountsOnce() {
        var w = QueryWindow<String>(collapsesIDs: true, needsTotal: true)
        XCTAssertEqual(w.add("a", id: "A", path: "/x/a"), "a")
        XCTAssertNil(w.add("a again", id: "A", path: "/y/a"))
        XCTAssertEqual(w.add("b", id: "B", path: "/x/b"), "b")
        XCTAssertEqual(w.total, 2)
        XCTAssertEqual(w.pathsByID["A"], ["/x/a", "/y/a"])
    }
}
