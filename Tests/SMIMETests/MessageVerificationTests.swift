import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// semantics.md checklist items 1-4, 7 and 8, the status rules and encryption.
final class MessageVerificationTests: VerifierTestCase {
    // MARK: CMS

    func testBodyAlteredByOneByte() throws {
        let r = try verify(try Tamper.alterSignedContent(try signed()))
        assertFailed(r, with: .contentAltered)
    }

    func testTruncatedSignatureBlock() throws {
        let r = try verify(try Tamper.truncateSignature(try signed()))
        assertFailed(r, with: .unreadableSignature)
    }

    func testOpaqueSignedVerifies() throws {
        let r = try verify(try signed(detached: false))
        assertVerified(r)
        XCTAssertEqual(r.layers, ["signed (application/pkcs7-mime)"])
    }

    func testTwoSignersOneBad() throws {
        let otherRoot = try pki.makeCA(name: "Stranger Root")
        let stranger = try pki.makeLeaf(email: "alice@example.org", issuer: otherRoot)
        let message = try pki.sign(MessageSpec(), signer: alice, additionalSigners: [stranger], includeChain: [intermediate])
        let r = try verify(message)
        XCTAssertEqual(r.signers.count, 2)
        assertFailed(r, with: .issuerNotFound)
        XCTAssertEqual(r.signers.filter(\.verified).count, 1)
    }

    func testZeroSignerInfos() throws {
        // A SignedData with certificates but no signer, presented as a detached signature.
        let certsOnly = try pki.certsOnly([alice])
        let der = try SMIMEMessage.cms(in: certsOnly)
        let message = Array("""
            From: alice@example.org\r
            MIME-Version: 1.0\r
            Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain\r
            \r
            Hello\r
            --b\r
            Content-Type: application/pkcs7-signature\r
            Content-Transfer-Encoding: base64\r
            \r

            """.utf8) + SMIMEMessage.base64Lines(der) + Array("--b--\r\n".utf8)
        assertFailed(try verify(message), with: .noSignerInfos)
    }

    func testCertsOnlyIsUnknown() throws {
        let r = try verify(try pki.certsOnly([alice, intermediate]))
        XCTAssertEqual(r.status, .unknown)
        XCTAssertNil(r.smimeErrors)
    }

    func testDetachedSignatureCarryingEContent() throws {
        // multipart/signed whose signature part is an opaque SignedData over other text.
        let spec = MessageSpec()
        let shown = MessageSpec.textPart("Pay Eve 1000 EUR.\r\n")
        let der = try pki.signedData(MessageSpec.textPart("Pay Bob 10 EUR.\r\n"), signer: alice, detached: false, includeChain: [intermediate])
        let message = spec.headerBlock + Array("""
            MIME-Version: 1.0\r
            Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; boundary="b"\r
            \r
            --b\r

            """.utf8) + shown + Array("\r\n--b\r\nContent-Type: application/pkcs7-signature\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + SMIMEMessage.base64Lines(der) + Array("--b--\r\n".utf8)
        let r = try verify(message)
        assertFailed(r, with: .detachedWithContent)
    }

    func testSignerCertificateAbsentThenSupplied() throws {
        let message = try pki.sign(MessageSpec(), signer: alice, noCerts: true)
        let r = try verify(message)
        assertFailed(r, with: .signerCertificateMissing)
        XCTAssertTrue(r.problems[0].message.contains("--certs"))
        assertVerified(try verify(message, certs: [alice.certPEM, intermediate.certPEM]))
    }

    func testWeakDigests() throws {
        assertFailed(try verify(try signed(digest: "sha1")), with: .weakDigest)
        var allow = VerificationOptions()
        allow.allowSHA1 = true
        assertVerified(try verify(try signed(digest: "sha1"), options: allow))
        let md5 = try signed(digest: "md5")
        assertFailed(try verify(md5), with: .weakDigest)
        allow.allowMD5 = true
        assertVerified(try verify(md5, options: allow))
    }

    func testModernSignatureAlgorithms() throws {
        assertVerified(try verify(try signed(pss: true)))
        for kind in [KeyKind.ecP256, .ecP384, .rsaPSS] {
            let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, key: kind)
            let r = try verify(try signed(by: leaf, digest: kind == .ecP384 ? "sha384" : "sha256"))
            assertVerified(r)
        }
        let ecRoot = try pki.makeCA(name: "EC Root", key: .ecP384)
        let ecLeaf = try pki.makeLeaf(email: "alice@example.org", issuer: ecRoot, key: .ecP256)
        assertVerified(try verify(try signed(by: ecLeaf), anchors: [ecRoot]))
    }

