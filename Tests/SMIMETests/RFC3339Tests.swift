import Foundation
import JMAP
import XCTest

/// The one time parser (JMAP's RFC3339): every command-line time and every
/// filter UTCDate goes through it, so it must refuse what it cannot read for sure.
final class RFC3339Tests: XCTestCase {
    func testTimesWithAZoneAreRead() throws {
        func t(_ s: String) throws -> Double { try RFC3339.commandLineTime(s).get().timeIntervalSince1970 }
        let noon = 1_795_521_600.0  // 2026-11-24T12:00:00Z
        XCTAssertEqual(try t("2026-11-24T12:00:00Z"), noon)
        XCTAssertEqual(try t("2026-11-24t12:00:00z"), noon, "RFC 3339 5.6 NOTE: t and z may be lower case")
        XCTAssertEqual(try t("2026-11-24T13:00:00+01:00"), noon)
        XCTAssertEqual(try t("2026-11-24T06:30:00-05:30"), noon)
        XCTAssertEqual(try t("2026-11-24T12:00:00-00:00"), noon, "unknown local offset is still UTC")
        XCTAssertEqual(try t("2026-11-24T12:00:00.5Z"), noon + 0.5)
        XCTAssertEqual(try t("2026-11-24T12:00:00.123456789Z"), noon + 0.123456789, accuracy: 1e-6)
        XCTAssertEqual(try t("2026-11-24"), noon - 43_200, "a bare date is 00:00Z")
        XCTAssertEqual(try t("2024-02-29"), 1_709_164_800, "leap day")
        XCTAssertEqual(try t("1970-01-01T00:00:00Z"), 0)
        XCTAssertEqual(try t("1969-12-31T23:59:59Z"), -1)
        XCTAssertEqual(try t("2016-12-31T23:59:60Z"), 1_483_228_799, "a leap second is read as :59")
    }

