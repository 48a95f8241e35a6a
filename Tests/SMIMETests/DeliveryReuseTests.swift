import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// verify(_:at:reusing:checkedAt:) must give exactly what a fresh check at
/// that time gives; it only saves the work when nothing time-dependent differs.
final class DeliveryReuseTests: VerifierTestCase {
    func assertSameAsFresh(_ bytes: [UInt8], now: Date, delivered: Date, crls: [URL] = [], expectReuse: Bool,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let v = MessageVerifier(trust: try trust(crls: crls))
        let message = try Message(bytes: bytes)
        let current = v.verify(message, at: now)
        let reused = v.verify(message, at: delivered, reusing: current, checkedAt: now)
        let fresh = v.verify(message, at: delivered)
        XCTAssertEqual(reused.status, fresh.status, file: file, line: line)
        XCTAssertEqual(reused.problems, fresh.problems, file: file, line: line)
        XCTAssertEqual(current.holds(at: delivered, as: now, skew: v.options.clockSkew), expectReuse, file: file, line: line)
    }

    func testInsideValidityIsReused() throws {
        try assertSameAsFresh(try signed(), now: Date() + 3600, delivered: Date() + 600, expectReuse: true)
    }

    func testExpiredNowButValidAtDeliveryIsRecomputed() throws {
        let old = try pki.makeLeaf(email: "alice@example.org", issuer: intermediate,
                                   notBefore: Date() - 400 * 86400, notAfter: Date() - 30 * 86400)
        let bytes = try pki.sign(MessageSpec(date: Date() - 100 * 86400), signer: old, includeChain: [intermediate])
        // Signed (by the clock of this test) now: signingTime is after the delivery time too.
        try assertSameAsFresh(bytes, now: Date(), delivered: Date() - 60, expectReuse: false)
    }

    func testSigningTimeAfterDeliveryIsRecomputed() throws {
        try assertSameAsFresh(try signed(), now: Date() + 3600, delivered: Date() - 3600, expectReuse: false)
    }

    func testCRLsAreNeverReused() throws {
        let crl = try pki.makeCRL(issuer: intermediate, revoked: [alice])
        try assertSameAsFresh(try signed(), now: Date() + 3600, delivered: Date() + 600, crls: [crl.pem], expectReuse: false)
    }

    func testUnsignedAndEncryptedAreTimeless() throws {
        let v = MessageVerifier(trust: try trust())
        let plain = VerificationResult()
        XCTAssertTrue(plain.holds(at: Date(), as: Date() - 86400, skew: v.options.clockSkew))
        let bob = try pki.makeLeaf(email: "bob@example.org", issuer: intermediate)
        let r = v.verify(bytes: try pki.encrypt(MessageSpec(), to: [bob]), at: Date())
        XCTAssertEqual(r.status, .unknown)
        XCTAssertTrue(r.holds(at: Date() - 86400, as: Date(), skew: v.options.clockSkew))
    }
}