    func testSigningTimeInTheFuture() throws {
        // Checked an hour before it was signed: the signer claims a time that has not come yet.
        let r = try verify(try signed(), at: Date() - 3600)
        assertFailed(r, with: .signingTimeInFuture)
    }

    // MARK: Sender (item 7)

    func testFromDiffersFromCertificate() throws {
        let r = try verify(try signed(spec: MessageSpec(from: "Bob <bob@example.org>")))
        assertFailed(r, with: .senderMismatch)
        XCTAssertTrue(r.smimeErrors![0].contains("bob@example.org"))
        var off = VerificationOptions()
        off.senderCheck = false
        assertVerified(try verify(try signed(spec: MessageSpec(from: "Bob <bob@example.org>")), options: off))
    }

    func testFromShapes() throws {
        assertFailed(try verify(try signed(spec: MessageSpec(from: "alice@example.org", extraHeaders: ["From: alice@example.org"]))), with: .fromMultipleFields)
        assertFailed(try verify(try signed(spec: MessageSpec(from: "alice@example.org, bob@example.org"))), with: .fromMultipleMailboxes)
        assertFailed(try verify(try signed(spec: MessageSpec(from: ""))), with: .fromInvalid)
        assertFailed(try verify(try signed(spec: MessageSpec(from: "not an address"))), with: .fromInvalid)
        assertFailed(try verify(try signed(spec: MessageSpec(from: nil))), with: .fromMissing)
        assertFailed(try verify(try signed(spec: MessageSpec(from: "\"alice@bank.example\" <alice@example.org>"))), with: .displayNameSpoof)
    }

    func testFromEncodingsAndCase() throws {
        assertVerified(try verify(try signed(spec: MessageSpec(from: "=?utf-8?b?QWxpY2Ugw4l4YW1wbGU=?= <alice@EXAMPLE.ORG>"))))
        assertFailed(try verify(try signed(spec: MessageSpec(from: "ALICE@example.org"))), with: .senderMismatch)
        let idn = try pki.makeLeaf(email: "bob@xn--bcher-kva.example", issuer: intermediate)
        assertVerified(try verify(try signed(by: idn, spec: MessageSpec(from: "Bob <bob@bücher.example>"))))
        assertVerified(try verify(try signed(by: idn, spec: MessageSpec(from: "Bob <bob@XN--BCHER-KVA.example>"))))
    }

