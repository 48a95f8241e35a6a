import Foundation
import TestSupport
import XCTest

/// issue 13 item 12: a key that needs a password none was given for is asked
/// for on the terminal (no echo), as openssl and gpgsm do; without a terminal
/// the error says what to do, and "wrong password" is kept for a given one.
final class PasswordPromptTests: XCTestCase {
    let key = Habits.example("alice.p12")
    let encrypted = Habits.example("encrypted.eml")

    /// setsid: a new session has no controlling terminal, so /dev/tty cannot be opened
    /// even when the tests themselves run in one.
    func withoutTerminal(_ command: String) throws -> CLI.Run {
        try CLI.run(["setsid -w " + command], shell: true)
    }

    func testWithoutATerminalTheErrorSaysToGivePassin() throws {
        for command in ["smimekit decrypt --key \(key) \(encrypted)",
                        "smimekit verify --no-cache --decrypt-key \(key) \(encrypted)",
                        "smimekit sign --key \(key) \(Habits.example("unsigned.eml"))"] {
            let run = try withoutTerminal(command)
            XCTAssertEqual(run.status, 2, command)
            XCTAssertTrue(run.stderr.contains("\(key) needs a password: give --passin or run on a terminal"), "\(command): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("wrong password"), "no password was given, so none was wrong: \(run.stderr)")
            XCTAssertTrue(run.stderr.hasPrefix("smimekit: "), run.stderr)
        }
    }

    func testAnEncryptedPEMKeyNeedsAPasswordToo() throws {
        let dir = try Habits.temporaryDirectory("pem")
        defer { try? FileManager.default.removeItem(at: dir) }
        let pem = dir.appendingPathComponent("alice.key").path
        try OpenSSLTool(workingDirectory: dir).run(["pkcs12", "-in", key, "-nocerts", "-passin", "pass:example", "-passout", "pass:secret", "-out", pem])
        let command = "smimekit decrypt --key \(pem) --cert \(Habits.example("alice.pem")) \(encrypted)"
        let none = try withoutTerminal(command)
        XCTAssertEqual(none.status, 2)
        XCTAssertTrue(none.stderr.contains("\(pem) needs a password: give --passin or run on a terminal"), none.stderr)
        let wrong = try withoutTerminal(command + " --passin pass:example")
        XCTAssertTrue(wrong.stderr.contains("\(pem): wrong password"), wrong.stderr)
        let right = try withoutTerminal(command + " --passin pass:secret")
        XCTAssertEqual(right.status, 0, right.stderr)
        XCTAssertTrue(right.text.contains("Hi Alice"))
    }

    func testAWrongPasswordGivenIsCalledWrong() throws {
        let run = try withoutTerminal("smimekit decrypt --key \(key) --passin pass:nope \(encrypted)")
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("\(key): wrong password"), run.stderr)
    }

    func testADirectoryOfLockedKeysWarnsAndGoesOn() throws {
        let dir = try Habits.temporaryDirectory("identities")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: key, toPath: dir.appendingPathComponent("alice.p12").path)
        let run = try withoutTerminal("smimekit sign --identities \(dir.path) \(Habits.example("unsigned.eml"))")
        XCTAssertEqual(run.status, 2, "no usable identity is left")
        XCTAssertTrue(run.stderr.contains("\(dir.path)/alice.p12 needs a password: give --passin or run on a terminal; skipped"), run.stderr)
    }

    /// script(1) runs the command on a pseudo-terminal; the password is typed after the prompt.
    func testOnATerminalThePasswordIsAskedForWithoutEcho() throws {
        guard try CLI.run(["command -v script >/dev/null"], shell: true).status == 0 else {
            throw XCTSkip("script(1) is not installed (scripts/setup --for-tests installs bsdutils)")
        }
        let dir = try Habits.temporaryDirectory("prompt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("plain.eml").path
        // The sleep lets smimekit turn echo off before the password arrives.
        let run = try CLI.run(["(sleep 2; printf 'example\\n') | script -qec \"smimekit decrypt --key \(key) \(encrypted) -o \(out)\" /dev/null"], shell: true)
        XCTAssertEqual(run.status, 0, run.text + run.stderr)
        XCTAssertTrue(run.text.contains("Enter the password of \(key): "), run.text)
        XCTAssertFalse(run.text.contains("example\r"), "the password must not be echoed: \(run.text)")
        XCTAssertTrue(try String(contentsOfFile: out, encoding: .utf8).contains("Hi Alice"))

        // A wrong one typed is wrong, and nothing is written.
        let wrong = try CLI.run(["(sleep 2; printf 'nope\\n') | script -qec \"smimekit decrypt --key \(key) \(encrypted) -o \(out).2\" /dev/null"], shell: true)
        XCTAssertTrue(wrong.text.contains("\(key): wrong password"), wrong.text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + ".2"))
    }
}
