// A fixture for tests of what binds a signer to a sender across layers.
import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// Alice and Eve both hold valid certificates under the one anchor; Bob decrypts.
/// Shared by the layer spoofing and header protection tests.
final class SenderLayerPKI: @unchecked Sendable {  // immutable after init; XCTest runs one test at a time
    let factory: PKIFactory
    let root, alice, eve, bob: CertificateFixture
    let trust: TrustStore
    let bobKey: DecryptionIdentity

    init(rootName: String) throws {
        factory = try PKIFactory(sharingKeys: true)
        root = try factory.makeCA(name: rootName, key: .ecP256)
        alice = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice Example", issuer: root, key: .ecP256)
        eve = try factory.makeLeaf(email: "eve@evil.example", commonName: "Eve", issuer: root, key: .ecP256)
        bob = try factory.makeLeaf(email: "bob@example.org", commonName: "Bob Example", issuer: root, key: .ecP256)
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        trust = try TrustStore(config)
        let (key, cert, _) = try KeyLoader.identity(keyFile: bob.keyPEM, certificateFile: bob.certPEM, password: nil)
        bobKey = DecryptionIdentity(key: key, certificate: cert)
    }

    func verifier(inMemoryLimit: Int = MessageVerifier.defaultInMemoryLimit) -> MessageVerifier {
        MessageVerifier(trust: trust, identities: [bobKey], inMemoryLimit: inMemoryLimit)
    }

    func verify(_ m: [UInt8]) -> VerificationResult { verifier().verify(bytes: m, at: Date()) }

    /// multipart/signed around `content` (an entity), starting at MIME-Version.
    func detached(_ content: [UInt8], by signer: CertificateFixture) throws -> [UInt8] {
        try factory.signEntity(content, signer: signer)
    }

    /// application/pkcs7-mime signed-data holding `content`.
    func opaque(_ content: [UInt8], by signer: CertificateFixture) throws -> [UInt8] {
        try factory.signEntity(content, signer: signer, detached: false)
    }

    /// (true, multipart/signed) and (false, opaque signed-data) around `content`.
    func bothForms(_ content: [UInt8], by signer: CertificateFixture) throws -> [(Bool, [UInt8])] {
        [(true, try detached(content, by: signer)), (false, try opaque(content, by: signer))]
    }

    /// `entity` enveloped for Bob.
    func encrypted(_ entity: [UInt8]) throws -> [UInt8] {
        try factory.encryptEntity(entity, to: [bob])
    }

    /// The streamed verdict of `m` equals the in-memory one, protected fields included.
    func assertSameStreamed(_ m: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let now = Date()
        let memory = verifier().verify(bytes: m, at: now)
        let streamed = try verifier(inMemoryLimit: 16).verifyStreamed(MemorySource(m), at: now).get()
        XCTAssertEqual(streamed.status, memory.status, "streamed: \(streamed.problems); in memory: \(memory.problems)", file: file, line: line)
        XCTAssertEqual(streamed.problems, memory.problems, file: file, line: line)
        XCTAssertEqual(streamed.notes, memory.notes, file: file, line: line)
        XCTAssertEqual(streamed.headerProtection?.fields, memory.headerProtection?.fields, file: file, line: line)
    }
}
