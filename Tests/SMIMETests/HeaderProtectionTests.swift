import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// Verifying header protection (RFC 9788, and the older message/rfc822 and
/// protected-headers="v1" forms): the signer is bound to the protected From,
/// an outer From that differs fails, other differing fields are notes, and a
/// Legacy Display Element is recognised. Messages are made at test time.
final class HeaderProtectionTests: XCTestCase {
    private static let made = Result { try SenderLayerPKI(rootName: "Protection Root") }
    private var pki: SenderLayerPKI!

    override func setUpWithError() throws {
        pki = try Self.made.get()
    }

    private let alice = "Alice Example <alice@example.org>"
    private let eve = "Eve <eve@evil.example>"
    private let date = "Mon, 02 Mar 2026 10:00:00 +0000"

    /// The protected fields of a payload, and the outer header: each a list of (name, value).
    private func fields(from: String, subject: String = "Lunch on Friday", to: String = "Bob Example <bob@example.org>") -> [(String, String)] {
        [("From", from), ("To", to), ("Subject", subject), ("Date", date), ("Message-ID", "<hp-test@example.org>")]
    }

    private func block(_ fields: [(String, String)]) -> String {
        fields.map { "\($0.0): \($0.1)\r\n" }.joined()
    }

    /// A Cryptographic Payload: the protected fields, then a text body or a multipart/mixed
    /// with a Legacy Display Element first.
    private func payload(_ protected: [(String, String)], hp: String = "hp=\"clear\"", legacyDisplay: Bool = false,
                         hpOuter: [(String, String)] = []) -> [UInt8] {
        var s = block(protected) + hpOuter.map { "HP-Outer: \($0.0): \($0.1)\r\n" }.joined()
        if legacyDisplay {
            s += "Content-Type: multipart/mixed; boundary=\"lde\"; \(hp)\r\n\r\n--lde\r\n"
            s += "Content-Type: text/plain; charset=us-ascii; hp-legacy-display=\"1\"\r\nContent-Disposition: inline\r\n\r\n"
            s += protected.filter { ["Subject", "From"].contains($0.0) }.map { "\($0.0): \($0.1)\r\n" }.joined()
            s += "\r\n--lde\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee you at noon.\r\n--lde--\r\n"
        } else {
            s += "Content-Type: text/plain; charset=us-ascii; \(hp)\r\n\r\nSee you at noon.\r\n"
        }
        return Array(s.utf8)
    }

    private func message(_ outer: [(String, String)], _ entity: [UInt8]) -> [UInt8] {
        Array(block(outer).utf8) + entity
    }

    // MARK: Signed only, hp="clear"

    func testSignedClearVerifiesAndShowsTheProtectedFields() throws {
        for (detached, entity) in try pki.bothForms(payload(fields(from: alice)), by: pki.alice) {
            let m = message(fields(from: alice), entity)
            let r = pki.verify(m)
            XCTAssertEqual(r.status, .signedVerified, "\(r.problems)")
            XCTAssertEqual(r.headerProtection?.mode, "clear")
            XCTAssertEqual(r.headerProtection?.value("Subject"), "Lunch on Friday")
            XCTAssertEqual(r.headerProtection?.value("From"), alice)
            XCTAssertFalse(r.headerProtection?.fields.contains { $0.name.lowercased().hasPrefix("content-") } ?? true)
            XCTAssertTrue(r.notes.isEmpty, "\(r.notes)")
            if detached { try pki.assertSameStreamed(m) }
        }
    }

    func testOuterFromChangedAfterSigningFails() throws {
        // Alice signed a protected From: Alice; someone changed the outer From.
        let signed = try pki.detached(payload(fields(from: alice)), by: pki.alice)
        for outerFrom in [eve, "alice@example.org.evil.example", "\"Alice Example\" <eve@evil.example>", "bob@example.org"] {
            let m = message(fields(from: outerFrom), signed)
            let r = pki.verify(m)
            XCTAssertEqual(r.status, .signedFailed, outerFrom)
            XCTAssertTrue(r.problems.contains { $0.code == .protectedFromMismatch }, "\(outerFrom): \(r.problems)")
            // The signer is bound to the protected From, which is hers.
            XCTAssertFalse(r.problems.contains { $0.code == .senderMismatch }, "\(outerFrom): \(r.problems)")
            try pki.assertSameStreamed(m)
        }
        // Only the display name outside changed: the mailbox is the same, so a note.
        let renamed = pki.verify(message(fields(from: "Someone Else <alice@example.org>"), signed))
        XCTAssertEqual(renamed.status, .signedVerified, "\(renamed.problems)")
        XCTAssertTrue(renamed.notes.contains { $0.code == .protectedHeaderDiffers && $0.message.contains("From") }, "\(renamed.notes)")
    }

