// Making S/MIME mail: what smimekit signs and encrypts, openssl, gpgsm and the
// smimekit verifier read back; what openssl makes, smimekit opens; and every
// refusal leaves nothing behind.
import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

final class SignTests: XCTestCase {
    var pki: PKIFactory!
    var root: CertificateFixture!

    override func setUpWithError() throws {
        pki = try PKIFactory()
        root = try pki.makeCA(name: "Sign Test Root")
    }

    // MARK: helpers

    let plain = Array("""
        From: Alice Example <alice@example.org>\r
        To: Bob Example <bob@example.org>\r
        Cc: carol@example.org\r
        Bcc: dave@example.org\r
        Subject: Gr\u{FC}\u{DF}e\r
        Date: Fri, 01 Mar 2024 10:00:00 +0000\r
        Message-ID: <sign-test@example.org>\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        H\u{E4}llo Bob,\r
        From here on this line starts with From.\r
        trailing space \r
        """.utf8)

    func identity(_ leaf: CertificateFixture) throws -> SigningIdentity {
        let (key, cert, _) = try KeyLoader.identity(keyFile: leaf.keyPEM, certificateFile: leaf.certPEM, password: nil)
        return try SigningIdentity(key: key, certificate: try XCTUnwrap(cert))
    }

    func composer(signer: CertificateFixture? = nil, recipients: [CertificateFixture] = [], crls: [URL] = [],
                  options: SigningOptions = SigningOptions(), encryption: EncryptionOptions = EncryptionOptions()) throws -> MailComposer {
        var c = MailComposer()
        if let signer { c.signer = .identity(try identity(signer)) }
        if !recipients.isEmpty || !crls.isEmpty {
            c.recipients = try RecipientBook.load(directories: [], files: recipients.map(\.certPEM), crlFiles: crls)
        }
        c.signing = options
        c.encryption = encryption
        return c
    }

    func verifier(identities: [DecryptionIdentity] = []) throws -> MessageVerifier {
        var config = TrustConfiguration(anchors: [root.certPEM], extraCertificates: [], crls: [])
        config.useSystemTrust = false
        return MessageVerifier(trust: try TrustStore(config), identities: identities)
    }

    func decryptionIdentity(_ leaf: CertificateFixture) throws -> DecryptionIdentity {
        let (key, cert, _) = try KeyLoader.identity(keyFile: leaf.keyPEM, certificateFile: leaf.certPEM, password: nil)
        return DecryptionIdentity(key: key, certificate: cert)
    }

    func opensslVerify(_ message: [UInt8]) throws -> ToolResult {
        let file = try pki.write(message, name: "verify-\(UUID().uuidString).eml")
        return try pki.execute(["cms", "-verify", "-in", file.path, "-CAfile", root.certPEM.path, "-purpose", "smimesign", "-out", "/dev/null"])
    }

    func opensslDecrypt(_ message: [UInt8], as leaf: CertificateFixture) throws -> ToolResult {
        let file = try pki.write(message, name: "decrypt-\(UUID().uuidString).eml")
        return try pki.execute(["cms", "-decrypt", "-in", file.path, "-inkey", leaf.keyPEM.path, "-recip", leaf.certPEM.path])
    }

    func cmsPrint(_ message: [UInt8]) throws -> String {
        let file = try pki.write(message, name: "print-\(UUID().uuidString).eml")
        return try pki.run(["cms", "-cmsout", "-print", "-noout", "-in", file.path]).stdoutText
    }

    func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

    func assertSevenBit(_ b: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(EntityExtraction.isSevenBitClean(b), "output is not 7-bit clean with CRLF line ends", file: file, line: line)
    }

    // MARK: signing round trips

