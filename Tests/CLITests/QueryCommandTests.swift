import Foundation
import TestSupport
import XCTest

/// `smimekit query` over a small corpus: every filter property, the operators,
/// sort, position/limit, output forms and exit codes.
final class QueryCommandTests: XCTestCase {
    /// Built once: certificates and signatures are the slow part.
    private struct Corpus {
        let runner: SmimekitRunner
        let pki: SigningPKI
        let directory: String
        /// File name → path.
        let paths: [String: String]
    }

    nonisolated(unsafe) private static var shared: Corpus?

    private func corpus() throws -> Corpus {
        if let c = Self.shared { return c }
        let runner = try SmimekitRunner()
        let pki = try SigningPKI()
        var paths: [String: String] = [:]
        // Dates within the verifier's clock skew of the signing time, so the
        // signatures hold at delivery too.
        // Without a Received header receivedAt is the later of Date and signingTime, so the
        // tampered message is signed first: its receivedAt is never after the good one's
        // (a tie sorts by path, which puts signed-ok first either way).
        let tampered = try Tamper.alterSignedContent(try pki.signed(MessageSpec(subject: "Tampered", date: .now - 100), by: pki.carol))
        paths["signed-tampered.eml"] = try runner.write(tampered, "mail/signed-tampered.eml")
        let ok = try pki.signed(MessageSpec(subject: "Quarterly report", date: .now,
                                            extraHeaders: ["Cc: Dave <dave@example.org>"]))
        paths["signed-ok.eml"] = try runner.write(ok, "mail/signed-ok.eml")
        let attachment = """
            From: Bob <bob@example.org>\r
            To: Alice <alice@example.org>\r
            Bcc: eve@example.org\r
            Subject: Re: Holiday photos\r
            Date: Wed, 01 Jan 2020 10:00:00 +0000\r
            X-Priority: 1\r
            MIME-Version: 1.0\r
            Content-Type: multipart/mixed; boundary=b\r
            \r
            --b\r
            Content-Type: text/plain\r
            \r
            Pictures from the beach.\r
            --b\r
            Content-Type: image/png\r
            Content-Disposition: attachment; filename=beach.png\r
            Content-Transfer-Encoding: base64\r
            \r
            iVBORw0KGgo=\r
            --b--\r

            """
        paths["plain-attach.eml"] = try runner.write(Array(attachment.utf8), "mail/plain-attach.eml")
        let lunch = "From: Dave <dave@example.org>\r\nSubject: lunch\r\nDate: Tue, 01 Jun 2021 12:00:00 +0000\r\n\r\nA sandwich?\r\n"
        paths["1622548800.M1:2,FS"] = try runner.write(Array(lunch.utf8), "mail/maildir/cur/1622548800.M1:2,FS")
        let c = Corpus(runner: runner, pki: pki, directory: runner.home.appendingPathComponent("mail").path, paths: paths)
        Self.shared = c
        return c
    }

    override class func tearDown() {
        shared?.runner.remove()
        shared = nil
    }

    /// Names of the files `query <arguments> <corpus>` prints, in order.
    private func names(_ arguments: [String], status: Int32 = 0, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let c = try corpus()
        let run = try c.runner.run(["query"] + c.pki.trust + arguments + [c.directory])
        XCTAssertEqual(run.status, status, "query \(arguments): \(run.stderr)", file: file, line: line)
        return run.lines.map { ($0 as NSString).lastPathComponent }
    }

    private func assertMatches(_ arguments: [String], _ expected: Set<String>, file: StaticString = #filePath, line: UInt = #line) throws {
        let found = try names(arguments, status: expected.isEmpty ? 1 : 0, file: file, line: line)
        XCTAssertEqual(Set(found), expected, "query \(arguments)", file: file, line: line)
        XCTAssertEqual(found.count, Set(found).count, "a message printed twice", file: file, line: line)
    }

    private let ok = "signed-ok.eml", tampered = "signed-tampered.eml", attach = "plain-attach.eml", lunch = "1622548800.M1:2,FS"

    // MARK: Properties

    func testAddressAndTextProperties() throws {
        try assertMatches(["--from", "BOB@example"], [attach])
        try assertMatches(["--to", "bob@example.org"], [ok, tampered])
        try assertMatches(["--cc", "dave"], [ok])
        try assertMatches(["--bcc", "eve"], [attach])
        try assertMatches(["--subject", "holiday"], [attach])
        try assertMatches(["--text", "sandwich"], [lunch])
        try assertMatches(["--text", "dave@"], [ok, lunch])
        try assertMatches(["--body", "beach"], [attach])
        try assertMatches(["--body", "Quarterly"], [])
        try assertMatches(["--from", "nobody"], [])
    }

