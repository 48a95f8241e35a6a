// The one layer walk and what was made one with it (issue 14): a message read
// whole and the same message left in its source meet the same rules, the layer
// limit included; certificates and CRLs are read from files one way; NSS's
// distrust dates are read as certificate times are.
import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

final class LayerWalkTests: VerifierTestCase {
    /// The verdict in memory and streamed (the in-memory limit is tiny), at one time.
    func verdicts(_ m: [UInt8], maxLayers: Int) throws -> (memory: VerificationResult, streamed: VerificationResult) {
        var options = VerificationOptions()
        options.maxLayers = maxLayers
        let v = MessageVerifier(trust: try trust(), options: options, inMemoryLimit: 16)
        let now = Date()
        return (v.verify(bytes: m, at: now), try v.verifyStreamed(MemorySource(m), at: now).get())
    }

    /// A whole message wrapped as message/rfc822 and signed (RFC 8551 3.1): the
    /// signature, the signed part and the wrapped message are three layers.
    func signedWrappedMessage() throws -> [UInt8] {
        let inner = "From: Alice Example <alice@example.org>\r\nSubject: wrapped\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        let content = Array("Content-Type: message/rfc822\r\n\r\n\(inner)".utf8)
        return Array("From: Alice Example <alice@example.org>\r\n".utf8) + (try pki.signEntity(content, signer: alice, includeChain: [intermediate]))
    }

    func testEveryLayerLimitGivesBothPathsOneVerdict() throws {
        for (m, depth) in [(try signed(), 2), (try signedWrappedMessage(), 3)] {
            for limit in 0...depth {
                let (memory, streamed) = try verdicts(m, maxLayers: limit)
                XCTAssertEqual(streamed.status, memory.status, "limit \(limit): streamed \(streamed.problems), in memory \(memory.problems)")
                XCTAssertEqual(streamed.problems, memory.problems, "limit \(limit)")
                XCTAssertEqual(streamed.notes, memory.notes, "limit \(limit)")
                XCTAssertEqual(streamed.layers, memory.layers, "limit \(limit)")
                XCTAssertEqual(streamed.headerProtection, memory.headerProtection, "limit \(limit)")
                if limit == 0 {
                    // Not even the outer layer is looked at: no verdict, and a note saying why.
                    XCTAssertNil(memory.status)
                    XCTAssertEqual(memory.notes.map(\.code), [.nestingTooDeep])
                } else if limit < depth {
                    assertFailed(memory, with: .nestingTooDeep)
                    XCTAssertEqual(memory.problems.map(\.layer), [limit], "the limit stops the walk at the layer it names")
                } else {
                    assertVerified(memory)
                }
            }
            XCTAssertEqual(try verdicts(m, maxLayers: depth).memory.headerProtection?.mode, depth == 3 ? "rfc822" : nil)
        }
    }

    func testFilesWithNothingToReadNameThemselves() throws {
        let empty = pki.directory.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try Data("not a certificate\n".utf8).write(to: empty.appendingPathComponent("note.txt"))
        func message(_ config: TrustConfiguration) -> String {
            var config = config
            config.useSystemTrust = false
            do {
                _ = try TrustStore(config)
                return "loaded"
            } catch {
                return "\(error)"
            }
        }
        let path = empty.relativePath
        XCTAssertEqual(message(TrustConfiguration(anchors: [empty])), "\(EngineError.noCertificates(path))")
        XCTAssertEqual(message(TrustConfiguration(extraCertificates: [empty])), "\(EngineError.noCertificates(path))")
        XCTAssertEqual(message(TrustConfiguration(crls: [empty])), "\(EngineError.noCRLs(path))")
        XCTAssertThrowsError(try KeyLoader.certificates(empty))
        // The same directory with a certificate in it, PEM or DER, is read.
        try FileManager.default.copyItem(at: root.certPEM, to: empty.appendingPathComponent("root.pem"))
        let pem = try XCTUnwrap(Certificate.parseAll(Array(Data(contentsOf: root.certPEM))).first)
        XCTAssertEqual(try KeyLoader.certificates(empty).map(\.fingerprint), [pem.fingerprint])
        let der = pem.der
        XCTAssertEqual(Certificate.parseAll(der).first?.fingerprint, Certificate.fromDER(der)?.fingerprint)
        XCTAssertNil(Certificate.fromDER(Array(der.dropLast(10))))
    }

    func testDistrustDatesAreReadAsCertificateTimes() {
        // Both RFC 5280 forms of one time.
        XCTAssertEqual(SystemAnchors.utcTime("20220831000000Z"), SystemAnchors.utcTime("220831000000Z"))
        XCTAssertEqual(SystemAnchors.utcTime("220831000000Z").map(\.timeIntervalSince1970), 1_661_904_000)
        // Dates that do not exist, and forms RFC 5280 does not allow, are no date.
        for bad in ["220230000000Z", "220831250000Z", "220831006000Z", "2208310000Z", "220831000000+0100", "20220831000000.5Z"] {
            XCTAssertNil(SystemAnchors.utcTime(bad), bad)
        }
    }
}
