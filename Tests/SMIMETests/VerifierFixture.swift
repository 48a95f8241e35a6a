import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// A small PKI (root → intermediate → leaves) made once per test class, and
/// shortcuts to verify messages against it.
class VerifierTestCase: XCTestCase {
    nonisolated(unsafe) static var shared: [String: PKIFactory] = [:]

    var pki: PKIFactory!
    var root: CertificateFixture!
    var intermediate: CertificateFixture!
    var alice: CertificateFixture!

    override func setUpWithError() throws {
        pki = try PKIFactory(sharingKeys: true)
        root = try pki.makeCA(name: "Fixture Root")
        intermediate = try pki.makeCA(name: "Fixture Intermediate", parent: root)
        alice = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice Example", issuer: intermediate)
    }

    func trust(anchors: [CertificateFixture]? = nil, certs: [URL] = [], crls: [URL] = []) throws -> TrustStore {
        var config = TrustConfiguration(anchors: (anchors ?? [root]).map(\.certPEM), extraCertificates: certs, crls: crls)
        config.useSystemTrust = false
        return try TrustStore(config)
    }

    func verify(_ bytes: [UInt8], anchors: [CertificateFixture]? = nil, certs: [URL] = [], crls: [URL] = [],
                options: VerificationOptions = VerificationOptions(), identities: [DecryptionIdentity] = [],
                at: Date = Date()) throws -> VerificationResult {
        let v = MessageVerifier(trust: try trust(anchors: anchors, certs: certs, crls: crls), options: options, identities: identities)
        return v.verify(bytes: bytes, at: at)
    }

    /// A message signed by `signer` with its intermediate included.
    func signed(by signer: CertificateFixture? = nil, spec: MessageSpec = MessageSpec(), detached: Bool = true,
                digest: String = "sha256", chain: [CertificateFixture]? = nil, pss: Bool = false) throws -> [UInt8] {
        let s = signer ?? alice!
        return try pki.sign(spec, signer: s, detached: detached, digest: digest,
                            includeChain: chain ?? Array(s.issuers.dropLast()), pss: pss)
    }

    func assertVerified(_ r: VerificationResult, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, .signedVerified, "problems: \(r.problems.map { "\($0.code): \($0.message)" })", file: file, line: line)
        XCTAssertNil(r.smimeErrors, file: file, line: line)
    }

    func assertFailed(_ r: VerificationResult, with code: ProblemCode, status: SMIMEStatus = .signedFailed,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, status, "problems: \(r.problems.map { "\($0.code): \($0.message)" })", file: file, line: line)
        XCTAssertTrue(r.problems.contains { $0.code == code },
                      "expected \(code), got \(r.problems.map { "\($0.code): \($0.message)" })", file: file, line: line)
        XCTAssertEqual(r.smimeErrors?.count, r.problems.count, file: file, line: line)
    }
}