    func testSubjectEmailWithoutSAN() throws {
        let leaf = try pki.makeLeaf(email: nil, subjectEmail: "alice@example.org", commonName: "Alice", issuer: intermediate)
        let r = try verify(try signed(by: leaf))
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.emails, ["alice@example.org"])
    }

    func testCertificateWithoutAnyAddress() throws {
        let leaf = try pki.makeLeaf(email: nil, commonName: "Nobody", issuer: intermediate)
        assertFailed(try verify(try signed(by: leaf)), with: .certificateWithoutAddress)
    }

    func testSenderHeaderDoesNotReplaceFrom() throws {
        let ok = try signed(spec: MessageSpec(from: "alice@example.org", extraHeaders: ["Sender: secretary@example.org"]))
        assertVerified(try verify(ok))
        let bad = try signed(spec: MessageSpec(from: "boss@example.org", extraHeaders: ["Sender: alice@example.org"]))
        assertFailed(try verify(bad), with: .senderMismatch)
    }

    // MARK: MIME structure (items 1, 4, 8)

    func testSignedMessageAttachedInsideUnsignedIsNull() throws {
        let inner = try signed()
        let outer = Array("""
            From: carol@example.org\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="outer"\r
            \r
            --outer\r
            Content-Type: text/plain\r
            \r
            See the attached message.\r
            --outer\r
            Content-Type: message/rfc822\r
            \r

            """.utf8) + inner + Array("\r\n--outer--\r\n".utf8)
        let r = try verify(outer)
        XCTAssertNil(r.status)
        XCTAssertNil(r.smimeErrors)
    }

    func testUnsignedPartBesideSignedPart() throws {
        let entity = try pki.signEntity(MessageSpec.textPart("Signed text\r\n"), signer: alice, includeChain: [intermediate])
        let outer = Array("""
            From: alice@example.org\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary="outer"\r
            \r
            --outer\r
            Content-Type: text/plain\r
            \r
            Unsigned text added by somebody else.\r
            --outer\r

            """.utf8) + entity + Array("\r\n--outer--\r\n".utf8)
        let r = try verify(outer)
        assertFailed(r, with: .partialSignature)
        XCTAssertTrue(r.smimeErrors![0].lowercased().contains("only part of the message is signed"))
    }

    func testOpenPGPSignedIsUnknown() throws {
        let message = Array("""
            From: alice@example.org\r
            MIME-Version: 1.0\r
            Content-Type: multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary="b"\r
            \r
            --b\r
            Content-Type: text/plain\r
            \r
            Hello\r
            --b\r
            Content-Type: application/pgp-signature\r
            \r
            -----BEGIN PGP SIGNATURE-----\r
            -----END PGP SIGNATURE-----\r
            --b--\r

            """.utf8)
        let r = try verify(message)
        XCTAssertEqual(r.status, .unknown)
        XCTAssertNil(r.smimeErrors)
    }

    func testOuterHeadersMayChange() throws {
        var message = try signed()
        message = Array("Received: from relay.example by mx.example; Mon, 23 Nov 2026 10:00:00 +0000\r\nX-Spam-Score: 0.1\r\n".utf8) + message
        message = try Tamper.replacing("Subject: S/MIME fixture", with: "Subject: [EXTERNAL] S/MIME fixture", in: message)
        assertVerified(try verify(message))
    }

    func testLFOnlyFileVerifies() throws {
        let crlf = try signed()
        var lf: [UInt8] = []
        var i = 0
        while i < crlf.count {
            if crlf[i] == 0x0D, i + 1 < crlf.count, crlf[i + 1] == 0x0A { i += 1; continue }
            lf.append(crlf[i])
            i += 1
        }
        XCTAssertFalse(lf.contains(0x0D))
        assertVerified(try verify(lf))
        assertVerified(try verify(try signed(detached: false).filter { $0 != 0x0D }))
    }

    // MARK: Encryption

    func bobIdentity() throws -> (CertificateFixture, DecryptionIdentity) {
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: intermediate)
        let (key, cert, _) = try KeyLoader.identity(keyFile: bob.keyPEM, certificateFile: bob.certPEM, password: nil)
        return (bob, DecryptionIdentity(key: key, certificate: cert))
    }

    func testEnvelopedWithoutKeyIsUnknown() throws {
        let (bob, _) = try bobIdentity()
        let r = try verify(try pki.signAndEncrypt(MessageSpec(), signer: alice, to: [bob]))
        XCTAssertEqual(r.status, .unknown)
        XCTAssertEqual(r.notes.map(\.code), [.noDecryptionKey])
    }

    func testSignedThenEncrypted() throws {
        let (bob, id) = try bobIdentity()
        for cipher in ["aes-256-cbc", "aes-128-gcm"] {
            let message = try pki.signAndEncrypt(MessageSpec(), signer: alice, to: [bob], cipher: cipher)
            let r = try verify(message, certs: [intermediate.certPEM], identities: [id])
            XCTAssertEqual(r.status, .encryptedSignedVerified, "\(cipher): \(r.problems) \(r.notes)")
        }
        // Failure inside the envelope: encrypted+signed/failed.
        let forged = try pki.signAndEncrypt(MessageSpec(from: "mallory@example.org"), signer: alice, to: [bob])
        let r = try verify(forged, certs: [intermediate.certPEM], identities: [id])
        XCTAssertEqual(r.status, .encryptedSignedFailed)
    }

    func testWrongKeyGivesAClearNote() throws {
        let (bob, _) = try bobIdentity()
        let carol = try pki.makeLeaf(email: "carol@example.org", issuer: intermediate)
        let (key, cert, _) = try KeyLoader.identity(keyFile: carol.keyPEM, certificateFile: carol.certPEM, password: nil)
        let r = try verify(try pki.signAndEncrypt(MessageSpec(), signer: alice, to: [bob]), identities: [DecryptionIdentity(key: key, certificate: cert)])
        XCTAssertEqual(r.status, .unknown)
        XCTAssertEqual(r.notes.map(\.code), [.decryptionFailed])
    }

    func testOpenSSLSmimeCommandOutputVerifies() throws {
        // The older `openssl smime` writes x-pkcs7 content types.
        let content = try pki.write(MessageSpec.textPart("Hello from openssl smime\r\n"), name: "content.txt")
        let out = try pki.run(["smime", "-sign", "-in", content.path, "-signer", alice.certPEM.path, "-inkey", alice.keyPEM.path,
                               "-certfile", intermediate.certPEM.path, "-md", "sha256"]).stdout
        let message = MessageSpec().headerBlock + SMIMEMessage.crlf(out)
        assertVerified(try verify(message))
    }
}
