import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// Spoofing through the layers of a message (issue 11, items 4, 5 and 12):
/// a From inside decrypted or signed content, a signed message/rfc822, and
/// signed parts whose label hides them from the partial-signing detector.
/// Every message is made with openssl at test time; the streamed path must
/// give the in-memory answer for every one it can read.
final class SpoofingLayerTests: XCTestCase {
    private static let made = Result { try SenderLayerPKI(rootName: "Layer Root") }
    private var pki: SenderLayerPKI!

    override func setUpWithError() throws {
        pki = try Self.made.get()
    }

    private let aliceFrom = "Alice Example <alice@example.org>"
    private let eveFrom = "Eve <eve@evil.example>"

    // MARK: Controls

    func testControlsVerify() throws {
        let content = text("Lunch at noon?")
        for entity in [try pki.detached(content, by: pki.alice), try pki.opaque(content, by: pki.alice)] {
            try assertVerified(message(from: aliceFrom, entity), .signedVerified)
            try assertVerified(message(from: aliceFrom, try pki.encrypted(entity)), .encryptedSignedVerified)
            // An inner From naming the same mailbox (other spelling, other display name) is no conflict.
            for same in ["alice@example.org", "\"Alice E.\" <alice@EXAMPLE.org>", "Alice Example <alice@example.org>"] {
                try assertVerified(message(from: aliceFrom, try pki.encrypted(field("From", same) + entity)), .encryptedSignedVerified)
            }
        }
    }

    // MARK: 4. A From inside decrypted content never replaces the outer From

    func testInnerFromAfterDecryptionWithTheInnerSignerFails() throws {
        // Outer From Alice; inside the envelope From Eve and Eve's signature. Eve's certificate is
        // valid, so a walk that takes the inner From as the sender verifies it.
        let content = text("Please wire the money to Eve.")
        for entity in [try pki.detached(content, by: pki.eve), try pki.opaque(content, by: pki.eve)] {
            for innerFrom in [eveFrom, "eve@evil.example", "\"Alice Example\" <eve@evil.example>", "=?utf-8?Q?Alice?= <eve@evil.example>"] {
                let m = try message(from: aliceFrom, try pki.encrypted(field("From", innerFrom) + entity))
                let r = pki.verify(m)
                assertFailed(r, .innerFromMismatch, status: .encryptedSignedFailed, innerFrom)
                assertHas(r, .senderMismatch, innerFrom)
            }
        }
    }

    func testInnerFromAfterDecryptionNamingTheSignerFails() throws {
        // Outer From Eve (what the reader shows); inside, From Alice and Alice's signature.
        let content = text("I agree to everything Eve says.")
        for entity in [try pki.detached(content, by: pki.alice), try pki.opaque(content, by: pki.alice)] {
            let m = try message(from: eveFrom, try pki.encrypted(field("From", aliceFrom) + entity))
            let r = pki.verify(m)
            assertFailed(r, .innerFromMismatch, status: .encryptedSignedFailed)
            assertHas(r, .senderMismatch)
        }
    }

    func testInnerFromAfterDecryptionDiffersFromTheSigner() throws {
        // The signer is the outer sender, but the decrypted content names someone else.
        let content = text("Hello Bob.")
        for entity in [try pki.detached(content, by: pki.alice), try pki.opaque(content, by: pki.alice)] {
            for innerFrom in [eveFrom, "bob@example.org", "alice@example.org, eve@evil.example"] {
                let m = try message(from: aliceFrom, try pki.encrypted(field("From", innerFrom) + entity))
                assertFailed(pki.verify(m), .innerFromMismatch, status: .encryptedSignedFailed, innerFrom)
            }
            // Two From fields inside, one of them the outer one.
            let two = field("From", aliceFrom) + field("From", eveFrom) + entity
            assertFailed(pki.verify(try message(from: aliceFrom, try pki.encrypted(two))), .innerFromMismatch, status: .encryptedSignedFailed)
        }
    }

    func testInnerFromInsideSignedContentDiffers() throws {
        // No envelope: the signed entity itself carries a From (without header protection).
        for innerFrom in [eveFrom, "bob@example.org"] {
            let content = field("From", innerFrom) + text("Hello Bob.")
            for (isDetached, entity) in try pki.bothForms(content, by: pki.alice) {
                let m = try message(from: aliceFrom, entity)
                assertFailed(pki.verify(m), .innerFromMismatch, innerFrom)
                // Opaque signed data is not read when streamed (messageTooLarge): compare multipart/signed only.
                if isDetached { try assertSameStreamed(m) }
            }
        }
        // The same mailbox inside is fine.
        let same = try pki.detached(field("From", "alice@example.org") + text("Hello Bob."), by: pki.alice)
        try assertVerified(message(from: aliceFrom, same), .signedVerified)
        try assertSameStreamed(try message(from: aliceFrom, same))
    }

