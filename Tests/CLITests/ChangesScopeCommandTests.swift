import Foundation
import TestSupport
import XCTest

/// issue 13 item 3 through the binary: `changes` states and the present/absent
/// sweep belong to the set of paths scanned, not to the whole result cache.
final class ChangesScopeCommandTests: XCTestCase {
    private func changes(_ runner: SmimekitRunner, _ arguments: [String], stdin: [UInt8]? = nil) throws -> [String: Any] {
        let run = try runner.run(["changes"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(try run.json() as? [String: Any], run.stdout)
        let responses = try XCTUnwrap(object["methodResponses"] as? [[Any]], run.stdout)
        XCTAssertEqual(responses.first?.first as? String, "Email/changes", run.stdout)
        return try XCTUnwrap(responses.first?[1] as? [String: Any])
    }

    private func state(_ runner: SmimekitRunner, _ arguments: [String]) throws -> String {
        let run = try runner.run(["changes"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testACopyIntoAnotherTreeIsCreatedThereAndItsDeletionDestroyedThere() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let message = MessageSpec(subject: "copied").unsigned
        let original = try runner.write(message, "A/cur/1.eml")
        try runner.write(MessageSpec(subject: "only in B").unsigned, "B/cur/other.eml")
        let a = runner.home.appendingPathComponent("A").path, b = runner.home.appendingPathComponent("B").path
        let id = try XCTUnwrap(try runner.run(["status", "--format", "ndjson", original]).records()[original]?["id"] as? String)

        let sa = try state(runner, ["--no-system-trust", a])
        let sb = try state(runner, ["--no-system-trust", b])
        // The same bytes copied into B: created for B, though A has had them all along.
        let copy = try runner.write(message, "B/cur/copy.eml")
        let created = try changes(runner, ["--since", sb, "--no-system-trust", b])
        XCTAssertEqual(created["created"] as? [String], [id])
        XCTAssertEqual(created["destroyed"] as? [String], [])
        let sb2 = try XCTUnwrap(created["newState"] as? String)
        let nothing = try changes(runner, ["--since", sa, "--no-system-trust", a])
        XCTAssertEqual(nothing["created"] as? [String], [], "A did not change")
        XCTAssertEqual(nothing["newState"] as? String, sa)

        // Deleted from B, still in A: destroyed for B, not for A.
        try FileManager.default.removeItem(atPath: copy)
        let destroyed = try changes(runner, ["--since", sb2, "--no-system-trust", b])
        XCTAssertEqual(destroyed["destroyed"] as? [String], [id])
        let stillThere = try changes(runner, ["--since", sa, "--no-system-trust", a])
        XCTAssertEqual(stillThere["destroyed"] as? [String], [])

        // A and B together are a third set, with states of its own.
        let refused = try runner.run(["changes", "--since", sa, "--no-system-trust", a, b])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("another set of paths"), refused.stderr)
        XCTAssertTrue(refused.stdout.contains("cannotCalculateChanges"), refused.stdout)
    }

    /// The set is the canonical operand list: order, repetition and spelling do not matter.
    func testTheSetIsTheCanonicalOperandList() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        try runner.write(MessageSpec().unsigned, "x/1.eml")
        try runner.write(MessageSpec().unsigned, "y/1.eml")
        let x = runner.home.appendingPathComponent("x").path, y = runner.home.appendingPathComponent("y").path
        let s = try state(runner, ["--no-system-trust", x, y])
        for spelling in [[y, x], [x + "/", y, x], [runner.home.appendingPathComponent("x/../y").path, runner.home.path + "/./x"]] {
            let c = try changes(runner, ["--since", s, "--no-system-trust"] + spelling)
            XCTAssertEqual(c["created"] as? [String], [], "\(spelling)")
            XCTAssertEqual(c["destroyed"] as? [String], [], "\(spelling)")
        }
    }

    /// Paths piped in are one set: a path no longer listed is gone.
    func testAListOnStandardInputIsASetOfItsOwn() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let one = try runner.write(MessageSpec(subject: "one").unsigned, "m/1.eml")
        let two = try runner.write(MessageSpec(subject: "two").unsigned, "m/2.eml")
        let ids = try runner.run(["status", "--format", "ndjson", one, two]).records().mapValues { $0["id"] as! String }
        func run(_ list: [String], _ extra: [String]) throws -> CLI.Run {
            try CLI.run(["changes", "--store", runner.storePath, "--no-system-trust"] + extra,
                        stdin: Array(list.map { $0 + "\n" }.joined().utf8))
        }
        let first = try run([one, two], [])
        XCTAssertEqual(first.status, 0, first.stderr)
        let s = first.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let second = try run([one], ["--since", s])
        XCTAssertEqual(second.status, 0, second.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(second.stdout)) as? [String: Any])
        let response = try XCTUnwrap((object["methodResponses"] as? [[Any]])?.first?[1] as? [String: Any])
        XCTAssertEqual(response["destroyed"] as? [String], [ids[two]!])
        // The directory as an operand is another set.
        let dir = try runner.run(["changes", "--since", s, "--no-system-trust", runner.home.appendingPathComponent("m").path])
        XCTAssertEqual(dir.status, 2, dir.stdout)
    }
}
