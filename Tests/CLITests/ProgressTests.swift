import Foundation
import TestSupport
import XCTest
@testable import smimekit

/// The progress line: drawn on a terminal only, with a total and an ETA once
/// the counting walk is done.
final class ProgressTests: XCTestCase {
    func testLineText() {
        XCTAssertEqual(Progress.line(count: 10, total: nil, elapsed: 2), "10 messages, 5/s, 2s")
        XCTAssertEqual(Progress.line(count: 250, total: 1000, elapsed: 5), "250/1000 messages, 50/s, 5s, ETA 15s")
        XCTAssertEqual(Progress.line(count: 1000, total: 1000, elapsed: 10), "1000/1000 messages, 100/s, 10s, ETA 0s")
        // A file that appeared after the count: never "11/10".
        XCTAssertEqual(Progress.line(count: 11, total: 10, elapsed: 1), "11/11 messages, 11/s, 1s, ETA 0s")
        XCTAssertEqual(Progress.duration(59.2), "1m00s")
        XCTAssertEqual(Progress.duration(187), "3m07s")
        XCTAssertEqual(Progress.duration(7500), "2h05m")
    }

    /// Through a pseudo-terminal (script(1)): the line is there on a terminal, not with
    /// --no-progress, and never in a pipe (every other CLI test sees an empty stderr).
    func testDrawnOnATerminalOnly() throws {
        // scripts/setup --for-tests installs script(1) (bsdutils).
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 0..<50 {
            try Data("From: a@example.org\r\nSubject: \(i)\r\n\r\nhello\r\n".utf8).write(to: dir.appendingPathComponent("m\(i).eml"))
        }
        let command = "smimekit status --no-cache --format ndjson '\(dir.path)' > /dev/null"
        let shown = try CLI.run(["script -qec \"\(command)\" /dev/null"], shell: true)
        XCTAssertTrue(shown.text.contains("messages, "), shown.text)
        XCTAssertTrue(shown.text.contains("\u{1B}[K"), "the line is cleared at the end")
        let quiet = try CLI.run(["script -qec \"\(command.replacingOccurrences(of: "status", with: "status --no-progress"))\" /dev/null"], shell: true)
        XCTAssertFalse(quiet.text.contains("messages, "), quiet.text)
        let piped = try CLI.run(["status", "--no-cache", "--format", "ndjson", dir.path])
        XCTAssertEqual(piped.stderr, "")
    }
}
