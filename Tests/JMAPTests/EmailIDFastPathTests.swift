import XCTest
@testable import JMAP

/// EmailID.make reads bytes for hex digests: it must give what "M" + prefix(24) gives, for any input.
final class EmailIDFastPathTests: XCTestCase {
    func testSameAsCharacterPrefix() {
        let hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        var inputs = [hex, "", "ab", String(hex.prefix(24)), String(hex.prefix(25)),
                      String(hex.prefix(23)) + "\r\n" + "ff", String(hex.prefix(24)) + "\u{301}" + "ff",
                      "é" + hex, String(hex.prefix(10)) + "\r\n" + hex]
        for n in 0..<30 { inputs.append(String(hex.prefix(n))) }
        for s in inputs {
            XCTAssertEqual(EmailID.make(digestHex: s), "M" + s.prefix(24), s.debugDescription)
        }
        XCTAssertEqual(EmailID.make(digestHex: hex), "M0123456789abcdef01234567")
    }
}
