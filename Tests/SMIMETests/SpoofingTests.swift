import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// The S/MIME spoofing classes of the attack literature ("Johnny, you are
/// fired", USENIX Security 2019, and its kin). Every fixture is made with
/// openssl at test time; none of them may ever come out signed/verified.
final class SpoofingTests: XCTestCase {
    /// One PKI for the whole class: certificates cost an openssl run each.
    private static let made = Result { try SpoofingPKI() }
    private var pki: SpoofingPKI!

    override func setUpWithError() throws {
        pki = try Self.made.get()
    }

    // MARK: Controls: the fixtures verify when nothing is wrong

    func testControlMessagesVerify() throws {
        assertStatus(try verify(try pki.factory.sign(spec(), signer: pki.alice)), .signedVerified)
        assertStatus(try verify(try pki.factory.sign(spec(), signer: pki.alice, detached: false)), .signedVerified)
    }

    // MARK: CMS eContent confusion

    /// A multipart/signed whose signature part carries its own eContent: a
    /// reader that shows the eContent shows something other than the first part.
    func testDetachedSignatureCarryingEContent() throws {
        let shown = MessageSpec.textPart("Pay Mallory 1000 EUR.\r\n")
        let visible = MessageSpec.textPart("Lunch at noon?\r\n")
        // The eContent is the other text, signed by Alice.
        let other = try pki.factory.signedData(shown, signer: pki.alice, detached: false)
        let r1 = try verify(multipartSigned(first: visible, signature: other))
        assertFailed(r1, .detachedWithContent)

        // Even when the eContent equals the first part (so every digest matches),
        // a detached signature with eContent is refused.
        let same = try pki.factory.signedData(visible, signer: pki.alice, detached: false)
        let r2 = try verify(multipartSigned(first: visible, signature: same))
        assertFailed(r2, .detachedWithContent)
    }

    // MARK: SignerInfos

    func testMixOfTrustedAndUntrustedSigners() throws {
        // Alice is trusted; Mallory's root is not an anchor.
        let message = try pki.factory.sign(spec(), signer: pki.alice, additionalSigners: [pki.mallory],
                                           includeChain: [pki.malloryRoot])
        let r = try verify(message)
        assertFailed(r, .untrustedRoot)
        XCTAssertEqual(r.signers.count, 2)
        // DER sorts the SignerInfos SET, so their order is not the signing order.
        XCTAssertEqual(r.signers.map(\.verified).sorted { !$0 && $1 }, [false, true])
    }

    func testOneGoodSignatureAndOneBroken() throws {
        // Two SignerInfos by certificates for the same address; one signature is damaged.
        let content = MessageSpec.textPart("Both of us signed this.\r\n")
        var der = try pki.factory.signedData(content, signer: pki.alice, additionalSigners: [pki.aliceSecond])
        // The SignedData ends with the last SignerInfo's signature value: flip its final byte.
        der[der.count - 1] ^= 0x01
        let r = try verify(multipartSigned(first: content, signature: der))
        assertFailed(r, .signatureInvalid)
        XCTAssertEqual(r.signers.map(\.verified).sorted { !$0 && $1 }, [false, true])
    }

    func testSecondTrustedSignerIsNotTheSender() throws {
        // Both certificates chain to the anchor, but only one of them is the From address.
        let message = try pki.factory.sign(spec(), signer: pki.alice, additionalSigners: [pki.bob])
        assertFailed(try verify(message), .senderMismatch)
    }

    func testNoSignerInfosInDetachedSignature() throws {
        // A SignedData with certificates and no signer (what crl2pkcs7 writes).
        let der = try pki.factory.run(["crl2pkcs7", "-nocrl", "-certfile", pki.alice.certPEM.path, "-outform", "DER"]).stdout
        let r = try verify(multipartSigned(first: MessageSpec.textPart("Trust me.\r\n"), signature: der))
        assertFailed(r, .noSignerInfos)
    }

    func testNoSignerInfosWithEContent() throws {
        // An opaque signature whose SignerInfos were removed: the eContent is there to show,
        // nobody signed it.
        let content = MessageSpec.textPart("Wire the money today.\r\n")
        let der = try pki.factory.signedData(content, signer: pki.alice, detached: false)
        let stripped = try DERSurgery.removingSignerInfos(der)
        let r = try verify(opaque(stripped))
        assertFailed(r, .noSignerInfos)
    }

    // MARK: Signature wrapping of MIME parts

