import Foundation
import XCTest
@testable import ResultStore

final class VerdictCacheTests: XCTestCase {
    func testRoundTripThroughAFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("cache/results.sqlite")
        let failed = StoredVerdict(
            status: "signed/failed",
            errors: ["From address alice@example.com does not match the certificate (bob@example.com)",
                     "Quotes \" and \\ backslashes, a\nnewline, a tab\t, a \u{01} control, ünïcødé, 🔏 and \u{7f}"],
            errorCodes: ["fromMismatch", "weird"],
            verifiedAt: t0, validUntil: t0.addingTimeInterval(3600))
        do {
            let store = try ResultStore(url: url)
            try store.record(verified, for: key(1), path: "/mail/cur/1")
            try store.record(failed, for: key(2), path: nil)
            try store.record(StoredVerdict(status: nil, errors: nil, verifiedAt: nil), for: key(3), path: nil)
            try store.record(StoredVerdict(status: "signed/failed", errors: [], errorCodes: [], verifiedAt: t0), for: key(4), path: nil)
        }
        let reopened = try ResultStore(url: url)
        let now = t0.addingTimeInterval(60)
        XCTAssertEqual(try reopened.verdict(for: key(1), now: now, maxAge: 3600), verified)
        XCTAssertEqual(try reopened.verdict(for: key(2), now: now, maxAge: 3600), failed)
        XCTAssertEqual(try reopened.verdict(for: key(3), now: now, maxAge: 3600),
                       StoredVerdict(status: nil, errors: nil, verifiedAt: nil))
        XCTAssertEqual(try reopened.verdict(for: key(4), now: now, maxAge: 3600)?.errors, [])
        XCTAssertNil(try reopened.verdict(for: key(5), now: now, maxAge: 3600))
        // Options are part of the key.
        XCTAssertNil(try reopened.verdict(for: key(1, options: "opts-b"), now: now, maxAge: 3600))
    }

    func testRecordReplacesAndWholeSeconds() throws {
        let store = try ResultStore.inMemory()
        try store.record(verified, for: key(1), path: "a")
        var newer = verified
        newer.status = "signed/failed"
        newer.errors = ["The certificate was revoked"]
        newer.verifiedAt = t0.addingTimeInterval(10.75)
        try store.record(newer, for: key(1), path: nil)
        let got = try XCTUnwrap(try store.verdict(for: key(1), now: t0.addingTimeInterval(20), maxAge: 60))
        XCTAssertEqual(got.status, "signed/failed")
        XCTAssertEqual(got.verifiedAt, t0.addingTimeInterval(10), "verifiedAt is kept in whole seconds, rounded down")
    }

    func testMaxAgeExpiry() throws {
        let store = try ResultStore.inMemory()
        try store.record(verified, for: key(1), path: nil)
        XCTAssertNotNil(try store.verdict(for: key(1), now: t0, maxAge: 600))
        XCTAssertNotNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(599), maxAge: 600))
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(600), maxAge: 600))
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(601), maxAge: 600))
        // Zero, negative and NaN ages serve nothing.
        XCTAssertNil(try store.verdict(for: key(1), now: t0, maxAge: 0))
        XCTAssertNil(try store.verdict(for: key(1), now: t0, maxAge: -5))
        XCTAssertNil(try store.verdict(for: key(1), now: t0, maxAge: .nan))
        // A verdict computed after `now` (another --at) is not served.
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(-1), maxAge: 600))
    }

    func testMaxAgeIsClampedToADay() throws {
        let store = try ResultStore.inMemory()
        try store.record(verified, for: key(1), path: nil)
        XCTAssertNotNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(86_399), maxAge: 7 * 86_400))
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(86_400), maxAge: 7 * 86_400))
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(86_400 * 3), maxAge: .infinity))
    }

    func testValidUntilCutsTheAgeShort() throws {
        let store = try ResultStore.inMemory()
        var verdict = verified
        verdict.validUntil = t0.addingTimeInterval(300)   // a certificate expires in 5 minutes
        try store.record(verdict, for: key(1), path: nil)
        XCTAssertNotNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(299), maxAge: 86_400))
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(300), maxAge: 86_400))
        XCTAssertNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(3600), maxAge: 86_400))
        // A fractional notAfter is rounded down: never served later than it.
        verdict.validUntil = t0.addingTimeInterval(100.9)
        try store.record(verdict, for: key(2), path: nil)
        XCTAssertNil(try store.verdict(for: key(2), now: t0.addingTimeInterval(100.5), maxAge: 86_400))
    }

    func testUncheckedVerdictsIgnoreAgeButNotValidUntil() throws {
        let store = try ResultStore.inMemory()
        try store.record(StoredVerdict(status: nil, errors: nil, verifiedAt: nil), for: key(1), path: nil)
        try store.record(StoredVerdict(status: "unknown", errors: nil, verifiedAt: nil, validUntil: t0), for: key(2), path: nil)
        XCTAssertNotNil(try store.verdict(for: key(1), now: t0.addingTimeInterval(10 * 86_400), maxAge: 60))
        XCTAssertNil(try store.verdict(for: key(2), now: t0, maxAge: 60))
    }

    func testNonFiniteDatesAreRefused() throws {
        let store = try ResultStore.inMemory()
        var verdict = verified
        verdict.verifiedAt = Date(timeIntervalSince1970: .nan)
        XCTAssertThrowsError(try store.record(verdict, for: key(1), path: nil)) { error in
            XCTAssertEqual((error as? ResultStoreError)?.jmapType, "invalidArguments")
        }
        XCTAssertThrowsError(try store.verdict(for: key(1), now: Date(timeIntervalSince1970: .infinity), maxAge: 1))
    }

    func testBatchLookupOfAHundredThousand() throws {
        let dir = try TemporaryDirectory()
        let store = try ResultStore(url: dir.file("results.sqlite"))
        let count = 100_000
        var batch: [(StoreKey, StoredVerdict, String?)] = []
        batch.reserveCapacity(count)
        for n in 0..<count {
            let verdict = n % 10 == 0
                ? StoredVerdict(status: "signed/failed", errors: ["The signature does not match the content (message \(n))"],
                                errorCodes: ["badSignature"], verifiedAt: t0, validUntil: nil)
                : verified
            batch.append((key(n), verdict, "/mail/cur/\(n)"))
        }
        let writeStart = Date()
        try store.record(batch: batch)
        let writeSeconds = Date().timeIntervalSince(writeStart)

        let keys = (0..<count).map { key($0) } + [key(count + 1)]
        let readStart = Date()
        let found = try store.verdicts(for: keys, now: t0.addingTimeInterval(5), maxAge: 86_400)
        let readSeconds = Date().timeIntervalSince(readStart)

        XCTAssertEqual(found.count, count + 1)
        XCTAssertEqual(found.compactMap { $0 }.count, count)
        XCTAssertNil(found[count])
        XCTAssertEqual(found[10]?.errors, ["The signature does not match the content (message 10)"])
        XCTAssertEqual(found[11], verified)
        print(String(format: "ResultStore batch: wrote %d verdicts in %.3f s (%.0f/s); looked up %d in %.3f s (%.0f lookups/s)",
                     count, writeSeconds, Double(count) / writeSeconds,
                     keys.count, readSeconds, Double(keys.count) / readSeconds))

        // Opening runs PRAGMA quick_check; note what that costs on a full cache.
        let openStart = Date()
        let reopened = try ResultStore(url: dir.file("results.sqlite"))
        print(String(format: "ResultStore open with quick_check of %d verdicts: %.3f s",
                     try reopened.statistics().verdicts, Date().timeIntervalSince(openStart)))
    }

    func testDefaultURL() {
        XCTAssertEqual(ResultStore.defaultURL(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"]).path,
                       "/x/cache/smimekit/results.sqlite")
        XCTAssertEqual(ResultStore.defaultURL(environment: ["HOME": "/home/u"]).path,
                       "/home/u/.cache/smimekit/results.sqlite")
        XCTAssertEqual(ResultStore.defaultURL(environment: ["XDG_CACHE_HOME": "relative", "HOME": "/home/u"]).path,
                       "/home/u/.cache/smimekit/results.sqlite", "a relative XDG_CACHE_HOME is ignored")
        XCTAssertEqual(ResultStore.defaultURL(environment: ["XDG_CACHE_HOME": "", "HOME": "/home/u"]).path,
                       "/home/u/.cache/smimekit/results.sqlite")
    }

    func testCreatesPrivateDirectoriesAndFile() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("a/b/results.sqlite")
        _ = try ResultStore(url: url)
        let fm = FileManager.default
        for path in [dir.file("a").path, dir.file("a/b").path] {
            let mode = try XCTUnwrap(fm.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)
            XCTAssertEqual(mode.intValue & 0o777, 0o700, path)
        }
        let mode = try XCTUnwrap(fm.attributesOfItem(atPath: url.path)[.posixPermissions] as? NSNumber)
        XCTAssertEqual(mode.intValue & 0o777, 0o600)
    }
}
