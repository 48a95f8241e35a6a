import XCTest
@testable import MIME

/// The Thunderbird S/MIME test corpus (read-only, shared).
final class ThunderbirdCorpusTests: XCTestCase {
    let dir = "/work/shared/interop/thunderbird/smime"

    func load(_ name: String) throws -> Message {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)"))
        return try Message(bytes: [UInt8](data))
    }

    func testEveryFileParses() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".eml") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 60)
        for name in names {
            let m = try load(name)
            let type = m.root.contentType.mimeType
            XCTAssertTrue(type == "multipart/signed" || type == "application/pkcs7-mime", "\(name): \(type)")
            XCTAssertEqual(m.root.range, 0..<m.bytes.count)
            if type == "multipart/signed" {
                XCTAssertEqual(m.root.children.count, 2, name)
                XCTAssertEqual(m.root.children[1].contentType.mimeType, "application/pkcs7-signature", name)
                XCTAssertFalse(m.decodedBody(m.root.children[1]).isEmpty, name)
            } else {
                XCTAssertEqual(m.root.contentTransferEncoding, "base64", name)
                XCTAssertEqual(m.decodedBody(m.root).first, 0x30, "\(name): DER SEQUENCE expected")
            }
        }
    }

    func testClearSigned() throws {
        let m = try load("alice.dsig.SHA256.multipart.eml")
        let root = m.root
        XCTAssertEqual(root.contentType.mimeType, "multipart/signed")
        XCTAssertEqual(root.contentType.parameters["protocol"], "application/pkcs7-signature")
        XCTAssertEqual(root.contentType.parameters["micalg"], "sha-256")
        XCTAssertEqual(root.contentType.parameters["boundary"], "------------ms030903020902020502030404")
        XCTAssertEqual(root.children.count, 2)
        XCTAssertTrue(root.defects.isEmpty, "\(root.defects)")
        // The signed content is exactly the bytes between the delimiters.
        let signed = String(decoding: m.slice(root.children[0].range), as: UTF8.self)
        XCTAssertEqual(signed, "Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Language: en-US\r\n\r\nThis is a test message from Alice to Bob.\r\n")
        XCTAssertEqual(m.text(root.children[0]), "This is a test message from Alice to Bob.\r\n")
        XCTAssertEqual(root.children[1].filename, "smime.p7s")
        XCTAssertEqual(m.addresses(root.fields(named: "from")[0]), [.mailbox(Mailbox(name: nil, email: "Alice@example.com"))])
        XCTAssertEqual(MailDate.parse(root.firstValue(named: "date") ?? "")?.timeIntervalSince1970, 1_769_438_283)
        XCTAssertEqual(m.string(root.preambleRange), "This is a cryptographically signed message in MIME format.\r\n")
    }

    func testOpaqueAndEnveloped() throws {
        for name in ["alice.env.eml", "alice.sig.SHA256.opaque.eml"] {
            let m = try load(name)
            XCTAssertEqual(m.root.contentType.mimeType, "application/pkcs7-mime", name)
            XCTAssertEqual(m.root.filename, "smime.p7m")
            XCTAssertTrue(m.root.children.isEmpty)
        }
        XCTAssertEqual(try load("alice.env.eml").root.contentType.parameters["smime-type"], "enveloped-data")
        XCTAssertEqual(try load("alice.sig.SHA256.opaque.eml").root.contentType.parameters["smime-type"], "signed-data")
    }
}