    func testSignedPartBesideUnsignedPartInMixed() throws {
        let signed = try pki.factory.signEntity(MessageSpec.textPart("Hello Bob.\r\n"), signer: pki.alice)
        let message = wrap("multipart/mixed", [MessageSpec.textPart("Please pay Mallory.\r\n"), signed])
        let r = try verify(message)
        assertFailed(r, .partialSignature)
        XCTAssertTrue(r.problems.contains { $0.message.contains("Only part of the message is signed") })
    }

    func testSignedPartAloneInsideUnsignedMixed() throws {
        // Nothing visible is unsigned, but the outer structure is not signed:
        // headers and preamble around it could say anything.
        let signed = try pki.factory.signEntity(MessageSpec.textPart("Hello Bob.\r\n"), signer: pki.alice)
        assertFailed(try verify(wrap("multipart/mixed", [signed])), .partialSignature)
    }

    func testSignedPartInsideAlternative() throws {
        // A reader shows the last alternative it understands: here the unsigned HTML,
        // which could hide the signed text with CSS (display:none) we cannot see.
        let signed = try pki.factory.signEntity(MessageSpec.textPart("Hello Bob.\r\n"), signer: pki.alice)
        let html = Array("Content-Type: text/html; charset=us-ascii\r\n\r\n<div style=\"display:none\">\r\n</div><p>Pay Mallory.</p>\r\n".utf8)
        assertFailed(try verify(wrap("multipart/alternative", [signed, html])), .partialSignature)
    }

    func testSignedPartNestedTwoLevelsDown() throws {
        let signed = try pki.factory.signEntity(MessageSpec.textPart("Hello Bob.\r\n"), signer: pki.alice)
        let inner = wrap("multipart/alternative", [MessageSpec.textPart("Pay Mallory.\r\n"), signed], headers: false, boundary: "inner")
        assertFailed(try verify(wrap("multipart/mixed", [inner])), .partialSignature)
    }

    func testSignedMessageAttachedAsRFC822IsNotSigned() throws {
        let attached = try pki.factory.sign(spec(), signer: pki.alice)
        let part = Array("Content-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n".utf8) + attached
        let message = wrap("multipart/mixed", [MessageSpec.textPart("See the attached message.\r\n"), part])
        let r = try verify(message)
        XCTAssertNil(r.status, "problems: \(r.problems)")
        XCTAssertNil(r.smimeErrors)
        XCTAssertNil(StructureDetector.status(of: try Message(bytes: message)))
    }

    // MARK: From and the signer

    func testFromNotMatchingSigner() throws {
        let r = try verify(try pki.factory.sign(spec(from: "Bob Example <bob@example.org>"), signer: pki.alice))
        assertFailed(r, .senderMismatch)
    }

    func testFromWithSeveralAddresses() throws {
        for from in ["alice@example.org, bob@example.org", "Team: alice@example.org, mallory@evil.example;"] {
            assertFailed(try verify(try pki.factory.sign(spec(from: from), signer: pki.alice)), .fromMultipleMailboxes)
        }
    }

    func testSeveralFromHeaders() throws {
        for extra in ["From: alice@example.org", "from: Mallory <mallory@evil.example>"] {
            let message = try pki.factory.sign(spec(extraHeaders: [extra]), signer: pki.alice)
            assertFailed(try verify(message), .fromMultipleFields)
        }
    }

    func testEmptyOrUndecodableFrom() throws {
        for from in ["", "   ", "=?utf-8?B?!!!?=", "Alice", "<>", "alice@", "@example.org"] {
            let r = try verify(try pki.factory.sign(spec(from: from), signer: pki.alice))
            assertFailed(r, .fromInvalid, "From: \(from)")
        }
        // Raw bytes that are not UTF-8 and hold no address.
        var message = try pki.factory.sign(spec(from: "XXXX"), signer: pki.alice)
        let at = try XCTUnwrap(find("From: XXXX", in: message))
        message.replaceSubrange((at + 6)..<(at + 10), with: [0xFF, 0xFE, 0xC3, 0x28])
        assertFailed(try verify(message), .fromInvalid)

        assertFailed(try verify(try pki.factory.sign(spec(from: nil), signer: pki.alice)), .fromMissing)
    }

    func testDisplayNameCarryingAnotherAddress() throws {
        for from in ["\"bob@example.org\" <alice@example.org>", "bob@example.org <alice@example.org>",
                     "=?utf-8?Q?bob=40example.org?= <alice@example.org>"] {
            assertFailed(try verify(try pki.factory.sign(spec(from: from), signer: pki.alice)), .displayNameSpoof, from)
        }
        // The same address in the display name is harmless.
        assertStatus(try verify(try pki.factory.sign(spec(from: "\"alice@example.org\" <alice@example.org>"), signer: pki.alice)),
                     .signedVerified)
    }

