import Foundation
@testable import SMIME
import TestSupport
import XCTest

/// semantics.md item 6: for each issuer the newest valid CRL from any source
/// decides (issue 11, item 8), and a CRL's own signer is checked for
/// revocation (item 9, PKITS 4.4.19-4.4.21).
final class RevocationSelectionTests: VerifierTestCase {
    var soft: VerificationOptions { VerificationOptions() }
    var hard: VerificationOptions { var o = VerificationOptions(); o.revocation = .hard; return o }

    /// A fresh CRL for the root, so that hard mode can establish the intermediate's status.
    func rootCRL(revoked: [CertificateFixture] = []) throws -> CRLFixture {
        try pki.makeCRL(issuer: root, revoked: revoked)
    }

    // MARK: Item 8: the message's CRL against --crl

    func testOlderCRLInMessageDoesNotHideNewerGivenCRL() throws {
        let old = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 3 * 86400, nextUpdate: .now + 4 * 86400, number: 1)
        let new = try pki.makeCRL(issuer: intermediate, revoked: [alice], lastUpdate: .now - 3600, number: 2)
        let message = try pki.addingCRLs([old], to: try signed())
        for options in [soft, hard] {
            assertFailed(try verify(message, crls: [new.pem, try rootCRL().pem], options: options), with: .certificateRevoked)
        }
    }

    func testNewerCRLInMessageWinsOverOlderGivenCRL() throws {
        let old = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 3 * 86400, number: 3)
        let new = try pki.makeCRL(issuer: intermediate, revoked: [alice], number: 4)
        let message = try pki.addingCRLs([new], to: try signed())
        assertFailed(try verify(message, crls: [old.pem, try rootCRL().pem], options: hard), with: .certificateRevoked)
    }

    /// The newest CRL decides, not "revoked in any": a certificate on hold in an
    /// older CRL and released in the newer one is good.
    func testNewestCRLDecidesEvenWhenAnOlderOneListsTheCertificate() throws {
        let held = try pki.makeCRL(issuer: intermediate, entries: [Revocation(alice, reason: "certificateHold")],
                                   lastUpdate: .now - 3 * 86400, number: 5)
        let released = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 3600, number: 6)
        // Whichever source carries which.
        let inMessage = try pki.addingCRLs([released], to: try signed())
        assertVerified(try verify(inMessage, crls: [held.pem, try rootCRL().pem], options: hard))
        let heldInMessage = try pki.addingCRLs([held], to: try signed())
        assertVerified(try verify(heldInMessage, crls: [released.pem, try rootCRL().pem], options: hard))
    }

    // MARK: Ordering: CRL number first, then thisUpdate

    func testHigherCRLNumberWinsOverLaterThisUpdate() throws {
        // Number 9 was issued with an earlier thisUpdate than number 8 (a CA clock
        // step): the number orders them.
        let eight = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 1800, number: 8)
        let nine = try pki.makeCRL(issuer: intermediate, revoked: [alice], lastUpdate: .now - 7200, number: 9)
        let message = try pki.addingCRLs([eight], to: try signed())
        assertFailed(try verify(message, crls: [nine.pem, try rootCRL().pem]), with: .certificateRevoked)
        // Both given with --crl, in either order.
        let plain = try signed()
        assertFailed(try verify(plain, crls: [eight.pem, nine.pem, try rootCRL().pem]), with: .certificateRevoked)
        assertFailed(try verify(plain, crls: [nine.pem, eight.pem, try rootCRL().pem]), with: .certificateRevoked)
    }

    func testSameNumberLaterThisUpdateWins() throws {
        let earlier = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 2 * 86400, number: 12)
        let later = try pki.makeCRL(issuer: intermediate, revoked: [alice], lastUpdate: .now - 600, number: 12)
        let message = try pki.addingCRLs([earlier], to: try signed())
        assertFailed(try verify(message, crls: [later.pem, try rootCRL().pem], options: hard), with: .certificateRevoked)
    }

    // MARK: Validity: the newest *valid* CRL

    func testExpiredNewerCRLDoesNotDisplaceValidOne() throws {
        // Number 21 is newer but already past its nextUpdate; number 20 is still valid.
        let valid = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 3 * 86400, nextUpdate: .now + 86400, number: 20)
        let expired = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 7200, nextUpdate: .now - 3600, number: 21)
        let message = try pki.addingCRLs([expired], to: try signed())
        // Hard mode: the valid CRL establishes the status.
        assertVerified(try verify(message, crls: [valid.pem, try rootCRL().pem], options: hard))
        // And the other way round.
        let other = try pki.addingCRLs([valid], to: try signed())
        assertVerified(try verify(other, crls: [expired.pem, try rootCRL().pem], options: hard))
    }

    func testExpiredCRLInMessageDoesNotHideValidGivenCRL() throws {
        let expired = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 10 * 86400, nextUpdate: .now - 86400, number: 30)
        let valid = try pki.makeCRL(issuer: intermediate, revoked: [alice], number: 31)
        let message = try pki.addingCRLs([expired], to: try signed())
        for options in [soft, hard] {
            assertFailed(try verify(message, crls: [valid.pem, try rootCRL().pem], options: options), with: .certificateRevoked)
        }
    }

    /// A CRL in the message that claims a huge number but is signed by another
    /// key with the CA's name must not replace the real one.
    func testForgedHighNumberCRLInMessageDoesNotHideRealOne() throws {
        let impostor = try pki.makeCA(name: "Fixture Intermediate", parent: root)
        let forged = try pki.makeCRL(issuer: impostor, number: 9999)
        let real = try pki.makeCRL(issuer: intermediate, revoked: [alice], number: 40)
        let message = try pki.addingCRLs([forged], to: try signed())
        let r = try verify(message, crls: [real.pem, try rootCRL().pem])
        XCTAssertEqual(r.status, .signedFailed, "\(r.problems)")
        XCTAssertTrue(r.problems.contains { $0.code == .certificateRevoked }, "\(r.problems)")
    }

    // MARK: Delta CRLs still apply

    /// OpenSSL consults a delta CRL only when the certificate or the base CRL names one (freshestCRL).
    let freshest = ["freshestCRL = URI:http://crl.example/delta.crl"]

    func testDeltaCRLOnTopOfNewestBase() throws {
        let base = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 86400, number: 50, extensions: freshest)
        let staleBase = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 5 * 86400, number: 49)
        let delta = try pki.makeCRL(issuer: intermediate, revoked: [alice], number: 51, deltaOf: 50)
        let message = try pki.addingCRLs([staleBase], to: try signed())
        assertFailed(try verify(message, crls: [base.pem, delta.pem, try rootCRL().pem], options: hard), with: .certificateRevoked)
        // Without the delta, the base decides: good.
        assertVerified(try verify(message, crls: [base.pem, try rootCRL().pem], options: hard))
    }

    func testNewestDeltaWins() throws {
        let base = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 86400, number: 60, extensions: freshest)
        let delta1 = try pki.makeCRL(issuer: intermediate, lastUpdate: .now - 7200, number: 61, deltaOf: 60)
        let delta2 = try pki.makeCRL(issuer: intermediate, revoked: [alice], lastUpdate: .now - 600, number: 62, deltaOf: 60)
        let message = try pki.addingCRLs([delta1], to: try signed())
        assertFailed(try verify(message, crls: [base.pem, delta2.pem, try rootCRL().pem], options: hard), with: .certificateRevoked)
        // The base in the message, the deltas given: the same.
        let baseInMessage = try pki.addingCRLs([base], to: try signed())
        assertFailed(try verify(baseInMessage, crls: [delta2.pem, delta1.pem, try rootCRL().pem], options: hard), with: .certificateRevoked)
        assertVerified(try verify(baseInMessage, crls: [delta1.pem, try rootCRL().pem], options: hard))
    }

    // MARK: Item 9: a separate CRL-signing key (PKITS 4.4.19-4.4.21)

    /// The intermediate's CRLs are signed by a second certificate with the
    /// intermediate's name and its own key (keyUsage cRLSign only), issued by the root.
    func crlSigner() throws -> CertificateFixture {
        try pki.makeCA(name: "Fixture Intermediate", parent: root, keyUsage: ["cRLSign"])
    }

    func testSeparateCRLSignerGood() throws {  // PKITS 4.4.19
        let signer = try crlSigner()
        let crl = try pki.makeCRL(issuer: signer, number: 70)
        let r = try verify(try signed(), certs: [signer.certPEM], crls: [crl.pem, try rootCRL().pem], options: hard)
        assertVerified(r)
    }

    func testSeparateCRLSignerRevokesSigner() throws {  // PKITS 4.4.20
        let signer = try crlSigner()
        let crl = try pki.makeCRL(issuer: signer, revoked: [alice], number: 71)
        for options in [soft, hard] {
            assertFailed(try verify(try signed(), certs: [signer.certPEM], crls: [crl.pem, try rootCRL().pem], options: options),
                         with: .certificateRevoked)
        }
    }

    func testRevokedCRLSignerFails() throws {  // PKITS 4.4.21
        let signer = try crlSigner()
        let crl = try pki.makeCRL(issuer: signer, number: 72)
        let rootCRL = try rootCRL(revoked: [signer])
        for options in [soft, hard] {
            let r = try verify(try signed(), certs: [signer.certPEM], crls: [crl.pem, rootCRL.pem], options: options)
            assertFailed(r, with: .crlInvalid)
            XCTAssertTrue(r.problems.contains { $0.message.contains("revoked") }, "\(r.problems)")
        }
    }

    func testRevokedCRLSignerFailsWhenTheCRLComesInTheMessage() throws {
        let signer = try crlSigner()
        let crl = try pki.makeCRL(issuer: signer, number: 73)
        let rootCRL = try rootCRL(revoked: [signer])
        let message = try pki.addingCRLs([crl, rootCRL], to: try signed())
        assertFailed(try verify(message, certs: [signer.certPEM]), with: .crlInvalid)
    }

    /// Hard mode: a CRL signer whose own status cannot be established (no root CRL) fails.
    func testCRLSignerWithoutStatusFailsOnlyWhenHard() throws {
        let signer = try crlSigner()
        let crl = try pki.makeCRL(issuer: signer, number: 74)
        assertVerified(try verify(try signed(), certs: [signer.certPEM], crls: [crl.pem]))
        let r = try verify(try signed(), certs: [signer.certPEM], crls: [crl.pem], options: hard)
        XCTAssertEqual(r.status, .signedFailed, "\(r.problems)")
    }

    // MARK: Indirect CRLs (a separate CRL issuer named in the certificate's distribution point)

    func indirectSetup() throws -> (crlIssuer: CertificateFixture, leaf: CertificateFixture) {
        let crlIssuer = try pki.makeCA(name: "Fixture CRL Issuer", parent: root, keyUsage: ["cRLSign"])
        let dp = ["crlDistributionPoints = crldp_section", "[crldp_section]", "fullname = URI:http://crl.example/indirect.crl",
                  "CRLissuer = dirName:crlissuer_dn", "[crlissuer_dn]", "O = smimekit fixtures", "CN = Fixture CRL Issuer"]
        let leaf = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice Indirect", issuer: intermediate, extraExtensions: dp)
        return (crlIssuer, leaf)
    }

    func testIndirectCRLRevokes() throws {
        let (crlIssuer, leaf) = try indirectSetup()
        let crl = try RevocationHelper.indirectCRL(in: pki, signer: crlIssuer, number: 1, entries: [(leaf, intermediate)])
        for options in [soft, hard] {
            assertFailed(try verify(try signed(by: leaf), certs: [crlIssuer.certPEM], crls: [crl, try rootCRL().pem], options: options),
                         with: .certificateRevoked)
        }
    }

    func testIndirectCRLEstablishesGoodStatusWhenHard() throws {
        let (crlIssuer, leaf) = try indirectSetup()
        let crl = try RevocationHelper.indirectCRL(in: pki, signer: crlIssuer, number: 1, entries: [])
        assertVerified(try verify(try signed(by: leaf), certs: [crlIssuer.certPEM], crls: [crl, try rootCRL().pem], options: hard))
        // The CRL issuer revoked by the root: its CRL cannot be used.
        let r = try verify(try signed(by: leaf), certs: [crlIssuer.certPEM], crls: [crl, try rootCRL(revoked: [crlIssuer]).pem], options: hard)
        assertFailed(r, with: .crlInvalid)
    }

    func testOlderIndirectCRLInMessageDoesNotHideNewerOne() throws {
        let (crlIssuer, leaf) = try indirectSetup()
        let older = try RevocationHelper.indirectCRL(in: pki, signer: crlIssuer, number: 1, entries: [])
        let newer = try RevocationHelper.indirectCRL(in: pki, signer: crlIssuer, number: 2, entries: [(leaf, intermediate)])
        let olderFixture = CRLFixtureFile(url: older)
        let message = try pki.addingCRLs(der: [try olderFixture.der()], to: try signed(by: leaf))
        assertFailed(try verify(message, certs: [crlIssuer.certPEM], crls: [newer, try rootCRL().pem], options: hard),
                     with: .certificateRevoked)
    }
}

/// A DER CRL file made outside PKIFactory.
struct CRLFixtureFile {
    let url: URL
    func der() throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