    /// Against Foundation's own RFC 3339 reader, over many generated instants and offsets.
    func testAgreesWithFoundationOverGeneratedTimes() throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let seconds = Double(Int64.random(in: -2_000_000_000...4_000_000_000, using: &rng))
            let offset = Int.random(in: -14 * 60...14 * 60, using: &rng)
            f.timeZone = TimeZone(secondsFromGMT: offset * 60)
            var s = f.string(from: Date(timeIntervalSince1970: seconds))
            if offset == 0 { XCTAssertTrue(s.hasSuffix("Z"), s) }
            // Foundation writes +0100 or +01:00 depending on version; RFC 3339 wants the colon.
            if !s.hasSuffix("Z"), s[s.index(s.endIndex, offsetBy: -3)] != ":" {
                s.insert(":", at: s.index(s.endIndex, offsetBy: -2))
            }
            XCTAssertEqual(try RFC3339.commandLineTime(s).get().timeIntervalSince1970, seconds, s)
            XCTAssertEqual(try RFC3339.dateTime(s).get().offsetMinutes, offset, s)
        }
    }

    func testAnythingElseIsRefused() {
        let bad = [
            "2026-11-24Tgarbage", "2026-11-24T12:00:00", "2026-11-24T12:00", "2026-11-24T12:00Z", "2026-11-24 12:00:00Z",
            "2026-11-24T12:00:00+0100", "2026-11-24T12:00:00+01", "2026-11-24T12:00:00 Z", "2026-11-24T12:00:00ZZ",
            "2026-11-24T12:00:00.Z", "2026-11-24T24:00:00Z", "2026-11-24T12:60:00Z", "2026-11-24T12:00:61Z",
            "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-11-00", "2026-11-31T00:00:00Z",
            "26-11-24", "2026-1-24", "2026-11-24x", "2026-11-24T", "20261124", "@1795521600", "now", "",
            "2026-11-24T12:00:00+24:00", "2026-11-24T12:00:00+01:60", "２０２６-11-24", "2026-11-24T12:00:00Z\n",
            "tomorrow", "Tue, 24 Nov 2026 12:00:00 +0000",
        ]
        for s in bad {
            XCTAssertNil(try? RFC3339.commandLineTime(s).get(), "'\(s)' must be refused")
            XCTAssertNil(JMAPDate.parse(s), "'\(s)' must be refused")
        }
        // Every one-character corruption of a good time that is still accepted must read as a real field change.
        let good = "2026-11-24T12:34:56+01:00"
        let goodValue = try? RFC3339.commandLineTime(good).get()
        XCTAssertNotNil(goodValue)
        for i in good.indices {
            for c in ["x", " ", "T"] {
                var s = good
                s.replaceSubrange(i...i, with: c)
                if s == good { continue }
                XCTAssertNil(try? RFC3339.commandLineTime(s).get(), "'\(s)' must be refused")
            }
        }
    }

    func testTheReasonIsSaid() {
        XCTAssertEqual(RFC3339.dateTime("2026-11-24T12:00:00"), .failure(.noZone))
        XCTAssertEqual(RFC3339.dateTime("2026-11-24"), .failure(.dateOnly))
        XCTAssertEqual(RFC3339.dateTime("2026-11-24Tgarbage"), .failure(.malformed))
        let noZone = RFC3339.commandLineMessage(option: "--at", value: "2026-11-24T12:00:00")
        XCTAssertTrue(noZone.hasPrefix("--at takes an RFC 3339 time"), noZone)
        XCTAssertTrue(noZone.contains("has no zone"), noZone)
        XCTAssertTrue(noZone.contains("2026-03-01T12:00:00Z"), "an example: \(noZone)")
        let garbage = RFC3339.commandLineMessage(option: "--before", value: "2026-11-24Tgarbage")
        XCTAssertTrue(garbage.hasPrefix("--before takes"), garbage)
        XCTAssertTrue(garbage.hasSuffix("not '2026-11-24Tgarbage'"), garbage)
    }

    /// RFC 8620 1.4: UTCDate is Z only; the filter JSON's before/after are UTCDates.
    func testUTCDateIsZOnly() throws {
        XCTAssertEqual(try RFC3339.utcDate("2026-11-24T12:00:00Z").get().timeIntervalSince1970, 1_795_521_600)
        XCTAssertEqual(RFC3339.utcDate("2026-11-24T13:00:00+01:00"), .failure(.notUTC))
        XCTAssertEqual(RFC3339.utcDate("2026-11-24"), .failure(.dateOnly))
        for key in ["before", "after"] {
            for value in ["2026-11-24T13:00:00+01:00", "2026-11-24", "2026-11-24T12:00:00", "2026-11-24Tgarbage"] {
                let json = try JSON.parse(Array("{\"\(key)\":\"\(value)\"}".utf8))
                XCTAssertThrowsError(try Filter.parse(json), "\(key): \(value)") { error in
                    XCTAssertEqual((error as? FilterError)?.type, "invalidArguments")
                }
            }
            let ok = try Filter.parse(try JSON.parse(Array("{\"\(key)\":\"2026-11-24T12:00:00Z\"}".utf8)))
            guard case .condition(let c) = ok else { return XCTFail("a condition") }
            XCTAssertEqual((key == "before" ? c.before : c.after)?.timeIntervalSince1970, 1_795_521_600)
        }
    }

    /// Email/set sentAt goes through the same parser and keeps the writer's offset.
    func testSentAtKeepsItsOffset() {
        XCTAssertEqual(MailDateWriter.rfc5322(fromRFC3339: "2024-03-01T10:00:00+01:00"), "Fri, 1 Mar 2024 10:00:00 +0100")
        XCTAssertEqual(MailDateWriter.rfc5322(fromRFC3339: "2024-03-01T10:00:00.25Z"), "Fri, 1 Mar 2024 10:00:00 +0000")
        XCTAssertNil(MailDateWriter.rfc5322(fromRFC3339: "2024-02-30T10:00:00Z"))
        XCTAssertNil(MailDateWriter.rfc5322(fromRFC3339: "2024-03-01T10:00:00"))
    }
}
