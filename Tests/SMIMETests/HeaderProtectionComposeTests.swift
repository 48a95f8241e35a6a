// Making RFC 9788 header protection: what smimekit signs and encrypts carries
// its header fields inside, reads back in smimekit, openssl and gpgsm, and the
// policy can be turned down for old readers.
import Foundation
import JMAP
import MIME
@testable import SMIME
import TestSupport
import XCTest

final class HeaderProtectionComposeTests: XCTestCase {
    var pki: PKIFactory!
    var root, alice, bob, dave: CertificateFixture!

    override func setUpWithError() throws {
        pki = try PKIFactory(sharingKeys: true)
        root = try pki.makeCA(name: "HP Compose Root", key: .ecP256)
        alice = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice Example", issuer: root, key: .ecP256)
        bob = try pki.makeLeaf(email: "bob@example.org", commonName: "Bob Example", issuer: root, key: .ecP256,
                               keyUsage: ["digitalSignature", "keyAgreement"])
        dave = try pki.makeLeaf(email: "dave@example.org", commonName: "Dave", issuer: root, key: .ecP256,
                                keyUsage: ["digitalSignature", "keyAgreement"])
    }

    let plain = Array("""
        From: Alice Example <alice@example.org>\r
        To: Bob Example <bob@example.org>\r
        Bcc: dave@example.org\r
        Subject: Gr\u{FC}\u{DF}e aus Berlin\r
        Keywords: private\r
        Date: Fri, 01 Mar 2024 10:00:00 +0000\r
        Message-ID: <hp-compose@example.org>\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        H\u{E4}llo Bob,\r
        the meeting is at noon.\r
        """.utf8)

    func composer(_ policy: HeaderProtectionPolicy = .default, format: SignatureFormat = .detached) throws -> MailComposer {
        var c = MailComposer()
        let (key, cert, _) = try KeyLoader.identity(keyFile: alice.keyPEM, certificateFile: alice.certPEM, password: nil)
        c.signer = .identity(try SigningIdentity(key: key, certificate: try XCTUnwrap(cert)))
        c.recipients = try RecipientBook.load(directories: [], files: [alice.certPEM, bob.certPEM, dave.certPEM], crlFiles: [])
        c.signing = SigningOptions(format: format)
        c.headerProtection = policy
        return c
    }

    func verifier() throws -> MessageVerifier {
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        let (key, cert, _) = try KeyLoader.identity(keyFile: bob.keyPEM, certificateFile: bob.certPEM, password: nil)
        return MessageVerifier(trust: try TrustStore(config), identities: [DecryptionIdentity(key: key, certificate: cert)])
    }

    func bobKey() throws -> DecryptionIdentity {
        let (key, cert, _) = try KeyLoader.identity(keyFile: bob.keyPEM, certificateFile: bob.certPEM, password: nil)
        return DecryptionIdentity(key: key, certificate: cert)
    }

    func outerSubject(_ m: [UInt8]) throws -> String? {
        let parsed = try Message(bytes: m)
        return parsed.root.fields(named: "Subject").first.map { parsed.headerText($0) }
    }

    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    // MARK: signed only: hp="clear"

    func testSignedMessagesCarryTheirHeadersInside() throws {
        for format in [SignatureFormat.detached, .opaque] {
            let signed = try composer(format: format).compose(plain, sign: true, encrypt: false)
            XCTAssertTrue(EntityExtraction.isSevenBitClean(signed))
            let r = try verifier().verify(bytes: signed, at: Date())
            XCTAssertEqual(r.status, .signedVerified, "\(format): \(r.problems)")
            let hp = try XCTUnwrap(r.headerProtection, "\(format)")
            XCTAssertEqual(hp.mode, "clear")
            XCTAssertEqual(hp.value("Subject"), "Gr\u{FC}\u{DF}e aus Berlin")
            XCTAssertEqual(hp.value("From"), "Alice Example <alice@example.org>")
            XCTAssertEqual(hp.value("Message-ID"), "<hp-compose@example.org>")
            XCTAssertNil(hp.value("Bcc"), "Bcc is never copied inside")
            XCTAssertTrue(hp.outerAsSent.isEmpty, "HP-Outer belongs to encrypted mail")
            XCTAssertTrue(r.notes.isEmpty, "\(r.notes)")
            // The outside is unchanged for signed-only mail.
            XCTAssertEqual(try outerSubject(signed), "Gr\u{FC}\u{DF}e aus Berlin")

            let file = try pki.write(signed, name: "hp-\(format).eml")
            let openssl = try pki.execute(["cms", "-verify", "-in", file.path, "-CAfile", root.certPEM.path, "-purpose", "smimesign", "-out", "/dev/null"])
            XCTAssertTrue(openssl.succeeded, "openssl cms -verify: \(openssl.stderr)")
            try GpgsmHarness.verifyIfAvailable(signed, root: root, pki: pki)
        }
        let detached = try Message(bytes: try composer().compose(plain, sign: true, encrypt: false))
        let payload = detached.root.children[0]
        XCTAssertEqual(payload.contentType.parameters["hp"], "clear")
        XCTAssertEqual(payload.contentType.parameters["charset"], "utf-8")
        XCTAssertFalse(payload.fields(named: "Subject").isEmpty)
    }

