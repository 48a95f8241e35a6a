import Foundation
@testable import SMIME
import TestSupport
import XCTest

/// semantics.md checklist items 5 and 6: the certificate path and revocation.
final class PathValidationTests: VerifierTestCase {
    func testGoodThreeLevelChainVerifies() throws {
        let r = try verify(try signed())
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.chain.count, 3)
        XCTAssertEqual(r.signers.first?.emails, ["alice@example.org"])
        XCTAssertNotNil(r.validUntil)
    }

    func testExpiredSigner() throws {
        let old = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate,
                                   notBefore: Date() - 400 * 86400, notAfter: Date() - 30 * 86400)
        // Signed while valid (openssl does not care), checked now.
        let r = try verify(try signed(by: old))
        assertFailed(r, with: .certificateExpired)
        XCTAssertTrue(r.problems.first { $0.code == .certificateExpired }!.message.contains("expired on"))
    }

    func testNotYetValidSigner() throws {
        let future = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate,
                                      notBefore: Date() + 30 * 86400, notAfter: Date() + 400 * 86400)
        var options = VerificationOptions()
        options.clockSkew = 365 * 86400
        assertFailed(try verify(try signed(by: future), options: options), with: .certificateNotYetValid)
    }

    func testUntrustedRoot() throws {
        let otherRoot = try pki.makeCA(name: "Other Root")
        let r = try verify(try signed(), anchors: [otherRoot])
        XCTAssertEqual(r.status, .signedFailed)
        XCTAssertTrue(r.problems.contains { $0.code == .untrustedRoot || $0.code == .issuerNotFound }, "\(r.problems)")
    }

    func testMissingIntermediateThenSupplied() throws {
        let message = try signed(chain: [])
        let r = try verify(message)
        assertFailed(r, with: .issuerNotFound)
        XCTAssertTrue(r.problems.first { $0.code == .issuerNotFound }!.message.contains("--certs"))
        assertVerified(try verify(message, certs: [intermediate.certPEM]))
    }

    func testKeyUsageWithoutSignatureBits() throws {
        let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, keyUsage: ["keyEncipherment"])
        assertFailed(try verify(try signed(by: leaf)), with: .keyUsage)
    }

    func testNonRepudiationAloneIsEnough() throws {
        let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, keyUsage: ["nonRepudiation"])
        assertVerified(try verify(try signed(by: leaf)))
    }

    func testExtendedKeyUsageWithoutEmailProtection() throws {
        let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, extendedKeyUsage: ["serverAuth"])
        assertFailed(try verify(try signed(by: leaf)), with: .extendedKeyUsage)
        let any = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, extendedKeyUsage: ["anyExtendedKeyUsage"])
        assertVerified(try verify(try signed(by: any)))
        let none = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, extendedKeyUsage: nil)
        assertVerified(try verify(try signed(by: none)))
    }

    func testIntermediateWithoutCAFlag() throws {
        let notCA = try pki.makeCA(name: "Not A CA", parent: root, basicConstraints: .notCA)
        let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: notCA)
        assertFailed(try verify(try signed(by: leaf)), with: .notCertificateAuthority)
    }

    func testPathLengthExceeded() throws {
        let limited = try pki.makeCA(name: "Pathlen Zero", parent: root, pathLength: 0)
        let below = try pki.makeCA(name: "Below Pathlen Zero", parent: limited)
        let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: below)
        assertFailed(try verify(try signed(by: leaf)), with: .pathLengthExceeded)
    }

    func testNameConstraintsViolated() throws {
        let constrained = try pki.makeCA(name: "Only example.com", parent: root, nameConstraints: ["permitted;email:.example.com", "permitted;email:example.com"])
        let inside = try pki.makeLeaf(email: "carol@example.com", issuer: constrained)
        let outside = try pki.makeLeaf(email: "alice@example.org", issuer: constrained)
        assertVerified(try verify(try signed(by: inside, spec: MessageSpec(from: "carol@example.com"))))
        assertFailed(try verify(try signed(by: outside)), with: .nameConstraintsViolated)
    }

    func testExplicitPolicyRequired() throws {
        let policyCA = try pki.makeCA(name: "Policy CA", parent: root, policies: ["1.3.6.1.4.1.55555.1"], requireExplicitPolicy: 0)
        let withPolicy = try pki.makeLeaf(email: "alice@example.org", issuer: policyCA, policies: ["1.3.6.1.4.1.55555.1"])
        let without = try pki.makeLeaf(email: "alice@example.org", issuer: policyCA)
        assertVerified(try verify(try signed(by: withPolicy)))
        assertFailed(try verify(try signed(by: without)), with: .policyViolation)
    }

    func testCertificateSignedWithSHA1() throws {
        let leaf = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate, digest: "sha1")
        assertFailed(try verify(try signed(by: leaf)), with: .weakCertificateSignature)
        var options = VerificationOptions()
        options.allowSHA1 = true
        assertVerified(try verify(try signed(by: leaf), options: options))
    }

    // MARK: Revocation

    func testRevokedSignerWithCRL() throws {
        let crl = try pki.makeCRL(issuer: intermediate, revoked: [alice])
        let rootCRL = try pki.makeCRL(issuer: root)
        let message = try signed()
        assertFailed(try verify(message, crls: [crl.pem, rootCRL.pem]), with: .certificateRevoked)
        // Revocation off: the CRL is not looked at.
        var off = VerificationOptions()
        off.revocation = .off
        assertVerified(try verify(message, crls: [crl.pem, rootCRL.pem], options: off))
    }

    func testRevokedByCRLInsideTheSignedData() throws {
        let crl = try pki.makeCRL(issuer: intermediate, revoked: [alice])
        let message = try pki.addingCRLs([crl], to: try signed())
        assertFailed(try verify(message), with: .certificateRevoked)
    }

    func testSoftToleratesMissingCRLHardDoesNot() throws {
        let message = try signed()
        assertVerified(try verify(message))
        var hard = VerificationOptions()
        hard.revocation = .hard
        assertFailed(try verify(message, options: hard), with: .revocationUnknown)
        // With fresh CRLs for every CA, hard passes.
        let crls = [try pki.makeCRL(issuer: intermediate).pem, try pki.makeCRL(issuer: root).pem]
        assertVerified(try verify(message, crls: crls, options: hard))
    }

    func testExpiredCRLFailsOnlyWhenHard() throws {
        let stale = try pki.makeCRL(issuer: intermediate, lastUpdate: Date() - 10 * 86400, nextUpdate: Date() - 86400)
        let rootCRL = try pki.makeCRL(issuer: root)
        let message = try signed()
        assertVerified(try verify(message, crls: [stale.pem, rootCRL.pem]))
        var hard = VerificationOptions()
        hard.revocation = .hard
        assertFailed(try verify(message, crls: [stale.pem, rootCRL.pem], options: hard), with: .revocationUnknown)
    }

    func testErrorsAccumulate() throws {
        // Expired AND sent from another address: both are reported.
        let old = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate,
                                   notBefore: Date() - 400 * 86400, notAfter: Date() - 30 * 86400)
        let r = try verify(try signed(by: old, spec: MessageSpec(from: "mallory@example.org")))
        XCTAssertEqual(r.status, .signedFailed)
        let codes = Set(r.problems.map(\.code))
        XCTAssertTrue(codes.isSuperset(of: [.certificateExpired, .senderMismatch]), "\(codes)")
    }
}
