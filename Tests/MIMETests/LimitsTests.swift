import XCTest
@testable import MIME

final class LimitsTests: XCTestCase {
    /// A multipart nested `levels` deep, each level with its own boundary.
    func nested(_ levels: Int) -> [UInt8] {
        var s = ""
        for i in 0..<levels {
            s += "Content-Type: multipart/mixed; boundary=\"b\(i)\"\r\n\r\n--b\(i)\r\n"
        }
        s += "Content-Type: text/plain\r\n\r\ncore\r\n"
        for i in (0..<levels).reversed() { s += "--b\(i)--\r\n" }
        return Array(s.utf8)
    }

    func testNesting1000DeepIsRejected() {
        let bytes = nested(1000)
        expectError(.depthExceeded(limit: 64)) { () throws(MIMEError) in
            _ = try Message(bytes: bytes)
        }
    }

    func testNestingWithinLimitParses() throws {
        let m = try Message(bytes: nested(60))
        var p = m.root
        while let c = p.children.first { p = c }
        XCTAssertEqual(p.depth, 60)
        XCTAssertEqual(m.text(p), "core")
        // Raising the limit lets the 1000-deep one through without recursing past it.
        let deep = try Message(bytes: nested(1000), limits: MIMELimits(maxDepth: 1000))
        var q = deep.root
        while let c = q.children.first { q = c }
        XCTAssertEqual(q.depth, 1000)
    }

    func testDeepMessageRFC822Nesting() {
        var s = ""
        for _ in 0..<1000 { s += "Content-Type: message/rfc822\r\n\r\n" }
        s += "x"
        let bytes = Array(s.utf8)
        expectError(.depthExceeded(limit: 64)) { () throws(MIMEError) in
            _ = try Message(bytes: bytes)
        }
    }

    func manyParts(_ n: Int) -> [UInt8] {
        var s = "Content-Type: multipart/mixed; boundary=p\r\n\r\n"
        for i in 0..<n { s += "--p\r\n\r\n\(i)\r\n" }
        s += "--p--\r\n"
        return Array(s.utf8)
    }

    func testTooManyParts() throws {
        let bytes = manyParts(10_000)   // plus the root: 10,001 parts
        expectError(.tooManyParts(limit: 10_000)) { () throws(MIMEError) in
            _ = try Message(bytes: bytes)
        }
        let ok = try Message(bytes: manyParts(9_999))
        XCTAssertEqual(ok.root.children.count, 9_999)
        XCTAssertEqual(ok.text(ok.root.children[9_998]), "9998")
    }

    func testHugeHeaderLine() throws {
        let long = String(repeating: "a", count: 200_000)
        let s = "Subject: \(long)\r\nX-Folded: start\r\n" + String(repeating: " folded line\r\n", count: 20_000) + "\r\nbody"
        let start = Date()
        let m = try parse(s)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2.0)
        XCTAssertEqual(m.root.firstValue(named: "subject")?.count, 200_000)
        XCTAssertEqual(m.root.headers[1].rawValue.count, " start\r\n".utf8.count + 20_000 * " folded line\r\n".utf8.count - 2)
        XCTAssertEqual(m.text(m.root), "body")
    }

    func testHeaderTooLarge() {
        let s = "Subject: " + String(repeating: "a", count: 2_000_000) + "\r\n\r\nx"
        let bytes = Array(s.utf8)
        expectError(.headerTooLarge(limit: 1 << 20)) { () throws(MIMEError) in
            _ = try Message(bytes: bytes)
        }
        // A long first body line (no header block at all) is body, not header.
        let body = Array(("X-A: 1\r\n" + String(repeating: "b", count: 2_000_000)).utf8)
        XCTAssertEqual(try? Message(bytes: body).root.bodyRange.count, 2_000_000)
    }

    func testTooManyHeaderFields() throws {
        let s = String(repeating: "X-A: 1\r\n", count: 6_000) + "\r\n"
        let bytes = Array(s.utf8)
        expectError(.tooManyHeaderFields(limit: 5_000)) { () throws(MIMEError) in
            _ = try Message(bytes: bytes)
        }
        let m = try Message(bytes: bytes, limits: MIMELimits(maxHeaderFields: 6_000))
        XCTAssertEqual(m.root.headers.count, 6_000)
    }

    func testRandomBytesNeverCrash() {
        var rng = SplitMix(seed: 42)
        let alphabet: [UInt8] = Array("--b\r\n:=?Q?B?Content-Type: multipart/mixed; boundary=b\r\n\r\nbase64 \0\u{80}\u{FF}".utf8)
        for round in 0..<3_000 {
            let n = Int(rng.next() % 600)
            var bytes = [UInt8]()
            for _ in 0..<n {
                let r = rng.next()
                // Half pure noise, half noise built from MIME-looking pieces.
                bytes.append(round % 2 == 0 ? UInt8(truncatingIfNeeded: r) : alphabet[Int(r % UInt64(alphabet.count))])
            }
            if round % 3 == 0 { bytes = Array("Content-Type: multipart/mixed; boundary=b\r\n\r\n".utf8) + bytes }
            guard let m = try? Message(bytes: bytes) else { continue }
            exercise(m, m.root)
            XCTAssertEqual(m.root.range, 0..<bytes.count)
        }
    }

    private func exercise(_ m: Message, _ p: MIMEPart) {
        XCTAssertTrue(p.range.lowerBound <= p.bodyRange.lowerBound && p.bodyRange.upperBound <= p.range.upperBound)
        _ = m.text(p)
        _ = p.filename
        _ = p.contentDisposition
        for h in p.headers {
            _ = m.headerText(h)
            _ = m.addresses(h)
            _ = MailDate.parse(m.headerText(h))
        }
        for c in p.children { exercise(m, c) }
        if let e = p.encapsulated { exercise(m, e) }
    }

    func testParserThroughput() throws {
        // A typical 5 KB signed message; tens of thousands a second is the target.
        var body = ""
        for _ in 0..<50 { body += "This is a line of text in the signed message body, quite ordinary.\r\n" }
        let sig = String(TransferEncoding.encodeBase64(Array(repeating: 7, count: 1200)).map { Character(UnicodeScalar($0)) })
        let s = "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: hi\r\nDate: Mon, 26 Jan 2026 14:38:03 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"----ms0309\"\r\n\r\nThis is a cryptographically signed message in MIME format.\r\n\r\n------ms0309\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\(body)\r\n------ms0309\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n\(sig)\r\n------ms0309--\r\n"
        let bytes = Array(s.utf8)
        let n = 5_000
        let start = Date()
        for _ in 0..<n {
            let m = try Message(bytes: bytes)
            XCTAssertEqual(m.root.children.count, 2)
        }
        let rate = Double(n) / Date().timeIntervalSince(start)
        // Debug builds are several times slower than release; this bound still
        // catches anything quadratic.
        XCTAssertGreaterThan(rate, 300, "parsed \(Int(rate)) messages/s of \(bytes.count) bytes")
    }
}

/// Deterministic generator, so a failure can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