    func testDetachedAndOpaqueSignaturesVerifyEverywhere() throws {
        for kind in [KeyKind.rsa2048, .ecP256] {
            let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root, key: kind)
            for format in [SignatureFormat.detached, .opaque] {
                let signed = try composer(signer: alice, options: SigningOptions(format: format)).compose(plain, sign: true, encrypt: false)
                assertSevenBit(signed)
                let r = try opensslVerify(signed)
                XCTAssertTrue(r.succeeded, "\(kind) \(format): openssl cms -verify: \(r.stderr)")
                let v = try verifier().verify(bytes: signed, at: Date())
                XCTAssertEqual(v.status, .signedVerified, "\(kind) \(format): \(v.problems.map(\.message))")
                try GpgsmHarness.verifyIfAvailable(signed, root: root, pki: pki)

                let s = text(signed)
                XCTAssertTrue(s.hasPrefix("From: Alice Example <alice@example.org>\r\n"), "outer headers stay outside")
                XCTAssertTrue(s.contains("Subject: =?UTF-8?"), "8-bit Subject becomes an encoded word")
                if format == .detached {
                    XCTAssertTrue(s.contains("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";\r\n micalg=sha-256;"))
                    // The 8-bit body was re-encoded before it was signed.
                    XCTAssertTrue(s.contains("Content-Transfer-Encoding: quoted-printable\r\n\r\nH=C3=A4llo Bob,\r\n=46rom here"))
                } else {
                    XCTAssertTrue(s.contains("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n"), s)
                }
            }
        }
    }

    func testSignedAttributesAndAlgorithms() throws {
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let signed = try composer(signer: alice, options: SigningOptions(digest: "sha384", pss: true)).compose(plain, sign: true, encrypt: false)
        let dump = try cmsPrint(signed)
        for attribute in ["signingTime", "S/MIME Capabilities", "id-smime-aa-signingCertificateV2", "rsassaPss", "sha384"] {
            XCTAssertTrue(dump.contains(attribute), "signature lacks \(attribute)")
        }
        XCTAssertTrue(text(signed).contains("micalg=sha-384"))
        XCTAssertTrue(try opensslVerify(signed).succeeded)
        XCTAssertEqual(try verifier().verify(bytes: signed, at: Date()).status, .signedVerified)
    }

    func testSenderHeaderDecidesTheSigner() throws {
        let secretary = try pki.makeLeaf(email: "secretary@example.org", issuer: root)
        var message = plain
        message.insert(contentsOf: Array("Sender: secretary@example.org\r\n".utf8), at: 0)
        let signed = try composer(signer: secretary).compose(message, sign: true, encrypt: false)
        XCTAssertTrue(try opensslVerify(signed).succeeded)
        // The From address is Alice's: signing as Alice with the secretary's certificate is refused.
        XCTAssertThrowsError(try composer(signer: secretary).compose(plain, sign: true, encrypt: false))
    }

    // MARK: encryption round trips

    func testEncryptionOpensWithOpenSSLForEveryRecipient() throws {
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root, key: .ecP256, keyUsage: ["digitalSignature", "keyAgreement"])
        let carol = try pki.makeLeaf(email: "carol@example.org", issuer: root)
        let dave = try pki.makeLeaf(email: "dave@example.org", issuer: root, key: .ecP384, keyUsage: ["keyAgreement"])
        for (cipher, oaep) in [(ContentCipher.aes256gcm, false), (.aes128gcm, true), (.aes256cbc, true), (.aes128cbc, false)] {
            let c = try composer(recipients: [alice, bob, carol, dave], encryption: EncryptionOptions(cipher: cipher, oaep: oaep))
            let encrypted = try c.compose(plain, sign: false, encrypt: true)
            assertSevenBit(encrypted)
            let s = text(encrypted)
            XCTAssertTrue(s.contains("smime-type=\(cipher.smimeType)"), "\(cipher)")
            XCTAssertFalse(s.contains("Bcc:"), "Bcc must not be written")
            XCTAssertFalse(s.contains("dave@example.org"))
            for who in [alice, bob, carol, dave] {
                let r = try opensslDecrypt(encrypted, as: who)
                XCTAssertTrue(r.succeeded, "\(cipher) \(who.name): \(r.stderr)")
                XCTAssertTrue(r.stdoutText.contains("H=C3=A4llo Bob"), "\(cipher) \(who.name)")
            }
            if oaep { XCTAssertTrue(try cmsPrint(encrypted).contains("rsaesOaep")) }
            // And smimekit opens it again.
            let opened = try MailComposer.decrypt(encrypted, identities: [try decryptionIdentity(bob)])
            XCTAssertTrue(text(opened).contains("Subject: =?UTF-8?"))
            XCTAssertTrue(text(opened).contains("H=C3=A4llo Bob"))
        }
    }

