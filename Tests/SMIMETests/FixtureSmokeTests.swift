import Foundation
import TestSupport
import XCTest

/// Checks the fixture factory against the openssl command line itself, so a
/// failing verifier test can be trusted to be about the verifier. Most tests
/// share keys across factories for speed; none mixes two factories.
final class FixtureSmokeTests: XCTestCase {
    // MARK: helpers

    private func cmsVerify(_ pki: PKIFactory, _ message: [UInt8], trust: [CertificateFixture],
                           _ extra: [String] = []) throws -> ToolResult {
        let file = try pki.write(message, name: "msg-\(UUID().uuidString).eml")
        return try pki.execute(["cms", "-verify", "-in", file.path, "-CAfile", try pki.bundle(trust).path,
                                "-out", "/dev/null"] + extra)
    }

    private func x509Verify(_ pki: PKIFactory, _ leaf: CertificateFixture, trust: [CertificateFixture],
                            untrusted: [CertificateFixture] = [], _ extra: [String] = []) throws -> ToolResult {
        var args = ["verify", "-CAfile", try pki.bundle(trust).path]
        if !untrusted.isEmpty { args += ["-untrusted", try pki.bundle(untrusted).path] }
        return try pki.execute(args + extra + [leaf.certPEM.path])
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func cmsPrint(_ pki: PKIFactory, _ message: [UInt8]) throws -> String {
        let file = try pki.write(message, name: "print-\(UUID().uuidString).eml")
        return try pki.run(["cms", "-cmsout", "-print", "-noout", "-in", file.path]).stdoutText
    }

    private func assertFails(_ result: ToolResult, _ needle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(result.succeeded, "expected failure mentioning \(needle)", file: file, line: line)
        XCTAssertTrue((result.stderr + result.stdoutText).contains(needle),
                      "expected \(needle) in: \(result.stderr)\(result.stdoutText)", file: file, line: line)
    }

    // MARK: messages

    func testDetachedAndOpaqueSignaturesVerify() throws {
        let pki = try PKIFactory()
        let root = try pki.makeCA(name: "Root")
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        XCTAssertTrue(try pki.execute(["x509", "-inform", "DER", "-noout", "-in", alice.certDER.path]).succeeded)

        let detached = try pki.sign(signer: alice)
        let head = text(detached)
        XCTAssertTrue(head.hasPrefix("From: Alice Example <alice@example.org>\r\nTo: "))
        XCTAssertTrue(head.contains("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=\"sha-256\""))
        XCTAssertFalse(zip([0x0A] + detached, detached).contains { $1 == 0x0A && $0 != 0x0D }, "bare LF")
        XCTAssertTrue(try cmsVerify(pki, detached, trust: [root]).succeeded)

        let opaque = try pki.sign(signer: alice, detached: false)
        XCTAssertTrue(text(opaque).contains("application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\""))
        XCTAssertTrue(try cmsVerify(pki, opaque, trust: [root]).succeeded)

        // A signature by an unrelated root's leaf does not verify against ours.
        let other = try pki.makeCA(name: "Other Root")
        assertFails(try cmsVerify(pki, detached, trust: [other]), "unable to get local issuer certificate")
    }

    func testTamperedAndTruncatedMessagesFail() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root", key: .ecP256)
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root, key: .ecP256)
        for detached in [true, false] {
            let message = try pki.sign(signer: alice, detached: detached)
            let altered = try Tamper.alterSignedContent(message)
            XCTAssertEqual(altered.count, message.count)
            let changed = zip(message, altered).filter { $0 != $1 }.count
            // Detached: one byte of the first part; opaque: a few base64 characters of one DER byte.
            XCTAssertTrue(detached ? changed == 1 : (1...4).contains(changed), "\(changed) bytes changed")
            XCTAssertFalse(try cmsVerify(pki, altered, trust: [root]).succeeded)
            XCTAssertFalse(try cmsVerify(pki, try Tamper.truncateSignature(message), trust: [root]).succeeded)
        }
        let edited = try Tamper.replacing("signed.", with: "signed!", in: try pki.sign(signer: alice))
        XCTAssertFalse(try cmsVerify(pki, edited, trust: [root]).succeeded)
    }

    func testChainWithMissingIntermediate() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")
        let intermediate = try pki.makeCA(name: "Intermediate", parent: root)
        let leaf = try pki.makeLeaf(email: "carol@example.org", issuer: intermediate)
        XCTAssertEqual(leaf.issuers, [intermediate, root])

        let without = try pki.sign(signer: leaf)
        assertFails(try cmsVerify(pki, without, trust: [root]), "unable to get local issuer certificate")
        // (`cms -verify -certfile` does not help: OpenSSL 3.0 builds the path from the message's certificates only.)
        XCTAssertTrue(try x509Verify(pki, leaf, trust: [root], untrusted: [intermediate]).succeeded)
        XCTAssertTrue(try cmsVerify(pki, try pki.sign(signer: leaf, includeChain: [intermediate]), trust: [root]).succeeded)
    }

    func testAlgorithms() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")
        let rsa = try pki.makeLeaf(email: "rsa@example.org", issuer: root)

        let pss = try pki.sign(signer: rsa, pss: true)
        XCTAssertTrue(try cmsPrint(pki, pss).contains("rsassaPss"))
        XCTAssertTrue(try cmsVerify(pki, pss, trust: [root]).succeeded)

        for (digest, micalg) in [("sha1", "sha1"), ("md5", "md5"), ("sha512", "sha-512")] {
            let message = try pki.sign(signer: rsa, digest: digest)
            XCTAssertTrue(text(message).contains("micalg=\"\(micalg)\""), digest)
            XCTAssertTrue(try cmsVerify(pki, message, trust: [root]).succeeded, digest)
        }

        for kind in [KeyKind.ecP256, .ecP384, .rsaPSS, .rsa3072] {
            let signer = try pki.makeLeaf(email: "\(kind)@example.org", issuer: root, key: kind)
            XCTAssertTrue(try cmsVerify(pki, try pki.sign(signer: signer), trust: [root]).succeeded, "\(kind)")
        }

        let ec = try pki.makeLeaf(email: "ec@example.org", issuer: root, key: .ecP256)
        let two = try pki.sign(signer: rsa, additionalSigners: [ec])
        XCTAssertEqual(try cmsPrint(pki, two).components(separatedBy: "d.issuerAndSerialNumber").count - 1, 2)
        XCTAssertTrue(try cmsVerify(pki, two, trust: [root]).succeeded)

        // Ed25519 certificates work; CMS signatures with them do not in OpenSSL 3.0.
        let edRoot = try pki.makeCA(name: "Ed Root", key: .ed25519)
        let edLeaf = try pki.makeLeaf(email: "ed@example.org", issuer: edRoot, key: .ed25519)
        XCTAssertTrue(try x509Verify(pki, edLeaf, trust: [edRoot]).succeeded)
        XCTAssertThrowsError(try pki.sign(signer: edLeaf))

        // A SHA-1 certificate signature: accepted by default, refused at auth level 1.
        let sha1Leaf = try pki.makeLeaf(email: "old@example.org", issuer: root, digest: "sha1")
        XCTAssertTrue(try pki.run(["x509", "-noout", "-text", "-in", sha1Leaf.certPEM.path]).stdoutText
            .contains("sha1WithRSAEncryption"))
        XCTAssertTrue(try x509Verify(pki, sha1Leaf, trust: [root]).succeeded)
        assertFails(try x509Verify(pki, sha1Leaf, trust: [root], ["-auth_level", "1"]), "too weak")
    }

    func testEncryption() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: root, key: .ecP256,
                                   keyUsage: ["digitalSignature", "keyAgreement"])
        for (cipher, type) in [("aes-256-cbc", "enveloped-data"), ("aes-256-gcm", "authEnveloped-data")] {
            let message = try pki.encrypt(to: [alice, bob], cipher: cipher)
            XCTAssertTrue(text(message).contains("smime-type=\(type)"), cipher)
            let file = try pki.write(message, name: "enc-\(cipher).eml")
            for who in [alice, bob] {
                let plain = try pki.run(["cms", "-decrypt", "-in", file.path, "-recip", who.certPEM.path,
                                         "-inkey", who.keyPEM.path]).stdoutText
                XCTAssertTrue(plain.contains("this message is signed."), "\(cipher) \(who.name)")
            }
        }
        let both = try pki.write(try pki.signAndEncrypt(signer: alice, to: [bob], cipher: "aes-128-cbc"), name: "se.eml")
        let inner = try pki.run(["cms", "-decrypt", "-in", both.path, "-recip", bob.certPEM.path, "-inkey", bob.keyPEM.path]).stdout
        XCTAssertTrue(try cmsVerify(pki, inner, trust: [root]).succeeded)

        let p12 = try pki.pkcs12(alice, password: "secret")
        XCTAssertTrue(try pki.execute(["pkcs12", "-in", p12.path, "-noout", "-passin", "pass:secret"]).succeeded)
    }

    // MARK: certificates and CRLs

    func testValidityPeriods() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let now = Date()
        let root = try pki.makeCA(name: "Root", notBefore: now - 10 * 365 * 86400)
        let expired = try pki.makeLeaf(email: "old@example.org", issuer: root,
                                       notBefore: now - 400 * 86400, notAfter: now - 30 * 86400)
        let future = try pki.makeLeaf(email: "new@example.org", issuer: root,
                                      notBefore: now + 30 * 86400, notAfter: now + 400 * 86400)
        assertFails(try x509Verify(pki, expired, trust: [root]), "certificate has expired")
        assertFails(try x509Verify(pki, future, trust: [root]), "certificate is not yet valid")
        let past = String(Int((now - 100 * 86400).timeIntervalSince1970))
        XCTAssertTrue(try x509Verify(pki, expired, trust: [root], ["-attime", past]).succeeded)

        // Absolute dates, including one past 2049 (GeneralizedTime).
        let longLived = try pki.makeLeaf(email: "l@example.org", issuer: root,
                                         notAfter: Date(timeIntervalSince1970: 2_600_000_000))
        XCTAssertTrue(try pki.run(["x509", "-noout", "-enddate", "-in", longLived.certPEM.path]).stdoutText
            .contains("2052 GMT"))
        XCTAssertTrue(try cmsVerify(pki, try pki.sign(signer: expired), trust: [root], ["-attime", past]).succeeded)
    }

    func testRevocation() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")
        let good = try pki.makeLeaf(email: "good@example.org", issuer: root)
        let revoked = try pki.makeLeaf(email: "bad@example.org", issuer: root)

        let crl = try pki.makeCRL(issuer: root, entries: [Revocation(revoked, reason: "keyCompromise")])
        XCTAssertEqual(crl.number, 1)
        let crlText = try pki.run(["crl", "-noout", "-text", "-in", crl.pem.path]).stdoutText
        XCTAssertTrue(crlText.contains("Serial Number: \(revoked.serial)"), crlText)
        XCTAssertTrue(crlText.contains("Key Compromise"))
        XCTAssertTrue(try pki.run(["crl", "-noout", "-inform", "DER", "-in", crl.der.path, "-CAfile", root.certPEM.path])
            .stderr.contains("verify OK"))

        let check = ["-crl_check", "-CRLfile", crl.pem.path]
        XCTAssertTrue(try x509Verify(pki, good, trust: [root], check).succeeded)
        assertFails(try x509Verify(pki, revoked, trust: [root], check), "certificate revoked")

        // A CRL whose nextUpdate has passed.
        let stale = try pki.makeCRL(issuer: root, lastUpdate: .now - 10 * 86400, nextUpdate: .now - 86400)
        XCTAssertEqual(stale.number, 2)
        assertFails(try x509Verify(pki, good, trust: [root], ["-crl_check", "-CRLfile", stale.pem.path]), "CRL has expired")

        // CRLs carried inside the SignedData are used by `cms -verify -crl_check`.
        let message = try pki.sign(signer: revoked)
        let withCRL = try pki.addingCRLs([crl], to: message)
        XCTAssertTrue(try cmsPrint(pki, withCRL).contains("crls:"))
        XCTAssertTrue(try cmsVerify(pki, withCRL, trust: [root]).succeeded)
        assertFails(try cmsVerify(pki, withCRL, trust: [root], ["-crl_check"]), "certificate revoked")

        let delta = try pki.makeCRL(issuer: root, revoked: [good], number: 7, deltaOf: 1)
        let deltaText = try pki.run(["crl", "-noout", "-text", "-in", delta.pem.path]).stdoutText
        XCTAssertTrue(deltaText.contains("Delta CRL Indicator"), deltaText)
        XCTAssertEqual(delta.number, 7)
    }

    func testConstraintViolations() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")

        let notCA = try pki.makeCA(name: "Not a CA", parent: root, basicConstraints: .absent)
        let underNotCA = try pki.makeLeaf(email: "a@example.org", issuer: notCA)
        assertFails(try x509Verify(pki, underNotCA, trust: [root], untrusted: [notCA]), "invalid CA certificate")

        let pathZero = try pki.makeCA(name: "Pathlen 0", parent: root, pathLength: 0)
        let subCA = try pki.makeCA(name: "Sub CA", parent: pathZero)
        let deep = try pki.makeLeaf(email: "b@example.org", issuer: subCA)
        assertFails(try x509Verify(pki, deep, trust: [root], untrusted: [pathZero, subCA]), "path length constraint exceeded")

        let constrained = try pki.makeCA(name: "Constrained", parent: root, nameConstraints: ["permitted;email:.example.com"])
        let outside = try pki.makeLeaf(email: "eve@evil.example", issuer: constrained)
        let inside = try pki.makeLeaf(email: "amy@mail.example.com", issuer: constrained)
        assertFails(try x509Verify(pki, outside, trust: [root], untrusted: [constrained]), "permitted subtree violation")
        XCTAssertTrue(try x509Verify(pki, inside, trust: [root], untrusted: [constrained]).succeeded)

        let policyCA = try pki.makeCA(name: "Policy CA", parent: root, policies: ["1.3.6.1.4.1.99999.1"],
                                      requireExplicitPolicy: 0)
        let noPolicy = try pki.makeLeaf(email: "c@example.org", issuer: policyCA)
        // Without -policy, OpenSSL's user-initial-policy-set is empty and no chain passes.
        let policyCheck = ["-policy_check", "-policy", "anyPolicy"]
        let withPolicy = try pki.makeLeaf(email: "d@example.org", issuer: policyCA, policies: ["1.3.6.1.4.1.99999.1"])
        assertFails(try x509Verify(pki, noPolicy, trust: [root], untrusted: [policyCA], policyCheck),
                    "no explicit policy")
        XCTAssertTrue(try x509Verify(pki, withPolicy, trust: [root], untrusted: [policyCA], policyCheck).succeeded)

        let noSigningUsage = try pki.makeLeaf(email: "e@example.org", issuer: root, keyUsage: ["keyEncipherment"])
        let serverOnly = try pki.makeLeaf(email: "f@example.org", issuer: root, extendedKeyUsage: ["serverAuth"])
        for leaf in [noSigningUsage, serverOnly] {
            XCTAssertTrue(try x509Verify(pki, leaf, trust: [root]).succeeded)
            assertFails(try x509Verify(pki, leaf, trust: [root], ["-purpose", "smimesign"]), "unsuitable certificate purpose")
            assertFails(try cmsVerify(pki, try pki.sign(signer: leaf), trust: [root]), "unsuitable certificate purpose")
        }
    }

    func testAddressesInCertificates() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")
        let subjectOnly = try pki.makeLeaf(email: nil, subjectEmail: "Alice@example.com", issuer: root)
        XCTAssertEqual(subjectOnly.email, "Alice@example.com")
        let info = try pki.run(["x509", "-noout", "-subject", "-ext", "subjectAltName", "-in", subjectOnly.certPEM.path])
            .stdoutText
        XCTAssertTrue(info.contains("emailAddress = Alice@example.com"), info)
        XCTAssertFalse(info.contains("Subject Alternative Name"), info)

        let idn = try pki.makeLeaf(email: "alice@xn--bcher-kva.example", issuer: root,
                                   extraSANs: ["email:Bob@EXAMPLE.ORG", "otherName:1.3.6.1.5.5.7.8.9;UTF8:jürgen@bücher.example"])
        let sans = try pki.run(["x509", "-noout", "-ext", "subjectAltName", "-in", idn.certPEM.path]).stdoutText
        XCTAssertTrue(sans.contains("email:alice@xn--bcher-kva.example"), sans)
        XCTAssertTrue(sans.contains("email:Bob@EXAMPLE.ORG"), sans)
        XCTAssertTrue(sans.contains("SmtpUTF8Mailbox"), sans)
    }

    func testCertsOnlyAndUnsigned() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Root")
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root)
        let crl = try pki.makeCRL(issuer: root)
        let certsOnly = try pki.certsOnly([alice, root], crls: [crl])
        XCTAssertTrue(text(certsOnly).contains("smime-type=certs-only"))
        let printed = try cmsPrint(pki, certsOnly)
        XCTAssertTrue(printed.contains("crls:") && printed.contains("certificates:"), printed)

        let unsigned = MessageSpec(subject: "plain").unsigned
        XCTAssertTrue(text(unsigned).contains("Subject: plain\r\n"))
        XCTAssertTrue(text(unsigned).contains("MIME-Version: 1.0\r\nContent-Type: text/plain"))
    }

    func testInteropTable() throws {
        try XCTSkipUnless(Interop.isAvailable, "shared corpus not found at \(Interop.thunderbirdDirectory.path)")
        let rows = try Interop.expectedRows()
        XCTAssertGreaterThan(rows.count, 50)
        let known: Set<String> = ["signed/verified", "signed/failed", "encrypted+signed/verified",
                                  "encrypted+signed/failed", "unknown", "signed", "null"]
        for row in rows {
            XCTAssertTrue(FileManager.default.fileExists(atPath: row.url.path), row.file)
            XCTAssertTrue(row.status.isSubset(of: known) && row.statusWithBobKey.isSubset(of: known), row.file)
        }
        XCTAssertTrue(rows.contains { $0.status.count == 2 }, "a|b rows become two-member sets")
        XCTAssertTrue(FileManager.default.fileExists(atPath: Interop.thunderbirdTrustAnchor.path))
    }
}
