import Foundation
import TestSupport
import XCTest

/// issue 13 item 5: query's text, body and attachment conditions look inside
/// opaque signed content (no key needed) and, with --decrypt-key, inside
/// encrypted content; where they cannot look, one warning says how many
/// messages and why.
final class QueryInsideSMIMETests: XCTestCase {
    nonisolated(unsafe) static var pki: SigningPKI!

    override class func setUp() {
        super.setUp()
        pki = try? SigningPKI()
    }

    private var pki: SigningPKI { get throws { try XCTUnwrap(Self.pki, "the test PKI could not be made") } }

    private let needle = "Zanzibar"
    private var spec: MessageSpec {
        MessageSpec(subject: "no word of it here", content: MessageSpec.textPart("The treasure is buried on \(needle).\r\n"))
    }

    private func warnings(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("smimekit: warning:") }
    }

    func testOpaqueSignedContentIsSearchedWithoutAKey() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        let opaque = try runner.write(try pki.factory.sign(spec, signer: pki.alice, detached: false), "opaque.eml")
        let detached = try runner.write(try pki.factory.sign(spec, signer: pki.alice), "detached.eml")
        let other = try runner.write(try pki.factory.sign(MessageSpec(), signer: pki.alice, detached: false), "other.eml")
        for condition in ["--text", "--body"] {
            let r = try runner.run(["query", "--no-cache", condition, needle, opaque, detached, other], useStore: false)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.lines, [opaque, detached], condition)
            XCTAssertEqual(warnings(r.stderr), [], "nothing was hidden: \(r.stderr)")
            // NOT inverts it: the opaque one is no longer a silent non-match.
            let not = try runner.run(["query", "--no-cache", "--filter", #"{"operator":"NOT","conditions":[{"body":"\#(needle)"}]}"#,
                                      opaque, detached, other], useStore: false)
            XCTAssertEqual(not.lines, [other], not.stderr)
        }
        // An attachment inside opaque signed content is an attachment.
        let attached = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
            + "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"map.pdf\"\r\n\r\n%PDF-1.4\r\n--b--\r\n"
        let withAttachment = try runner.write(try pki.factory.sign(MessageSpec(content: Array(attached.utf8)), signer: pki.alice, detached: false), "att.eml")
        let a = try runner.run(["query", "--no-cache", "--has-attachment", withAttachment, opaque], useStore: false)
        XCTAssertEqual(a.lines, [withAttachment], a.stderr)
    }

    func testEncryptedContentIsSearchedWithAKeyAndCountedWithoutOne() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        let p12 = try pki.factory.pkcs12(pki.alice, password: "pw")
        let carolP12 = try pki.factory.pkcs12(pki.carol, password: "pw")
        let encrypted = try runner.write(try pki.factory.encrypt(spec, to: [pki.alice]), "enc.eml")
        let signedThenEncrypted = try runner.write(try pki.factory.signAndEncrypt(spec, signer: pki.alice, to: [pki.alice], detached: false), "se.eml")
        let plain = try runner.write(MessageSpec().unsigned, "plain.eml")
        let paths = [encrypted, signedThenEncrypted, plain]

        let withKey = try runner.run(["query", "--no-cache", "--body", needle, "--decrypt-key", p12.path, "--passin", "pass:pw"] + paths, useStore: false)
        XCTAssertEqual(withKey.lines, [encrypted, signedThenEncrypted], withKey.stderr)
        XCTAssertEqual(warnings(withKey.stderr), [])

        let without = try runner.run(["query", "--no-cache", "--body", needle] + paths, useStore: false)
        XCTAssertEqual(without.status, 1)
        XCTAssertEqual(warnings(without.stderr), [
            "smimekit: warning: 2 messages could not be searched in full for --text, --body or --has-attachment: 2 encrypted (give --decrypt-key to search inside)",
        ])

        let wrongKey = try runner.run(["query", "--no-cache", "--text", needle, "--decrypt-key", carolP12.path, "--passin", "pass:pw"] + paths, useStore: false)
        XCTAssertEqual(wrongKey.status, 1)
        XCTAssertEqual(warnings(wrongKey.stderr).count, 1, wrongKey.stderr)
        XCTAssertTrue(wrongKey.stderr.contains("2 encrypted for a key not given with --decrypt-key"), wrongKey.stderr)

        // A header that answers the condition needs no look inside: nothing to warn about.
        let header = try runner.run(["query", "--no-cache", "--text", "no word"] + paths, useStore: false)
        XCTAssertEqual(header.lines, [encrypted, signedThenEncrypted], header.stderr)
        XCTAssertEqual(warnings(header.stderr), [])
    }

    /// Encrypted without a key, too large, unreadable: one warning line for the run, with each count.
    func testOneWarningForTheWholeRun() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try self.pki
        var paths: [String] = []
        for i in 0..<3 { paths.append(try runner.write(try pki.factory.encrypt(spec, to: [pki.alice]), "enc\(i).eml")) }
        let big = MessageSpec(content: MessageSpec.textPart(String(repeating: "filler text line\r\n", count: 2000)))
        paths.append(try runner.write(big.unsigned, "big.eml"))
        let broken = "From: a@example.org\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\nTm90IENNUyBhdCBhbGw=\r\n"
        paths.append(try runner.write(Array(broken.utf8), "broken.eml"))
        let r = try runner.run(["query", "--no-cache", "--max-in-memory-size", "10000", "--body", needle] + paths, useStore: false)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(warnings(r.stderr), [
            "smimekit: warning: 5 messages could not be searched in full for --text, --body or --has-attachment: "
                + "3 encrypted (give --decrypt-key to search inside), 1 with S/MIME content that could not be read, "
                + "1 larger than --max-in-memory-size (only its header was searched)",
        ])
    }
}
