import Foundation
import TestSupport
import XCTest

/// issue 7, "never harm data": a sign interrupted while it writes its output
/// leaves no partial file behind: the temporary file is removed, and the
/// output either does not exist or is whole.
final class InterruptTests: XCTestCase {
    func testTerminatedWhileWritingLeavesNoPartialFile() throws {
        let root = TranscriptTests.root
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-interrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Large enough that writing and syncing the output takes a noticeable time.
        let line = String(repeating: "All work and no play makes Jack a dull boy. ", count: 3) + "\r\n"
        let input = dir.appendingPathComponent("in.eml")
        try Data(("From: Alice Example <alice@example.org>\r\nTo: bob@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
                  + String(repeating: line, count: 300_000)).utf8).write(to: input)
        let output = dir.appendingPathComponent("out.eml")

        var caughtMidWrite = false
        for _ in 0..<3 where !caughtMidWrite {
            try? FileManager.default.removeItem(at: output)
            let p = Process()
            p.executableURL = try CLI.binary()
            p.arguments = ["sign", "--key", root.appendingPathComponent("examples/alice.p12").path, "--passin", "pass:example",
                           input.path, "-o", output.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Wait for the temporary output file to appear, then interrupt.
            while p.isRunning {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                if names.contains(where: { $0.hasSuffix(".tmp") }) {
                    kill(p.processIdentifier, SIGTERM)
                    caughtMidWrite = true
                    break
                }
                usleep(500)
            }
            p.waitUntilExit()
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "in.eml" && $0 != "out.eml" }
            XCTAssertEqual(leftovers, [], "a temporary file survived the interruption")
            if FileManager.default.fileExists(atPath: output.path) {
                // Interrupted after the rename: the output must be whole.
                let v = try CLI.run(["verify", "--no-cache", "--no-system-trust", "--trust", root.appendingPathComponent("examples/ca/ca.pem").path,
                                     "--properties", "smimeStatus", "--format", "ndjson", output.path])
                XCTAssertTrue(v.text.contains("\"signed/verified\""), v.text)
            }
        }
        XCTAssertTrue(caughtMidWrite, "never saw the temporary output file: the interruption was not tested")
    }
}
