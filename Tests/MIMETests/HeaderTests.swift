import XCTest
@testable import MIME

final class EncodedWordTests: XCTestCase {
    func testBasicBAndQ() {
        XCTAssertEqual(EncodedWords.decode("=?UTF-8?B?SGVsbG8gd8O2cmxk?="), "Hello wörld")
        XCTAssertEqual(EncodedWords.decode("=?iso-8859-1?q?caf=E9_cr=E8me?="), "café crème")
        XCTAssertEqual(EncodedWords.decode("Re: =?utf-8?Q?na=C3=AFve?= idea"), "Re: naïve idea")
    }

    func testAdjacentWordsAreJoined() {
        XCTAssertEqual(EncodedWords.decode("=?utf-8?q?a?= =?utf-8?q?b?=\r\n =?utf-8?q?c?="), "abc")
        XCTAssertEqual(EncodedWords.decode("=?utf-8?q?a?= x =?utf-8?q?b?="), "a x b")
        // A character split across two B words survives because bytes are joined first.
        XCTAssertEqual(EncodedWords.decode("=?utf-8?B?ww==?= =?utf-8?B?qQ==?="), "é")
        XCTAssertEqual(EncodedWords.decode("=?utf-8?q?=C3?= =?utf-8?q?=A9?="), "é")
        // Different charsets are converted separately.
        XCTAssertEqual(EncodedWords.decode("=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?="), "éé")
    }

    func testMalformedWordsStay() {
        XCTAssertEqual(EncodedWords.decode("=?utf-8?X?abc?="), "=?utf-8?X?abc?=")
        XCTAssertEqual(EncodedWords.decode("=?utf-8?B?a b?="), "=?utf-8?B?a b?=")
        XCTAssertEqual(EncodedWords.decode("=?utf-8?Q?unterminated"), "=?utf-8?Q?unterminated")
        XCTAssertEqual(EncodedWords.decode("=??Q?x?="), "=??Q?x?=")
        XCTAssertEqual(EncodedWords.decode("=?utf-8?B?!!!?="), "=?utf-8?B?!!!?=")
        XCTAssertEqual(EncodedWords.decode("a =?"), "a =?")
    }

    func testLanguageAndUnknownCharset() {
        XCTAssertEqual(EncodedWords.decode("=?US-ASCII*EN?Q?Keith_Moore?="), "Keith Moore")
        XCTAssertEqual(EncodedWords.decode("=?x-nonsense?Q?abc?="), "abc")
    }

    func testEightBitRawHeaderBytes() throws {
        // Raw UTF-8 and raw Latin-1 in header fields, beside an encoded word.
        var bytes = Array("Subject: Grüße =?utf-8?q?und_mehr?=\r\nX-Latin: caf".utf8)
        bytes += [0xE9]
        bytes += Array("\r\n\r\nbody".utf8)
        let m = try Message(bytes: bytes)
        XCTAssertEqual(m.headerText(m.root.headers[0]), "Grüße und mehr")
        XCTAssertEqual(m.headerText(m.root.headers[1]), "café")
        XCTAssertEqual(m.root.firstValue(named: "x-latin"), "café")
        XCTAssertFalse(m.root.defectCodes.contains("badEncodedWord"))
    }

    func testBadEncodedWordDefect() throws {
        let m = try parse("Subject: =?utf-8?Z?oops?=\r\n\r\n")
        XCTAssertTrue(m.root.defectCodes.contains("badEncodedWord"))
        XCTAssertEqual(m.headerText(m.root.headers[0]), "=?utf-8?Z?oops?=")
    }
}

