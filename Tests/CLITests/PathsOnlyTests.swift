import Foundation
import TestSupport
import XCTest

/// issue 13 item 16: -l/--paths-only and -0 for verify and status, query -q,
/// and verify with no message at all.
final class PathsOnlyTests: XCTestCase {
    let examples = Habits.root.appendingPathComponent("examples").path

    func testVerifyListsOnlyTheVerifiedMessages() throws {
        let run = try CLI.run(["verify", "-l"] + Habits.trusted + [examples])
        XCTAssertEqual(run.status, 1, "the exit status is verify's: some message did not verify")
        XCTAssertEqual(run.lines, [Habits.example("opaque-signed.eml"), Habits.example("signed.eml")])
        let long = try CLI.run(["verify", "--paths-only"] + Habits.trusted + [examples])
        XCTAssertEqual(long.stdout, run.stdout)
    }

    func testNulSeparatesThePaths() throws {
        let run = try CLI.run(["verify", "-0"] + Habits.trusted + [examples])
        XCTAssertEqual(run.stdout, Array((Habits.example("opaque-signed.eml") + "\0" + Habits.example("signed.eml") + "\0").utf8))
        let status = try CLI.run(["status", "-0", "--no-cache", examples])
        let paths = status.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        XCTAssertEqual(paths, ["encrypted.eml", "opaque-signed.eml", "signed.eml", "tampered.eml"].map(Habits.example))
        XCTAssertEqual(status.stdout.last, 0)
    }

    func testStatusListsTheMessagesThatCarrySMIME() throws {
        let run = try CLI.run(["status", "-l", "--no-cache", Habits.example("signed.eml"), Habits.example("unsigned.eml"), Habits.example("encrypted.eml")])
        XCTAssertEqual(run.status, 1, "unsigned.eml carries none")
        XCTAssertEqual(run.lines, [Habits.example("signed.eml"), Habits.example("encrypted.eml")])
    }

    func testPathsOnlyDoesNotMixWithFormats() throws {
        let run = try CLI.run(["verify", "-l", "--format", "json"] + Habits.trusted + [examples])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.hasPrefix("smimekit: -l/--paths-only prints paths; it does not go with --format json"), run.stderr)
        XCTAssertEqual(try CLI.run(["verify", "-0", "--details"] + Habits.trusted + [examples]).status, 2)
    }

    func testQueryQuietPrintsNothing() throws {
        let hit = try CLI.run(["query", "-q", "--has-smime", examples])
        XCTAssertEqual(hit.status, 0)
        XCTAssertEqual(hit.stdout, [])
        let miss = try CLI.run(["query", "--quiet", "--subject", "no such subject anywhere", examples])
        XCTAssertEqual(miss.status, 1)
        XCTAssertEqual(miss.stdout, [])
        let json = try CLI.run(["query", "-q", "--format", "json", "--has-smime", examples])
        XCTAssertEqual(json.stdout, [], "quiet wins over any format")
    }

    func testVerifyWithNoMessageAtAllExits2() throws {
        // An empty list of paths on standard input.
        let empty = try CLI.run(["verify", "--no-cache"], stdin: [])
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.hasPrefix("smimekit: no message to verify"), empty.stderr)
        let dir = try Habits.temporaryDirectory("empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        let none = try CLI.run(["verify", "--no-cache", dir.path])
        XCTAssertEqual(none.status, 2, "an empty directory holds no message")
        // A terminal on standard input: refused before waiting on it.
        let tty = try CLI.run(["script -qec \"smimekit verify --no-cache\" /dev/null < /dev/null"], shell: true)
        XCTAssertTrue(tty.text.contains("smimekit: no messages given"), tty.text + tty.stderr)
    }
}
