import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// Messages above the in-memory limit are verified by streaming. The limit is
/// set tiny here so that small messages take that path, and every verdict is
/// compared with the in-memory one for the same bytes.
final class StreamingVerificationTests: VerifierTestCase {
    func verifier(options: VerificationOptions = VerificationOptions(), identities: [DecryptionIdentity] = [],
                  inMemoryLimit: Int = 64, maxSignatureSize: Int = MessageVerifier.defaultMaxSignatureSize) throws -> MessageVerifier {
        MessageVerifier(trust: try trust(), options: options, identities: identities,
                        inMemoryLimit: inMemoryLimit, maxSignatureSize: maxSignatureSize)
    }

    /// The verdict through the streaming path (as a file, as the CLI reads it).
    func streamed(_ bytes: [UInt8], _ v: MessageVerifier? = nil, at: Date = Date()) throws -> VerificationResult {
        let v = try v ?? verifier()
        let url = try pki.write(bytes, name: "large.eml")
        let source = try FileSource(path: url.path)
        XCTAssertGreaterThan(source.count, v.inMemoryLimit, "the test must take the streaming path")
        return try v.verify(source: source, at: at).get()
    }

    /// A text part of about `size` bytes, with lines of 70 characters.
    func bigContent(_ size: Int, lineEnd: String = "\r\n") -> [UInt8] {
        var text = "Content-Type: text/plain; charset=us-ascii\(lineEnd)\(lineEnd)"
        let line = String(repeating: "abcdefghij", count: 7)
        var n = 0
        while text.utf8.count < size {
            text += "\(n) \(line)\(lineEnd)"
            n += 1
        }
        return Array(text.utf8)
    }

    func assertSameVerdict(_ bytes: [UInt8], _ v: MessageVerifier? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let v = try v ?? verifier()
        let now = Date()
        let memory = v.verify(bytes: bytes, at: now)
        let stream = try streamed(bytes, v, at: now)
        XCTAssertEqual(stream.status, memory.status, "streamed: \(stream.problems) \(stream.notes); in memory: \(memory.problems) \(memory.notes)", file: file, line: line)
        XCTAssertEqual(stream.problems, memory.problems, file: file, line: line)
        XCTAssertEqual(stream.notes, memory.notes, file: file, line: line)
        XCTAssertEqual(stream.layers, memory.layers, file: file, line: line)
        XCTAssertEqual(stream.signers, memory.signers, file: file, line: line)
    }

    func testLargeSignedMessageVerifiesStreamed() throws {
        let message = try signed(spec: MessageSpec(content: bigContent(300_000)))
        let r = try streamed(message)
        assertVerified(r)
        XCTAssertEqual(r.layers, ["signed (multipart/signed)"])
        XCTAssertEqual(r.signers.first?.subject.contains("Alice Example"), true)
        try assertSameVerdict(message)
    }

    func testOneByteChangedDeepInsideFailsWithContentAltered() throws {
        var message = try signed(spec: MessageSpec(content: bigContent(300_000)))
        // Deep inside the first part, far from the header and the signature.
        var at = message.count / 2
        while message[at] < 0x61 || message[at] > 0x7A { at += 1 }
        XCTAssertNotEqual(message[at], 0x0D)
        XCTAssertNotEqual(message[at], 0x0A)
        message[at] = message[at] == 0x61 ? 0x62 : 0x61
        let r = try streamed(message)
        assertFailed(r, with: .contentAltered)
        try assertSameVerdict(message)
    }

    func testLFOnlyFileVerifiesAsInMemory() throws {
        let crlf = try signed(spec: MessageSpec(content: bigContent(100_000)))
        let lf = Canonical.bareLF(crlf)
        XCTAssertLessThan(lf.count, crlf.count)
        assertVerified(try streamed(lf))
        try assertSameVerdict(lf)
        try assertSameVerdict(crlf)
    }