final class HeaderParameterTests: XCTestCase {
    func testBasics() throws {
        let ct = try XCTUnwrap(HeaderParameters.parse("Text/HTML; Charset=\"UTF-8\" (comment); format=flowed"))
        XCTAssertEqual(ct.mimeType, "text/html")
        XCTAssertEqual(ct.parameters, ["charset": "UTF-8", "format": "flowed"])
        let q = try XCTUnwrap(HeaderParameters.parse("application/x-foo; name=\"a \\\"quoted\\\" ; name.txt\"; x=1"))
        XCTAssertEqual(q.parameters["name"], "a \"quoted\" ; name.txt")
        XCTAssertEqual(q.parameters["x"], "1")
        let c = try XCTUnwrap(HeaderParameters.parse("(lead) multipart / mixed ; boundary = abc ;"))
        XCTAssertEqual(c.mimeType, "multipart/mixed")
        XCTAssertEqual(c.parameters["boundary"], "abc")
        XCTAssertNil(HeaderParameters.parse(""))
        XCTAssertNil(HeaderParameters.parse("text/"))
        XCTAssertEqual(HeaderParameters.parse("attachment; filename=report.pdf")?.type, "attachment")
        XCTAssertEqual(HeaderParameters.parse("attachment; filename=my report (1).pdf")?.parameters["filename"], "my report (1).pdf")
        XCTAssertEqual(HeaderParameters.parse("text/plain; charset=us-ascii (Plain text)")?.parameters["charset"], "us-ascii")
    }

    func testRFC2231Continuations() throws {
        let v = "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\""
        let ct = try XCTUnwrap(HeaderParameters.parse(v))
        XCTAssertEqual(ct.parameters["url"], "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        XCTAssertEqual(ct.parameters["access-type"], "URL")
    }

    func testRFC2231CharsetsAndOrder() throws {
        let a = try XCTUnwrap(HeaderParameters.parse("attachment; filename*=UTF-8''%E2%82%AC%20rates.txt"))
        XCTAssertEqual(a.parameters["filename"], "€ rates.txt")
        // Pieces out of order, mixed encoded and plain, with a plain fallback that must lose.
        let b = try XCTUnwrap(HeaderParameters.parse("attachment; filename=\"fallback.txt\"; filename*1=\" und \"; filename*2*=%FC.txt; filename*0*=iso-8859-1'de'Gr%FC%DFe"))
        XCTAssertEqual(b.parameters["filename"], "Grüße und ü.txt")
        let c = try XCTUnwrap(HeaderParameters.parse("text/plain; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"))
        XCTAssertEqual(c.parameters["title"], "This is ***fun***")
        // A gap in the sections stops the join.
        let d = try XCTUnwrap(HeaderParameters.parse("x/y; n*0=a; n*2=c"))
        XCTAssertEqual(d.parameters["n"], "a")
    }

    func testFilenameAccessor() throws {
        let m = try parse("Content-Type: application/pdf; name=\"=?utf-8?B?w6l0w6kucGRm?=\"\r\n\r\n")
        XCTAssertEqual(m.root.filename, "été.pdf")
        let n = try parse("Content-Type: application/pdf; name=a.pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''%C3%A9; filename*1=.pdf\r\n\r\n")
        XCTAssertEqual(n.root.filename, "é.pdf")
    }
}

final class AddressListTests: XCTestCase {
    func mailboxes(_ s: String) -> [Mailbox] {
        AddressList.parse(s).compactMap { if case .mailbox(let m) = $0 { return m } else { return nil } }
    }

    func testSimpleAndAngle() {
        XCTAssertEqual(AddressList.parse("alice@example.com"), [.mailbox(Mailbox(name: nil, email: "alice@example.com"))])
        XCTAssertEqual(mailboxes("Alice Smith <alice@example.com>, bob@example.org"),
                       [Mailbox(name: "Alice Smith", email: "alice@example.com"), Mailbox(name: nil, email: "bob@example.org")])
    }

