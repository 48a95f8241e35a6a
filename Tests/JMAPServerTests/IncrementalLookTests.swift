// The backend keeps its look at the mail between requests and revalidates it by the
// directories' stamps: a file added, removed or renamed between two requests (at once,
// within the same second, or after the listing was reused) is seen by the second.
import Foundation
import JMAP
@testable import JMAPServer
import MIME
import SMIME
import XCTest

final class IncrementalLookTests: BackendTestCase {
    func ids(_ b: MailBackend) throws -> Set<String> {
        Set(strings(try one(b, "Email/query", #"{"accountId":"local"}"#)["ids"]))
    }

    func state(_ b: MailBackend) throws -> String {
        try XCTUnwrap(try one(b, "Email/get", #"{"accountId":"local","ids":[]}"#)["state"]?.stringValue)
    }

    func id(_ bytes: [UInt8]) -> String { EmailID.make(digestHex: Digest.sha256Hex(bytes)) }

    /// Sets a directory's modification time `seconds` back, so that its listing is not racy.
    func age(_ url: URL, _ seconds: Double = 30) throws {
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-seconds)], ofItemAtPath: url.path)
    }

    func run(aged: Bool) throws {
        let box = try maildir("box")
        let a = try put(Self.message(subject: "a"), "box/cur/1.host:2,")
        if aged { try age(box.appendingPathComponent("cur")); try age(box.appendingPathComponent("new")) }
        let b = backend([box.path])
        XCTAssertEqual(try ids(b), [id(a)])
        let s0 = try state(b)
        // The same answer again, from the kept look.
        XCTAssertEqual(try ids(b), [id(a)])
        XCTAssertEqual(try state(b), s0)

        // Added (in new/), within the same second as the last request.
        let n = try put(Self.message(subject: "n"), "box/new/2.host")
        XCTAssertEqual(try ids(b), [id(a), id(n)])
        let c1 = try one(b, "Email/changes", #"{"accountId":"local","sinceState":"\#(s0)"}"#)
        XCTAssertEqual(strings(c1["created"]), [id(n)])
        let s1 = try XCTUnwrap(c1["newState"]?.stringValue)
        if aged { try age(box.appendingPathComponent("cur")); try age(box.appendingPathComponent("new")) }
        XCTAssertEqual(try ids(b), [id(a), id(n)])

        // Renamed in cur/ (a flag change): the keyword is seen.
        try FileManager.default.moveItem(at: box.appendingPathComponent("cur/1.host:2,"), to: box.appendingPathComponent("cur/1.host:2,S"))
        let seen = try one(b, "Email/query", #"{"accountId":"local","filter":{"hasKeyword":"$seen"}}"#)
        XCTAssertEqual(strings(seen["ids"]), [id(a)])
        let got = try one(b, "Email/get", #"{"accountId":"local","ids":["\#(id(a))"],"properties":["keywords"]}"#)
        XCTAssertEqual(got["list"]?.arrayValue?.first?["keywords"]?.serialized(), #"{"$seen":true}"#)
        if aged { try age(box.appendingPathComponent("cur")); try age(box.appendingPathComponent("new")) }
        XCTAssertEqual(try ids(b), [id(a), id(n)])

        // Removed.
        try FileManager.default.removeItem(at: box.appendingPathComponent("new/2.host"))
        XCTAssertEqual(try ids(b), [id(a)])
        let c2 = try one(b, "Email/changes", #"{"accountId":"local","sinceState":"\#(s1)"}"#)
        XCTAssertEqual(strings(c2["destroyed"]), [id(n)])
    }

    func testChangesRightAfterARequestAreSeen() throws { try run(aged: false) }

    func testChangesAfterAReusedListingAreSeen() throws { try run(aged: true) }

    func testPlainDirectoryAndNewSubdirectory() throws {
        let first = try put(Self.message(subject: "one"), "notes/one.eml")
        try age(root.appendingPathComponent("notes"))
        let b = backend([root.appendingPathComponent("notes").path])
        XCTAssertEqual(try ids(b), [id(first)])
        let mailboxes0 = try one(b, "Mailbox/get", #"{"accountId":"local"}"#)["list"]?.arrayValue?.count
        let second = try put(Self.message(subject: "two"), "notes/sub/two.eml")
        XCTAssertEqual(try ids(b), [id(first), id(second)])
        XCTAssertEqual(try one(b, "Mailbox/get", #"{"accountId":"local"}"#)["list"]?.arrayValue?.count, (mailboxes0 ?? 0) + 1)
    }

    /// A file rewritten in place (same name, so its directory's stamp stays) is seen once
    /// the listing is older than its maximum age: a tampered message does not keep the
    /// id and verdict of the bytes it had.
    func testFileRewrittenInPlaceIsSeen() throws {
        let box = try maildir("box")
        let a = try put(Self.message(subject: "a"), "box/cur/1.host:2,")
        for sub in ["cur", "new"] { try age(box.appendingPathComponent(sub)) }
        let b = backend([box.path])
        XCTAssertEqual(try ids(b), [id(a)])
        let edited = Array(Self.message(subject: "b").replacingOccurrences(of: "\n", with: "\r\n").utf8)
        let path = box.appendingPathComponent("cur/1.host:2,").path
        let fd = open(path, O_WRONLY | O_TRUNC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(edited.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }, edited.count)
        close(fd)
        usleep(UInt32(DirListing.maxAgeNanoseconds / 1_000) + 100_000)
        XCTAssertEqual(try ids(b), [id(edited)])
    }

    func testListingExpires() throws {
        let dir = root.appendingPathComponent("expiring")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try age(dir)
        let listing = DirListing.read(dir.path)
        let stamp = DirListing.stamp(of: dir.path)
        XCTAssertTrue(listing.stillValid(stamp, now: listing.readAt))
        XCTAssertFalse(listing.stillValid(stamp, now: listing.readAt + DirListing.maxAgeNanoseconds))
    }

    /// The racy rule: a listing read within two seconds of its directory's last change is
    /// read again even when the stamp is the same (a coarse clock would not show a second change).
    func testRacyListingIsNotReused() throws {
        let dir = root.appendingPathComponent("racy")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let fresh = DirListing.read(dir.path)
        XCTAssertNotNil(fresh.stamp)
        XCTAssertFalse(fresh.stillValid(DirListing.stamp(of: dir.path)))
        try age(dir)
        let old = DirListing.read(dir.path)
        XCTAssertTrue(old.stillValid(DirListing.stamp(of: dir.path)))
        // A change of the stamp is never valid, however old.
        try put("x", "racy/x")
        XCTAssertFalse(old.stillValid(DirListing.stamp(of: dir.path)))
        // A directory gone.
        XCTAssertFalse(old.stillValid(nil))
    }

    /// Requests made while nothing changes reuse one look: the generation stays.
    func testGenerationChangesOnlyWithTheMail() throws {
        let box = try maildir("box")
        try put(Self.message(subject: "a"), "box/cur/1.host:2,")
        for sub in ["cur", "new", ""] { try age(box.appendingPathComponent(sub)) }
        let b = backend([box.path])
        let g0 = b.index.current().generation
        XCTAssertEqual(b.index.current().generation, g0)
        try put(Self.message(subject: "b"), "box/cur/2.host:2,")
        XCTAssertNotEqual(b.index.current().generation, g0)
    }
}
