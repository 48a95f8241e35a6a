import Foundation
import TestSupport
import XCTest

/// How the CLI reads what it is given, as a user of openssl, gpgsm and mblaze
/// expects (issue 13, 6-10): a message piped in, maildirs with Maildir++
/// folders, bare CMS files, and a HOME that does not exist.
final class InputHandlingTests: XCTestCase {
    private var runner: SmimekitRunner!
    nonisolated(unsafe) private static var pki: SigningPKI?

    override func setUpWithError() throws { runner = try SmimekitRunner() }
    override func tearDown() { runner?.remove() }

    private func pki() throws -> SigningPKI {
        if let p = Self.pki { return p }
        let p = try SigningPKI()
        Self.pki = p
        return p
    }

    private func plain(_ i: Int, header: String = "From: a@example.org\r\n") -> [UInt8] {
        Array("\(header)Subject: \(i)\r\nMessage-ID: <\(i)@example.org>\r\n\r\nMessage \(i).\r\n".utf8)
    }

    private func cli(_ args: [String], stdin: [UInt8]? = nil, environment: [String: String] = [:],
                     in directory: URL? = nil, shell: Bool = false) throws -> CLI.Run {
        try CLI.run(args, stdin: stdin, in: directory,
                    environment: ["XDG_CACHE_HOME": runner.home.appendingPathComponent("xdg").path].merging(environment) { $1 },
                    shell: shell)
    }

    private func records(_ run: CLI.Run) -> [[String: Any]] {
        run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    // MARK: 6. A message on standard input

    func testAMessagePipedInIsReadAsOneMessage() throws {
        let pki = try pki()
        let signed = try pki.signed(MessageSpec())
        // Whatever header field comes first, and with LF or CRLF line ends.
        let variants: [[UInt8]] = [
            signed,
            Array("Received: from mx.example.org by mail.example.org; Mon, 1 Dec 2026 10:00:00 +0000\r\n".utf8) + signed,
            Array("Return-Path: <alice@example.org>\n".utf8) + signed,
            Array("X-Spam-Score: 0.0\r\n".utf8) + signed,
        ]
        for bytes in variants {
            let run = try cli(["verify", "--format", "ndjson"] + pki.trust, stdin: bytes)
            XCTAssertEqual(run.status, 0, run.stderr)
            let r = records(run)
            XCTAssertEqual(r.count, 1, run.text + run.stderr)
            XCTAssertEqual(r.first?["path"] as? String, "-")
            XCTAssertEqual(r.first?["smimeStatus"] as? String, "signed/verified", run.text)
            XCTAssertFalse(run.stderr.contains("No such file"), run.stderr)
        }
        for command in ["status", "query"] {
            let run = try cli([command, "--format", "ndjson", "--no-cache"], stdin: signed)
            XCTAssertEqual(records(run).map { $0["path"] as? String }, ["-"], "\(command): \(run.text) \(run.stderr)")
        }
        let status = try cli(["status", "--format", "ndjson", "--no-cache"], stdin: signed)
        XCTAssertEqual(records(status).first?["smimeStatus"] as? String, "signed")
    }

    func testAPathListWhoseFirstLineHasAColonIsStillAList() throws {
        let dir = runner.home.appendingPathComponent("list")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("dir:x"), withIntermediateDirectories: true)
        try Data(plain(1)).write(to: dir.appendingPathComponent("C:"))
        try Data(plain(2)).write(to: dir.appendingPathComponent("dir:x/a.eml"))
        try Data(plain(3)).write(to: dir.appendingPathComponent("b.eml"))
        for list in ["C:\nb.eml\n", "dir:x/a.eml\nb.eml\n", "dir:x/a.eml\r\nC:\r\n", "b.eml\0C:\0", "C:\0dir:x/a.eml\0"] {
            let run = try cli(["status", "--format", "ndjson", "--no-cache"], stdin: Array(list.utf8), in: dir)
            let expected = list.split(whereSeparator: { $0 == "\n" || $0 == "\0" || $0 == "\r\n" }).map(String.init)
            XCTAssertEqual(records(run).compactMap { $0["path"] as? String }, expected, "\(list.debugDescription): \(run.stderr)")
            XCTAssertEqual(run.status, 1, run.stderr)
        }
        // A first line that is a header field and no file: a message, as documented.
        let run = try cli(["status", "--format", "ndjson", "--no-cache"], stdin: Array("Subject: hello\nb.eml\n".utf8), in: dir)
        XCTAssertEqual(records(run).compactMap { $0["path"] as? String }, ["-"])
    }

