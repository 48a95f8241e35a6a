import Foundation
import JMAP
import XCTest

/// The hand-written formatters of what every record prints: UTCDate and JSON strings.
final class OutputFormattingTests: XCTestCase {
    func testUTCDate() {
        XCTAssertEqual(JMAPDate.format(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00Z")
        XCTAssertEqual(JMAPDate.format(Date(timeIntervalSince1970: 1_795_475_803.9)), "2026-11-23T23:16:43Z", "fractions are dropped")
        XCTAssertEqual(JMAPDate.format(Date(timeIntervalSince1970: 253_402_300_799)), "9999-12-31T23:59:59Z")
        XCTAssertEqual(JMAPDate.format(Date(timeIntervalSince1970: -1)), "1969-12-31T23:59:59Z")
        for t in stride(from: -2_000_000_000.0, to: 4_000_000_000, by: 123_456_789.5) {
            let d = Date(timeIntervalSince1970: t)
            XCTAssertEqual(JMAPDate.parse(JMAPDate.format(d))?.timeIntervalSince1970, t.rounded(.down), "\(t)")
        }
    }

    func testJSONStrings() {
        func json(_ s: String) -> String { JSON.string(s).serialized() }
        XCTAssertEqual(json("plain text, ünïcødé and 🔏"), "\"plain text, ünïcødé and 🔏\"")
        XCTAssertEqual(json("a\"b\\c\nd\re\tf\u{01}g"), "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\"")
        XCTAssertEqual(json("line\u{2028}para\u{2029}"), "\"line\\u2028para\\u2029\"")
        XCTAssertEqual(json("€ is E2 82 AC"), "\"€ is E2 82 AC\"", "other E2 sequences are not escaped")
        XCTAssertEqual(json(""), "\"\"")
    }
}
