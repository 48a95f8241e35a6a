import Foundation
import JMAP
import XCTest

/// The builder the command line fills from query's flags.
final class FilterFlagsTests: XCTestCase {
    func testOneConditionWhenOnlyScalarFlags() throws {
        var f = FilterFlags()
        f.condition.hasSmime = true
        f.condition.from = "alice"
        f.condition.minSize = 10
        guard case .condition(let c) = try f.build() else { return XCTFail("one condition expected") }
        XCTAssertEqual(c.hasSmime, true)
        XCTAssertEqual(c.from, "alice")
        XCTAssertEqual(c.minSize, 10)
        XCTAssertNil(c.to)
    }

    func testRepeatedFlagsBecomeConditionsUnderAnd() throws {
        var f = FilterFlags()
        f.header = ["X-A", "X-B: v "]
        f.hasKeyword = ["$seen"]
        f.notKeyword = ["$draft"]
        guard case .and(let parts) = try f.build() else { return XCTFail("an AND expected") }
        XCTAssertEqual(parts.count, 5)
        var h = FilterCondition()
        h.header = ["X-B", "v"]
        XCTAssertEqual(parts[2], .condition(h))
        var k = FilterCondition()
        k.notKeyword = "$draft"
        XCTAssertEqual(parts[4], .condition(k))
    }

    func testDatesAndJSON() throws {
        var f = FilterFlags()
        f.before = "2026-03-01"
        f.filter = #"{"operator":"NOT","conditions":[{"hasSmime":true}]}"#
        guard case .and(let parts) = try f.build(), case .condition(let c) = parts[0] else { return XCTFail("an AND expected") }
        XCTAssertEqual(c.before, Date(timeIntervalSince1970: 1_772_323_200))
        XCTAssertEqual(parts.count, 2)
    }

    func testErrorsNameTheFlag() {
        var f = FilterFlags()
        f.condition.minSize = -1
        XCTAssertThrowsError(try f.build()) { XCTAssertTrue("\($0)".contains("--min-size")) }
        f = FilterFlags()
        f.header = [":x"]
        XCTAssertThrowsError(try f.build()) { XCTAssertTrue("\($0)".contains("--header")) }
        f = FilterFlags()
        f.after = "yesterday"
        XCTAssertThrowsError(try f.build()) { XCTAssertTrue("\($0)".contains("--after")) }
        f = FilterFlags()
        f.filter = "{not json"
        XCTAssertThrowsError(try f.build()) { XCTAssertTrue("\($0)".contains("--filter is not JSON")) }
        f.filter = "@/nonexistent/filter.json"
        XCTAssertThrowsError(try f.build()) { XCTAssertTrue("\($0)".contains("cannot be read")) }
    }
}