    // MARK: 7. Maildir++

    func testMaildirsAreWalkedAsMdirsDoes() throws {
        let md = runner.home.appendingPathComponent("Maildir")
        var expected: [String] = []
        func put(_ name: String, _ i: Int, read: Bool) throws {
            let url = md.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(plain(i)).write(to: url)
            if read { expected.append(url.path) }
        }
        try put("cur/1700000000.1.host:2,S", 1, read: true)
        try put("new/1700000001.2.host", 2, read: true)
        try put("tmp/1700000002.3.host", 3, read: false)
        try put(".Work/cur/1700000003.4.host:2,", 4, read: true)
        try put(".Work/new/1700000004.5.host", 5, read: true)
        try put(".Work/tmp/1700000005.6.host", 6, read: false)
        try put(".Work.Projects/cur/1700000006.7.host:2,", 7, read: true)
        try put(".Work/maildirfolder", 8, read: false)
        try put("dovecot-uidlist", 9, read: false)
        try put(".notmail/x.eml", 10, read: false)
        try put("courierimapkeywords/1700000000.1.host", 11, read: false)
        for command in ["status", "verify", "query"] {
            let run = try cli([command, "--format", "ndjson", "--no-cache", md.path])
            XCTAssertEqual(Set(records(run).compactMap { $0["path"] as? String }), Set(expected),
                           "\(command): \(run.text)\n\(run.stderr)")
        }
        // Outside a maildir a directory named tmp is mail like any other; dot directories are not.
        let other = runner.home.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: other.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: other.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try Data(plain(20)).write(to: other.appendingPathComponent("tmp/a.eml"))
        try Data(plain(21)).write(to: other.appendingPathComponent(".git/b.eml"))
        let run = try cli(["status", "--format", "ndjson", "--no-cache", other.path])
        XCTAssertEqual(records(run).compactMap { $0["path"] as? String }, [other.appendingPathComponent("tmp/a.eml").path])
        // A maildir's tmp named explicitly is read: the user asked for it.
        let named = try cli(["status", "--format", "ndjson", "--no-cache", md.appendingPathComponent("tmp").path])
        XCTAssertEqual(records(named).count, 1)
    }

    // MARK: 8. File names that are not UTF-8

