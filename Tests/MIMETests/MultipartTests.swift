import XCTest
@testable import MIME

final class MultipartTests: XCTestCase {
    let signed = [
        "From: Alice <alice@example.com>",
        "Subject: test",
        "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";",
        "\tmicalg=sha-256; boundary=\"XYZ\"",
        "",
        "This is a preamble.",
        "--XYZ",
        "Content-Type: text/plain",
        "",
        "Hello --XYZ inside a line",
        "--XYZZY is not ours either",
        "--XYZ junk is not a delimiter",
        "",
        "--XYZ  ",
        "Content-Type: application/pkcs7-signature",
        "Content-Transfer-Encoding: base64",
        "",
        "AAEC",
        "--XYZ--",
        "epilogue",
        "",
    ]

    func checkSigned(eol: String) throws {
        let bytes = lines(signed, eol: eol)
        let m = try Message(bytes: bytes)
        let root = m.root
        XCTAssertEqual(root.contentType.mimeType, "multipart/signed")
        XCTAssertEqual(root.contentType.parameters["protocol"], "application/pkcs7-signature")
        XCTAssertEqual(root.contentType.parameters["micalg"], "sha-256")
        XCTAssertEqual(root.children.count, 2)
        XCTAssertEqual(m.string(root.preambleRange), "This is a preamble.")
        XCTAssertEqual(m.string(root.epilogueRange), "epilogue" + eol)

        // The first part exactly as transmitted: from after the delimiter line
        // up to (not including) the line end before the next delimiter.
        let first = [
            "Content-Type: text/plain",
            "",
            "Hello --XYZ inside a line",
            "--XYZZY is not ours either",
            "--XYZ junk is not a delimiter",
            "",
        ].joined(separator: eol)
        XCTAssertEqual(Array(m.slice(root.children[0].range)), Array(first.utf8))
        XCTAssertEqual(m.string(root.children[0].bodyRange),
                       ["Hello --XYZ inside a line", "--XYZZY is not ours either", "--XYZ junk is not a delimiter", ""].joined(separator: eol))
        XCTAssertEqual(m.string(root.children[0].headerRange), "Content-Type: text/plain" + eol)

        let second = root.children[1]
        XCTAssertEqual(m.string(second.range),
                       ["Content-Type: application/pkcs7-signature", "Content-Transfer-Encoding: base64", "", "AAEC"].joined(separator: eol))
        XCTAssertEqual(second.contentTransferEncoding, "base64")
        XCTAssertEqual(m.decodedBody(second), [0, 1, 2])
        XCTAssertEqual(second.depth, 1)
        XCTAssertTrue(second.defects.filter { $0.code != "bareLF" }.isEmpty)
        XCTAssertEqual(root.children[0].contentType.mimeType, "text/plain")
        XCTAssertEqual(root.range, 0..<bytes.count)
        XCTAssertEqual(m.headerText(root.headers[1]), "test")
        XCTAssertEqual(root.headers.map(\.name), ["From", "Subject", "Content-Type"])
        XCTAssertEqual(Array(m.slice(root.headers[2].range)),
                       Array(("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";" + eol +
                              "\tmicalg=sha-256; boundary=\"XYZ\"" + eol).utf8))
    }

    func testCRLFRangesAreExact() throws {
        try checkSigned(eol: "\r\n")
        let m = try Message(bytes: lines(signed))
        XCTAssertFalse(m.root.defectCodes.contains("bareLF"))
    }

    func testLFOnly() throws {
        try checkSigned(eol: "\n")
        let m = try Message(bytes: lines(signed, eol: "\n"))
        XCTAssertTrue(m.root.defectCodes.contains("bareLF"))
    }

    func testMixedLineEnds() throws {
        let s = "Content-Type: multipart/mixed; boundary=b\r\n\n--b\nContent-Type: text/plain\r\n\r\nA\r\n--b\r\n\nB\n--b--\n"
        let m = try parse(s)
        XCTAssertEqual(m.root.children.count, 2)
        XCTAssertEqual(m.text(m.root.children[0]), "A")
        XCTAssertEqual(m.text(m.root.children[1]), "B")
        XCTAssertEqual(m.string(m.root.children[1].range), "\nB")
    }

