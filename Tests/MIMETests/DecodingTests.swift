import XCTest
@testable import MIME

func hex(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var it = s.makeIterator()
    while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16) ?? 0) }
    return out
}

final class Base64Tests: XCTestCase {
    func b64(_ s: String) -> String { String(decoding: TransferEncoding.decodeBase64(Array(s.utf8)[...]), as: UTF8.self) }

    func testPlain() {
        XCTAssertEqual(b64("SGVsbG8sIHdvcmxkIQ=="), "Hello, world!")
        XCTAssertEqual(b64("SGVsbG8="), "Hello")
        XCTAssertEqual(b64(""), "")
    }

    func testWhitespaceGarbageTruncation() {
        XCTAssertEqual(b64("SGVs\r\n bG8s\tIHdv\r\ncmxk IQ==\r\n"), "Hello, world!")
        XCTAssertEqual(b64("SGV*sbG!8"), "Hello")            // garbage skipped
        XCTAssertEqual(b64("SGVsbG8sIHdvcmxkIQ"), "Hello, world!")  // padding missing
        XCTAssertEqual(b64("SGVsbG8sIHdvcmxkI"), "Hello, world")    // truncated mid-quantum
        XCTAssertEqual(b64("SGk=SGk="), "HiHi")                 // concatenated encodings
        XCTAssertEqual(b64("===="), "")
        XCTAssertEqual(b64("S"), "")
    }

    func testRoundTripAndLineLength() {
        var rng = SplitMix(seed: 7)
        for n in [0, 1, 2, 3, 56, 57, 58, 1000] {
            let data = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let enc = TransferEncoding.encodeBase64(data)
            XCTAssertEqual(TransferEncoding.decodeBase64(enc[...]), data)
            let text = String(decoding: enc, as: UTF8.self)
            for line in text.components(separatedBy: "\r\n").dropLast() { XCTAssertLessThanOrEqual(line.count, 76) }
            if n > 0 { XCTAssertTrue(text.hasSuffix("\r\n")) }
        }
        XCTAssertEqual(String(decoding: TransferEncoding.encodeBase64(Array("Hello".utf8), lineLength: 4), as: UTF8.self), "SGVs\r\nbG8=\r\n")
        XCTAssertEqual(String(decoding: TransferEncoding.encodeBase64(Array("Hello".utf8), lineLength: 0), as: UTF8.self), "SGVsbG8=")
    }

    /// The decoder reads four symbols at a time where it can: the same bytes as one
    /// symbol at a time (this reference), whatever garbage, padding or line breaks
    /// fall where.
    func testQuadsAgreeWithSymbolBySymbol() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        func reference(_ b: [UInt8]) -> [UInt8] {
            var out: [UInt8] = [], acc: UInt32 = 0, n = 0
            func flush() {
                if n == 2 { out.append(UInt8(truncatingIfNeeded: acc >> 4)) }
                if n == 3 { out += [UInt8(truncatingIfNeeded: acc >> 10), UInt8(truncatingIfNeeded: acc >> 2)] }
                acc = 0; n = 0
            }
            for c in b {
                let v: UInt32? = c == 0x2D ? 62 : c == 0x5F ? 63 : alphabet.firstIndex(of: c).map(UInt32.init)
                if let v {
                    acc = acc << 6 | v; n += 1
                    if n == 4 { out += [UInt8(truncatingIfNeeded: acc >> 16), UInt8(truncatingIfNeeded: acc >> 8), UInt8(truncatingIfNeeded: acc)]; acc = 0; n = 0 }
                } else if c == 0x3D && n > 0 {
                    flush()
                }
            }
            flush()
            return out
        }
        var rng = SplitMix(seed: 17)
        let noise = Array("=\r\n \t*-_!".utf8)
        for length in 0..<300 {
            var text: [UInt8] = []
            for _ in 0..<length {
                let r = rng.next()
                text.append(r % 9 == 0 ? noise[Int(r / 9 % UInt64(noise.count))] : alphabet[Int(r / 9 % 64)])
            }
            XCTAssertEqual(TransferEncoding.decodeBase64(text[...]), reference(text), String(decoding: text, as: UTF8.self))
            let slice = text.dropFirst(min(3, text.count))
            XCTAssertEqual(TransferEncoding.decodeBase64(slice), reference(Array(slice)))
        }
    }
}

final class QuotedPrintableTests: XCTestCase {
    func qp(_ s: String) -> String { String(decoding: TransferEncoding.decodeQuotedPrintable(Array(s.utf8)[...]), as: UTF8.self) }

    func testDecode() {
        XCTAssertEqual(qp("caf=C3=A9 =3D ok"), "café = ok")
        XCTAssertEqual(qp("soft=\r\nbreak"), "softbreak")
        XCTAssertEqual(qp("soft= \t\nbreak"), "softbreak")
        XCTAssertEqual(qp("trailing   \r\nspace\t\nkept=20\n"), "trailing\r\nspace\nkept \n")
        XCTAssertEqual(qp("lower =c3=a9"), "lower é")
        XCTAssertEqual(qp("bad =ZZ and =4"), "bad =ZZ and =4")
        XCTAssertEqual(qp("end="), "end")
        XCTAssertEqual(qp("="), "")
    }

