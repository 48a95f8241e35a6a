import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// CMS-level ways to make a weak or altered signature look verified: keys too
/// small to trust (RFC 8551 4.1) and a content type that the signature does not
/// protect (RFC 5652 5.3, 11.1). Every fixture is made with openssl at test time.
final class SpoofingCMSTests: VerifierTestCase {
    static let weakRSA: [(KeyKind, Int)] = [(.rsa512, 512), (.rsa768, 768), (.rsa1024, 1024), (.rsa1536, 1536), (.rsa2047, 2047)]

    private func leaf(_ key: KeyKind, name: String, issuer: CertificateFixture? = nil) throws -> CertificateFixture {
        try pki.makeLeaf(email: "alice@example.org", commonName: name, issuer: issuer ?? intermediate, key: key)
    }

    private func problems(_ r: VerificationResult, _ code: ProblemCode) -> [Problem] {
        r.problems.filter { $0.code == code }
    }

    // MARK: Weak keys

    func testWeakRSASignerKeysFailByDefault() throws {
        for (kind, bits) in Self.weakRSA {
            let signer = try leaf(kind, name: "Alice RSA \(bits)")
            for detached in [true, false] {
                let r = try verify(try signed(by: signer, detached: detached))
                assertFailed(r, with: .weakKey)
                let weak = problems(r, .weakKey)
                XCTAssertEqual(weak.count, 1, "\(bits): \(weak)")
                let message = weak.first?.message ?? ""
                XCTAssertTrue(message.contains("Alice RSA \(bits)"), message)
                XCTAssertTrue(message.contains("\(bits) bits"), message)
                XCTAssertTrue(message.contains("2048"), message)
                // Only 1024 bits and up can be let through, and only those name the option.
                XCTAssertEqual(message.contains("--min-rsa-bits"), bits >= 1024, message)
                XCTAssertFalse(r.signers.first?.verified ?? true)
            }
        }
    }

    func testMinRSABitsAcceptsOldArchiveKeysButNeverUnder1024() throws {
        var archive = VerificationOptions()
        archive.minRSABits = 1024
        for (kind, bits) in Self.weakRSA {
            let signer = try leaf(kind, name: "Archived RSA \(bits)")
            let r = try verify(try signed(by: signer), options: archive)
            if bits >= 1024 {
                assertVerified(r)
            } else {
                assertFailed(r, with: .weakKey)
                XCTAssertTrue(problems(r, .weakKey).first?.message.contains("\(bits) bits") ?? false)
            }
        }
        // A floor set lower than 1024 is raised to 1024 in the engine too.
        var tooLow = VerificationOptions()
        tooLow.minRSABits = 512
        assertFailed(try verify(try signed(by: try leaf(.rsa512, name: "Alice 512 again")), options: tooLow), with: .weakKey)
        // A stricter floor is honoured.
        var strict = VerificationOptions()
        strict.minRSABits = 3072
        assertFailed(try verify(try signed(by: try leaf(.rsa2048, name: "Alice 2048 strict")), options: strict), with: .weakKey)
    }

    func testWeakECSignerKeysFail() throws {
        var archive = VerificationOptions()
        archive.minRSABits = 1024
        for (kind, curve) in [(KeyKind.ecP192, "prime192v1"), (.ecP224, "secp224r1")] {
            let signer = try leaf(kind, name: "Alice \(curve)")
            for options in [VerificationOptions(), archive] {
                let r = try verify(try signed(by: signer), options: options)
                assertFailed(r, with: .weakKey)
                let message = problems(r, .weakKey).first?.message ?? ""
                XCTAssertTrue(message.contains(curve), message)
                XCTAssertTrue(message.contains("256"), message)
                XCTAssertFalse(message.contains("--min-rsa-bits"), message)
            }
        }
    }

    func testStrongKeysVerify() throws {
        for kind in [KeyKind.rsa2048, .rsa3072, .ecP256, .ecP384, .rsaPSS] {
            assertVerified(try verify(try signed(by: try leaf(kind, name: "Alice \(kind)"))))
        }
    }