    func testAChangedOuterFromIsCaughtOnWhatSmimekitSigns() throws {
        let signed = text(try composer().compose(plain, sign: true, encrypt: false))
        // Only the first From, the one outside the signature.
        var forged = signed
        let at = try XCTUnwrap(forged.range(of: "From: Alice Example <alice@example.org>\r\nTo:"))
        forged.replaceSubrange(at, with: "From: Alice Example <ceo@example.org>\r\nTo:")
        XCTAssertTrue(forged.contains("From: Alice Example <alice@example.org>\r\nTo:"), "the protected copy stays")
        XCTAssertNotEqual(forged, signed)
        let r = try verifier().verify(bytes: Array(forged.utf8), at: Date())
        XCTAssertEqual(r.status, .signedFailed)
        XCTAssertTrue(r.problems.contains { $0.code == .protectedFromMismatch }, "\(r.problems)")
        // Without header protection the same change is a plain sender mismatch.
        let old = text(try composer(.none).compose(plain, sign: true, encrypt: false))
        XCTAssertFalse(old.contains("hp="))
        let r2 = try verifier().verify(bytes: Array(old.replacingOccurrences(of: "<alice@example.org>\r\nTo:", with: "<ceo@example.org>\r\nTo:").utf8), at: Date())
        XCTAssertTrue(r2.problems.contains { $0.code == .senderMismatch })
    }

    // MARK: encrypted: hp="cipher", Subject obscured

    func testEncryptedMailObscuresTheSubject() throws {
        for sign in [true, false] {
            let made = try composer().compose(plain, sign: sign, encrypt: true)
            XCTAssertEqual(try outerSubject(made), "[...]")
            let outerText = text(Array(made.prefix(600)))
            XCTAssertFalse(outerText.contains("Bcc:"), outerText)
            XCTAssertFalse(outerText.contains("Keywords:"), "baseline removes Keywords outside")
            XCTAssertTrue(outerText.contains("From: Alice Example <alice@example.org>"))

            let r = try verifier().verify(bytes: made, at: Date())
            XCTAssertEqual(r.status, sign ? .encryptedSignedVerified : .unknown, "\(r.problems) \(r.notes)")
            let hp = try XCTUnwrap(r.headerProtection)
            XCTAssertEqual(hp.mode, "cipher")
            XCTAssertEqual(hp.value("Subject"), "Gr\u{FC}\u{DF}e aus Berlin")
            XCTAssertEqual(hp.value("Keywords"), "private")
            XCTAssertEqual(hp.outerAsSent.first { $0.name == "Subject" }?.value, "[...]")
            XCTAssertNil(hp.outerAsSent.first { $0.name == "Keywords" })
            XCTAssertTrue(r.notes.contains { $0.code == .protectedHeaderDiffers && $0.message.contains("on purpose") }, "\(r.notes)")
            XCTAssertFalse(r.notes.contains { $0.message.contains("changed on the way") }, "\(r.notes)")

            // Decrypting shows the real Subject outside again, and keeps what was added on the way.
            let delivered = Array("Received: from mx.example.org by mail.example.org; Fri, 01 Mar 2024 10:00:05 +0000\r\n".utf8) + made
            let opened = try MailComposer.decrypt(delivered, identities: [try bobKey()])
            XCTAssertEqual(try outerSubject(opened), "Gr\u{FC}\u{DF}e aus Berlin")
            XCTAssertTrue(text(opened).hasPrefix("Received: from mx.example.org"), text(Array(opened.prefix(300))))
            XCTAssertEqual(try Message(bytes: opened).root.fields(named: "Subject").count, 1)
            if sign {
                // What remains is a signed message openssl verifies.
                let file = try pki.write(opened, name: "opened-\(UUID().uuidString).eml")
                let openssl = try pki.execute(["cms", "-verify", "-in", file.path, "-CAfile", root.certPEM.path, "-purpose", "smimesign", "-out", "/dev/null"])
                XCTAssertTrue(openssl.succeeded, "openssl cms -verify: \(openssl.stderr)")
                XCTAssertEqual(try verifier().verify(bytes: opened, at: Date()).status, .signedVerified)
            }
        }
    }