    func testHeaderProperty() throws {
        try assertMatches(["--header", "X-Priority"], [attach])
        try assertMatches(["--header", "x-priority:1"], [attach])
        try assertMatches(["--header", "X-Priority:5"], [])
        try assertMatches(["--header", "Cc", "--header", "Subject:report"], [ok])
    }

    func testDateAndSizeProperties() throws {
        try assertMatches(["--before", "2021-01-01T00:00:00Z"], [attach])
        try assertMatches(["--after", "2021-01-01T00:00:00Z"], [ok, tampered, lunch])
        try assertMatches(["--after", "2021-01-01T00:00:00Z", "--before", "2022-01-01T00:00:00Z"], [lunch])
        let c = try corpus()
        let sizes = try c.paths.mapValues { try XCTUnwrap(FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        let largest = try XCTUnwrap(sizes.max { $0.value < $1.value })
        try assertMatches(["--min-size", "\(largest.value)"], [largest.key])
        try assertMatches(["--max-size", "\(largest.value)"], Set(sizes.keys).subtracting([largest.key]))
        try assertMatches(["--max-size", "1"], [])
    }

    func testAttachmentAndKeywordProperties() throws {
        try assertMatches(["--has-attachment"], [attach])
        try assertMatches(["--has-attachment=false"], [ok, tampered, lunch])
        try assertMatches(["--has-keyword", "$seen"], [lunch])
        try assertMatches(["--has-keyword", "$flagged", "--has-keyword", "$seen"], [lunch])
        try assertMatches(["--has-keyword", "$answered"], [])
        try assertMatches(["--not-keyword", "$seen"], [ok, tampered, attach])
    }

    func testSMIMEProperties() throws {
        try assertMatches(["--has-smime"], [ok, tampered])
        try assertMatches(["--has-smime=false"], [attach, lunch])
        try assertMatches(["--has-verified-smime"], [ok])
        try assertMatches(["--has-verified-smime=true"], [ok])
        try assertMatches(["--has-verified-smime=false"], [tampered, attach, lunch])
        try assertMatches(["--no-has-verified-smime"], [tampered, attach, lunch])
        try assertMatches(["--has-verified-smime-at-delivery"], [ok])
        try assertMatches(["--has-verified-smime-at-delivery=false", "--has-smime"], [tampered])
    }

    func testFlagFollowedByAPathKeepsThePath() throws {
        let c = try corpus()
        let run = try c.runner.run(["query"] + c.pki.trust + ["--has-verified-smime", try XCTUnwrap(c.paths[ok]), try XCTUnwrap(c.paths[attach])])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.lines.map { ($0 as NSString).lastPathComponent }, [ok])
    }

    // MARK: Operators

    func testNestedOperators() throws {
        let filter = """
            {"operator":"OR","conditions":[
              {"from":"bob"},
              {"operator":"AND","conditions":[
                {"hasSmime":true},
                {"operator":"NOT","conditions":[{"hasVerifiedSmime":true}]}]}]}
            """
        try assertMatches(["--filter", filter], [attach, tampered])
        try assertMatches(["--filter", #"{"operator":"NOT","conditions":[{"hasSmime":true},{"from":"dave"}]}"#], [attach])
        try assertMatches(["--filter", #"{"operator":"AND","conditions":[]}"#], [ok, tampered, attach, lunch])
        try assertMatches(["--filter", #"{"operator":"OR","conditions":[]}"#], [])
        // The flags and --filter combine by AND.
        try assertMatches(["--has-smime", "--filter", #"{"operator":"OR","conditions":[{"subject":"tampered"},{"from":"bob"}]}"#], [tampered])
    }

    func testUnsupportedFilterIsAnError() throws {
        let c = try corpus()
        for filter in [#"{"inMailbox":"inbox"}"#, #"{"operator":"AND","conditions":[{"hasSmime":true},{"colour":"red"}]}"#] {
            let run = try c.runner.run(["query", "--filter", filter, c.directory])
            XCTAssertEqual(run.status, 2)
            XCTAssertTrue(run.stderr.contains("unsupportedFilter"), run.stderr)
            XCTAssertEqual(run.stdout, "")
            let json = try c.runner.run(["query", "--format", "json", "--filter", filter, c.directory])
            XCTAssertEqual(json.status, 2)
            let response = try XCTUnwrap((try json.json() as? [String: Any])?["methodResponses"] as? [[Any]])
            XCTAssertEqual(response.first?.first as? String, "error")
            XCTAssertEqual((response.first?[1] as? [String: Any])?["type"] as? String, "unsupportedFilter")
        }
        let bad = try c.runner.run(["query", "--filter", #"{"hasSmime":"yes"}"#, c.directory])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("invalidArguments"), bad.stderr)
    }

    // MARK: Sort, window, output

    func testSort() throws {
        XCTAssertEqual(try names(["--sort", "sentAt"]), [attach, lunch, tampered, ok])
        XCTAssertEqual(try names(["--sort", "sentAt:desc"]), [ok, tampered, lunch, attach])
        XCTAssertEqual(try names(["--sort", "subject"]), [attach, lunch, ok, tampered])
        XCTAssertEqual(try names(["--sort", "receivedAt:desc", "--has-smime"]), [ok, tampered])
        // Ties by path: every message with no To sorts first, then by path.
        let byTo = try names(["--sort", "to", "--sort", "size"])
        XCTAssertEqual(byTo.first, lunch)
        let run = try corpus().runner.run(["query", "--sort", "colour", try corpus().directory])
        XCTAssertEqual(run.status, 2, run.stderr)  // a usage error is trouble
    }

    func testPositionAndLimit() throws {
        XCTAssertEqual(try names(["--sort", "sentAt", "--position", "1", "--limit", "2"]), [lunch, tampered])
        XCTAssertEqual(try names(["--sort", "sentAt", "--position", "-1"]), [ok])
        XCTAssertEqual(try names(["--sort", "sentAt", "--position", "10"]), [])  // matches exist: exit 0
        XCTAssertEqual(try names(["--limit", "1"]).count, 1)
        XCTAssertEqual(try names(["--limit", "0"]), [])

        let c = try corpus()
        let run = try c.runner.run(["query", "--format", "json", "--sort", "sentAt", "--position", "1", "--limit", "2", c.directory])
        XCTAssertEqual(run.status, 0, run.stderr)
        let response = try XCTUnwrap((try run.json() as? [String: Any])?["methodResponses"] as? [[Any]])
        XCTAssertEqual(response[0][0] as? String, "Email/query")
        let body = try XCTUnwrap(response[0][1] as? [String: Any])
        XCTAssertEqual(body["position"] as? Int, 1)
        XCTAssertEqual(body["total"] as? Int, 4)
        XCTAssertEqual((body["ids"] as? [String])?.count, 2)
        XCTAssertNotNil(body["queryState"] as? String)
    }

    func testNulSeparatedAndNDJSON() throws {
        let c = try corpus()
        let run = try c.runner.run(["query", "-0", "--has-smime", c.directory])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, [c.paths[ok]!, c.paths[tampered]!].sorted().map { $0 + "\0" }.joined())

        let nd = try c.runner.run(["query"] + c.pki.trust + ["--format", "ndjson", "--properties", "smimeStatus,smimeErrors", "--has-smime", c.directory])
        let records = try nd.records()
        XCTAssertEqual(records[c.paths[ok]!]?["smimeStatus"] as? String, "signed/verified")
        XCTAssertEqual(records[c.paths[tampered]!]?["smimeStatus"] as? String, "signed/failed")
        XCTAssertFalse((records[c.paths[tampered]!]?["smimeErrors"] as? [String] ?? []).isEmpty)
    }

    func testExitCodesLikeGrep() throws {
        let c = try corpus()
        XCTAssertEqual(try c.runner.run(["query", "--from", "bob", c.directory]).status, 0)
        XCTAssertEqual(try c.runner.run(["query", "--from", "nobody", c.directory]).status, 1)
        // An unreadable operand is trouble even when something matched, as in grep.
        let missing = c.runner.home.appendingPathComponent("no-such.eml").path
        let run = try c.runner.run(["query", "--from", "bob", missing, c.directory])
        XCTAssertEqual(run.status, 2)
        XCTAssertEqual(run.lines.map { ($0 as NSString).lastPathComponent }, [attach])
        XCTAssertTrue(run.stderr.contains("no-such.eml"), run.stderr)
    }
}