    func testSenderPresentWithDifferentFrom() throws {
        // Alice signs as Sender; the From a reader shows is Bob. The binding is to From.
        let message = try pki.factory.sign(spec(from: "Bob Example <bob@example.org>", extraHeaders: ["Sender: alice@example.org"]),
                                           signer: pki.alice)
        assertFailed(try verify(message), .senderMismatch)
    }

    func testCertificateWithoutAnyAddress() throws {
        let r = try verify(try pki.factory.sign(spec(), signer: pki.noAddress))
        assertFailed(r, .certificateWithoutAddress)
    }

    func testAddressCase() throws {
        // Local parts are compared exactly (RFC 5321 2.4): another case is another mailbox.
        assertFailed(try verify(try pki.factory.sign(spec(from: "Alice@example.org"), signer: pki.alice)), .senderMismatch)
        assertFailed(try verify(try pki.factory.sign(spec(from: "alice@example.org"), signer: pki.upperLocal)), .senderMismatch)
        // Domains are not case-sensitive, either side.
        assertStatus(try verify(try pki.factory.sign(spec(from: "alice@EXAMPLE.Org"), signer: pki.alice)), .signedVerified)
        assertStatus(try verify(try pki.factory.sign(spec(from: "alice@example.org"), signer: pki.upperDomain)), .signedVerified)
    }

    func testUnicodeLookAlikes() throws {
        // Cyrillic а (U+0430) for Latin a, in the domain and in the local part, raw (RFC 6532)
        // and as an IDNA A-label.
        for from in ["alice@ex\u{0430}mple.org", "\u{0430}lice@example.org", "alice@xn--exmple-4nf.org"] {
            assertFailed(try verify(try pki.factory.sign(spec(from: from), signer: pki.alice)), .senderMismatch, from)
        }
        // The certificate holds the look-alike domain; the From is the real one.
        assertFailed(try verify(try pki.factory.sign(spec(from: "alice@example.org"), signer: pki.lookAlike)), .senderMismatch)
    }

    // MARK: Helpers

    private func spec(from: String? = "Alice Example <alice@example.org>", extraHeaders: [String] = []) -> MessageSpec {
        MessageSpec(from: from, extraHeaders: extraHeaders)
    }

    private func verify(_ bytes: [UInt8]) throws -> VerificationResult {
        MessageVerifier(trust: pki.trust).verify(bytes: bytes, at: Date())
    }

