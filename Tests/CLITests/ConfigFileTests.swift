import Foundation
import TestSupport
import XCTest

/// issue 13 item 11: gpg-style defaults in $XDG_CONFIG_HOME/smimekit/config.
final class ConfigFileTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Habits.temporaryDirectory("config") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A config file at $XDG_CONFIG_HOME/smimekit/config with `text`.
    func xdgConfig(_ text: String) throws -> [String: String] {
        let home = dir.appendingPathComponent("xdg/smimekit")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Habits.write(text, to: home.appendingPathComponent("config"))
        return ["XDG_CONFIG_HOME": dir.appendingPathComponent("xdg").path]
    }

    func verify(_ arguments: [String], env: [String: String]) throws -> CLI.Run {
        try CLI.run(["verify", "--no-cache", "--at", Habits.at] + arguments + [Habits.example("signed.eml")], environment: env)
    }

    func testTrustFromTheConfigFileMakesTheSignatureVerify() throws {
        let env = try xdgConfig("# anchors for mail\n\ntrust \(Habits.ca)\nno-system-trust\nformat text\n")
        let run = try verify([], env: env)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.text.hasPrefix("signed/verified"), "format text came from the file: \(run.text)")
        // --no-config drops all of it: no anchor, ndjson in a pipe.
        let bare = try verify(["--no-config"], env: env)
        XCTAssertEqual(bare.status, 1, bare.stderr)
        XCTAssertTrue(bare.text.hasPrefix("{\"path\""), bare.text)
    }

    func testCommandLineWinsAndRepeatableOptionsAdd() throws {
        // A wrong anchor in the file, the right one on the command line: both count (gpg adds).
        let env = try xdgConfig("trust \(Habits.example("alice.pem"))\nno-system-trust\nformat ndjson\n")
        let run = try verify(["--trust", Habits.ca, "--format", "text"], env: env)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.text.hasPrefix("signed/verified"), "--format text given later wins over the file's ndjson: \(run.text)")
        let fileOnly = try verify(["--format", "text"], env: env)
        XCTAssertEqual(fileOnly.status, 1, "alice.pem alone is no anchor for alice's signature")
    }

    func testAnOptionOtherSubcommandsHaveIsIgnoredAndAnUnknownOneIsAnErrorNamingTheLine() throws {
        // identities and digest belong to sign/encrypt; verify ignores them.
        var env = try xdgConfig("identities ~/.smime/keys\ndigest sha384\ntrust \(Habits.ca)\nno-system-trust\n")
        XCTAssertEqual(try verify([], env: env).status, 0)
        env = try xdgConfig("trust \(Habits.ca)\n# fine so far\nfrobnicate 3\n")
        let run = try verify([], env: env)
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.stderr, "smimekit: \(dir.path)/xdg/smimekit/config line 3: no smimekit command has an option --frobnicate\n")
        XCTAssertEqual(run.stdout, [])
    }

    func testFlagsAndValuesAreChecked() throws {
        var run = try verify([], env: try xdgConfig("no-system-trust yes\n"))
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("line 1: --no-system-trust is a flag and takes no value, not 'yes'"), run.stderr)
        run = try verify([], env: try xdgConfig("\n\ntrust\n"))
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("line 3: --trust needs a value"), run.stderr)
        run = try verify([], env: try xdgConfig("help\n"))
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("line 1: --help cannot be set in the config file"), run.stderr)
    }

    func testTildeIsTheHomeDirectoryAndHomeConfigIsTheFallback() throws {
        let home = dir.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".config/smimekit"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Habits.ca, toPath: home.appendingPathComponent("ca.pem").path)
        try Habits.write("trust ~/ca.pem\nno-system-trust\n", to: home.appendingPathComponent(".config/smimekit/config"))
        // XDG_CONFIG_HOME unset (empty is as good as relative: ignored), so ~/.config is read.
        let env = ["HOME": home.path, "XDG_CONFIG_HOME": ""]
        XCTAssertEqual(try verify([], env: env).status, 0)
        XCTAssertEqual(try verify(["--no-config"], env: env).status, 1)
    }

    func testSmimekitConfigNamesTheFileAndAMissingOneIsTrouble() throws {
        let file = dir.appendingPathComponent("mine.conf")
        try Habits.write("trust \(Habits.ca)\nno-system-trust\n", to: file)
        XCTAssertEqual(try verify([], env: ["SMIMEKIT_CONFIG": file.path]).status, 0)
        let missing = try verify([], env: ["SMIMEKIT_CONFIG": dir.appendingPathComponent("nope").path])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.hasPrefix("smimekit: \(dir.path)/nope (named by SMIMEKIT_CONFIG): no such file"), missing.stderr)
        // Set but empty: no config at all, even with a default file present.
        let env = try xdgConfig("frobnicate\n")
        XCTAssertEqual(try verify([], env: env.merging(["SMIMEKIT_CONFIG": ""]) { $1 }).status, 1)
    }

    func testTheConfigAppliesToEverySubcommandThatHasTheOption() throws {
        // status and query know --trust too; sign and decrypt do not, and still run.
        let env = try xdgConfig("trust \(Habits.ca)\nno-system-trust\n")
        let query = try CLI.run(["query", "--no-cache", "--at", Habits.at, "--has-verified-smime", Habits.example("signed.eml")], environment: env)
        XCTAssertEqual(query.status, 0, query.stderr)
        let decrypt = try CLI.run(["decrypt", "--key", Habits.example("alice.p12"), "--passin", "pass:example", Habits.example("encrypted.eml")], environment: env)
        XCTAssertEqual(decrypt.status, 0, decrypt.stderr)
    }
}