    func testQuotedDisplayNames() {
        XCTAssertEqual(mailboxes("\"Doe, John\" <john@example.com>, \"A \\\"B\\\" C\" <abc@example.com>"),
                       [Mailbox(name: "Doe, John", email: "john@example.com"), Mailbox(name: "A \"B\" C", email: "abc@example.com")])
        XCTAssertEqual(mailboxes("\"alice@bank.example\" <eve@evil.example>"),
                       [Mailbox(name: "alice@bank.example", email: "eve@evil.example")])
    }

    func testGroups() {
        let r = AddressList.parse("Team: a@x.org, \"B\" <b@y.org>; c@z.org, undisclosed-recipients:;")
        XCTAssertEqual(r, [
            .group(name: "Team", members: [Mailbox(name: nil, email: "a@x.org"), Mailbox(name: "B", email: "b@y.org")]),
            .mailbox(Mailbox(name: nil, email: "c@z.org")),
            .group(name: "undisclosed-recipients", members: []),
        ])
        // Unterminated group still comes back.
        XCTAssertEqual(AddressList.parse("G: a@b"), [.group(name: "G", members: [Mailbox(name: nil, email: "a@b")])])
    }

    func testCommentsRoutesAndObsolete() {
        XCTAssertEqual(mailboxes("alice@example.com (Alice Liddell)"), [Mailbox(name: "Alice Liddell", email: "alice@example.com")])
        XCTAssertEqual(mailboxes("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
                       [Mailbox(name: "Pete", email: "pete@silly.test")])
        XCTAssertEqual(mailboxes("<@relay1.example,@relay2.example:joe@example.com>"), [Mailbox(name: nil, email: "joe@example.com")])
        XCTAssertEqual(mailboxes("John Q. Public <john . q . public @ example . com>"),
                       [Mailbox(name: "John Q. Public", email: "john.q.public@example.com")])
        XCTAssertEqual(mailboxes("\"john doe\"@example.com"), [Mailbox(name: nil, email: "\"john doe\"@example.com")])
        XCTAssertEqual(mailboxes("Joe <joe@[192.0.2.1]>"), [Mailbox(name: "Joe", email: "joe@[192.0.2.1]")])
    }

    func testEncodedAndBrokenNames() {
        XCTAssertEqual(mailboxes("=?utf-8?Q?Ren=C3=A9_Dupont?= <rene@example.fr>"), [Mailbox(name: "René Dupont", email: "rene@example.fr")])
        XCTAssertEqual(mailboxes("=?utf-8?Q?Doe,_J.?= <j@x.org>"), [Mailbox(name: "Doe, J.", email: "j@x.org")])
        XCTAssertEqual(mailboxes("Alice Smith <>"), [Mailbox(name: "Alice Smith", email: "")])
        XCTAssertEqual(mailboxes("\"Just A Name\""), [Mailbox(name: "Just A Name", email: "")])
        XCTAssertEqual(mailboxes("Alice Smith alice@example.com"), [Mailbox(name: "Alice Smith", email: "alice@example.com")])
        XCTAssertEqual(mailboxes("a@x,,  , b@y"), [Mailbox(name: nil, email: "a@x"), Mailbox(name: nil, email: "b@y")])
        XCTAssertEqual(mailboxes("Bob <bob@example.com"), [Mailbox(name: "Bob", email: "bob@example.com")])
        XCTAssertTrue(AddressList.parse("").isEmpty)
        for junk in ["<<<", ">>>@@@", "\"", "(", "\\", ":;:;", "a:b:c;d;", "=?utf-8?B?", "@"] {
            _ = AddressList.parse(junk)
        }
    }

    func testAddressesFromMessage() throws {
        let m = try parse("From: =?iso-8859-1?q?J=F6rg?= <joerg@example.de>\r\nTo: a@x,\r\n b@y\r\n\r\n")
        XCTAssertEqual(m.addresses(m.root.headers[0]), [.mailbox(Mailbox(name: "Jörg", email: "joerg@example.de"))])
        XCTAssertEqual(m.addresses(m.root.headers[1]).count, 2)
    }
}