    func testPoliciesBelowBaseline() throws {
        // no-confidentiality: protected inside, nothing hidden outside.
        let visible = try composer(.noConfidentiality).compose(plain, sign: true, encrypt: true)
        XCTAssertEqual(try outerSubject(visible), "Gr\u{FC}\u{DF}e aus Berlin")
        let r = try verifier().verify(bytes: visible, at: Date())
        XCTAssertEqual(r.status, .encryptedSignedVerified)
        XCTAssertEqual(r.headerProtection?.mode, "cipher")
        XCTAssertTrue(r.notes.isEmpty, "\(r.notes)")
        // none: the message as before RFC 9788.
        let old = try composer(.none).compose(plain, sign: true, encrypt: true)
        XCTAssertEqual(try outerSubject(old), "Gr\u{FC}\u{DF}e aus Berlin")
        let r2 = try verifier().verify(bytes: old, at: Date())
        XCTAssertEqual(r2.status, .encryptedSignedVerified)
        XCTAssertNil(r2.headerProtection)
    }

    // MARK: JMAP

    func testJMAPCreateArgument() throws {
        let builder = EmailCreateBuilder(blobDirectory: nil, now: Date(), smimeCapability: true, digestHex: { Digest.sha256Hex($0) })
        func create(_ extra: String) throws -> Result<ComposedEmail, SetError> {
            let json = try JSON.parse(Array(#"{"from":[{"email":"alice@example.org"}],"to":[{"email":"bob@example.org"}],"subject":"Hi","bodyValues":{"b":{"value":"Hello"}},"textBody":[{"partId":"b","type":"text/plain"}],"smimeSign":true\#(extra)}"#.utf8))
            do { return .success(try builder.build(json)) } catch { return .failure(error) }
        }
        for policy in HeaderProtectionPolicy.allCases {
            let made = try create(#","smimeHeaderProtection":"\#(policy.rawValue)""#).get()
            XCTAssertEqual(made.headerProtection, policy)
        }
        XCTAssertNil(try create("").get().headerProtection, "absent: the server's default")
        for bad in [#""strict""#, "true", "null", #""NONE ""#] {
            guard case .failure(let e) = try create(#","smimeHeaderProtection":\#(bad)"#) else { XCTFail(bad); continue }
            XCTAssertEqual(e.type, "invalidProperties", bad)
            XCTAssertEqual(e.properties, ["smimeHeaderProtection"], bad)
        }
        let noCapability = EmailCreateBuilder(blobDirectory: nil, now: Date(), smimeCapability: false, digestHex: { Digest.sha256Hex($0) })
        let json = try JSON.parse(Array(#"{"from":[{"email":"alice@example.org"}],"bodyValues":{"b":{"value":"Hello"}},"textBody":[{"partId":"b","type":"text/plain"}],"smimeHeaderProtection":"none"}"#.utf8))
        XCTAssertThrowsError(try noCapability.build(json))
        // The capability object lists exactly what the argument accepts.
        let advertised = JMAPCapability.smimeAdvancedObject.serialized()
        for policy in HeaderProtectionPolicy.allCases { XCTAssertTrue(advertised.contains("\"\(policy.rawValue)\""), advertised) }
        XCTAssertTrue(advertised.contains("\"defaultHeaderProtection\":\"baseline\""), advertised)
    }
}
