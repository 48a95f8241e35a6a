import MIME
@testable import SMIME
import XCTest

final class SenderCheckTests: XCTestCase {
    func testAddressComparison() {
        XCTAssertEqual(EmailAddress("alice@EXAMPLE.org"), EmailAddress("alice@example.org"))
        XCTAssertNotEqual(EmailAddress("Alice@example.org"), EmailAddress("alice@example.org"), "local parts compare exactly")
        XCTAssertEqual(EmailAddress("bob@xn--bcher-kva.example"), EmailAddress("bob@bücher.example"))
        XCTAssertEqual(EmailAddress("bob@XN--BCHER-KVA.example"), EmailAddress("bob@BÜCHER.example"))
        XCTAssertNotEqual(EmailAddress("alice@example.org"), EmailAddress("аlice@example.org"), "Cyrillic a is another address")
        XCTAssertNil(EmailAddress("no-at-sign"))
        XCTAssertNil(EmailAddress("@example.org"))
        XCTAssertNil(EmailAddress("alice@"))
    }

    /// Plain ASCII addresses take a byte-level path; it must read them as the general one does.
    func testASCIIAddressesReadAsTheGeneralPathDoes() throws {
        let a = try XCTUnwrap(EmailAddress(" \t<Alice@Example.ORG>\t "))
        XCTAssertEqual(a.local, "Alice")
        XCTAssertEqual(a.domain, "example.org")
        XCTAssertEqual(a.original, "Alice@Example.ORG")
        let quoted = try XCTUnwrap(EmailAddress("\"a\\\"b\"@x.example"))
        XCTAssertEqual(quoted.local, "a\"b")
        XCTAssertEqual(EmailAddress("\"a\\\"b\"@x.example"), EmailAddress("a\"b@x.example"))
        XCTAssertEqual(EmailAddress("a@b@c.example")?.local, "a@b", "the last @ splits")
        XCTAssertNil(EmailAddress("<>"))
        XCTAssertNil(EmailAddress("a@exa mple.org"))
        XCTAssertNil(EmailAddress("a\u{01}@example.org"))
        XCTAssertNil(EmailAddress("a@example.org\r\n"))
        XCTAssertEqual(EmailAddress("<a@example.org"), EmailAddress("<a@example.org"), "an unpaired < stays part of the local part")
        XCTAssertEqual(EmailAddress("<a@example.org")?.local, "<a")
        // An A-label in any label and case goes to the IDNA path.
        XCTAssertEqual(EmailAddress("bob@mail.XN--BCHER-KVA.example")?.domain, "mail.bücher.example")
        XCTAssertNil(EmailAddress("bob@xn--!!!.example"), "an A-label that is not Punycode")
        XCTAssertEqual(EmailAddress("bob@axn--b.example")?.domain, "axn--b.example", "xn-- inside a label is no A-label")
    }

    func testIDNA() {
        XCTAssertEqual(try? IDNA.unicodeDomain("xn--bcher-kva").get(), "bücher")
        XCTAssertEqual(try? IDNA.unicodeDomain("xn--mnchen-3ya.example").get(), "münchen.example")
        XCTAssertNil(try? IDNA.unicodeDomain("xn--!!!").get())
        // Hostile input must not trap.
        _ = IDNA.unicodeDomain("xn--" + String(repeating: "z", count: 5000))
        _ = IDNA.unicodeDomain("xn--zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz.example")
    }

    func testMismatchAndDisplayNameSpoof() {
        let ok = SenderCheck.check(from: Mailbox(name: "Alice", email: "alice@example.org"),
                                   certificateAddresses: ["alice@example.org"], signerName: "Alice", layer: 0)
        XCTAssertEqual(ok, [])
        let other = SenderCheck.check(from: Mailbox(name: nil, email: "bob@example.org"),
                                      certificateAddresses: ["alice@example.org"], signerName: "Alice", layer: 0)
        XCTAssertEqual(other.map(\.code), [.senderMismatch])
        XCTAssertTrue(other[0].message.contains("bob@example.org") && other[0].message.contains("alice@example.org"))
        let spoof = SenderCheck.check(from: Mailbox(name: "alice@bank.example", email: "eve@evil.example"),
                                      certificateAddresses: ["eve@evil.example"], signerName: "Eve", layer: 0)
        XCTAssertEqual(spoof.map(\.code), [.displayNameSpoof])
        let none = SenderCheck.check(from: Mailbox(name: nil, email: "alice@example.org"),
                                     certificateAddresses: [], signerName: "X", layer: 0)
        XCTAssertEqual(none.map(\.code), [.certificateWithoutAddress])
    }

    func message(_ headers: String) throws -> Message {
        try Message(bytes: Array((headers + "\r\n\r\nbody\r\n").utf8))
    }

    func testFromHeaderShapes() throws {
        let two = try message("From: a@example.org\r\nFrom: b@example.org")
        XCTAssertEqual(SenderCheck.fromMailbox(of: two, header: two.root, layer: 0).1.map(\.code), [.fromMultipleFields])
        let many = try message("From: a@example.org, b@example.org")
        XCTAssertEqual(SenderCheck.fromMailbox(of: many, header: many.root, layer: 0).1.map(\.code), [.fromMultipleMailboxes])
        let empty = try message("From: ")
        XCTAssertEqual(SenderCheck.fromMailbox(of: empty, header: empty.root, layer: 0).1.map(\.code), [.fromInvalid])
        let none = try message("To: a@example.org")
        XCTAssertEqual(SenderCheck.fromMailbox(of: none, header: none.root, layer: 0).1.map(\.code), [.fromMissing])
        let encoded = try message("From: =?utf-8?q?Al=C3=AFce?= <alice@EXAMPLE.org>")
        let (m, p) = SenderCheck.fromMailbox(of: encoded, header: encoded.root, layer: 0)
        XCTAssertEqual(p, [])
        XCTAssertEqual(m?.name, "Alïce")
        XCTAssertEqual(m.map { SenderCheck.check(from: $0, certificateAddresses: ["alice@example.org"], signerName: "A", layer: 0) }, [])
    }
}
