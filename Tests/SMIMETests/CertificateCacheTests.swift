import COpenSSLShim
import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// The certificate cache and the path cache of one MessageVerifier: parsing
/// through them gives the same CMS as parsing the bytes, and a certificate bag or
/// path met before never carries a verdict over to a message it does not fit.
final class CertificateCacheTests: VerifierTestCase {
    func encoded(_ cms: CMSMessage) -> [UInt8] { derEncoding { i2d_CMS_ContentInfo(cms.cms, $0) } }

    func testCachedParseEqualsPlainParse() throws {
        let content = Array("Content-Type: text/plain\r\n\r\nhello\r\n".utf8)
        let definite = try pki.signedData(content, signer: alice, includeChain: [intermediate])
        // -stream after the helper's -noindef: BER with indefinite lengths, as streamed S/MIME is.
        let indefinite = try pki.signedData(content, signer: alice, includeChain: [intermediate], extraArguments: ["-stream"])
        XCTAssertEqual(indefinite[1], 0x80)
        XCTAssertNotEqual(definite[1], 0x80)
        let cache = CertificateCache()
        for der in [definite, indefinite, definite, indefinite] {
            let plain = try XCTUnwrap(CMSMessage(der: der))
            let cached = try XCTUnwrap(CMSMessage.parse(der, certificates: cache))
            XCTAssertEqual(encoded(cached), encoded(plain))
            XCTAssertEqual(certificateCount(cached), 2)
        }
        // One parse per certificate, whichever message it came in.
        let a = try XCTUnwrap(SignedDataSplit.split(definite))
        let b = try XCTUnwrap(SignedDataSplit.split(indefinite))
        XCTAssertEqual(a.certificates.count, 2)
        for (x, y) in zip(a.certificates, b.certificates) {
            XCTAssertEqual(Array(x), Array(y))
            XCTAssertTrue(try XCTUnwrap(cache.certificate(x)) === (try XCTUnwrap(cache.certificate(y))))
        }
        // Another signer beside the same intermediate: the same object exactly for the same bytes.
        let other = try pki.makeLeaf(email: "bob@example.org", issuer: intermediate)
        let c = try XCTUnwrap(SignedDataSplit.split(try pki.signedData(content, signer: other, includeChain: [intermediate])))
        XCTAssertEqual(c.certificates.count, 2)
        var shared = 0
        for x in c.certificates {
            for y in a.certificates {
                let same = try XCTUnwrap(cache.certificate(x)) === (try XCTUnwrap(cache.certificate(y)))
                XCTAssertEqual(same, Array(x) == Array(y))
                if same { shared += 1 }
            }
        }
        XCTAssertEqual(shared, 1)
    }

    func certificateCount(_ cms: CMSMessage) -> Int {
        guard let certs = CMS_get1_certs(cms.cms) else { return 0 }
        defer { smk_x509_stack_free_all(certs) }
        return Int(smk_x509_stack_num(certs))
    }

    /// A path validated (and cached) for one message does not make the same
    /// certificates valid at a time outside their validity.
    func testCachedPathStillChecksTime() throws {
        let v = MessageVerifier(trust: try trust())
        let message = try signed()
        assertVerified(v.verify(bytes: message, at: Date()))
        let later = v.verify(bytes: message, at: Date() + 2 * 365 * 86400)
        XCTAssertEqual(later.status, .signedFailed)
        XCTAssertTrue(later.problems.contains { $0.code == .certificateExpired }, "\(later.problems)")
        let earlier = v.verify(bytes: message, at: Date() - 30 * 86400)
        XCTAssertEqual(earlier.status, .signedFailed)
        XCTAssertTrue(earlier.problems.contains { $0.code == .certificateNotYetValid }, "\(earlier.problems)")
        assertVerified(v.verify(bytes: message, at: Date()))
    }

    /// The same certificate bag, now with a CRL in the message that revokes the
    /// signer: the cached path does not stand in for the revocation check.
    func testRevocationAfterCachedPathFails() throws {
        let v = MessageVerifier(trust: try trust())
        let message = try signed()
        assertVerified(v.verify(bytes: message, at: Date()))
        let crl = try pki.makeCRL(issuer: intermediate, revoked: [alice])
        let revoked = v.verify(bytes: try pki.addingCRLs([crl], to: message), at: Date())
        XCTAssertEqual(revoked.status, .signedFailed)
        XCTAssertTrue(revoked.problems.contains { $0.code == .certificateRevoked }, "\(revoked.problems)")
        assertVerified(v.verify(bytes: message, at: Date()))
    }
}
