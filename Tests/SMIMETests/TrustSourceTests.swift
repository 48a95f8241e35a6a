import Foundation
@testable import SMIME
import TestSupport
import XCTest

/// The default anchors: the roots NSS's built-in store trusts for e-mail
/// (Mozilla's root store, as Thunderbird uses it), read through PKCS#11.
final class TrustSourceTests: XCTestCase {
    static let emailOnlyRoots = ["CN=GlobalSign Secure Mail Root R45", "CN=HARICA Client RSA Root CA 2021"]
    static let serverOnlyRoot = "CN=Sectigo Public Server Authentication Root R46"

    override func setUpWithError() throws {
        try NSSRootStore.ensureInstalled()
    }

    private func store(_ source: TrustSource, module: String? = nil, anchors: [URL] = []) throws -> TrustStore {
        var config = TrustConfiguration(anchors: anchors)
        config.source = source
        config.nssModule = module
        return try TrustStore(config)
    }

    private func subjects(_ s: TrustStore) -> [String] { s.anchorList.map(\.certificate.subject) }

    private func contains(_ s: TrustStore, _ subjectStart: String) -> Bool {
        subjects(s).contains { $0.hasPrefix(subjectStart + ",") }
    }

    func testDefaultAnchorsAreNSSEmailRoots() throws {
        let s = try TrustStore(TrustConfiguration())
        XCTAssertEqual(s.source, .nssEmail)
        XCTAssertEqual(s.warnings, [])
        for root in Self.emailOnlyRoots { XCTAssertTrue(contains(s, root), "\(root) missing from \(subjects(s))") }
        XCTAssertFalse(contains(s, Self.serverOnlyRoot), "a TLS-only root is no e-mail anchor")
        XCTAssertGreaterThan(s.anchorList.count, 50)
        XCTAssertTrue(s.anchorList.allSatisfy { $0.source == "nss-email" })
        XCTAssertEqual(s.anchorFingerprints.count, s.anchorList.count)
    }

    /// Roots NSS trusts for TLS but not for e-mail never become anchors, whatever their number.
    func testServerAuthOnlyRootsAreLeftOut() throws {
        let module = try XCTUnwrap(SystemAnchors.modulePath(nil))
        let email = Set(try SystemAnchors.nssRoots(module: module, purpose: .email).get().map(\.fingerprint))
        let tls = Set(try SystemAnchors.nssRoots(module: module, purpose: .serverAuth).get().map(\.fingerprint))
        let tlsOnly = tls.subtracting(email)
        XCTAssertFalse(tlsOnly.isEmpty, "Mozilla's store has roots for TLS only")
        XCTAssertFalse(email.subtracting(tls).isEmpty, "and roots for e-mail only")
        let s = try store(.nssEmail)
        XCTAssertTrue(s.anchorFingerprints.isDisjoint(with: tlsOnly))
        XCTAssertEqual(s.anchorFingerprints, email)
    }

    func testBundleSourceIsTheSystemCABundle() throws {
        let s = try store(.bundle)
        XCTAssertEqual(s.source, .bundle)
        XCTAssertTrue(contains(s, Self.serverOnlyRoot))
        XCTAssertTrue(s.anchorList.allSatisfy { $0.source == "bundle" })
        XCTAssertNotEqual(s.anchorSetDigest, try store(.nssEmail).anchorSetDigest,
                          "a change of source changes the anchor-set key of cached verdicts")
    }

    func testMissingModuleFallsBackToTheBundleWithOneWarning() throws {
        for module in ["/nonexistent/libnssckbi.so", PackageRoot.url.appendingPathComponent("Package.swift").path] {
            let s = try store(.nssEmail, module: module)
            XCTAssertEqual(s.source, .bundle)
            XCTAssertEqual(s.warnings.count, 1, "\(s.warnings)")
            XCTAssertTrue(s.warnings.first?.contains("--trust-source") ?? false)
            XCTAssertFalse(s.warnings.first?.contains("\n") ?? true)
            XCTAssertTrue(contains(s, Self.serverOnlyRoot))
        }
    }