    /// A weak CA key lets anyone forge the certificates below it: intermediates
    /// and the anchor are held to the same sizes as the signer.
    func testWeakCAKeysInThePathFail() throws {
        let weakIntermediate = try pki.makeCA(name: "Weak Intermediate 1024", key: .rsa1024, parent: root)
        let underWeak = try leaf(.rsa2048, name: "Alice under weak CA", issuer: weakIntermediate)
        let r = try verify(try signed(by: underWeak))
        assertFailed(r, with: .weakKey)
        let message = problems(r, .weakKey).first?.message ?? ""
        XCTAssertTrue(message.contains("Weak Intermediate 1024") && message.contains("1024 bits"), message)

        let weakRoot = try pki.makeCA(name: "Weak Root 1536", key: .rsa1536)
        let weakRootIntermediate = try pki.makeCA(name: "Intermediate under weak root", parent: weakRoot)
        let underWeakRoot = try leaf(.ecP256, name: "Alice under weak root", issuer: weakRootIntermediate)
        let r2 = try verify(try signed(by: underWeakRoot), anchors: [weakRoot])
        assertFailed(r2, with: .weakKey)
        XCTAssertTrue(problems(r2, .weakKey).first?.message.contains("Weak Root 1536") ?? false, "\(r2.problems)")

        var archive = VerificationOptions()
        archive.minRSABits = 1024
        assertVerified(try verify(try signed(by: underWeak), options: archive))
        assertVerified(try verify(try signed(by: underWeakRoot), anchors: [weakRoot], options: archive))
    }

    func testKeyFloorsPerFamily() {
        let defaults = VerificationOptions()
        XCTAssertNotNil(defaults.weakness(of: PublicKeyStrength(family: .dsa, bits: 1024, curve: nil)))
        XCTAssertNil(defaults.weakness(of: PublicKeyStrength(family: .dsa, bits: 2048, curve: nil)))
        XCTAssertNotNil(defaults.weakness(of: PublicKeyStrength(family: .ec, bits: 255, curve: "x")))
        XCTAssertNil(defaults.weakness(of: PublicKeyStrength(family: .ec, bits: 256, curve: "x")))
        XCTAssertNil(defaults.weakness(of: PublicKeyStrength(family: .other, bits: 253, curve: nil)))  // Ed25519
        XCTAssertNil(defaults.weakness(of: PublicKeyStrength(family: .rsa, bits: 2048, curve: nil)))
        XCTAssertNotNil(defaults.weakness(of: PublicKeyStrength(family: .rsa, bits: 2047, curve: nil)))
    }

    /// The floor decides verdicts, so it is part of what cached verdicts are filed under.
    func testMinRSABitsKeysCachedVerdicts() throws {
        var archive = VerificationOptions()
        archive.minRSABits = 1024
        let store = try trust()
        let a = MessageVerifier(trust: store, options: VerificationOptions(), identities: [])
        let b = MessageVerifier(trust: store, options: archive, identities: [])
        XCTAssertNotEqual(a.verdictInputsDigest(), b.verdictInputsDigest())
    }

    // MARK: Content type

    private func signedDER(detached: Bool, extra: [String] = []) throws -> [UInt8] {
        try pki.sign(MessageSpec(), signer: alice, detached: detached, includeChain: [intermediate],
                     extraArguments: ["-noindef"] + extra)
    }

    func testEditorControlResignedUnchangedVerifies() throws {
        for detached in [true, false] {
            let message = try signedDER(detached: detached)
            let der = try SMIMEMessage.cms(in: message)
            let same = try CMSEditing.resigningAttributes(in: der, key: alice.keyPEM, factory: pki) { _ in }
            assertVerified(try verify(try SMIMEMessage.replacingCMS(in: message, with: same)))
        }
    }

    static let otherTypes = ["1.2.840.113549.1.7.2", "1.2.840.113549.1.9.16.1.4", "1.3.6.1.4.1.99999.7.1"]

