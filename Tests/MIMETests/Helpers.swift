import XCTest
@testable import MIME

/// Builds a message from lines joined by `eol`, so the same text can be tested
/// with CRLF and with bare LF.
func lines(_ ls: [String], eol: String = "\r\n") -> [UInt8] {
    Array(ls.joined(separator: eol).utf8)
}

func parse(_ s: String, limits: MIMELimits = .default, file: StaticString = #filePath, line: UInt = #line) throws -> Message {
    try Message(bytes: Array(s.utf8), limits: limits)
}

extension Message {
    func string(_ r: Range<Int>?) -> String? {
        r.map { String(decoding: slice($0), as: UTF8.self) }
    }
}

extension MIMEPart {
    var defectCodes: [String] { defects.map(\.code) }
}

func expectError(_ expected: MIMEError, file: StaticString = #filePath, line: UInt = #line,
                 _ body: () throws(MIMEError) -> Void) {
    do {
        try body()
        XCTFail("expected \(expected), got success", file: file, line: line)
    } catch {
        XCTAssertEqual(error, expected, file: file, line: line)
    }
}