    func testSignThenEncryptVerifiesAsEncryptedSigned() throws {
        for kind in [KeyKind.rsa2048, .ecP256] {
            let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root, key: kind,
                                         keyUsage: kind == .ecP256 ? ["digitalSignature", "keyAgreement"] : ["digitalSignature", "keyEncipherment"])
            let others = try ["bob", "carol", "dave"].map { try pki.makeLeaf(email: "\($0)@example.org", issuer: root) }
            for format in [SignatureFormat.detached, .opaque] {
                let out = try composer(signer: alice, recipients: others, options: SigningOptions(format: format))
                    .compose(plain, sign: true, encrypt: true)
                let v = try verifier(identities: [try decryptionIdentity(others[0])]).verify(bytes: out, at: Date())
                XCTAssertEqual(v.status, .encryptedSignedVerified, "\(kind) \(format): \(v.problems.map(\.message)) \(v.notes.map(\.message))")
                // The sender's own certificate (from the signing identity) is a recipient too.
                let mine = try opensslDecrypt(out, as: alice)
                XCTAssertTrue(mine.succeeded, mine.stderr)
                // What decrypt writes still verifies with openssl.
                let inner = try MailComposer.decrypt(out, identities: [try decryptionIdentity(alice)])
                XCTAssertTrue(try opensslVerify(inner).succeeded)
                XCTAssertEqual(try verifier().verify(bytes: inner, at: Date()).status, .signedVerified)
            }
        }
    }

    func testOpenSSLMadeMessagesDecrypt() throws {
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root, key: .ecP256, keyUsage: ["keyAgreement"])
        for cipher in ["aes-256-cbc", "aes-256-gcm"] {
            let encrypted = try pki.encrypt(to: [alice, bob], cipher: cipher, oaep: true)
            for who in [alice, bob] {
                let opened = try MailComposer.decrypt(encrypted, identities: [try decryptionIdentity(who)])
                XCTAssertTrue(text(opened).contains("this message is signed."), "\(cipher) \(who.name)")
                XCTAssertTrue(text(opened).hasPrefix("From: Alice Example"))
            }
        }
        for detached in [true, false] {
            let both = try pki.signAndEncrypt(signer: alice, to: [bob], detached: detached)
            let opened = try MailComposer.decrypt(both, identities: [try decryptionIdentity(bob)])
            XCTAssertEqual(try verifier().verify(bytes: opened, at: Date()).status, .signedVerified)
        }
        // A key for somebody else opens nothing.
        let carol = try pki.makeLeaf(email: "carol@example.org", issuer: root)
        XCTAssertThrowsError(try MailComposer.decrypt(try pki.encrypt(to: [bob]), identities: [try decryptionIdentity(carol)]))
    }

    // MARK: the MIME writer, read back by the MIME reader

    func testWrittenHeadersAndParametersReadBack() throws {
        let subject = "Grüße aus Köln — a subject long enough to be folded over more than one line 日本語"
        let name = "Überweisung März 2024 – sehr langer Dateiname für den Test.pdf"
        let attachment = MIMEEntity(mimeType: "application/pdf", parameters: [("name", name)],
                                    fields: [("Content-Disposition", ParameterWriter.value("attachment", [("filename", name)]))],
                                    body: .encoded(transferEncoding: "base64", bytes: TransferEncoding.encodeBase64([1, 2, 3])))
        let entity = MIMEEntity(mimeType: "multipart/mixed", body: .multipart([.text("Grüße\n"), attachment]))
        let headers = [
            HeaderWriter.field("From", HeaderWriter.mailbox(name: "Zoë \"Z\" O’Brien", email: "zoe@example.ie")),
            HeaderWriter.field("To", HeaderWriter.addressList([("Smith, John", "john@example.org"), (nil, "x@example.org")])),
            HeaderWriter.field("Subject", HeaderWriter.unstructured(subject)),
        ]
        let bytes = MessageWriter.message(headers: headers, entity: entity.serialized())
        XCTAssertTrue(EntityExtraction.isSevenBitClean(bytes))
        for line in text(bytes).components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.utf8.count, 78, line) }
        let m = try Message(bytes: bytes)
        XCTAssertEqual(m.headerText(m.root.fields(named: "Subject")[0]), subject)
        guard case .mailbox(let from) = m.addresses(m.root.fields(named: "From")[0]).first else { return XCTFail() }
        XCTAssertEqual(from.name, "Zoë \"Z\" O’Brien")
        XCTAssertEqual(m.addresses(m.root.fields(named: "To")[0]).count, 2)
        XCTAssertEqual(m.root.children.count, 2)
        XCTAssertEqual(m.text(m.root.children[0]), "Grüße\r\n")
        XCTAssertEqual(m.root.children[1].filename, name)
        XCTAssertEqual(m.decodedBody(m.root.children[1]), [1, 2, 3])
        // The same input always gives the same bytes (boundaries come from the content).
        XCTAssertEqual(MessageWriter.message(headers: headers, entity: entity.serialized()), bytes)
    }

    // MARK: refusals

    func assertRefused(_ body: () throws -> [UInt8], _ needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(needle), "expected '\(needle)' in: \(error)", file: file, line: line)
        }
    }

    func testSignerRefusals() throws {
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root)
        assertRefused({ try self.composer(signer: bob).compose(self.plain, sign: true, encrypt: false) },
                      "does not carry the sender address alice@example.org")

        let expired = try pki.makeLeaf(email: "alice@example.org", issuer: root, notBefore: .now - 400 * 86400, notAfter: .now - 86400)
        assertRefused({ try self.composer(signer: expired).compose(self.plain, sign: true, encrypt: false) }, "expired on")

        let serverCert = try pki.makeLeaf(email: "alice@example.org", issuer: root, extendedKeyUsage: ["serverAuth"])
        assertRefused({ try self.composer(signer: serverCert).compose(self.plain, sign: true, encrypt: false) }, "emailProtection")

        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let twoFroms = Array("From: alice@example.org\r\n".utf8) + plain
        assertRefused({ try self.composer(signer: alice).compose(twoFroms, sign: true, encrypt: false) }, "2 From headers")
        let twoAddresses = Array(text(plain).replacingOccurrences(of: "From: Alice Example <alice@example.org>", with: "From: alice@example.org, eve@example.org").utf8)
        assertRefused({ try self.composer(signer: alice).compose(twoAddresses, sign: true, encrypt: false) }, "names 2 addresses")
        assertRefused({ try MailComposer().compose(self.plain, sign: true, encrypt: false) }, "no signing key")
    }

    func testKeyLoadingRefusals() throws {
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root)
        XCTAssertThrowsError(try KeyLoader.identity(keyFile: bob.keyPEM, certificateFile: alice.certPEM, password: nil)) {
            XCTAssertTrue("\($0)".contains("does not belong to the certificate"), "\($0)")
        }
        let p12 = try pki.pkcs12(alice, password: "right")
        XCTAssertThrowsError(try KeyLoader.identity(keyFile: p12, certificateFile: nil, password: "wrong")) {
            XCTAssertTrue("\($0)".contains("wrong password"), "\($0)")
        }
        XCTAssertThrowsError(try KeyLoader.identity(keyFile: pki.directory.appendingPathComponent("missing.key"), certificateFile: nil, password: nil)) {
            XCTAssertTrue("\($0)".contains("missing.key: cannot be read"), "\($0)")
        }
        let (key, cert, chain) = try KeyLoader.identity(keyFile: p12, certificateFile: nil, password: "right")
        let id = try SigningIdentity(key: key, certificate: try XCTUnwrap(cert), chain: chain)
        var c = MailComposer()
        c.signer = .identity(id)
        XCTAssertTrue(try opensslVerify(try c.compose(plain, sign: true, encrypt: false)).succeeded)
    }

    func testRecipientRefusalsListEveryRecipient() throws {
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root)
        let expiredCarol = try pki.makeLeaf(email: "carol@example.org", issuer: root, notBefore: .now - 400 * 86400, notAfter: .now - 86400)
        let revokedDave = try pki.makeLeaf(email: "dave@example.org", issuer: root)
        let crl = try pki.makeCRL(issuer: root, revoked: [revokedDave])
        let c = try composer(recipients: [alice, bob, expiredCarol, revokedDave], crls: [crl.pem])
        XCTAssertThrowsError(try c.compose(plain, sign: false, encrypt: true)) { error in
            guard case CompositionError.recipients(let problems) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(problems.map(\.address), ["carol@example.org", "dave@example.org"])
            XCTAssertTrue(problems[0].reason.contains("expired"), problems[0].reason)
            XCTAssertTrue(problems[1].reason.contains("revoked"), problems[1].reason)
            XCTAssertEqual(Set((error as? CompositionError)?.properties ?? []), ["cc", "bcc"])
        }
        // Without Carol's and Dave's certificates at all: each is named as missing.
        XCTAssertThrowsError(try composer(recipients: [alice, bob]).compose(plain, sign: false, encrypt: true)) { error in
            let s = "\(error)"
            XCTAssertTrue(s.contains("carol@example.org (Cc): no certificate") && s.contains("dave@example.org (Bcc): no certificate"), s)
        }
        // A fresh certificate beside the expired one is used.
        let renewedCarol = try pki.makeLeaf(email: "carol@EXAMPLE.org", issuer: root)
        let dave2 = try pki.makeLeaf(email: "dave@example.org", issuer: root)
        let out = try composer(recipients: [alice, bob, expiredCarol, renewedCarol, dave2]).compose(plain, sign: false, encrypt: true)
        XCTAssertTrue(try opensslDecrypt(out, as: renewedCarol).succeeded)
    }
}

