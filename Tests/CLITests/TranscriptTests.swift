import Foundation
import TestSupport
import XCTest

/// End-to-end behaviour as transcripts (style.md, after age): each file in
/// Transcripts/ holds commands (`$ ...`) and the output they must print
/// (stdout and stderr merged), with `[exit N]` for a non-zero status. A change
/// in what users see shows up as a readable diff. Set
/// SMIMEKIT_UPDATE_TRANSCRIPTS=1 to rewrite the files from the current output.
final class TranscriptTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    struct Step {
        var command: String
        var expected: [String]
    }

    static func parse(_ text: String) -> (header: [String], steps: [Step]) {
        var header: [String] = []
        var steps: [Step] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("$ ") {
                steps.append(Step(command: String(line.dropFirst(2)), expected: []))
            } else if steps.isEmpty {
                header.append(line)
            } else {
                steps[steps.count - 1].expected.append(line)
            }
        }
        for i in steps.indices {
            while steps[i].expected.last == "" { steps[i].expected.removeLast() }
        }
        return (header, steps)
    }

    func testTranscripts() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".t") }.sorted()
        XCTAssertFalse(files.isEmpty)
        let update = ProcessInfo.processInfo.environment["SMIMEKIT_UPDATE_TRANSCRIPTS"] == "1"
        for file in files {
            let url = Self.directory.appendingPathComponent(file)
            let (header, steps) = Self.parse(try String(contentsOf: url, encoding: .utf8))
            var rewritten = header
            for step in steps {
                let run = try CLI.run([step.command + " 2>&1"], in: Self.root, environment: ["SHARED": "../shared"], shell: true)
                var actual = run.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                while actual.last == "" { actual.removeLast() }
                if run.status != 0 { actual.append("[exit \(run.status)]") }
                if update {
                    rewritten += ["$ " + step.command] + actual + [""]
                } else {
                    XCTAssertEqual(actual.joined(separator: "\n"), step.expected.joined(separator: "\n"),
                                   "\(file): `\(step.command)` printed something else")
                }
            }
            if update { try (rewritten.joined(separator: "\n")).write(to: url, atomically: true, encoding: .utf8) }
        }
    }
}