    func testNoneAndUserAnchors() throws {
        XCTAssertEqual(try store(.none).anchorList.count, 0)
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Trust Source Root")
        let own = try store(.none, anchors: [root.certPEM])
        XCTAssertEqual(own.anchorList.map(\.source), [root.certPEM.relativePath])
        // useSystemTrust = false still means none.
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        XCTAssertEqual(try TrustStore(config).anchorList.count, 1)
        // User anchors come after the defaults; an anchor named twice is listed once.
        let both = try store(.nssEmail, anchors: [root.certPEM, root.certPEM])
        XCTAssertEqual(both.anchorList.last?.source, root.certPEM.relativePath)
        XCTAssertEqual(both.anchorList.count, try store(.nssEmail).anchorList.count + 1)
    }

    /// Loading is done once per run, and the certificates are parsed only when a
    /// path is checked: the anchor-set key needs nothing but their hashes.
    func testLoadingIsCheapAndParsingLazy() throws {
        var open = Double.infinity, parse = Double.infinity
        var count = 0
        for _ in 0..<5 {
            let start = Date()
            let s = try store(.nssEmail)
            let opened = Date()
            count = s.anchorList.count
            parse = min(parse, Date().timeIntervalSince(opened))
            open = min(open, opened.timeIntervalSince(start))
            XCTAssertEqual(Set(s.anchorList.map(\.certificate.fingerprint)), s.anchorFingerprints,
                           "the fingerprints known before parsing are those of the parsed anchors")
        }
        print("TrustSourceTests: \(count) NSS e-mail anchors: opened in \(String(format: "%.1f", open * 1000)) ms, parsed in \(String(format: "%.1f", parse * 1000)) ms (best of 5)")
        XCTAssertLessThan(open, 0.05)
        XCTAssertLessThan(parse, 0.5)
    }
}

/// NSS refuses a path through an intermediate whose extendedKeyUsage is present
/// without emailProtection or anyExtendedKeyUsage; so do we.
final class IntermediatePurposeTests: VerifierTestCase {
    func testIntermediateEKUMustAllowEmail() throws {
        let cases: [(String, [String], Bool)] = [
            ("serverAuth", ["extendedKeyUsage = serverAuth"], false),
            ("serverAuth clientAuth", ["extendedKeyUsage = serverAuth,clientAuth"], false),
            ("codeSigning critical", ["extendedKeyUsage = critical,codeSigning"], false),
            ("emailProtection", ["extendedKeyUsage = emailProtection"], true),
            ("serverAuth emailProtection", ["extendedKeyUsage = serverAuth,emailProtection"], true),
            ("anyExtendedKeyUsage", ["extendedKeyUsage = anyExtendedKeyUsage"], true),
            ("no EKU", [], true),
        ]
        for (label, ext, allowed) in cases {
            let ca = try pki.makeCA(name: "Intermediate \(label)", parent: root, extraExtensions: ext)
            let signer = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice under \(label)", issuer: ca)
            let r = try verify(try signed(by: signer))
            if allowed {
                assertVerified(r)
            } else {
                assertFailed(r, with: .extendedKeyUsage)
                let p = r.problems.first { $0.code == .extendedKeyUsage }
                XCTAssertTrue(p?.message.contains("Intermediate \(label)") ?? false, "\(label): \(r.problems)")
                XCTAssertEqual(r.problems.filter { $0.code == .extendedKeyUsage }.count, 1, "\(label): \(r.problems)")
            }
        }
    }

    /// Higher up counts too: root → no EKU → serverAuth only → signer.
    func testEKUOfAnyCAInThePathCounts() throws {
        let upper = try pki.makeCA(name: "Upper CA", parent: root)
        let lower = try pki.makeCA(name: "TLS Issuing CA", parent: upper, extraExtensions: ["extendedKeyUsage = serverAuth"])
        let signer = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice deep", issuer: lower)
        let r = try verify(try signed(by: signer, chain: [lower, upper]))
        assertFailed(r, with: .extendedKeyUsage)
        XCTAssertTrue(r.problems.contains { $0.message.contains("TLS Issuing CA") }, "\(r.problems)")

        let tlsUpper = try pki.makeCA(name: "TLS Upper CA", parent: root, extraExtensions: ["extendedKeyUsage = serverAuth"])
        let mailLower = try pki.makeCA(name: "Mail CA under TLS", parent: tlsUpper, extraExtensions: ["extendedKeyUsage = emailProtection"])
        let signer2 = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice deep 2", issuer: mailLower)
        let r2 = try verify(try signed(by: signer2, chain: [mailLower, tlsUpper]))
        assertFailed(r2, with: .extendedKeyUsage)
        XCTAssertTrue(r2.problems.contains { $0.message.contains("TLS Upper CA") }, "\(r2.problems)")
    }