    func testEncodeRoundTrip() {
        let input = Array("From here.\r\n.\r\nLine with trailing space \r\ncafé = ok\ttab\r\n".utf8) + Array(repeating: 0x61, count: 200)
        let enc = TransferEncoding.encodeQuotedPrintable(input)
        let text = String(decoding: enc, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("=46rom here.\r\n=2E\r\nLine with trailing space=20\r\ncaf=C3=A9 =3D ok\ttab\r\n"), text)
        for line in text.components(separatedBy: "\r\n") { XCTAssertLessThanOrEqual(line.count, 76) }
        XCTAssertEqual(TransferEncoding.decodeQuotedPrintable(enc[...]), input)
        XCTAssertTrue(enc.allSatisfy { $0 < 0x80 })
    }
}

final class CharsetTests: XCTestCase {
    func testCommonCharsets() {
        XCTAssertEqual(Charset.decode(Array("Grüße".utf8), charset: "UTF-8"), "Grüße")
        XCTAssertEqual(Charset.decode([0x63, 0x61, 0x66, 0xE9], charset: "iso-8859-1"), "café")
        XCTAssertEqual(Charset.decode([0x63, 0x61, 0x66, 0xE9], charset: "\"ISO_8859-1\""), "café")
        XCTAssertEqual(Charset.decode([0x80, 0x20, 0x93, 0x71, 0x94, 0x20, 0x97], charset: "windows-1252"), "€ “q” —")
        XCTAssertEqual(Charset.decode([0xA4], charset: "iso-8859-15"), "€")
        XCTAssertEqual(Charset.decode(hex("f0d2c9d7c5d4"), charset: "koi8-r"), "Привет")
        XCTAssertEqual(Charset.decode([0xCF, 0xF0, 0xE8], charset: "windows-1251"), "При")
    }

    func testJapaneseAndChinese() {
        XCTAssertEqual(Charset.decode(hex("1b2442467c4b5c386c2546252d253925481b2842"), charset: "ISO-2022-JP"), "日本語テキスト")
        XCTAssertEqual(Charset.decode(hex("93fa967b8cea8365834c83588367"), charset: "Shift_JIS"), "日本語テキスト")
        XCTAssertEqual(Charset.decode(hex("d6d0cec4"), charset: "gb2312"), "中文")
        XCTAssertEqual(Charset.decode(hex("a4a4a4e5"), charset: "big5"), "中文")
    }

    func testUTF16AndFallbacks() {
        XCTAssertEqual(Charset.decode([0xFF, 0xFE, 0x41, 0x00, 0xE9, 0x00], charset: "utf-16"), "Aé")
        XCTAssertEqual(Charset.decode([0x00, 0x41, 0x00, 0xE9], charset: "UTF-16BE"), "Aé")
        // Unknown charset: UTF-8 when valid, else Latin-1.
        XCTAssertEqual(Charset.decode(Array("Grüße".utf8), charset: "x-klingon"), "Grüße")
        XCTAssertEqual(Charset.decode([0x47, 0x72, 0xFC, 0xDF, 0x65], charset: "x-klingon"), "Grüße")
        XCTAssertEqual(Charset.decode([0x47, 0x72, 0xFC, 0xDF, 0x65], charset: nil), "Grüße")
        XCTAssertEqual(Charset.decode([0x41, 0xFF], charset: "utf-8"), "A\u{FFFD}")
        // A broken multi-byte sequence is replaced, the rest still converts.
        XCTAssertEqual(Charset.decode([0x93, 0xFA, 0xFF, 0x41], charset: "shift_jis"), "日\u{FFFD}A")
        XCTAssertEqual(Charset.decode([0x93], charset: "shift_jis"), "\u{FFFD}")
        XCTAssertEqual(Charset.decode([0x41], charset: "../../etc/passwd"), "A")
    }

    func testMessageText() throws {
        var bytes = Array("Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=E9".utf8)
        var m = try Message(bytes: bytes)
        XCTAssertEqual(m.text(m.root), "Café")
        bytes = Array("Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".utf8) + hex("1b2442467c4b5c1b2842")
        m = try Message(bytes: bytes)
        XCTAssertEqual(m.text(m.root), "日本")
        // A stray half character is replaced and conversion goes on.
        XCTAssertEqual(Charset.decode(hex("1b2442467c4b5c381b284241"), charset: "iso-2022-jp"), "日本\u{FFFD}A")
    }
}