/// gpgsm in a throw-away GNUPGHOME: the test root imported and marked trusted
/// in trustlist.txt (so no pinentry is asked), CRL checks off (the test PKI has no CRL distribution points).
enum GpgsmHarness {
    static var gpgsm: String? {
        ["/usr/bin/gpgsm", "/usr/local/bin/gpgsm"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func verifyIfAvailable(_ message: [UInt8], root: CertificateFixture, pki: PKIFactory,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        guard let gpgsm else { return }
        let home = pki.directory.appendingPathComponent("gnupg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { _ = try? run("/usr/bin/gpgconf", ["--kill", "all"], home: home) }
        try Data("disable-crl-checks\n".utf8).write(to: home.appendingPathComponent("gpgsm.conf"))
        let fpr = try pki.run(["x509", "-in", root.certPEM.path, "-noout", "-fingerprint", "-sha1"]).stdoutText
            .split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        try Data("\(fpr) S relax\n".utf8).write(to: home.appendingPathComponent("trustlist.txt"))
        _ = try run(gpgsm, ["--batch", "--import", root.certPEM.path], home: home)

        // gpgsm reads CMS, not MIME: hand it the signature (and the signed part for a detached one).
        let parsed = try Message(bytes: message)
        var args = ["--batch", "--status-fd", "1", "--verify"]
        if parsed.root.contentType.mimeType == "multipart/signed" {
            let content = Canonical.crlf(parsed.slice(parsed.root.children[0].range))
            let sig = parsed.decodedBody(parsed.root.children[1])
            args += [try pki.write(sig, name: "gpgsm-\(UUID().uuidString).p7s").path, try pki.write(content, name: "gpgsm-\(UUID().uuidString).txt").path]
        } else {
            args += [try pki.write(parsed.decodedBody(parsed.root), name: "gpgsm-\(UUID().uuidString).p7m").path, "/dev/null"]
            args.insert(contentsOf: ["--output", "/dev/null"], at: 3)
            args.removeLast()
        }
        let (status, out) = try run(gpgsm, args, home: home)
        XCTAssertEqual(status, 0, "gpgsm --verify failed:\n\(out)", file: file, line: line)
        XCTAssertTrue(out.contains("[GNUPG:] GOODSIG") && out.contains("TRUST_"), "gpgsm did not report a good, trusted signature:\n\(out)", file: file, line: line)
        XCTAssertFalse(out.contains("TRUST_UNDEFINED") || out.contains("TRUST_NEVER"), "gpgsm does not trust the chain:\n\(out)", file: file, line: line)
    }

    static func run(_ tool: String, _ args: [String], home: URL) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--homedir", home.path] + args
        var env = ProcessInfo.processInfo.environment
        env["GNUPGHOME"] = home.path
        p.environment = env
        let out = home.appendingPathComponent("out-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let h = try FileHandle(forWritingTo: out)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try h.close()
        return (p.terminationStatus, String(decoding: try Data(contentsOf: out), as: UTF8.self))
    }
}
