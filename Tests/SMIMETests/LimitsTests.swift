import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// The engine's resource limits: each has a default, can be changed, and
/// when hit says which limit it was (semantics.md, "Bad input").
final class SMIMELimitsTests: XCTestCase {
    private static let made = Result { try LimitsPKI() }
    private var pki: LimitsPKI!

    override func setUpWithError() throws {
        pki = try Self.made.get()
    }

    private func verifier(_ options: VerificationOptions = VerificationOptions(), limits: MIMELimits = .default) -> MessageVerifier {
        MessageVerifier(trust: pki.trust, options: options, limits: limits)
    }

    /// A message whose content is signed `layers` times, opaque signatures inside each other.
    private func nestedSignatures(_ layers: Int) throws -> [UInt8] {
        var entity = MessageSpec.textPart("The innermost text.\r\n")
        for _ in 0..<layers {
            entity = try pki.factory.signEntity(entity, signer: pki.alice, detached: false, includeChain: [pki.intermediate])
        }
        return MessageSpec().headerBlock + entity
    }

    func testLayerLimit() throws {
        let message = try nestedSignatures(3)
        XCTAssertEqual(VerificationOptions().maxLayers, 16)
        let ok = verifier().verify(bytes: message, at: Date())
        XCTAssertEqual(ok.status, .signedVerified, "\(ok.problems)")
        XCTAssertEqual(ok.layers.count, 3)

        var options = VerificationOptions()
        options.maxLayers = 2
        let r = verifier(options).verify(bytes: message, at: Date())
        XCTAssertEqual(r.status, .signedFailed)
        let problem = try XCTUnwrap(r.problems.first { $0.code == .nestingTooDeep })
        XCTAssertTrue(problem.message.contains("More than 2 nested S/MIME layers"), problem.message)
        XCTAssertTrue(problem.message.contains("--max-layers"), problem.message)
    }

    func testCertificateLimit() throws {
        // Signer, intermediate, root and two unrelated certificates: five in the SignedData.
        let message = try pki.factory.sign(MessageSpec(), signer: pki.alice,
                                           includeChain: [pki.intermediate, pki.root, pki.other1, pki.other2])
        XCTAssertEqual(VerificationOptions().maxCertificates, 100)
        let ok = verifier().verify(bytes: message, at: Date())
        XCTAssertEqual(ok.status, .signedVerified, "\(ok.problems)")

        var options = VerificationOptions()
        options.maxCertificates = 4
        let r = verifier(options).verify(bytes: message, at: Date())
        XCTAssertEqual(r.status, .signedFailed)
        let problem = try XCTUnwrap(r.problems.first { $0.code == .tooManyCertificates })
        XCTAssertTrue(problem.message.contains("carries 5 certificates, more than the limit of 4"), problem.message)
        XCTAssertTrue(problem.message.contains("--max-certificates"), problem.message)
        XCTAssertEqual(r.smimeErrors, r.problems.map(\.message))

        options.maxCertificates = 5
        XCTAssertEqual(verifier(options).verify(bytes: message, at: Date()).status, .signedVerified)
    }

    func testMIMELimitsReachTheVerdict() throws {
        // A signed message inside a multipart with many parts: the reader's limit is named in the note.
        var text = "From: alice@example.org\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n"
        for i in 0..<50 { text += "--p\r\n\r\n\(i)\r\n" }
        text += "--p--\r\n"
        let r = verifier(limits: MIMELimits(maxParts: 10)).verify(bytes: Array(text.utf8), at: Date())
        XCTAssertEqual(r.status, .unknown)
        let note = try XCTUnwrap(r.notes.first { $0.code == .unreadableMessage })
        XCTAssertTrue(note.message.contains("more than 10 MIME parts"), note.message)
        XCTAssertTrue(note.message.contains("--max-parts"), note.message)

        // The same limit inside a signed layer: the signature decided, so the message fails.
        var inner = "Content-Type: multipart/mixed; boundary=q\r\n\r\n"
        for i in 0..<50 { inner += "--q\r\n\r\n\(i)\r\n" }
        inner += "--q--\r\n"
        let opaque = try pki.factory.sign(MessageSpec(content: Array(inner.utf8)), signer: pki.alice, detached: false)
        let signed = verifier(limits: MIMELimits(maxParts: 10)).verify(bytes: opaque, at: Date())
        XCTAssertEqual(signed.status, .signedFailed)
        XCTAssertTrue(signed.problems.contains { $0.code == .unreadableMessage && $0.message.contains("--max-parts") },
                      "\(signed.problems)")
    }

    func testDepthAndHeaderLimitsNameThemselves() {
        let cases: [(MIMELimits, String, String)] = [
            (MIMELimits(maxDepth: 3), String(repeating: "Content-Type: message/rfc822\r\n\r\n", count: 10) + "x", "--max-depth"),
            (MIMELimits(maxHeaderBytes: 100), "Subject: " + String(repeating: "a", count: 200) + "\r\n\r\nx", "--max-header-bytes"),
            (MIMELimits(maxHeaderFields: 5), String(repeating: "X-A: 1\r\n", count: 10) + "\r\nx", "--max-header-fields"),
        ]
        for (limits, text, option) in cases {
            let r = verifier(limits: limits).verify(bytes: Array(text.utf8), at: Date())
            XCTAssertEqual(r.status, .unknown)
            XCTAssertTrue(r.notes.contains { $0.code == .unreadableMessage && $0.message.contains(option) }, "\(option): \(r.notes)")
        }
    }