final class CanonicalTests: XCTestCase {
    func testCRLF() {
        XCTAssertEqual(Canonical.crlf(Array("a\nb\r\nc\rd\r\r\n\n".utf8)[...]), Array("a\r\nb\r\nc\r\nd\r\n\r\n\r\n".utf8))
        XCTAssertEqual(Canonical.crlf([][...]), [])
        let bytes = Array("x\ny\n".utf8)
        XCTAssertEqual(Canonical.crlf(bytes[2...]), Array("y\r\n".utf8))
        // Already canonical: the same bytes back (the copy-only path).
        XCTAssertEqual(Canonical.crlf(Array("a\r\nb\r\n".utf8)[...]), Array("a\r\nb\r\n".utf8))
        XCTAssertEqual(Canonical.crlf(Array("\r".utf8)[...]), Array("\r\n".utf8))
        XCTAssertEqual(Canonical.crlf(Array("\n\n".utf8)[...]), Array("\r\n\r\n".utf8))
        XCTAssertEqual(Canonical.crlf(Array("a\r\n\rb".utf8)[...]), Array("a\r\n\r\nb".utf8))
    }

    /// The scan-then-write version against the plain definition, on random line ends.
    func testCRLFMatchesTheDefinition() {
        func reference(_ b: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            var i = 0
            while i < b.count {
                if b[i] == 0x0D {
                    out += [0x0D, 0x0A]
                    if i + 1 < b.count && b[i + 1] == 0x0A { i += 1 }
                } else if b[i] == 0x0A {
                    out += [0x0D, 0x0A]
                } else {
                    out.append(b[i])
                }
                i += 1
            }
            return out
        }
        var rng = SplitMix(seed: 11)
        for n in [0, 1, 2, 3, 10, 100, 1000] {
            for _ in 0..<20 {
                let b = (0..<n).map { _ in [0x0D, 0x0A, 0x61, 0x62][Int(rng.next() % 4)] as UInt8 }
                XCTAssertEqual(Canonical.crlf(b[...]), reference(b), "\(b)")
            }
        }
    }
}

final class MailDateTests: XCTestCase {
    func d(_ s: String) -> TimeInterval? { MailDate.parse(s)?.timeIntervalSince1970 }

    func testStandardAndObsoleteForms() {
        let t: TimeInterval = 1_769_438_283   // 2026-01-26T14:38:03Z
        XCTAssertEqual(d("Mon, 26 Jan 2026 14:38:03 +0000"), t)
        XCTAssertEqual(d("26 Jan 2026 15:38:03 +0100"), t)
        XCTAssertEqual(d("Mon, 26 Jan 2026 09:38:03 EST"), t)
        XCTAssertEqual(d("Mon, 26 Jan 2026 07:38:03 PDT"), t)
        XCTAssertEqual(d("Mon, 26 Jan 26 14:38:03 GMT"), t)
        XCTAssertEqual(d("Mon, 26 Jan 2026 14:38:03 UT (Coordinated)"), t)
        XCTAssertEqual(d("Mon (day), 26 (d) January 2026 14:38:03 -0000"), t)
        XCTAssertEqual(d("Mon Jan 26 14:38:03 2026"), t)
        XCTAssertEqual(d("26 Jan 2026 14:38 +0000"), t - 3)
        XCTAssertEqual(d("1 Jan 99 00:00:00 +0000"), 915_148_800)
        XCTAssertEqual(d("1 Jan 049 00:00:00 +0000"), -662_688_000)   // three digits: 1900 + 49
        XCTAssertEqual(d("29 Feb 2024 12:00:00 Z"), 1_709_208_000)
        // Names in any case, abbreviated with a dot, zones glued to the time, odd spacing and line ends.
        XCTAssertEqual(d("mon, 26 JAN 2026 14:38:03 gmt"), t)
        XCTAssertEqual(d("Mon, 26 Jan. 2026 14:38:03 +0000"), t)
        XCTAssertEqual(d("26 Janu 2026 14:38:03 +0000"), t)
        XCTAssertEqual(d("26 Jan 2026 15:38:03+0100"), t)
        XCTAssertEqual(d("26 Jan 2026 15:38:03.250 +01:00"), t)
        XCTAssertEqual(d("Mon,26 Jan 2026\t14:38:03\r\n +0000"), t)
        XCTAssertNil(d("26 Jax 2026 14:38:03 +0000"))
        XCTAssertNil(d("26 Janvier 2026 14:38:03 +0000"), "only English month names, or their prefixes")
        XCTAssertNil(d("26 Jän 2026 14:38:03 +0000"))
    }

    func testHopeless() {
        XCTAssertNil(MailDate.parse(""))
        XCTAssertNil(MailDate.parse("yesterday"))
        XCTAssertNil(MailDate.parse("30 Feb 2024 12:00:00 +0000"))
        XCTAssertNil(MailDate.parse("26 Jan 2026 25:00:00 +0000"))
        XCTAssertNil(MailDate.parse("Mon, 26 2026"))
        _ = MailDate.parse("99999999999999999999 Jan 99999999999999 99999999:99:99")
    }
}
