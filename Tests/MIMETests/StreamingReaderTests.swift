import XCTest
@testable import MIME

/// The streaming reader must split and canonicalise exactly as the in-memory
/// reader does, whatever the chunk size: boundaries split across chunk edges,
/// lines longer than a chunk, a CR at a chunk's end.
final class StreamingReaderTests: XCTestCase {
    let chunkSizes = [1, 2, 3, 5, 7, 13, 64, 1 << 20]

    func message(_ body: String) -> [UInt8] {
        Array("Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n".utf8) + Array(body.utf8)
    }

    /// Splits with both readers and compares parts, preamble and epilogue.
    func assertSameSplit(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let m = try Message(bytes: bytes)
        let source = MemorySource(bytes)
        let header = try StreamingReader.header(of: source, isRoot: true, limits: .default)
        XCTAssertEqual(header.bodyStart, m.root.bodyRange.lowerBound, file: file, line: line)
        for size in chunkSizes {
            let split = try StreamingReader.splitMultipart(source, body: header.bodyStart..<bytes.count,
                                                           boundary: Array("XYZ".utf8), maxParts: 1000, chunkSize: size)
            XCTAssertEqual(split.parts, m.root.children.map(\.range), "chunk \(size): \(String(decoding: bytes, as: UTF8.self).debugDescription)", file: file, line: line)
            XCTAssertEqual(split.epilogue, m.root.epilogueRange, "chunk \(size)", file: file, line: line)
            if !m.root.children.isEmpty || m.root.epilogueRange != nil {
                XCTAssertEqual(split.preamble, m.root.preambleRange, "chunk \(size)", file: file, line: line)
            }
        }
    }

    func testTrickyDelimiterLines() throws {
        let bodies = [
            "pre\r\n--XYZ\r\nA: b\r\n\r\nHello --XYZ inside\r\n--XYZZY no\r\n--XYZ junk no\r\n--XYZ  \t\r\nsecond\r\n--XYZ--  \r\nepilogue\r\n",
            "--XYZ\nfirst\n--XYZ\nsecond\n--XYZ--\n",
            "--XYZ\r\nfirst\r\n--XYZ\r\nsecond, no close delimiter\r\n",
            "--XYZ\r\nfirst\r\n--XYZ",                 // delimiter at the end without a line end
            "--XYZ\r\nfirst\r\n--XYZ--",               // close delimiter at the end
            "--XYZ\r\nfirst\r\n--XYZ\r",               // a CR before the end
            "--XYZ\r\nx\r\n--XYZ-\r\nnot close\r\n--XYZ---\r\n--XYZ\r \r\n--XYZ\r\r\n--XYZ--\r\n",
            "--XYZ\r\n\r\n--XYZ\r\n\r\n--XYZ--",       // empty parts
            "no delimiter at all\r\n-- XYZ\r\n",
            "",
            "--XY",
            "\r\n\r\n--XYZ\r\na\r\n\r\n--XYZ--\r\n",
            "--XYZ\r\n" + String(repeating: "long line ", count: 50) + "\r\n--XYZ--\r\n",
            "--XYZ\r\nbare\rCR\r--XYZ\r\n--XYZ--\r\n",
        ]
        for b in bodies { try assertSameSplit(message(b)) }
    }

    /// Random bodies over an alphabet that makes delimiters likely.
    func testRandomBodiesSplitAsInMemory() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array("-XYZ\r\n \ta".utf8)
        for _ in 0..<300 {
            var body = [UInt8]()
            for _ in 0..<Int.random(in: 0..<120, using: &rng) {
                if Int.random(in: 0..<6, using: &rng) == 0 {
                    body += Array(["\r\n--XYZ", "\n--XYZ--", "\r\n--XYZ  \r\n"].randomElement(using: &rng)!.utf8)
                } else {
                    body.append(alphabet.randomElement(using: &rng)!)
                }
            }
            try assertSameSplit(Array("Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n".utf8) + body)
        }
    }

    func testTooManyPartsIsALimit() throws {
        let body = String(repeating: "--XYZ\r\nx\r\n", count: 20)
        let bytes = message(body)
        XCTAssertThrowsError(try StreamingReader.splitMultipart(MemorySource(bytes), body: 0..<bytes.count,
                                                                boundary: Array("XYZ".utf8), maxParts: 5, chunkSize: 4)) { error in
            guard case StreamingError.mime(.tooManyParts(limit: 5)) = error else { return XCTFail("\(error)") }
        }
    }

    func testFeedCanonicalisesAsInMemory() throws {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0D, 0x0A, 0x61, 0x62]
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0..<80, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let source = MemorySource(bytes)
            let crlf = Canonical.crlf(bytes[...])
            for size in [1, 2, 3, 7, 1 << 20] {
                for (form, expected) in [(LineEndForm.crlf, crlf), (.lf, Canonical.bareLF(crlf))] {
                    var out = [UInt8]()
                    try StreamingReader.feed(source, range: 0..<bytes.count, form: form, chunkSize: size) { out += $0; return true }
                    XCTAssertEqual(out, expected, "chunk \(size) \(form) \(bytes)")
                }
            }
        }
    }

    func testHeaderBlockIsBoundedByTheHeaderLimit() throws {
        let bytes = Array(("Subject: " + String(repeating: "x", count: 5000) + "\r\n\r\nbody").utf8)
        var limits = MIMELimits.default
        limits.maxHeaderBytes = 1000
        XCTAssertThrowsError(try StreamingReader.header(of: MemorySource(bytes), isRoot: true, limits: limits)) { error in
            guard case StreamingError.mime(.headerTooLarge) = error else { return XCTFail("\(error)") }
        }
        let h = try StreamingReader.header(of: MemorySource(bytes), isRoot: true, limits: .default)
        XCTAssertEqual(h.part.firstValue(named: "Subject")?.count, 5000)
        XCTAssertEqual(Array(bytes[h.bodyStart...]), Array("body".utf8))
    }

    func testFileSourceNoticesAChangedFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-source-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(repeating: 0x61, count: 10_000).write(to: url)
        let source = try FileSource(path: url.path)
        XCTAssertEqual(source.count, 10_000)
        try source.checkUnchanged()
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 100)
        try handle.close()
        XCTAssertThrowsError(try source.checkUnchanged())
        XCTAssertThrowsError(try source.bytes(0..<10_000))
    }
}