    /// CMS CompressedData is never decompressed, so a zlib bomb costs nothing:
    /// the message is `unknown` (RFC 9219: S/MIME we cannot check).
    func testCompressedDataIsNotExpanded() throws {
        // About 16 MB of zeros in about 100 KB of zlib, written by hand: one
        // fixed-Huffman block of back-references (length 258, distance 1)
        // after a literal zero.
        let bomb = ZlibBomb.zeros(blocks: 65_000)
        XCTAssertLessThan(bomb.count, 110_000)
        let der = CompressedData.contentInfo(zlib: bomb)
        let message = Array("From: alice@example.org\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + SMIMEMessage.base64Lines(der)
        let start = Date()
        let r = verifier().verify(bytes: message, at: Date())
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertEqual(r.status, .unknown)
        XCTAssertTrue(r.notes.contains { $0.code == .unsupportedProtocol }, "\(r.notes)")
        XCTAssertEqual(StructureDetector.status(of: try Message(bytes: message)), .unknown)
    }
}

private final class LimitsPKI: @unchecked Sendable {  // immutable after init; XCTest runs one test at a time
    let factory: PKIFactory
    let root, intermediate, alice, other1, other2: CertificateFixture
    let trust: TrustStore

    init() throws {
        factory = try PKIFactory(sharingKeys: true)
        root = try factory.makeCA(name: "Limits Root", key: .ecP256)
        intermediate = try factory.makeCA(name: "Limits Intermediate", key: .ecP256, parent: root)
        alice = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice Example", issuer: intermediate, key: .ecP256)
        other1 = try factory.makeLeaf(email: "one@example.org", issuer: root, key: .ecP256)
        other2 = try factory.makeLeaf(email: "two@example.org", issuer: root, key: .ecP256)
        var config = TrustConfiguration(anchors: [root.certPEM])
        config.useSystemTrust = false
        trust = try TrustStore(config)
    }
}

/// A zlib stream that inflates to about 258 bytes per `block` symbol: small to
/// send, large to expand, which is exactly what the verifier must not do.
enum ZlibBomb {
    static func zeros(blocks: Int) -> [UInt8] {
        var bits = BitWriter()
        bits.write(1, count: 1)          // BFINAL
        bits.write(1, count: 2)          // BTYPE 01: fixed Huffman
        bits.writeHuffman(0b0011_0000, count: 8)   // literal 0 (codes 0-143 are 00110000 + n, 8 bits)
        for _ in 0..<blocks {
            bits.writeHuffman(0b1100_0101, count: 8)   // length code 285 (258): 11000101
            bits.writeHuffman(0, count: 5)             // distance code 0 (distance 1)
        }
        bits.writeHuffman(0, count: 7)   // end of block, code 256: 0000000
        var out: [UInt8] = [0x78, 0x9C] + bits.bytes
        // Adler-32 of the output is not checked by anybody here; any value will do
        // for a stream that is never inflated.
        out += [0, 0, 0, 1]
        return out
    }

    struct BitWriter {
        var bytes: [UInt8] = []
        var used = 0
        /// Extra bits and header fields: least significant bit first.
        mutating func write(_ value: Int, count: Int) {
            for i in 0..<count { put((value >> i) & 1) }
        }
        /// Huffman codes: most significant bit first.
        mutating func writeHuffman(_ code: Int, count: Int) {
            for i in stride(from: count - 1, through: 0, by: -1) { put((code >> i) & 1) }
        }
        private mutating func put(_ bit: Int) {
            if used == 0 { bytes.append(0) }
            bytes[bytes.count - 1] |= UInt8(bit) << used
            used = (used + 1) % 8
        }
    }
}

/// RFC 3274 CompressedData in a ContentInfo, DER.
enum CompressedData {
    static func contentInfo(zlib: [UInt8]) -> [UInt8] {
        let idCompressedData: [UInt8] = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x09]
        let idZlib: [UInt8] = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x03, 0x08]
        let idData: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01]
        let encapsulated = tlv(0x30, idData + tlv(0xA0, tlv(0x04, zlib)))
        let compressed = tlv(0x30, [0x02, 0x01, 0x00] + tlv(0x30, idZlib) + encapsulated)
        return tlv(0x30, idCompressedData + tlv(0xA0, compressed))
    }

    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        if content.count < 0x80 { return [tag, UInt8(content.count)] + content }
        var len: [UInt8] = []
        var n = content.count
        while n > 0 { len.insert(UInt8(n & 0xFF), at: 0); n >>= 8 }
        return [tag, 0x80 | UInt8(len.count)] + len + content
    }
}
