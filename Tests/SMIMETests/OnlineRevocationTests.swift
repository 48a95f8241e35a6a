import Foundation
@testable import SMIME
import TestSupport
import XCTest

/// An answer cache in memory, standing in for the result store.
final class MemoryAnswerCache: RevocationAnswerCache, @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: ([UInt8], Date)] = [:]
    func answer(for key: String, now: Date) -> [UInt8]? {
        lock.withLock { entries[key].flatMap { $0.1 > now ? $0.0 : nil } }
    }
    func store(_ der: [UInt8], for key: String, url: String, until: Date) {
        lock.withLock { entries[key] = (der, until) }
    }
    var count: Int { lock.withLock { entries.count } }
}

/// Issue 12 items 2-4: --online against a loopback OCSP responder and CRL /
/// caIssuers server that each test starts (Tests/TestSupport/revocation_helper.py)
/// and a test CA whose certificates name it.
final class OnlineRevocationTests: VerifierTestCase {
    var server: RevocationServer!
    var responder: CertificateFixture!
    /// alice names OCSP, caIssuers and a CRL DP; crlOnly names only a CRL DP.
    var crlOnly: CertificateFixture!

    override func setUpWithError() throws {
        server = try RevocationServer()
        pki = try PKIFactory(sharingKeys: true)
        root = try pki.makeCA(name: "Online Root")
        let rootAIA = ["authorityInfoAccess = OCSP;URI:\(server.url("/ocsp/root"))",
                       "crlDistributionPoints = URI:\(server.url("/crl/root.crl"))"]
        intermediate = try pki.makeCA(name: "Online Intermediate", parent: root, extraExtensions: rootAIA)
        alice = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice Online", issuer: intermediate, extraExtensions: [
            "authorityInfoAccess = OCSP;URI:\(server.url("/ocsp/int")),caIssuers;URI:\(server.url("/ca/int.der"))",
            "crlDistributionPoints = URI:\(server.url("/crl/int.crl"))",
        ])
        crlOnly = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice CRL Only", issuer: intermediate, extraExtensions: [
            "crlDistributionPoints = URI:\(server.url("/crl/int.crl"))",
        ])
        responder = try pki.makeLeaf(email: nil, commonName: "Online Intermediate OCSP", issuer: intermediate,
                                     keyUsage: ["digitalSignature"], extendedKeyUsage: ["OCSPSigning"])
        try serve()
    }

    override func tearDown() {
        server?.stop()
        server = nil
        super.tearDown()
    }

    /// What the server answers. Statuses by certificate; nil leaves it out of the responder.
    func serve(alice aliceStatus: String = "good", crlOnly crlOnlyStatus: String = "good", intermediate intStatus: String = "good",
               intResponder: CertificateFixture? = nil, nextUpdate: Int? = 3600, thisUpdate: Int = -60,
               crlRevoked: [CertificateFixture] = [], files: [String: URL] = [:], hang: [String] = []) throws {
        let r = intResponder ?? responder!
        let intCRL = try pki.makeCRL(issuer: intermediate, revoked: crlRevoked)
        let rootCRL = try pki.makeCRL(issuer: root)
        var allFiles: [String: String] = ["/crl/int.crl": intCRL.der.path, "/crl/root.crl": rootCRL.der.path,
                                          "/ca/int.der": intermediate.certDER.path]
        for (k, v) in files { allFiles[k] = v.path }
        try server.setState([
            "files": allFiles,
            "hang": hang,
            "ocsp": [
                "/ocsp/int": [
                    "issuer": intermediate.certPEM.path, "responder": r.certPEM.path, "responder_key": r.keyPEM.path,
                    "this_update": thisUpdate, "next_update": nextUpdate.map { $0 as Any } ?? NSNull(),
                    "certs": [alice.serial: ["cert": alice.certPEM.path, "status": aliceStatus],
                              crlOnly.serial: ["cert": crlOnly.certPEM.path, "status": crlOnlyStatus]],
                ] as [String: Any],
                "/ocsp/root": [
                    "issuer": root.certPEM.path, "responder": root.certPEM.path, "responder_key": root.keyPEM.path,
                    "this_update": -60, "next_update": 3600,
                    "certs": [intermediate.serial: ["cert": intermediate.certPEM.path, "status": intStatus]],
                ] as [String: Any],
            ] as [String: Any],
        ])
    }

    var soft: VerificationOptions { var o = VerificationOptions(); o.online = true; return o }
    var hard: VerificationOptions { var o = soft; o.revocation = .hard; return o }

    func verifyOnline(_ message: [UInt8], options: VerificationOptions, online: OnlineRevocation = OnlineRevocation(timeout: 3)) throws -> VerificationResult {
        let v = MessageVerifier(trust: try trust(), options: options, online: online)
        return v.verify(bytes: message, at: Date())
    }

    // MARK: Answers

    func testGoodByOCSP() throws {
        for options in [soft, hard] {
            let r = try verifyOnline(try signed(), options: options)
            assertVerified(r)
            let statuses = try XCTUnwrap(r.signers.first?.revocation)
            XCTAssertEqual(statuses.map(\.state), [.good, .good, .anchor], "\(statuses)")
            XCTAssertEqual(statuses[0].method, "OCSP")
            XCTAssertEqual(statuses[0].url, server.url("/ocsp/int"))
            XCTAssertTrue(statuses[0].text.hasPrefix("good, OCSP \(server.url("/ocsp/int")), produced "), statuses[0].text)
            XCTAssertEqual(statuses[1].url, server.url("/ocsp/root"))
        }
        XCTAssertTrue(server.requests.contains("POST /ocsp/int"), "\(server.requests)")
        // OCSP answered: no CRL was fetched.
        XCTAssertFalse(server.requests.contains { $0.contains("/crl/") }, "\(server.requests)")
    }

    func testOfflineSaysNotChecked() throws {
        let r = try verify(try signed())
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.revocation.first?.text, "not checked: offline")
        XCTAssertTrue(server.requests.isEmpty, "offline asked the network: \(server.requests)")
    }

    func testRevokedByOCSP() throws {
        try serve(alice: "revoked")
        for options in [soft, hard] {
            let r = try verifyOnline(try signed(), options: options)
            assertFailed(r, with: .certificateRevoked)
            XCTAssertTrue(r.problems.contains { $0.message.contains("OCSP \(server.url("/ocsp/int"))") }, "\(r.problems)")
            XCTAssertEqual(r.signers.first?.revocation.first?.state, .revoked)
        }
    }

    func testRevokedIntermediateByOCSP() throws {
        try serve(intermediate: "revoked")
        assertFailed(try verifyOnline(try signed(), options: soft), with: .certificateRevoked)
    }

    func testRevokedByCRLDistributionPointOnly() throws {
        try serve(crlRevoked: [crlOnly])
        for options in [soft, hard] {
            let r = try verifyOnline(try signed(by: crlOnly), options: options)
            assertFailed(r, with: .certificateRevoked)
            let status = try XCTUnwrap(r.signers.first?.revocation.first)
            XCTAssertEqual(status.state, .revoked)
            XCTAssertEqual(status.text, "revoked (CRL \(server.url("/crl/int.crl")))")
        }
        XCTAssertTrue(server.requests.contains("GET /crl/int.crl"), "\(server.requests)")
    }

    func testGoodByCRLDistributionPoint() throws {
        let r = try verifyOnline(try signed(by: crlOnly), options: hard)
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.revocation.first?.text, "good, CRL \(server.url("/crl/int.crl"))")
    }

    /// OCSP has no usable answer (the responder does not know the certificate): the CRL decides.
    func testFallsBackToCRLWhenOCSPHasNoAnswer() throws {
        try serve(alice: "unknown", crlRevoked: [alice])
        assertFailed(try verifyOnline(try signed(), options: soft), with: .certificateRevoked)
    }

    // MARK: No answer

    func testResponderDownSoftIsANoteHardFails() throws {
        server.stop()
        let soft = try verifyOnline(try signed(), options: self.soft)
        assertVerified(soft)
        XCTAssertTrue(soft.notes.contains { $0.code == .revocationUnknown }, "\(soft.notes)")
        XCTAssertEqual(soft.signers.first?.revocation.first?.state, .unknown)
        assertFailed(try verifyOnline(try signed(), options: hard), with: .revocationUnknown)
    }

    func testExpiredResponseIsNoAnswer() throws {
        // Without a CRL to fall back on.
        let leaf = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice OCSP Only", issuer: intermediate,
                                    extraExtensions: ["authorityInfoAccess = OCSP;URI:\(server.url("/ocsp/int"))"])
        try serveIncluding(leaf, nextUpdate: -3600, thisUpdate: -7200)
        let r = try verifyOnline(try signed(by: leaf), options: soft)
        assertVerified(r)
        XCTAssertTrue(r.signers.first?.revocation.first?.reason?.contains("out of date") ?? false, "\(r.signers)")
        assertFailed(try verifyOnline(try signed(by: leaf), options: hard), with: .revocationUnknown)
    }

    /// serve(), with `leaf` known to the intermediate's responder too.
    func serveIncluding(_ leaf: CertificateFixture, status: String = "good", intResponder: CertificateFixture? = nil,
                        nextUpdate: Int? = 3600, thisUpdate: Int = -60) throws {
        let r = intResponder ?? responder!
        try server.setState([
            "ocsp": [
                "/ocsp/int": [
                    "issuer": intermediate.certPEM.path, "responder": r.certPEM.path, "responder_key": r.keyPEM.path,
                    "this_update": thisUpdate, "next_update": nextUpdate.map { $0 as Any } ?? NSNull(),
                    "certs": [leaf.serial: ["cert": leaf.certPEM.path, "status": status]],
                ] as [String: Any],
                "/ocsp/root": [
                    "issuer": root.certPEM.path, "responder": root.certPEM.path, "responder_key": root.keyPEM.path,
                    "certs": [intermediate.serial: ["cert": intermediate.certPEM.path, "status": "good"]],
                ] as [String: Any],
            ] as [String: Any],
        ])
    }

    func testUnauthorisedResponderIsRefused() throws {
        // Signed by a certificate of the right CA that is not an OCSP signer, and by another CA's responder.
        let notSigner = try pki.makeLeaf(email: nil, commonName: "Not An OCSP Signer", issuer: intermediate,
                                         keyUsage: ["digitalSignature"], extendedKeyUsage: ["emailProtection"])
        let otherRoot = try pki.makeCA(name: "Other Root")
        let otherResponder = try pki.makeLeaf(email: nil, commonName: "Other OCSP", issuer: otherRoot,
                                              keyUsage: ["digitalSignature"], extendedKeyUsage: ["OCSPSigning"])
        let leaf = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice OCSP Only", issuer: intermediate,
                                    extraExtensions: ["authorityInfoAccess = OCSP;URI:\(server.url("/ocsp/int"))"])
        for bad in [notSigner, otherResponder] {
            // A "good" from it is not believed: hard fails, soft notes it.
            try serveIncluding(leaf, intResponder: bad)
            assertFailed(try verifyOnline(try signed(by: leaf), options: hard), with: .revocationUnknown)
            let r = try verifyOnline(try signed(by: leaf), options: soft)
            XCTAssertTrue(r.signers.first?.revocation.first?.reason?.contains("authorised") ?? false, "\(r.signers)")
            XCTAssertEqual(r.signers.first?.revocation.first?.state, .unknown)
            // Nor is a "revoked" (it could be anybody's).
            try serveIncluding(leaf, status: "revoked", intResponder: bad)
            XCTAssertFalse(try verifyOnline(try signed(by: leaf), options: soft).problems.contains { $0.code == .certificateRevoked })
        }
    }

    // MARK: Caching

    func testCachedResponseServesAfterResponderWentAway() throws {
        let cache = MemoryAnswerCache()
        assertVerified(try verifyOnline(try signed(), options: hard, online: OnlineRevocation(timeout: 3, cache: cache)))
        XCTAssertEqual(cache.count, 2)  // the signer's and the intermediate's OCSP responses
        let asked = server.requests.count
        server.stop()
        // A new run with the same store: no request, still established.
        let r = try verifyOnline(try signed(), options: hard, online: OnlineRevocation(timeout: 3, cache: cache))
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.revocation.first?.cached, true)
        XCTAssertEqual(asked, 2)
    }

    func testOneRunAsksEachResponderOncePerCertificate() throws {
        let online = OnlineRevocation(timeout: 3)
        let v = MessageVerifier(trust: try trust(), options: hard, online: online)
        let message = try signed()
        DispatchQueue.concurrentPerform(iterations: 40) { _ in
            XCTAssertEqual(v.verify(bytes: message, at: Date()).status, .signedVerified)
        }
        XCTAssertEqual(server.requests.filter { $0.hasPrefix("POST /ocsp/int") }.count, 1, "\(server.requests)")
        XCTAssertEqual(server.requests.filter { $0.hasPrefix("POST /ocsp/root") }.count, 1, "\(server.requests)")
    }

    // MARK: Missing issuer

    func testMissingIntermediateFetchedFromCAIssuers() throws {
        let message = try signed(chain: [])
        assertFailed(try verify(message), with: .issuerNotFound)
        assertVerified(try verifyOnline(message, options: hard))
        XCTAssertTrue(server.requests.contains("GET /ca/int.der"), "\(server.requests)")
    }

    func testMissingIntermediateFromPKCS7CertsOnly() throws {
        let p7 = pki.directory.appendingPathComponent("int.p7c")
        try pki.run(["crl2pkcs7", "-nocrl", "-certfile", intermediate.certPEM.path, "-outform", "DER", "-out", p7.path])
        try serve(files: ["/ca/int.der": p7])
        assertVerified(try verifyOnline(try signed(chain: []), options: soft))
    }

    // MARK: Bounds

    func testResponderThatNeverAnswersEndsWithinTheTimeout() throws {
        try serve(hang: ["/ocsp/int", "/crl/int.crl"])
        let start = Date()
        let online = OnlineRevocation(timeout: 2)
        let r = try verifyOnline(try signed(), options: soft, online: online)
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.revocation.first?.state, .unknown)
        // Hard, same run: the failed URLs are not asked again.
        assertFailed(try verifyOnline(try signed(), options: hard, online: online), with: .revocationUnknown)
        XCTAssertLessThan(Date().timeIntervalSince(start), 12, "two hanging URLs at 2 s each, asked once")
    }

    /// Issue 12: with the responder down under --revocation hard, 1,000 messages from one
    /// signer end in seconds (each URL fails once for the run), not 1,000 timeouts.
    func testAThousandMessagesWithTheResponderDownEndInSeconds() throws {
        try serve(hang: ["/ocsp/int", "/crl/int.crl", "/ocsp/root", "/crl/root.crl"])
        let online = OnlineRevocation(timeout: 2)
        let v = MessageVerifier(trust: try trust(), options: hard, online: online)
        let message = try signed()
        let start = Date()
        let failed = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 1_000) { _ in
            let r = v.verify(bytes: message, at: Date())
            if r.status == .signedFailed && r.problems.contains(where: { $0.code == .revocationUnknown }) { failed.add() }
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(failed.value, 1_000, "every message fails under hard: no revocation answer")
        // Four hanging URLs at 2 s each, asked once; 1,000 timeouts would be 2,000 s.
        XCTAssertLessThan(seconds, 30, "1,000 messages took \(seconds) s")
        print("1,000 messages, responder down, hard: \(String(format: "%.2f", seconds)) s")
    }

    /// The figure issue 12 asks for (printed, not asserted: timings belong to bench/):
    /// what --online adds per message once the answers are cached, against offline.
    func testOnlineWarmCostPerMessageIsPrinted() throws {
        let message = try signed()
        let n = 300
        func perMessage(_ v: MessageVerifier) -> Double {
            _ = v.verify(bytes: message, at: Date())  // warms the path and answer caches
            let start = Date()
            for _ in 0..<n { XCTAssertEqual(v.verify(bytes: message, at: Date()).status, .signedVerified) }
            return Date().timeIntervalSince(start) / Double(n) * 1e6
        }
        let offline = perMessage(MessageVerifier(trust: try trust(), options: VerificationOptions()))
        let online = perMessage(MessageVerifier(trust: try trust(), options: soft, online: OnlineRevocation(timeout: 3)))
        print("per message: offline \(Int(offline)) us, --online with warm answers \(Int(online)) us (+\(Int(online - offline)) us)")
    }

    func testRedirectIsNotFollowed() throws {
        let leaf = try pki.makeLeaf(email: "alice@example.org", commonName: "Alice Redirected", issuer: intermediate,
                                    extraExtensions: ["crlDistributionPoints = URI:\(server.url("/crl/moved.crl"))"])
        try serve(crlRevoked: [leaf])
        var state: [String: Any] = [
            "files": ["/crl/int.crl": try pki.makeCRL(issuer: intermediate, revoked: [leaf]).der.path],
            "redirect": ["/crl/moved.crl": server.url("/crl/int.crl")],
        ]
        try server.setState(state)
        let r = try verifyOnline(try signed(by: leaf), options: soft)
        XCTAssertFalse(r.problems.contains { $0.code == .certificateRevoked }, "followed a redirect: \(r.problems)")
        XCTAssertTrue(server.requests.contains("GET /crl/moved.crl"), "\(server.requests)")
        XCTAssertFalse(server.requests.contains("GET /crl/int.crl"), "\(server.requests)")
        // The same CRL served directly revokes: the test can fail.
        state["redirect"] = [String: String]()
        state["files"] = ["/crl/moved.crl": try pki.makeCRL(issuer: intermediate, revoked: [leaf]).der.path]
        try server.setState(state)
        assertFailed(try verifyOnline(try signed(by: leaf), options: soft), with: .certificateRevoked)
    }

    func testOversizedAnswerIsRefused() throws {
        let big = pki.directory.appendingPathComponent("big.crl")
        try Data(repeating: 0x30, count: 3 << 20).write(to: big)
        try serve(files: ["/crl/int.crl": big])
        let online = OnlineRevocation(timeout: 3, maxResponseBytes: 1 << 20)
        let r = try verifyOnline(try signed(by: crlOnly), options: hard, online: online)
        assertFailed(r, with: .revocationUnknown)
    }
}

/// A counter several threads add to.
final class LockedCounter: @unchecked Sendable {  // every access holds `lock`
    private let lock = NSLock()
    private var count = 0
    func add() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