    private func assertStatus(_ r: VerificationResult, _ status: SMIMEStatus?, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, "problems: \(r.problems.map { "\($0.code): \($0.message)" })", file: file, line: line)
    }

    /// signed/failed, the problem among the errors, and errors exactly the problems.
    private func assertFailed(_ r: VerificationResult, _ code: ProblemCode, _ context: String = "",
                              file: StaticString = #filePath, line: UInt = #line) {
        let seen = r.problems.map { "\($0.code): \($0.message)" }
        XCTAssertEqual(r.status, .signedFailed, "\(context) problems: \(seen) notes: \(r.notes)", file: file, line: line)
        XCTAssertTrue(r.problems.contains { $0.code == code }, "\(context) expected \(code), got \(seen)", file: file, line: line)
        XCTAssertEqual(r.smimeErrors, r.problems.map(\.message), file: file, line: line)
    }

    private let outerHeaders = "From: Alice Example <alice@example.org>\r\nTo: bob@example.org\r\nSubject: spoof\r\nMIME-Version: 1.0\r\n"

    /// A multipart/signed around `first` with `signature` (DER) as its second part.
    private func multipartSigned(first: [UInt8], signature: [UInt8]) -> [UInt8] {
        Array((outerHeaders + "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"sig\"\r\n\r\n--sig\r\n").utf8)
            + first
            + Array("\r\n--sig\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + SMIMEMessage.base64Lines(signature)
            + Array("--sig--\r\n".utf8)
    }

    private func opaque(_ der: [UInt8]) -> [UInt8] {
        Array((outerHeaders + "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n").utf8)
            + SMIMEMessage.base64Lines(der)
    }

    /// `parts` inside a multipart of `type`, with the outer message headers unless `headers` is false.
    private func wrap(_ type: String, _ parts: [[UInt8]], headers: Bool = true, boundary: String = "wrap") -> [UInt8] {
        var out = Array(((headers ? outerHeaders : "") + "Content-Type: \(type); boundary=\"\(boundary)\"\r\n\r\n").utf8)
        for p in parts { out += Array("--\(boundary)\r\n".utf8) + p + [0x0D, 0x0A] }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    private func find(_ needle: String, in bytes: [UInt8]) -> Int? {
        let n = Array(needle.utf8)
        guard bytes.count >= n.count else { return nil }
        return (0...(bytes.count - n.count)).first { bytes[$0..<($0 + n.count)].elementsEqual(n) }
    }
}

/// The certificates the spoofing tests sign with, made once.
private final class SpoofingPKI: @unchecked Sendable {  // immutable after init; XCTest runs one test at a time
    let factory: PKIFactory
    let root: CertificateFixture
    let alice, aliceSecond, bob, noAddress, upperLocal, upperDomain, lookAlike: CertificateFixture
    let malloryRoot, mallory: CertificateFixture
    let trust: TrustStore

    init() throws {
        factory = try PKIFactory(sharingKeys: true)
        root = try factory.makeCA(name: "Spoofing Root", key: .ecP256)
        alice = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice Example", issuer: root, key: .ecP256)
        aliceSecond = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice Second Key", issuer: root, key: .ecP256)
        bob = try factory.makeLeaf(email: "bob@example.org", commonName: "Bob Example", issuer: root, key: .ecP256)
        noAddress = try factory.makeLeaf(email: nil, commonName: "Nobody In Particular", issuer: root, key: .ecP256)
        upperLocal = try factory.makeLeaf(email: "Alice@example.org", commonName: "Alice Upper", issuer: root, key: .ecP256)
        upperDomain = try factory.makeLeaf(email: "alice@EXAMPLE.org", commonName: "Alice Domain", issuer: root, key: .ecP256)
        // exаmple.org with a Cyrillic а, as the IA5String A-label an rfc822Name must hold.
        lookAlike = try factory.makeLeaf(email: "alice@xn--exmple-4nf.org", commonName: "Alice Lookalike", issuer: root, key: .ecP256)
        malloryRoot = try factory.makeCA(name: "Mallory Root", key: .ecP256)
        mallory = try factory.makeLeaf(email: "alice@example.org", commonName: "Mallory as Alice", issuer: malloryRoot, key: .ecP256)
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        trust = try TrustStore(config)
    }
}

/// Just enough DER to take the SignerInfos out of a SignedData.
enum DERSurgery {
    struct Element { let tag: UInt8; let start: Int; let content: Int; let end: Int }

    static func children(_ b: [UInt8], _ range: Range<Int>) throws -> [Element] {
        var out: [Element] = []
        var i = range.lowerBound
        while i < range.upperBound {
            guard i + 1 < range.upperBound else { throw FixtureError.malformed("truncated DER") }
            var length = Int(b[i + 1])
            var content = i + 2
            if length & 0x80 != 0 {
                let n = length & 0x7F
                guard n > 0, n <= 4, content + n <= range.upperBound else { throw FixtureError.malformed("unsupported DER length") }
                length = b[content..<(content + n)].reduce(0) { $0 << 8 | Int($1) }
                content += n
            }
            guard content + length <= range.upperBound else { throw FixtureError.malformed("DER overruns") }
            out.append(Element(tag: b[i], start: i, content: content, end: content + length))
            i = content + length
        }
        return out
    }

    static func encode(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        if content.count < 0x80 { return [tag, UInt8(content.count)] + content }
        var len: [UInt8] = []
        var n = content.count
        while n > 0 { len.insert(UInt8(n & 0xFF), at: 0); n >>= 8 }
        return [tag, 0x80 | UInt8(len.count)] + len + content
    }

    /// ContentInfo { signedData, [0] SignedData { ..., signerInfos SET } } with an empty SET.
    static func removingSignerInfos(_ der: [UInt8]) throws -> [UInt8] {
        guard let ci = try children(der, 0..<der.count).first else { throw FixtureError.malformed("empty") }
        let ciFields = try children(der, ci.content..<ci.end)
        guard ciFields.count == 2, let sd = try children(der, ciFields[1].content..<ciFields[1].end).first else {
            throw FixtureError.malformed("not a SignedData ContentInfo")
        }
        let fields = try children(der, sd.content..<sd.end)
        guard let last = fields.last, last.tag == 0x31 else { throw FixtureError.malformed("no signerInfos SET") }
        var body: [UInt8] = []
        for field in fields.dropLast() { body += der[field.start..<field.end] }
        body += [0x31, 0x00]
        return encode(0x30, Array(der[ciFields[0].start..<ciFields[0].end]) + encode(0xA0, encode(0x30, body)))
    }
}