    /// The signer's own EKU is still reported once, in checkPurpose's words.
    func testSignerEKUReportedOnce() throws {
        let signer = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice TLS", issuer: intermediate,
                                      extendedKeyUsage: ["serverAuth"])
        let r = try verify(try signed(by: signer))
        assertFailed(r, with: .extendedKeyUsage)
        XCTAssertEqual(r.problems.filter { $0.code == .extendedKeyUsage }.count, 1, "\(r.problems)")
    }
}

/// Mozilla stops trusting some e-mail roots for certificates issued after a
/// date (CKA_NSS_EMAIL_DISTRUST_AFTER); NSS judges by the certificate's notBefore.
final class EmailDistrustAfterTests: VerifierTestCase {
    func testNSSDatesAreRead() throws {
        try NSSRootStore.ensureInstalled()
        let s = try TrustStore(TrustConfiguration())
        let dated = s.anchorList.filter { $0.emailDistrustAfter != nil }
        XCTAssertFalse(dated.isEmpty, "NSS 3.87 dates several legacy e-mail roots")
        let verisign = dated.first { $0.certificate.subject.hasPrefix("CN=VeriSign Class 1 Public Primary Certification Authority - G3,") }
        XCTAssertEqual(verisign?.emailDistrustAfter, JMAPDateParse("2022-08-31T00:00:00Z"))
        XCTAssertEqual(s.emailDistrustAfter.count, dated.count)
        XCTAssertNil(s.anchorList.first { $0.certificate.subject.hasPrefix("CN=GlobalSign Secure Mail Root R45,") }?.emailDistrustAfter)
    }

    func testUTCTimeForms() {
        XCTAssertEqual(SystemAnchors.utcTime("220831000000Z"), JMAPDateParse("2022-08-31T00:00:00Z"))
        XCTAssertEqual(SystemAnchors.utcTime("490101120000Z"), JMAPDateParse("2049-01-01T12:00:00Z"))
        XCTAssertEqual(SystemAnchors.utcTime("500101000000Z"), JMAPDateParse("1950-01-01T00:00:00Z"))
        XCTAssertEqual(SystemAnchors.utcTime("20501231235959Z"), JMAPDateParse("2050-12-31T23:59:59Z"))
        for bad in ["", "2208310000Z", "221331000000Z", "22083100000aZ", "220831000000"] { XCTAssertNil(SystemAnchors.utcTime(bad), bad) }
    }

    func testCertificatesIssuedAfterTheDateFail() throws {
        // Alice's notBefore is a day ago.
        for (distrust, verified) in [(Date() - 10 * 86400, false), (Date() - 2 * 86400, false), (Date(), true), (Date() + 86400, true)] {
            let store = try trust()
            store.emailDistrustAfter[root.fingerprintForTests] = distrust
            let r = MessageVerifier(trust: store, options: VerificationOptions(), identities: []).verify(bytes: try signed(), at: Date())
            if verified {
                assertVerified(r)
            } else {
                assertFailed(r, with: .untrustedRoot)
                XCTAssertTrue(r.problems.contains { $0.message.contains("Fixture Root") && $0.message.contains("issued until") }, "\(r.problems)")
            }
        }
    }
}

private func JMAPDateParse(_ s: String) -> Date? { ISO8601DateFormatter().date(from: s) }

private extension CertificateFixture {
    var fingerprintForTests: String { Certificate.parseAll((try? derBytes()) ?? []).first?.fingerprint ?? "" }
}