    /// eContentType is outside the signature: changed after signing, it disagrees with the attribute.
    func testEContentTypeChangedAfterSigning() throws {
        for detached in [true, false] {
            let message = try signedDER(detached: detached)
            for oid in Self.otherTypes {
                let der = try CMSEditing.settingEContentType(oid, in: try SMIMEMessage.cms(in: message))
                let r = try verify(try SMIMEMessage.replacingCMS(in: message, with: der))
                assertFailed(r, with: .contentTypeMismatch)
                XCTAssertTrue(r.problems.contains { $0.code == .unexpectedContentType }, "\(oid): \(r.problems)")
                XCTAssertTrue(problems(r, .contentTypeMismatch).first?.message.contains(oid) ?? false, "\(r.problems)")
            }
        }
    }

    /// The attribute names another type than eContentType (id-data), and the signature covers that.
    func testSignedContentTypeAttributeDiffers() throws {
        for detached in [true, false] {
            let message = try signedDER(detached: detached)
            let der = try SMIMEMessage.cms(in: message)
            for oid in Self.otherTypes {
                let forged = try CMSEditing.resigningAttributes(in: der, key: alice.keyPEM, factory: pki) { attributes in
                    for i in attributes.indices where CMSEditing.isAttribute(attributes[i], CMSEditing.contentTypeOID) {
                        attributes[i] = CMSEditing.attribute(CMSEditing.contentTypeOID, values: [DERNode.oid(oid)])
                    }
                }
                let r = try verify(try SMIMEMessage.replacingCMS(in: message, with: forged))
                assertFailed(r, with: .contentTypeMismatch)
                // The signature itself verifies: the mismatch is the only fault.
                XCTAssertEqual(r.problems.map(\.code), [.contentTypeMismatch], "\(oid): \(r.problems)")
            }
            // Two values in the one attribute.
            let twoValues = try CMSEditing.resigningAttributes(in: der, key: alice.keyPEM, factory: pki) { attributes in
                for i in attributes.indices where CMSEditing.isAttribute(attributes[i], CMSEditing.contentTypeOID) {
                    attributes[i] = CMSEditing.attribute(CMSEditing.contentTypeOID,
                                                         values: [DERNode.oid("1.2.840.113549.1.7.1"), DERNode.oid(Self.otherTypes[0])])
                }
            }
            assertFailed(try verify(try SMIMEMessage.replacingCMS(in: message, with: twoValues)), with: .contentTypeMismatch)
        }
    }

    /// openssl itself can sign another content type consistently: still not MIME content.
    func testEContentTypeOtherThanDataFails() throws {
        for detached in [true, false] {
            for oid in Self.otherTypes {
                let r = try verify(try signedDER(detached: detached, extra: ["-econtent_type", oid]))
                assertFailed(r, with: .unexpectedContentType)
                XCTAssertFalse(r.problems.contains { $0.code == .contentTypeMismatch }, "\(r.problems)")
                XCTAssertTrue(problems(r, .unexpectedContentType).first?.message.contains(oid) ?? false, "\(r.problems)")
            }
        }
    }

    func testSignedAttributesWithoutContentTypeOrMessageDigest() throws {
        for detached in [true, false] {
            let message = try signedDER(detached: detached)
            let der = try SMIMEMessage.cms(in: message)
            for (oid, word) in [(CMSEditing.contentTypeOID, "content-type"), (CMSEditing.messageDigestOID, "message-digest")] {
                let forged = try CMSEditing.resigningAttributes(in: der, key: alice.keyPEM, factory: pki) { attributes in
                    attributes.removeAll { CMSEditing.isAttribute($0, oid) }
                }
                let r = try verify(try SMIMEMessage.replacingCMS(in: message, with: forged))
                assertFailed(r, with: .signedAttributeMissing)
                XCTAssertTrue(problems(r, .signedAttributeMissing).contains { $0.message.contains(word) }, "\(r.problems)")
            }
            let neither = try CMSEditing.resigningAttributes(in: der, key: alice.keyPEM, factory: pki) { attributes in
                attributes.removeAll { CMSEditing.isAttribute($0, CMSEditing.contentTypeOID) || CMSEditing.isAttribute($0, CMSEditing.messageDigestOID) }
            }
            let r = try verify(try SMIMEMessage.replacingCMS(in: message, with: neither))
            XCTAssertEqual(problems(r, .signedAttributeMissing).count, 2, "\(r.problems)")
        }
    }
}