    // MARK: 5. A signed message/rfc822 binds the signer to the inner message

    func testSignedRFC822FromAnotherSenderFails() throws {
        // Eve signs, outer From Eve, the wrapped message says From Alice: readers show Alice.
        for type in ["message/rfc822", "message/rfc822; forwarded=no", "Message/RFC822"] {
            let wrapped = rfc822(type, from: aliceFrom, body: "Transfer the money to Eve.")
            for (isDetached, entity) in try pki.bothForms(wrapped, by: pki.eve) {
                let m = try message(from: eveFrom, entity)
                let r = pki.verify(m)
                assertFailed(r, .protectedFromMismatch, type)
                assertHas(r, .senderMismatch, type)
                if isDetached { try assertSameStreamed(m) }
            }
        }
    }

    func testSignedRFC822BindsTheInnerFromEvenWhenTheOuterMatches() throws {
        // Outer From Eve matches Eve's certificate; the inner From Alice is what is shown.
        let wrapped = rfc822("message/rfc822", from: aliceFrom, body: "Hi.")
        let m = try message(from: eveFrom, try pki.detached(wrapped, by: pki.eve))
        assertHas(pki.verify(m), .senderMismatch)
        // Outer From Alice, inner From Alice, Eve signs: the inner binding catches her.
        let m2 = try message(from: aliceFrom, try pki.detached(wrapped, by: pki.eve))
        let r2 = pki.verify(m2)
        assertFailed(r2, .senderMismatch)
        XCTAssertFalse(r2.problems.contains { $0.code == .protectedFromMismatch }, "\(r2.problems)")
        try assertSameStreamed(m2)
        // Outer From Alice, inner From Eve, Alice signs.
        let toEve = rfc822("message/rfc822", from: eveFrom, body: "Hi.")
        for (isDetached, entity) in try pki.bothForms(toEve, by: pki.alice) {
            let m3 = try message(from: aliceFrom, entity)
            let r3 = pki.verify(m3)
            assertFailed(r3, .protectedFromMismatch)
            assertHas(r3, .senderMismatch)
            if isDetached { try assertSameStreamed(m3) }
        }
    }

    func testSignedRFC822ByTheSenderVerifies() throws {
        let wrapped = rfc822("message/rfc822; forwarded=no", from: "alice@example.org", body: "All fine.")
        for (isDetached, entity) in try pki.bothForms(wrapped, by: pki.alice) {
            let m = try message(from: aliceFrom, entity)
            try assertVerified(m, .signedVerified)
            if isDetached { try assertSameStreamed(m) }
            try assertVerified(message(from: aliceFrom, try pki.encrypted(entity)), .encryptedSignedVerified)
        }
    }

    func testSignedRFC822AfterDecryption() throws {
        let wrapped = rfc822("message/rfc822", from: aliceFrom, body: "Transfer the money to Eve.")
        for entity in [try pki.detached(wrapped, by: pki.eve), try pki.opaque(wrapped, by: pki.eve)] {
            let r = pki.verify(try message(from: eveFrom, try pki.encrypted(entity)))
            assertFailed(r, .protectedFromMismatch, status: .encryptedSignedFailed)
            assertHas(r, .senderMismatch)
        }
        // The decrypted content is itself the wrapped message, signed inside by Eve as Alice.
        let inner = try message(from: aliceFrom, try pki.detached(text("Pay Eve."), by: pki.eve))
        let envelope = try pki.encrypted(Array("Content-Type: message/rfc822\r\n\r\n".utf8) + inner)
        let r = pki.verify(try message(from: aliceFrom, envelope))
        XCTAssertEqual(r.status, .encryptedSignedFailed, "\(r.problems)")
        assertHas(r, .senderMismatch)
    }

    func testRFC822AttachedBesideTextIsStillNotSigned() throws {
        // The wrapping is only the signed layer's whole content, never an attachment.
        let attached = try message(from: aliceFrom, try pki.detached(text("Hi."), by: pki.alice))
        let part = Array("Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n".utf8) + attached
        let m = try message(from: aliceFrom, mixed([text("See attached."), part]))
        XCTAssertNil(pki.verify(m).status)
        XCTAssertNil(StructureDetector.status(of: try Message(bytes: m)))
    }

    // MARK: 12. Partial signing hidden by the label