    func testProtectedFromThatIsNotTheSignerFails() throws {
        // Alice signs a payload whose protected From is Eve: whatever the outside says, it fails.
        for outerFrom in [eve, alice] {
            for (_, entity) in try pki.bothForms(payload(fields(from: eve)), by: pki.alice) {
                let r = pki.verify(message(fields(from: outerFrom), entity))
                XCTAssertEqual(r.status, .signedFailed)
                XCTAssertTrue(r.problems.contains { $0.code == .senderMismatch && $0.message.contains("eve@evil.example") }, "\(r.problems)")
            }
        }
    }

    func testOuterSubjectChangedIsANote() throws {
        let signed = try pki.detached(payload(fields(from: alice)), by: pki.alice)
        for (name, value) in [("Subject", "URGENT: pay now"), ("To", "mallory@evil.example"), ("Date", "Tue, 03 Mar 2026 10:00:00 +0000"), ("Message-ID", "<other@example.org>")] {
            var outer = fields(from: alice)
            outer = outer.map { $0.0 == name ? ($0.0, value) : $0 }
            let m = message(outer, signed)
            let r = pki.verify(m)
            XCTAssertEqual(r.status, .signedVerified, "\(name): \(r.problems)")
            let note = r.notes.first { $0.code == .protectedHeaderDiffers }
            XCTAssertNotNil(note, name)
            XCTAssertTrue(note?.message.contains("protected \(name)") ?? false, note?.message ?? "")
            XCTAssertEqual(r.notes.filter { $0.code == .protectedHeaderDiffers }.count, 1, "\(r.notes)")
            try pki.assertSameStreamed(m)
        }
        // The same Date in another zone is the same instant: no note.
        var outer = fields(from: alice)
        outer = outer.map { $0.0 == "Date" ? ("Date", "Mon, 02 Mar 2026 11:00:00 +0100") : $0 }
        XCTAssertTrue(pki.verify(message(outer, signed)).notes.isEmpty)
    }

    // MARK: Encrypted, hp="cipher"

    func testEncryptedCipherWithObscuredSubject() throws {
        var outer = fields(from: alice, subject: "[...]")
        let hpOuter = outer
        for legacy in [false, true] {
            let inner = payload(fields(from: alice), hp: "hp=\"cipher\"", legacyDisplay: legacy, hpOuter: hpOuter)
            for (_, signed) in try pki.bothForms(inner, by: pki.alice) {
                let r = pki.verify(message(outer, try pki.encrypted(signed)))
                XCTAssertEqual(r.status, .encryptedSignedVerified, "\(r.problems)")
                XCTAssertEqual(r.headerProtection?.mode, "cipher")
                XCTAssertEqual(r.headerProtection?.value("Subject"), "Lunch on Friday")
                XCTAssertEqual(r.headerProtection?.legacyDisplayElement, legacy)
                XCTAssertEqual(r.headerProtection?.outerAsSent.first { $0.name == "Subject" }?.value, "[...]")
                let note = r.notes.first { $0.code == .protectedHeaderDiffers }
                XCTAssertTrue(note?.message.contains("on purpose") ?? false, "\(r.notes)")
            }
        }
        // The outer Subject changed on the way: it matches neither the protected one nor HP-Outer.
        outer = outer.map { $0.0 == "Subject" ? ("Subject", "Invoice attached") : $0 }
        let inner = payload(fields(from: alice), hp: "hp=\"cipher\"", hpOuter: hpOuter)
        let r = pki.verify(message(outer, try pki.encrypted(try pki.detached(inner, by: pki.alice))))
        XCTAssertEqual(r.status, .encryptedSignedVerified)
        XCTAssertTrue(r.notes.contains { $0.code == .protectedHeaderDiffers && $0.message.contains("changed on the way") }, "\(r.notes)")
        // An outer From changed on an encrypted message fails as well.
        let forged = fields(from: eve, subject: "[...]")
        let f = pki.verify(message(forged, try pki.encrypted(try pki.detached(inner, by: pki.alice))))
        XCTAssertEqual(f.status, .encryptedSignedFailed)
        XCTAssertTrue(f.problems.contains { $0.code == .protectedFromMismatch }, "\(f.problems)")
    }