    func testNestedMultiparts() throws {
        let s = lines([
            "Content-Type: multipart/mixed; boundary=outer",
            "",
            "--outer",
            "Content-Type: multipart/alternative; boundary=inner",
            "",
            "--inner",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "plain",
            "--inner",
            "Content-Type: text/html",
            "",
            "<p>html</p>",
            "--inner--",
            "",
            "--outer",
            "Content-Type: application/octet-stream; name=\"a.bin\"",
            "Content-Disposition: attachment; filename=\"a b.bin\"",
            "",
            "data",
            "--outer--",
        ])
        let m = try Message(bytes: s)
        let root = m.root
        XCTAssertEqual(root.children.count, 2)
        let alt = root.children[0]
        XCTAssertEqual(alt.contentType.mimeType, "multipart/alternative")
        XCTAssertEqual(alt.depth, 1)
        XCTAssertEqual(alt.children.count, 2)
        XCTAssertEqual(alt.children[0].depth, 2)
        XCTAssertEqual(m.text(alt.children[0]), "plain")
        XCTAssertEqual(m.text(alt.children[1]), "<p>html</p>")
        XCTAssertEqual(alt.contentType.parameters["boundary"], "inner")
        XCTAssertEqual(m.string(alt.epilogueRange), "")   // the blank line before --outer belongs to --outer
        XCTAssertTrue(alt.defects.isEmpty, "\(alt.defects)")
        let att = root.children[1]
        XCTAssertEqual(att.filename, "a b.bin")
        XCTAssertEqual(att.contentDisposition?.type, "attachment")
        XCTAssertEqual(att.contentDisposition?.subtype, "")
        XCTAssertEqual(m.text(att), "data")
        XCTAssertEqual(m.string(root.epilogueRange), "")
        XCTAssertEqual(m.string(root.preambleRange), "")
    }

    func testMissingFinalBoundary() throws {
        let s = "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\r\none\r\n--b\r\nContent-Type: text/plain\r\n\r\ntwo\r\nstill two\r\n"
        let m = try parse(s)
        XCTAssertEqual(m.root.children.count, 2)
        XCTAssertTrue(m.root.defectCodes.contains("missingFinalBoundary"))
        XCTAssertNil(m.root.epilogueRange)
        XCTAssertEqual(m.text(m.root.children[1]), "two\r\nstill two\r\n")
        XCTAssertEqual(m.root.children[1].range.upperBound, s.utf8.count)
    }

    func testBoundaryNotFound() throws {
        let m = try parse("Content-Type: multipart/mixed; boundary=zz\r\n\r\nnothing here --zz\r\n")
        XCTAssertTrue(m.root.children.isEmpty)
        XCTAssertTrue(m.root.defectCodes.contains("boundaryNotFound"))
        XCTAssertEqual(m.string(m.root.preambleRange), "nothing here --zz\r\n")
    }

    func testMissingBoundaryParameter() throws {
        let m = try parse("Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n--x--\r\n")
        XCTAssertTrue(m.root.children.isEmpty)
        XCTAssertEqual(m.root.contentType.mimeType, "multipart/mixed")
        XCTAssertTrue(m.root.defectCodes.contains("missingBoundaryParameter"))
        XCTAssertEqual(m.string(m.root.bodyRange), "--x\r\n\r\nbody\r\n--x--\r\n")
    }

    func testInnerPartReusingParentBoundary() throws {
        let s = lines([
            "Content-Type: multipart/mixed; boundary=same",
            "",
            "--same",
            "Content-Type: multipart/mixed; boundary=same",
            "",
            "--same",
            "",
            "inner",
            "--same--",
            "--same--",
        ])
        let m = try Message(bytes: s)
        // The parent's delimiters win; the inner multipart sees none of its own.
        XCTAssertEqual(m.root.children.count, 2)
        XCTAssertTrue(m.root.children[0].children.isEmpty)
        XCTAssertTrue(m.root.children[0].defectCodes.contains("boundaryNotFound"))
        XCTAssertEqual(m.text(m.root.children[1]), "inner")
    }

    func testParentBoundaryIsPrefixOfChildBoundary() throws {
        let s = lines([
            "Content-Type: multipart/mixed; boundary=ab",
            "",
            "--ab",
            "Content-Type: multipart/mixed; boundary=abc",
            "",
            "--abc",
            "",
            "x",
            "--abc--",
            "--ab--",
        ])
        let m = try Message(bytes: s)
        XCTAssertEqual(m.root.children.count, 1)
        XCTAssertEqual(m.root.children[0].children.count, 1)
        XCTAssertEqual(m.text(m.root.children[0].children[0]), "x")
    }

    func testEmptyPartsAndPreambleAtStart() throws {
        let m = try parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\nx\r\n--b--")
        XCTAssertEqual(m.root.children.count, 2)
        XCTAssertEqual(m.root.children[0].range.count, 0)
        XCTAssertEqual(m.string(m.root.preambleRange), "")
        XCTAssertEqual(m.string(m.root.epilogueRange), "")
        XCTAssertEqual(m.text(m.root.children[1]), "x")
    }

