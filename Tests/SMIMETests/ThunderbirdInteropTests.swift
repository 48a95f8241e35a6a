import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// Every row of ../shared/interop/thunderbird/expected.tsv, both columns.
final class ThunderbirdInteropTests: XCTestCase {
    func verifier(withBobKey: Bool) throws -> MessageVerifier {
        var config = TrustConfiguration(anchors: [Interop.thunderbirdTrustAnchor])
        config.useSystemTrust = false
        let trust = try TrustStore(config)
        var ids: [DecryptionIdentity] = []
        if withBobKey {
            let (key, cert, _) = try KeyLoader.identity(keyFile: Interop.bobPKCS12, certificateFile: nil, password: Interop.pkcs12Password)
            ids.append(DecryptionIdentity(key: key, certificate: cert))
        }
        return MessageVerifier(trust: trust, identities: ids)
    }

    func check(withBobKey: Bool) throws {
        let rows = try Interop.expectedRows()
        XCTAssertGreaterThan(rows.count, 60, "expected.tsv should list the whole corpus")
        let v = try verifier(withBobKey: withBobKey)
        // The corpus was made in January 2026; verify at a fixed time inside its certificates' validity.
        let at = Date(timeIntervalSince1970: 1_780_000_000) // 2026-05-28
        for row in rows {
            let bytes = [UInt8](try Data(contentsOf: row.url))
            let r = v.verify(bytes: bytes, at: at)
            let got = r.status?.rawValue ?? "null"
            let want = withBobKey ? row.statusWithBobKey : row.status
            XCTAssertTrue(want.contains(got), "\(row.file): got \(got), want \(want.sorted().joined(separator: "|")); problems: \(r.problems.map(\.message))")
            if let s = r.status, s.isFailed {
                XCTAssertFalse(r.problems.isEmpty, "\(row.file): failed without a reason")
            } else {
                XCTAssertNil(r.smimeErrors, "\(row.file): errors on a non-failed status")
            }
        }
    }

    func testExpectedStatusesWithoutKey() throws { try check(withBobKey: false) }
    func testExpectedStatusesWithBobsKey() throws { try check(withBobKey: true) }

    func testSHA1AcceptedWhenAllowed() throws {
        var config = TrustConfiguration(anchors: [Interop.thunderbirdTrustAnchor])
        config.useSystemTrust = false
        var options = VerificationOptions()
        options.allowSHA1 = true
        let v = MessageVerifier(trust: try TrustStore(config), options: options)
        let url = Interop.thunderbirdDirectory.appendingPathComponent("smime/alice.dsig.SHA1.multipart.eml")
        let r = v.verify(bytes: [UInt8](try Data(contentsOf: url)), at: Date(timeIntervalSince1970: 1_780_000_000))
        XCTAssertEqual(r.status, .signedVerified, "\(r.problems)")
        let strict = try verifier(withBobKey: false).verify(bytes: [UInt8](try Data(contentsOf: url)), at: Date(timeIntervalSince1970: 1_780_000_000))
        XCTAssertEqual(strict.problems.map(\.code), [.weakDigest])
    }

    func testAliceAddressComesFromSubjectEmail() throws {
        let url = Interop.thunderbirdDirectory.appendingPathComponent("smime/alice.dsig.SHA256.multipart.eml")
        let r = try verifier(withBobKey: false).verify(bytes: [UInt8](try Data(contentsOf: url)), at: Date(timeIntervalSince1970: 1_780_000_000))
        XCTAssertEqual(r.signers.first?.emails, ["Alice@example.com"])
        XCTAssertEqual(r.status, .signedVerified)
    }

    func testTamperedContentIsReported() throws {
        let url = Interop.thunderbirdDirectory.appendingPathComponent("smime/alice.dsig.SHA256.multipart.bad.eml")
        let r = try verifier(withBobKey: false).verify(bytes: [UInt8](try Data(contentsOf: url)), at: Date(timeIntervalSince1970: 1_780_000_000))
        XCTAssertEqual(r.status, .signedFailed)
        XCTAssertTrue(r.problems.contains { $0.code == .contentAltered || $0.code == .signatureInvalid }, "\(r.problems)")
    }

    func testExpiredAfterCertificatesEnd() throws {
        // Alice's certificate ends 2031-01-26: verifying in 2032 must say it expired.
        let url = Interop.thunderbirdDirectory.appendingPathComponent("smime/alice.dsig.SHA256.multipart.eml")
        let r = try verifier(withBobKey: false).verify(bytes: [UInt8](try Data(contentsOf: url)), at: Date(timeIntervalSince1970: 1_960_000_000))
        XCTAssertEqual(r.status, .signedFailed)
        XCTAssertTrue(r.problems.contains { $0.code == .certificateExpired }, "\(r.problems)")
    }
}