    func testFileNamesThatAreNotUTF8AreOpenedAndPrintedAsTheirBytes() throws {
        let pki = try pki()
        let dir = runner.home.appendingPathComponent("latin1")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let signed = try pki.signed(MessageSpec())
        // caf\xe9.eml (Latin-1), a lone continuation byte, an overlong NUL, and a name whose
        // valid UTF-8 encodes a scalar of the escape block (it must round-trip too).
        let names: [[UInt8]] = [Array("caf".utf8) + [0xE9] + Array(".eml".utf8),
                                [0x80] + Array("x.eml".utf8),
                                Array("o".utf8) + [0xC0, 0x80] + Array(".eml".utf8),
                                Array("pua".utf8) + [0xF4, 0x8F, 0xBE, 0xA9] + Array(".eml".utf8),
                                Array("fine-\u{e9}.eml".utf8)]
        for name in names {
            let path = Array(dir.path.utf8) + [0x2F] + name
            let fd = (path + [0]).withUnsafeBufferPointer { p in
                p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) }
            }
            XCTAssertGreaterThanOrEqual(fd, 0)
            _ = signed.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        let expected = names.map { Array("./".utf8) + $0 }
        // A directory walk, -0 output: the raw bytes, NUL-separated.
        let walk = try cli(["query", "-0", "--no-cache", "."], in: dir)
        XCTAssertEqual(walk.status, 0, walk.stderr)
        XCTAssertEqual(Set(walk.stdout.split(separator: 0).map(Array.init)), Set(expected))
        // Text output: the raw bytes too.
        let text = try cli(["verify", "--format", "text", "--no-cache"] + pki.trust + ["."], in: dir)
        XCTAssertEqual(text.status, 0, text.stderr + text.text)
        let textPaths = text.stdout.split(separator: 0x0A).map { line -> [UInt8] in
            let l = Array(line)
            let start = l.firstIndex(of: UInt8(ascii: ".")).map { $0 } ?? 0
            return Array(l[start...])
        }
        XCTAssertEqual(Set(textPaths), Set(expected))
        // NDJSON: every byte that is not UTF-8 as a lone surrogate escape \udcXX (PEP 383);
        // all of them verified, so every file was opened.
        let ndjson = try cli(["verify", "--format", "ndjson", "--no-cache"] + pki.trust + ["."], in: dir)
        XCTAssertEqual(ndjson.status, 0, ndjson.stderr)
        XCTAssertTrue(ndjson.text.contains("\"./caf\\udce9.eml\""), ndjson.text)
        XCTAssertTrue(ndjson.text.contains("\"./\\udc80x.eml\""), ndjson.text)
        XCTAssertTrue(ndjson.text.contains("\"./o\\udcc0\\udc80.eml\""), ndjson.text)
        XCTAssertTrue(ndjson.text.contains("\"./pua\\udcf4\\udc8f\\udcbe\\udca9.eml\""), ndjson.text)
        XCTAssertTrue(ndjson.text.contains("\"./fine-\u{e9}.eml\""), ndjson.text)
        XCTAssertEqual(ndjson.lines.count, names.count)
        XCTAssertFalse(ndjson.text.unicodeScalars.contains("\u{FFFD}"))
        // Operands (through bash, which passes the bytes) and a path list on stdin.
        let operand = try cli(["smimekit verify --no-cache --format ndjson \(pki.trust.joined(separator: " ")) $'caf\\xe9.eml' $'\\x80x.eml'"],
                              in: dir, shell: true)
        XCTAssertEqual(operand.status, 0, operand.stderr)
        XCTAssertEqual(operand.lines.count, 2, operand.text)
        XCTAssertTrue(operand.text.contains("\"caf\\udce9.eml\""), operand.text)
        let list = expected.reduce([UInt8]()) { $0 + $1 + [0x0A] }
        let listed = try cli(["status", "--no-cache", "--format", "ndjson"], stdin: list, in: dir)
        XCTAssertEqual(listed.lines.count, names.count, listed.stderr)
        XCTAssertTrue(listed.lines.allSatisfy { $0.contains("\"signed\"") }, listed.text)
        // A missing file of such a name: its error line carries the raw bytes.
        let missing = try cli(["smimekit status --no-cache $'gon\\xe9.eml' 2>&1; echo \"exit $?\""], in: dir, shell: true)
        XCTAssertTrue(missing.stdout.starts(with: Array("smimekit: gon".utf8) + [0xE9] + Array(".eml: ".utf8)), missing.text)
        XCTAssertTrue(missing.text.hasSuffix("exit 2\n"), missing.text)
    }

    // MARK: 9. Bare CMS files

    func testABareCMSFileIsReadAsAnSMIMEEntity() throws {
        let pki = try pki()
        let tool = try OpenSSLTool(workingDirectory: runner.home)
        let content = runner.home.appendingPathComponent("content.txt")
        try Data("Content-Type: text/plain\r\n\r\nHello from a bare CMS file.\r\n".utf8).write(to: content)
        let der = runner.home.appendingPathComponent("smime.p7m")
        try tool.run(["cms", "-sign", "-nodetach", "-binary", "-in", content.path, "-signer", pki.alice.certPEM.path,
                      "-inkey", pki.alice.keyPEM.path, "-certfile", pki.intermediate.certPEM.path, "-outform", "DER", "-out", der.path])
        let pem = runner.home.appendingPathComponent("signed.pem")
        try tool.run(["cms", "-sign", "-nodetach", "-binary", "-in", content.path, "-signer", pki.alice.certPEM.path,
                      "-inkey", pki.alice.keyPEM.path, "-certfile", pki.intermediate.certPEM.path, "-outform", "PEM", "-out", pem.path])
        let enveloped = runner.home.appendingPathComponent("enveloped.p7m")
        try tool.run(["cms", "-encrypt", "-binary", "-aes256", "-in", content.path, "-outform", "DER", "-out", enveloped.path,
                      pki.alice.certPEM.path])
        let tampered = runner.home.appendingPathComponent("tampered.p7m")
        var bytes = [UInt8](try Data(contentsOf: der))
        let text = Array("Hello".utf8)
        let at = try XCTUnwrap((0..<(bytes.count - 5)).first { Array(bytes[$0..<$0 + 5]) == text })
        bytes[at] = UInt8(ascii: "J")
        try Data(bytes).write(to: tampered)

        for file in [der, pem] {
            // No From: the signature and path hold, but there is no sender to bind.
            let run = try cli(["verify", "--format", "ndjson", "--no-cache", "--details"] + pki.trust + [file.path])
            let r = try XCTUnwrap(records(run).first, run.stderr)
            XCTAssertEqual(r["smimeStatus"] as? String, "signed/failed", run.text)
            XCTAssertTrue((r["smimeErrors"] as? [String] ?? []).joined().contains("no From"), run.text)
            let details = r["details"] as? [String: Any]
            let notes = (details?["notes"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            XCTAssertTrue(notes.contains("bareCMSObject"), run.text)
            let signers = details?["signers"] as? [[String: Any]] ?? []
            XCTAssertEqual(signers.first?["verified"] as? Bool, true, run.text)
            let unbound = try cli(["verify", "--format", "ndjson", "--no-cache", "--no-sender-check"] + pki.trust + [file.path])
            XCTAssertEqual(records(unbound).first?["smimeStatus"] as? String, "signed/verified", unbound.text + unbound.stderr)
            XCTAssertEqual(unbound.status, 0)
            let status = try cli(["status", "--format", "ndjson", "--no-cache", file.path])
            XCTAssertEqual(records(status).first?["smimeStatus"] as? String, "signed")
        }
        let bad = try cli(["verify", "--format", "ndjson", "--no-cache", "--no-sender-check"] + pki.trust + [tampered.path])
        XCTAssertEqual(records(bad).first?["smimeStatus"] as? String, "signed/failed", bad.text)
        let locked = try cli(["status", "--format", "ndjson", "--no-cache", enveloped.path])
        XCTAssertEqual(records(locked).first?["smimeStatus"] as? String, "unknown", locked.text)
        let query = try cli(["query", "--has-smime", "--format", "ndjson", "--no-cache", der.path, enveloped.path, content.path])
        XCTAssertEqual(Set(records(query).compactMap { $0["path"] as? String }), [der.path, enveloped.path], query.text + query.stderr)
        // A file of DER that is not a CMS ContentInfo stays no S/MIME.
        let cert = try cli(["status", "--format", "ndjson", "--no-cache", pki.alice.certDER.path])
        XCTAssertEqual(records(cert).count, 1)
        XCTAssertTrue(records(cert).first?["smimeStatus"] is NSNull, cert.text)
    }

    // MARK: 10. A HOME that does not exist

    func testAMissingHomeRunsWithoutTheCache() throws {
        let message = try runner.write(plain(1), "m.eml")
        let missing = runner.home.appendingPathComponent("nonexistent/x").path
        for (env, created) in [(["HOME": missing, "XDG_CACHE_HOME": ""], missing),
                               (["XDG_CACHE_HOME": runner.home.appendingPathComponent("gone/cache").path],
                                runner.home.appendingPathComponent("gone").path)] {
            // Plain status never opens the cache (status --cached does).
            for command in [["verify"], ["status", "--cached"], ["query", "--has-smime", "--format", "json"]] {
                let run = try cli(command + [message], environment: env)
                XCTAssertEqual(run.status, command[0] == "query" ? 1 : 1, "\(command): \(run.stderr)")
                XCTAssertFalse(FileManager.default.fileExists(atPath: created), "\(command[0]) made \(created)")
                let warnings = run.stderr.components(separatedBy: "\n").filter { $0.contains("without the result cache") }
                XCTAssertEqual(warnings.count, 1, run.stderr)
                XCTAssertTrue(warnings.first?.hasPrefix("smimekit: warning: ") ?? false, run.stderr)
            }
        }
        // An existing HOME still gets its cache made.
        let home = runner.home.appendingPathComponent("realhome")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let run = try cli(["verify", message], environment: ["HOME": home.path, "XDG_CACHE_HOME": ""])
        XCTAssertEqual(run.stderr, "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: home.appendingPathComponent(".cache/smimekit/results.sqlite").path))
    }
}
