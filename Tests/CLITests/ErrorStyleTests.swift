import Foundation
import TestSupport
import XCTest

/// issue 13 item 15: one error style. Every message starts "smimekit: ", bad
/// options show the subcommand's usage, every trouble is exit 2.
final class ErrorStyleTests: XCTestCase {
    func testEveryBadInvocationSaysSmimekitFirstAndExits2() throws {
        let signed = Habits.example("signed.eml")
        let cases: [[String]] = [
            [], ["verfy", signed], ["nosuch"], ["verify", "--bogus", signed], ["status", "--format", "xml", signed],
            ["query", "--limit", "-1", signed], ["query", "--sort", "colour", signed], ["verify", "--jobs", "0", signed],
            ["sign", "--digest"], ["decrypt"], ["changes", "--no-cache"], ["verify", "--at", "yesterday", signed],
            ["verify", "--store", "/proc/self/nonexistent/results.sqlite", signed],
        ]
        for arguments in cases {
            let run = try CLI.run(arguments)
            XCTAssertEqual(run.status, 2, "smimekit \(arguments.joined(separator: " ")): \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix("smimekit: "), "smimekit \(arguments.joined(separator: " ")) wrote: \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("Error:"), run.stderr)
        }
    }

    func testABadOptionShowsTheSubcommandsUsage() throws {
        for sub in ["status", "verify", "query", "changes", "sign", "encrypt", "decrypt"] {
            let run = try CLI.run([sub, "--no-such-option"])
            XCTAssertEqual(run.status, 2)
            XCTAssertTrue(run.stderr.contains("Usage: smimekit \(sub) "), "\(sub): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("See 'smimekit \(sub) --help'"), "\(sub): \(run.stderr)")
        }
    }

    func testAMistypedSubcommandGetsASuggestion() throws {
        for (typed, meant) in [("verfy", "verify"), ("veirfy", "verify"), ("stauts", "status"), ("qurey", "query"), ("dec", "decrypt"), ("Sign", "sign")] {
            let run = try CLI.run([typed])
            XCTAssertEqual(run.status, 2)
            XCTAssertTrue(run.stderr.hasPrefix("smimekit: no subcommand '\(typed)'; did you mean '\(meant)'?\n"), "\(typed): \(run.stderr)")
        }
        let far = try CLI.run(["frobnicate"])
        XCTAssertTrue(far.stderr.hasPrefix("smimekit: no subcommand 'frobnicate'; the subcommands are status, verify, query, changes, sign, encrypt, decrypt"), far.stderr)
    }

    func testPlainSmimekitPrintsUsageAndExits2() throws {
        let run = try CLI.run([])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stdout, [], "usage goes to standard error")
        XCTAssertTrue(run.stderr.contains("Usage: smimekit <subcommand>"), run.stderr)
        // Help asked for is not an error.
        let help = try CLI.run(["--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.text.contains("SUBCOMMANDS:"))
    }

    func testLimitMustBeZeroOrMore() throws {
        let run = try CLI.run(["query", "--limit", "-1", Habits.example("signed.eml")])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.hasPrefix("smimekit: --limit must be >= 0, not -1\n"), run.stderr)
        let zero = try CLI.run(["query", "--limit", "0", Habits.example("signed.eml")])
        XCTAssertEqual(zero.status, 0, "0 is allowed: the message matches, none is printed")
        XCTAssertEqual(zero.stdout, [])
    }

    func testAnExplicitStoreThatCannotBeOpenedIsTroubleButTheDefaultCacheOnlyWarns() throws {
        let dir = try Habits.temporaryDirectory("errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A directory where the database file should be: SQLite cannot open it.
        let blocked = dir.appendingPathComponent("cache/smimekit/results.sqlite")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: true)
        let explicit = try CLI.run(["verify", "--store", blocked.path] + Habits.trusted.filter { $0 != "--no-cache" } + [Habits.example("signed.eml")])
        XCTAssertEqual(explicit.status, 2, explicit.stderr)
        XCTAssertTrue(explicit.stderr.hasPrefix("smimekit: --store \(blocked.path): "), explicit.stderr)

        let fallback = try CLI.run(["verify"] + Habits.trusted.filter { $0 != "--no-cache" } + [Habits.example("signed.eml")],
                                   environment: ["XDG_CACHE_HOME": dir.appendingPathComponent("cache").path])
        XCTAssertEqual(fallback.status, 0, "the run goes on without the cache: \(fallback.stderr)")
        XCTAssertTrue(fallback.stderr.hasPrefix("smimekit: warning: \(blocked.path): "), fallback.stderr)
        XCTAssertTrue(fallback.stderr.contains("going on without the result cache"), fallback.stderr)
        for word in ["SELECT", "INSERT", "CREATE", "PRAGMA", "BEGIN", "sqlite3_", "SQLite code"] {
            XCTAssertFalse(fallback.stderr.contains(word), "no SQL in what a person reads: \(fallback.stderr)")
            XCTAssertFalse(explicit.stderr.contains(word), "no SQL in what a person reads: \(explicit.stderr)")
        }
    }
}
