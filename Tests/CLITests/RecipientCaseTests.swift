import Foundation
import TestSupport
import XCTest

/// issue 13 item 13: a recipient whose certificate names the address with another
/// case in the local part is told so, not sent to --recipient-cert.
final class RecipientCaseTests: XCTestCase {
    func testACaseDifferenceInTheLocalPartIsExplained() throws {
        let dir = try Habits.temporaryDirectory("recipients")
        defer { try? FileManager.default.removeItem(at: dir) }
        // alice.pem names alice@example.org; every variant differs only in case.
        for variant in ["Alice@example.org", "ALICE@example.org", "alicE@EXAMPLE.org"] {
            let message = dir.appendingPathComponent("m.eml")
            try Habits.write("From: alice@example.org\r\nTo: \(variant)\r\nSubject: hi\r\n\r\nhello\r\n", to: message)
            let run = try CLI.run(["encrypt", "--recipient-cert", Habits.example("alice.pem"), message.path])
            XCTAssertEqual(run.status, 2, variant)
            XCTAssertTrue(run.stderr.contains("\(variant) (To): the certificate Alice Example names alice@example.org; local parts are case-sensitive"), "\(variant): \(run.stderr)")
            XCTAssertFalse(run.stderr.contains("give --recipient-cert"), run.stderr)
        }
        // The domain is case-insensitive: that is a match, not a near miss.
        let message = dir.appendingPathComponent("ok.eml")
        try Habits.write("From: alice@example.org\r\nTo: alice@EXAMPLE.ORG\r\nSubject: hi\r\n\r\nhello\r\n", to: message)
        let ok = try CLI.run(["encrypt", "--recipient-cert", Habits.example("alice.pem"), message.path])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        // Someone else entirely still gets the old advice.
        try Habits.write("From: alice@example.org\r\nTo: carol@example.org\r\nSubject: hi\r\n\r\nhello\r\n", to: message)
        let other = try CLI.run(["encrypt", "--recipient-cert", Habits.example("alice.pem"), message.path])
        XCTAssertTrue(other.stderr.contains("carol@example.org (To): no certificate for this address (add one to --recipients or give --recipient-cert)"), other.stderr)
    }
}
