import Foundation
import MIME
import XCTest

/// Inputs that fuzz/run found to crash or hang the MIME reader, replayed
/// through everything FuzzMIME touches. The inputs live here as base64 rather
/// than as files beside this one, because files the package manifest does not
/// declare would make every build warn.
final class MIMEFuzzRegressionTests: XCTestCase {
    /// (libFuzzer artifact name, what it found, input).
    static let inputs: [(name: String, finding: String, base64: String)] = [
        ("timeout-ccbcbe2a48c1ba54f9afdce91d5bd95ee18c0eb2",
         "FuzzMIME, 2026-11-23: a text part in charset=utf-7 whose quoted-printable body decodes to bytes UTF-7 cannot hold made Charset.iconvDecode loop forever (Message.text never returned)",
         """
            RnJvbTogYUBiLmV4YW1wbGUNCkNvbnRlbnQtVHlwZTogbXVsdGlwYXJ0L21peGVkOyBib3VuZGFy
            eT1hDQoNCnByZQ0KLS1hDQpDb250ZW50LVR5cGU6IG11bHRpcGFydC9hbHRlcm5hdGl2ZTsgYm91
            bmRhcnk9Yg0KDQotLWINCkNvbnRlbnQtVHlwZTogdGV4dC9wbGFpbjsgY2hhcnNldD11dGYtNw0K
            Q29udGVudC1UcmFuc2Zlci1FbmNvZGluZzogcXVvdGVkLXByaW50YWJsZQ0KDQpjYWY9QzM9QTkg
            PQ0Kc29mdA0KLS1iDQpDb250ZW50LVR5cGU6IHRleHQvaHRtbDsgY2hhcnNldD1pc28tODg1OS0x
            DQpDb250ZW50LVRyYW5zZmVyLUVuY29kaW5nOiBiYXNlMzINCg0KUEdJK2FHazhMMkkrDQotLWIt
            LQ1lc3NhZ2UvcmZjODIyDQoNCkZyb206IGNAZC5leGFtcGxlDQpTdWJqZWN0OiA9P3V0Zi04P0I/
            dzZrPT89DQoNCmlubmVyDQotLWEtLQ0KZXBpbG9ndWUNCg==
         """),
        ("crash-636b7421f0a007f9545e8a85ddf0b25ac9e4233e",
         "FuzzMIME, 2026-11-23: a Content-Type whose comment ends in a lone backslash made HeaderParameters.Scanner.skipCFWS step past the end, and token() trapped slicing out of range",
         """
            Q29udGVudC1UeXBlOiAoLXBwbGlvdC9uY2FpbnRhYmxldWJqZWN0OiDDKCDigiDwkCi8ID0/AAAA
            K3QtVHlwZTogdGV4dC9wbGludG46IGF0dGFjaG1lbnQ7IGZpbFxuYRBtUGUAAAYAMGlsXApib2R5
         """),
    ]

    func testFuzzFindingsStayFixed() throws {
        for input in Self.inputs {
            let bytes = try XCTUnwrap(Data(base64Encoded: input.base64, options: .ignoreUnknownCharacters), input.name)
            let start = Date()
            if let message = try? Message(bytes: [UInt8](bytes)) {
                visit(message, message.root)
            }
            XCTAssertLessThan(Date().timeIntervalSince(start), 2, "\(input.name): \(input.finding)")
        }
    }

    /// The shape of the crash above, at every entry point that reads parameters.
    func testBackslashAtTheEndOfAComment() throws {
        for value in ["text/plain (\\", "text/plain; a=b (\\", "(\\", "a/b; x=\"(\\", "a/b (c) (\\"] {
            _ = HeaderParameters.parse(value)
            let m = try Message(bytes: Array("Content-Type: \(value)\r\nContent-Disposition: \(value)\r\n\r\nbody".utf8))
            _ = m.root.contentDisposition
            _ = m.root.filename
        }
    }

    /// What FuzzMIME does with each part.
    private func visit(_ m: Message, _ part: MIMEPart) {
        _ = m.decodedBody(part)
        _ = m.text(part)
        _ = part.contentDisposition
        _ = part.filename
        _ = part.receivedDate
        for field in part.headers {
            _ = m.headerText(field)
            _ = m.addresses(field)
        }
        for child in part.children { visit(m, child) }
        if let inner = part.encapsulated { visit(m, inner) }
    }
}