    func testDigestDefaultsToRFC822AndEncapsulation() throws {
        let s = lines([
            "Content-Type: multipart/digest; boundary=d",
            "",
            "--d",
            "",
            "From: a@example.com",
            "Subject: inner",
            "",
            "inner body",
            "--d--",
        ])
        let m = try Message(bytes: s)
        let child = m.root.children[0]
        XCTAssertEqual(child.contentType.mimeType, "message/rfc822")
        let inner = try XCTUnwrap(child.encapsulated)
        XCTAssertEqual(inner.depth, 2)
        XCTAssertEqual(inner.firstValue(named: "subject"), "inner")
        XCTAssertEqual(m.text(inner), "inner body")
        XCTAssertEqual(inner.contentType, ContentType(type: "text", subtype: "plain", parameters: ["charset": "us-ascii"]))
    }

    func testMessageRFC822WithBase64IsNotParsed() throws {
        let m = try parse("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5\r\n")
        XCTAssertNil(m.root.encapsulated)
        XCTAssertTrue(m.root.defectCodes.contains("encapsulatedNotParsed"))
        XCTAssertEqual(String(decoding: m.decodedBody(m.root), as: UTF8.self), "Subject: x\r\n\r\ny")
    }

    func testHeaderOnlyAndInvalidLines() throws {
        let a = try parse("Subject: no body\r\nX-A: 1\r\n")
        XCTAssertEqual(a.root.headers.count, 2)
        XCTAssertTrue(a.root.bodyRange.isEmpty)
        XCTAssertEqual(a.root.bodyRange.lowerBound, 26)

        let b = try parse("Subject: x\r\nthis is not a header\r\nmore\r\n")
        XCTAssertEqual(b.root.headers.count, 1)
        XCTAssertEqual(b.string(b.root.bodyRange), "this is not a header\r\nmore\r\n")
        XCTAssertTrue(b.root.defectCodes.contains("missingHeaderBodySeparator"))

        let c = try parse("From alice@example.com Mon Jan 26 14:38:03 2026\nSubject : obsolete\n\nbody")
        XCTAssertTrue(c.root.defectCodes.contains("mboxFromLine"))
        XCTAssertEqual(c.root.headers.first?.name, "Subject")
        XCTAssertEqual(c.root.firstValue(named: "SUBJECT"), "obsolete")
        XCTAssertEqual(c.text(c.root), "body")

        let d = try parse("")
        XCTAssertTrue(d.root.headers.isEmpty)
        XCTAssertEqual(d.root.range, 0..<0)
    }

    func testBadContentTypeFallsBackToDefault() throws {
        let m = try parse("Content-Type: ;;;\r\n\r\nx")
        XCTAssertEqual(m.root.contentType.mimeType, "text/plain")
        XCTAssertEqual(m.root.contentType.parameters["charset"], "us-ascii")
        XCTAssertTrue(m.root.defectCodes.contains("badContentType"))
        let n = try parse("Content-Type: text/\r\n\r\nx")
        XCTAssertTrue(n.root.defectCodes.contains("badContentType"))
    }

    func testFoldedHeaderAndConvenience() throws {
        let m = try parse("Subject: a\r\n  b\r\nContent-Transfer-Encoding:  Quoted-Printable (yes)\r\nReceived: from x by y; Tue, 27 Jan 2026 10:00:00 +0100\r\nReceived: from w; Mon, 26 Jan 2026 10:00:00 +0000\r\n\r\nA=3DB=\r\nC")
        XCTAssertEqual(m.root.firstValue(named: "subject"), "a  b")
        XCTAssertEqual(m.root.fields(named: "RECEIVED").count, 2)
        XCTAssertEqual(m.root.contentTransferEncoding, "quoted-printable")
        XCTAssertEqual(m.text(m.root), "A=BC")
        XCTAssertEqual(m.root.receivedDate, Date(timeIntervalSince1970: 1_769_504_400))
        XCTAssertEqual(m.root.headers[0].rawValue, Array(" a\r\n  b".utf8))
    }

    func testDuplicateContentTypeUsesFirst() throws {
        let m = try parse("Content-Type: text/html\r\nContent-Type: text/plain\r\n\r\n")
        XCTAssertEqual(m.root.contentType.mimeType, "text/html")
        XCTAssertTrue(m.root.defectCodes.contains("duplicateContentType"))
    }
}