    func testContentSignedWithBareLFIsAcceptedWithANote() throws {
        // NSS hashes the part with LF line ends; the message carries CRLF.
        let content = bigContent(20_000)
        let der = try pki.signedData(Canonical.bareLF(content), signer: alice, includeChain: [intermediate])
        var text = "From: Alice Example <alice@example.org>\r\nMIME-Version: 1.0\r\n"
        text += "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b1\"\r\n\r\n"
        let message = Array(text.utf8) + Array("--b1\r\n".utf8) + content + Array("\r\n--b1\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + SMIMEMessage.base64Lines(der) + Array("\r\n--b1--\r\n".utf8)
        let r = try streamed(message)
        assertVerified(r)
        XCTAssertTrue(r.notes.contains { $0.code == .nonCanonicalContent })
        try assertSameVerdict(message)
    }

    func testMissingCloseDelimiterGivesTheInMemoryVerdict() throws {
        let message = try signed(spec: MessageSpec(content: bigContent(50_000)))
        let text = String(decoding: message, as: UTF8.self)
        guard let close = text.range(of: "--\r\n", options: .backwards) else { return XCTFail("no close delimiter") }
        // "--boundary--" becomes "--boundary": the signature part runs to the end.
        let cut = Array(text[..<close.lowerBound].utf8) + Array("\r\n".utf8)
        XCTAssertNotEqual(cut, message)
        try assertSameVerdict(cut)
        // A whole missing signature part is a malformed multipart/signed.
        guard let sig = text.range(of: "Content-Type: application/", options: .backwards),
              let lastDelimiter = text.range(of: "\r\n--", options: .backwards, range: text.startIndex..<sig.lowerBound) else { return XCTFail() }
        let onePart = Array(text[..<lastDelimiter.lowerBound].utf8)
        assertFailed(try streamed(onePart), with: .malformedMultipartSigned)
        try assertSameVerdict(onePart)
    }

    func testVerdictsMatchTheInMemoryPath() throws {
        let content = bigContent(5_000)
        var messages: [[UInt8]] = []
        messages.append(try signed(spec: MessageSpec(content: content)))
        messages.append(try Tamper.alterSignedContent(messages[0]))
        messages.append(try Tamper.truncateSignature(messages[0]))
        messages.append(try signed(spec: MessageSpec(from: "Eve <eve@example.org>", content: content)))
        messages.append(try signed(spec: MessageSpec(content: content), digest: "sha1"))
        messages.append(try signed(spec: MessageSpec(content: content), chain: []))
        let mallory = try pki.makeLeaf(email: "alice@example.org", commonName: "Mallory", issuer: try pki.makeCA(name: "Other Root"))
        messages.append(try pki.sign(MessageSpec(content: content), signer: mallory))
        messages.append(MessageSpec(content: content).unsigned)
        // An unsigned multipart/mixed around a signed part: only part of it is signed.
        let inner = try pki.signEntity(content, signer: alice, includeChain: [intermediate])
        var mixed = Array("From: Alice Example <alice@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain\r\n\r\nadded by anyone\r\n--mix\r\n".utf8)
        mixed += inner + Array("\r\n--mix--\r\n".utf8)
        messages.append(mixed)
        messages.append(Array("From: a@example.org\r\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=x\r\n\r\n--x\r\n\r\nhi\r\n--x\r\n\r\nsig\r\n--x--\r\n".utf8))
        messages.append(try pki.encrypt(MessageSpec(content: content), to: [alice]))
        for (i, m) in messages.enumerated() {
            try assertSameVerdict(m, nil, file: #filePath, line: UInt(1000 + i))
        }
        let strict = try verifier(options: { var o = VerificationOptions(); o.maxLayers = 1; return o }())
        try assertSameVerdict(messages[0], strict)
    }

    func testHugeUnsignedMessageIsNull() throws {
        let r = try streamed(MessageSpec(content: bigContent(200_000)).unsigned)
        XCTAssertNil(r.status)
        XCTAssertTrue(r.problems.isEmpty)
    }

    func testHugeOpaqueSignedMessageIsNotVerified() throws {
        let message = try signed(spec: MessageSpec(content: bigContent(50_000)), detached: false)
        XCTAssertEqual(try verifier().verify(bytes: message, at: Date()).status, .signedVerified)
        let r = try streamed(message)
        assertFailed(r, with: .messageTooLarge)
        XCTAssertTrue(r.problems[0].message.contains("--max-in-memory-size"), r.problems[0].message)
        // Without smime-type the leading OID still tells signed data.
        let text = String(decoding: message, as: UTF8.self).replacingOccurrences(of: " smime-type=signed-data;", with: "")
        XCTAssertFalse(text.contains("smime-type"))
        assertFailed(try streamed(Array(text.utf8)), with: .messageTooLarge)
    }

    func testHugeEncryptedMessageIsUnknown() throws {
        let message = try pki.encrypt(MessageSpec(content: bigContent(50_000)), to: [alice])
        let r = try streamed(message)
        XCTAssertEqual(r.status, .unknown)
        XCTAssertTrue(r.notes.contains { $0.code == .noDecryptionKey })
    }

    func testNestedSignatureInsideALargeMessageIsNotClaimedVerified() throws {
        let inner = try pki.signEntity(bigContent(30_000), signer: alice, includeChain: [intermediate])
        let message = try signed(spec: MessageSpec(content: inner))
        XCTAssertEqual(try verifier().verify(bytes: message, at: Date()).status, .signedVerified)
        let r = try streamed(message)
        assertFailed(r, with: .messageTooLarge)
        XCTAssertEqual(r.problems.count, 1)
        XCTAssertEqual(r.problems[0].layer, 1)
        XCTAssertTrue(r.signers.allSatisfy(\.verified), "the outer signature itself holds")
    }

    func testOversizedSignaturePartIsAProblem() throws {
        let message = try signed(spec: MessageSpec(content: bigContent(10_000)))
        let r = try streamed(message, try verifier(maxSignatureSize: 100))
        assertFailed(r, with: .messageTooLarge)
    }

    func testAFileChangedWhileReadIsNoVerdict() throws {
        let message = try signed(spec: MessageSpec(content: bigContent(100_000)))
        let url = try pki.write(message, name: "changing.eml")
        // Rewriting in place changes what is read; the fingerprint notices.
        let inPlace = try FileSource(path: url.path)
        let writer = try FileHandle(forWritingTo: url)
        try writer.seek(toOffset: 10)
        try writer.write(contentsOf: Data([0x58]))
        try writer.close()
        XCTAssertThrowsError(try inPlace.checkUnchanged())
        switch try verifier().verify(source: inPlace, at: Date()) {
        case .success(let r): XCTFail("a verdict on a changing file: \(String(describing: r.status))")
        case .failure(let e): XCTAssertEqual(e, .changed)
        }
    }

    func testStructureOfLargeMessages() throws {
        func status(_ bytes: [UInt8]) throws -> SMIMEStatus? {
            try StructureDetector.status(of: LargeMessage.open(MemorySource(bytes)))
        }
        let content = bigContent(5_000)
        let detached = try signed(spec: MessageSpec(content: content))
        let opaque = try signed(spec: MessageSpec(content: content), detached: false)
        let encrypted = try pki.encrypt(MessageSpec(content: content), to: [alice])
        let inner = try pki.signEntity(content, signer: alice)
        let mixed = Array("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n--alt\r\n".utf8)
            + inner + Array("\r\n--alt--\r\n--mix--\r\n".utf8)
        for m in [detached, opaque, encrypted, MessageSpec(content: content).unsigned, mixed] {
            XCTAssertEqual(try status(m), StructureDetector.status(of: try Message(bytes: m)))
        }
        XCTAssertEqual(try status(mixed), .signed)
    }

    /// Cut and damaged messages: the streamed verdict is never better than the in-memory one.
    func testDamagedMessagesAreNeverVerifiedStreamed() throws {
        let message = try signed(spec: MessageSpec(content: bigContent(3_000)))
        let v = try verifier(inMemoryLimit: 0)
        let now = Date()
        var rng = SystemRandomNumberGenerator()
        var inputs: [[UInt8]] = stride(from: 0, to: message.count, by: 97).map { Array(message[..<$0]) }
        for _ in 0..<60 {
            var m = message
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                m[Int.random(in: 0..<m.count, using: &rng)] = [0x0D, 0x0A, 0x2D, 0x20, 0x41].randomElement(using: &rng)!
            }
            inputs.append(m)
        }
        var verifiedBoth = 0
        for m in inputs {
            let memory = v.verify(bytes: m, at: now)
            let streamed = try v.verifyStreamed(MemorySource(m), at: now).get()
            XCTAssertEqual(streamed.status?.isFailed ?? false, !streamed.problems.isEmpty)
            if streamed.status?.isVerified == true {
                XCTAssertEqual(memory.status, .signedVerified, "streamed verified what memory did not: \(memory.problems)")
                verifiedBoth += 1
            }
        }
        XCTAssertFalse(inputs.isEmpty)
        _ = verifiedBoth
    }
}
