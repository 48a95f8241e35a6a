import XCTest
@testable import MIME

/// The byte-level reading of a single mailbox must give exactly what the
/// general RFC 5322 parser gives, for every input it accepts.
final class AddressListFastPathTests: XCTestCase {
    func testCommonFormsTakeTheFastPath() {
        for (raw, name, email) in [("Bench Sender <alice@bench.example>", "Bench Sender", "alice@bench.example"),
                                   ("  John  Q.\t Public <j.q+x@example.com>  ", "John Q. Public", "j.q+x@example.com"),
                                   ("<a@b.example>", nil, "a@b.example"),
                                   ("a.b@c.example", nil, "a.b@c.example"),
                                   ("alice@example.com <eve@evil.example>", "alice@example.com", "eve@evil.example")] as [(String, String?, String)] {
            let fast = raw.utf8.withContiguousStorageIfAvailable(AddressList.singleMailbox) ?? nil
            XCTAssertEqual(fast, [.mailbox(Mailbox(name: name, email: email))], raw)
            XCTAssertEqual(AddressList.parseGeneral(raw), fast, raw)
        }
    }

    func testOtherFormsAreLeftToTheGeneralParser() {
        for raw in ["\"Quoted\" <a@b.example>", "a@b.example, c@d.example", "G: a@b.example;", "(c) a@b.example",
                    "=?utf-8?q?A?= <a@b.example>", "a b@c.example", ".a@b.example", "a@b@c.example", "root",
                    "A <a@b.example> trailing", "A <<a@b.example>", "A <a@[1.2.3.4]>", "Ünï <a@b.example>", "", "   "] {
            let fast = raw.utf8.withContiguousStorageIfAvailable(AddressList.singleMailbox) ?? nil
            XCTAssertNil(fast, raw)
        }
    }

    /// Random headers over an alphabet that holds every byte class the readers treat apart.
    func testRandomHeadersReadTheSameBothWays() {
        let pieces = ["a", "Bob", "x.y", "@", ".", " ", "  ", "\t", "\r\n ", "<", ">", "\"", "(", ")", ",", ";", ":",
                      "[", "]", "\\", "=?", "?=", "=", "+", "-", "é", "example.com", "'", "!"]
        var rng = SystemRandomNumberGenerator()
        var fastHits = 0
        for _ in 0..<20_000 {
            let n = Int.random(in: 0...9, using: &rng)
            var raw = (0..<n).map { _ in pieces.randomElement(using: &rng)! }.joined()
            if Bool.random(using: &rng) { raw = "N a <" + raw + ">" }
            if (raw.utf8.withContiguousStorageIfAvailable(AddressList.singleMailbox) ?? nil) != nil { fastHits += 1 }
            XCTAssertEqual(AddressList.parse(raw), AddressList.parseGeneral(raw), raw.debugDescription)
        }
        XCTAssertGreaterThan(fastHits, 0)
    }
}
