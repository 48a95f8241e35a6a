import Foundation
import MailScan
import XCTest

/// What the command line handed to the engine: the config file's rules, the atomic write.
final class ConfigFileEngineTests: XCTestCase {
    let table = ConfigFile.OptionTable(commands: ["verify": ["trust": true, "online": false], "sign": ["key": true]])

    func temp(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "cfg-\(UUID().uuidString)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testParse() throws {
        let e = try ConfigFile.parse("# c\n\n--trust \"~/r.pem\"\r\nonline\n", path: "f", env: ["HOME": "/h"])
        XCTAssertEqual(e, [.init(line: 3, name: "trust", value: "/h/r.pem"), .init(line: 4, name: "online", value: nil)])
        XCTAssertThrowsError(try ConfigFile.parse("--\n", path: "f", env: [:])) { XCTAssertEqual("\($0)", "f line 1: no option name") }
    }

    func testLocation() {
        XCTAssertNil(ConfigFile.location(["SMIMEKIT_CONFIG": ""]))
        XCTAssertEqual(ConfigFile.location(["SMIMEKIT_CONFIG": "~/c", "HOME": "/h"])?.path, "/h/c")
        XCTAssertEqual(ConfigFile.location(["XDG_CONFIG_HOME": "rel", "HOME": "/h"])?.path, "/h/.config/smimekit/config")
        XCTAssertEqual(ConfigFile.location(["XDG_CONFIG_HOME": "/x"])?.path, "/x/smimekit/config")
    }

    func testApplyPlacesOptionsAfterTheSubcommand() throws {
        let path = try temp("trust /r.pem\nonline\nkey k.pem\n")
        var asked = 0
        let out = try ConfigFile.apply(to: ["verify", "m.eml"], env: ["SMIMEKIT_CONFIG": path], table: { asked += 1; return self.table })
        XCTAssertEqual(out, ["verify", "--trust=/r.pem", "--online", "m.eml"])
        XCTAssertEqual(asked, 1)
        XCTAssertEqual(try ConfigFile.apply(to: ["verify", "--no-config"], env: ["SMIMEKIT_CONFIG": path], table: { self.table }), ["verify", "--no-config"])
    }

    func testApplyErrors() throws {
        let unknown = try temp("bogus 1\n")
        XCTAssertThrowsError(try ConfigFile.apply(to: ["verify"], env: ["SMIMEKIT_CONFIG": unknown], table: { self.table })) {
            XCTAssertEqual("\($0)", "\(unknown) line 1: no smimekit command has an option --bogus")
        }
        let flagValue = try temp("online yes\n")
        XCTAssertThrowsError(try ConfigFile.apply(to: ["verify"], env: ["SMIMEKIT_CONFIG": flagValue], table: { self.table })) {
            XCTAssertTrue("\($0)".contains("is a flag and takes no value"))
        }
        XCTAssertThrowsError(try ConfigFile.apply(to: ["verify"], env: ["SMIMEKIT_CONFIG": "/nonexistent/cfg"], table: { self.table })) {
            XCTAssertTrue("\($0)".contains("no such file"))
        }
    }
}

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesWholeAndLeavesNoTemporary() throws {
        let dir = NSTemporaryDirectory() + "atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/out.eml"
        try AtomicFile.write(Array("old".utf8), to: path)
        try AtomicFile.write(Array("new bytes".utf8), to: path)
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data("new bytes".utf8))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.eml"])
        XCTAssertNil(InterruptCleanup.tracked)
    }

    func testWriteNewRefusesAnExistingFile() throws {
        let path = NSTemporaryDirectory() + "atomic-\(UUID().uuidString)"
        try AtomicFile.writeNew([1, 2, 3], to: path, mode: 0o600)
        defer { unlink(path) }
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int), 0o600)
        XCTAssertThrowsError(try AtomicFile.writeNew([4], to: path)) { error in
            XCTAssertEqual((error as? AtomicFile.Failure)?.created, false)
        }
        XCTAssertEqual(FileManager.default.contents(atPath: path), Data([1, 2, 3]))
    }

    func testUnwritableDirectory() {
        XCTAssertThrowsError(try AtomicFile.write([1], to: "/nonexistent-dir/x")) { error in
            let f = error as? AtomicFile.Failure
            XCTAssertEqual(f?.path, "/nonexistent-dir/x")
            XCTAssertEqual(f?.created, false)
        }
    }

    func testTrackHoldsOnePath() {
        InterruptCleanup.track("/tmp/a")
        XCTAssertEqual(InterruptCleanup.tracked, "/tmp/a")
        InterruptCleanup.track(nil)
        XCTAssertNil(InterruptCleanup.tracked)
    }
}

/// One reading of maildir flags for query and the JMAP server.
final class MaildirFlagsPathTests: XCTestCase {
    func testKeywordsOfAPath() {
        XCTAssertEqual(MaildirFlags.keywords(path: "/m/cur/1.x:2,FRSTa"), ["$flagged", "$answered", "$seen"])
        XCTAssertEqual(MaildirFlags.keywords(path: "/m/new/1.x"), [])
        XCTAssertEqual(MaildirFlags.keywords(path: "/m:2,S/cur/1.x"), [])
    }
}