    func testLegacyDisplayElementIsNotUnsignedContent() throws {
        let inner = payload(fields(from: alice), hp: "hp=\"clear\"", legacyDisplay: true)
        let m = message(fields(from: alice), try pki.detached(inner, by: pki.alice))
        let r = pki.verify(m)
        XCTAssertEqual(r.status, .signedVerified, "\(r.problems)")
        XCTAssertEqual(r.headerProtection?.legacyDisplayElement, true)
        XCTAssertFalse(r.problems.contains { $0.code == .partialSignature })
        // Without header protection the same text part is an ordinary part, not a display element.
        let plain = String(decoding: inner, as: UTF8.self).replacingOccurrences(of: "; hp=\"clear\"", with: "")
        let r2 = pki.verify(message(fields(from: alice), try pki.detached(Array(plain.utf8), by: pki.alice)))
        XCTAssertNil(r2.headerProtection)
    }

    // MARK: The older forms

    func testLegacyProtectedHeadersV1() throws {
        var s = block(fields(from: alice))
        s += "Content-Type: multipart/mixed; boundary=\"v1\"; protected-headers=\"v1\"\r\n\r\n--v1\r\n"
        s += "Content-Type: text/rfc822-headers; protected-headers=\"v1\"\r\nContent-Disposition: inline\r\n\r\nSubject: Lunch on Friday\r\n"
        s += "\r\n--v1\r\nContent-Type: text/plain\r\n\r\nSee you.\r\n--v1--\r\n"
        let signed = try pki.detached(Array(s.utf8), by: pki.alice)
        let r = pki.verify(message(fields(from: alice, subject: "..."), signed))
        XCTAssertEqual(r.status, .signedVerified, "\(r.problems)")
        XCTAssertEqual(r.headerProtection?.mode, "v1")
        XCTAssertEqual(r.headerProtection?.legacyDisplayElement, true)
        XCTAssertTrue(r.notes.contains { $0.code == .protectedHeaderDiffers && $0.message.contains("Subject") })
        let forged = pki.verify(message(fields(from: eve, subject: "..."), signed))
        XCTAssertTrue(forged.problems.contains { $0.code == .protectedFromMismatch }, "\(forged.problems)")
    }

    func testRFC822WrappingShowsItsHeaders() throws {
        let inner = Array(("Content-Type: message/rfc822; forwarded=no\r\n\r\n" + block(fields(from: alice)) + "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHi.\r\n").utf8)
        let m = message(fields(from: alice, subject: "wrapper"), try pki.detached(inner, by: pki.alice))
        let r = pki.verify(m)
        XCTAssertEqual(r.status, .signedVerified, "\(r.problems)")
        XCTAssertEqual(r.headerProtection?.mode, "rfc822")
        XCTAssertEqual(r.headerProtection?.value("Subject"), "Lunch on Friday")
        try pki.assertSameStreamed(m)
    }

    func testMarkOutsideThePayloadIsNotProtection() throws {
        // hp on the multipart/signed itself, or on a part below the payload root, protects nothing.
        let signed = try pki.detached(Array((block(fields(from: eve)) + "Content-Type: text/plain\r\n\r\nHi.\r\n").utf8), by: pki.alice)
        let text = String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "Content-Type: multipart/signed;", with: "Content-Type: multipart/signed; hp=\"clear\";")
        let r = pki.verify(message(fields(from: alice), Array(text.utf8)))
        XCTAssertNil(r.headerProtection)
        // The From inside is then an inner From that differs: never a replacement.
        XCTAssertTrue(r.problems.contains { $0.code == .innerFromMismatch }, "\(r.problems)")
    }
}