    /// A signed S/MIME part in every labelling, with a name for messages.
    private func labelledSignedParts() throws -> [(String, [UInt8])] {
        let content = text("Hello Bob, this part is signed.")
        let opaque = try pki.factory.signedData(content, signer: pki.alice, detached: false)
        let detachedDER = try pki.factory.signedData(content, signer: pki.alice, detached: true)
        func part(_ headers: String, _ der: [UInt8], base64: Bool = true) -> [UInt8] {
            Array((headers + "\r\nContent-Transfer-Encoding: base64\r\n\r\n").utf8) + SMIMEMessage.base64Lines(der)
        }
        var parts: [(String, [UInt8])] = [
            ("pkcs7-mime without parameters", part("Content-Type: application/pkcs7-mime", opaque)),
            ("x-pkcs7-mime without parameters", part("Content-Type: application/x-pkcs7-mime", opaque)),
            ("pkcs7-mime with a name only", part("Content-Type: application/pkcs7-mime; name=\"letter.bin\"", opaque)),
            ("pkcs7-mime labelled enveloped", part("Content-Type: application/pkcs7-mime; smime-type=enveloped-data", opaque)),
            ("octet-stream name=smime.p7m", part("Content-Type: application/octet-stream; name=smime.p7m", opaque)),
            ("octet-stream filename only", part("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=smime.p7m", opaque)),
            ("octet-stream filename in caps", part("Content-Type: application/octet-stream; name=\"report.txt\"\r\nContent-Disposition: attachment; filename=\"LETTER.P7M\"", opaque)),
            ("octet-stream name beside other filename", part("Content-Type: application/octet-stream; name=\"smime.p7m\"\r\nContent-Disposition: attachment; filename=\"report.pdf\"", opaque)),
            ("octet-stream RFC 2231 filename", part("Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''smime.p7m", opaque)),
            ("octet-stream name=smime.p7s", part("Content-Type: application/octet-stream; name=smime.p7s", detachedDER)),
            ("pkcs7-signature alone", part("Content-Type: application/pkcs7-signature; name=smime.p7s", detachedDER)),
        ]
        let signed = try pki.detached(content, by: pki.alice)
        parts.append(("multipart/signed", signed))
        let x = String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "protocol=\"application/pkcs7-signature\"", with: "protocol=\"application/x-pkcs7-signature\"")
        XCTAssertTrue(x.contains("x-pkcs7-signature"))
        parts.append(("multipart/signed x-pkcs7", Array(x.utf8)))
        return parts
    }

    func testPartialSigningUnderEveryLabel() throws {
        let unsigned = text("Please pay Mallory 1000 EUR.")
        for (name, part) in try labelledSignedParts() {
            let shapes: [(String, [UInt8])] = [
                ("mixed", mixed([unsigned, part])),
                ("mixed, signed first", mixed([part, unsigned])),
                ("alternative in mixed", mixed([mixed([unsigned, part], type: "multipart/alternative", boundary: "alt", headers: false)])),
                ("alone in mixed", mixed([part])),
            ]
            for (shape, entity) in shapes {
                let m = try message(from: aliceFrom, entity)
                let r = pki.verify(m)
                assertFailed(r, .partialSignature, "\(name), \(shape)")
                XCTAssertEqual(StructureDetector.status(of: try Message(bytes: m)), .signed, "\(name), \(shape)")
                XCTAssertEqual(try StructureDetector.status(of: LargeMessage.open(MemorySource(m))), .signed, "\(name), \(shape)")
                try assertSameStreamed(m, "\(name), \(shape)")
            }
        }
    }

    func testPartialSigningInsideAnEnvelope() throws {
        let unsigned = text("Please pay Mallory 1000 EUR.")
        for (name, part) in try labelledSignedParts() {
            for entity in [mixed([unsigned, part]), mixed([mixed([part, unsigned], type: "multipart/alternative", boundary: "alt", headers: false)])] {
                let m = try message(from: aliceFrom, try pki.encrypted(entity))
                assertFailed(pki.verify(m), .partialSignature, status: .encryptedSignedFailed, name)
            }
        }
    }

    func testUnsignedAttachmentsAreNotPartialSignatures() throws {
        // Certificates (certs-only), an encrypted attachment, and files that merely look alike.
        let certsOnly = try pki.factory.run(["crl2pkcs7", "-nocrl", "-certfile", pki.alice.certPEM.path, "-outform", "DER"]).stdout
        let enveloped = try SMIMEMessage.cms(in: try pki.encrypted(text("secret")))
        let parts: [[UInt8]] = [
            Array("Content-Type: application/pkcs7-mime; smime-type=certs-only; name=smime.p7c\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8) + SMIMEMessage.base64Lines(certsOnly),
            Array("Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8) + SMIMEMessage.base64Lines(enveloped),
            Array("Content-Type: application/octet-stream; name=smime.p7m.txt\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n".utf8),
            Array("Content-Type: text/plain; name=smime.p7s\r\n\r\nnot a signature\r\n".utf8),
        ]
        for p in parts {
            let m = try message(from: aliceFrom, mixed([text("Hi."), p]))
            let r = pki.verify(m)
            XCTAssertNil(r.status, "\(r.problems) \(r.notes)")
            XCTAssertNil(StructureDetector.status(of: try Message(bytes: m)))
            try assertSameStreamed(m)
        }
    }

    // MARK: Helpers

    private func text(_ s: String) -> [UInt8] { MessageSpec.textPart(s + "\r\n") }

    private func field(_ name: String, _ value: String) -> [UInt8] { Array("\(name): \(value)\r\n".utf8) }

    /// Outer RFC 5322 fields, then `entity` (which starts with its own MIME-Version or Content-Type).
    private func message(from: String, _ entity: [UInt8]) throws -> [UInt8] {
        var h = "From: \(from)\r\nTo: Bob Example <bob@example.org>\r\nSubject: layers\r\n"
        h += "Date: \(MessageSpec.rfc5322(Date()))\r\nMessage-ID: <\(UUID().uuidString)@smimekit.test>\r\n"
        if !String(decoding: entity.prefix(200), as: UTF8.self).lowercased().contains("mime-version") { h += "MIME-Version: 1.0\r\n" }
        return Array(h.utf8) + entity
    }

    /// A message/rfc822 entity around a complete inner message.
    private func rfc822(_ type: String, from: String, body: String) -> [UInt8] {
        let inner = "From: \(from)\r\nTo: Bob Example <bob@example.org>\r\nSubject: wrapped\r\nMessage-ID: <wrapped@smimekit.test>\r\nMIME-Version: 1.0\r\n"
        return Array("Content-Type: \(type)\r\n\r\n\(inner)".utf8) + text(body)
    }

    private func mixed(_ parts: [[UInt8]], type: String = "multipart/mixed", boundary: String = "mix", headers: Bool = true) -> [UInt8] {
        var out = Array("Content-Type: \(type); boundary=\"\(boundary)\"\r\n\r\n".utf8)
        for p in parts { out += Array("--\(boundary)\r\n".utf8) + p + [0x0D, 0x0A] }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    private func assertVerified(_ m: [UInt8], _ status: SMIMEStatus, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = pki.verify(m)
        XCTAssertEqual(r.status, status, "problems: \(r.problems.map { "\($0.code): \($0.message)" }) notes: \(r.notes)", file: file, line: line)
    }

    private func assertFailed(_ r: VerificationResult, _ code: ProblemCode, status: SMIMEStatus = .signedFailed, _ context: String = "",
                              file: StaticString = #filePath, line: UInt = #line) {
        let seen = r.problems.map { "\($0.code): \($0.message)" }
        XCTAssertEqual(r.status, status, "\(context) problems: \(seen) notes: \(r.notes)", file: file, line: line)
        XCTAssertTrue(r.problems.contains { $0.code == code }, "\(context) expected \(code), got \(seen)", file: file, line: line)
        XCTAssertEqual(r.smimeErrors, r.problems.map(\.message), file: file, line: line)
    }

    private func assertHas(_ r: VerificationResult, _ code: ProblemCode, _ context: String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(r.problems.contains { $0.code == code }, "\(context) expected \(code), got \(r.problems.map(\.code))", file: file, line: line)
    }

    /// The streamed verdict (as for a message above the in-memory limit) is the in-memory one.
    private func assertSameStreamed(_ m: [UInt8], _ context: String = "", file: StaticString = #filePath, line: UInt = #line) throws {
        let now = Date()
        let memory = pki.verifier().verify(bytes: m, at: now)
        let streamed = try pki.verifier(inMemoryLimit: 16).verifyStreamed(MemorySource(m), at: now).get()
        XCTAssertEqual(streamed.status, memory.status, "\(context) streamed: \(streamed.problems) \(streamed.notes); in memory: \(memory.problems) \(memory.notes)", file: file, line: line)
        XCTAssertEqual(streamed.problems.map(\.code), memory.problems.map(\.code), context, file: file, line: line)
        XCTAssertEqual(streamed.problems, memory.problems, context, file: file, line: line)
    }
}
