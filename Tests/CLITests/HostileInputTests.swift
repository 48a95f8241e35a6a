import Foundation
import TestSupport
import XCTest

/// The built `smimekit` over a directory of hostile files (semantics.md, "Bad
/// input"): every file gets an answer or an error line, nothing crashes, the
/// run ends in bounded time, and the input files are left exactly as they were.
final class HostileInputTests: XCTestCase {
    private var directory: URL!
    private var cache: URL!

    override func setUpWithError() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-hostile-\(UUID().uuidString)")
        directory = base.appendingPathComponent("mail")
        cache = base.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
    }

    // MARK: The hostile directory

    func testHostileDirectoryGetsAnAnswerForEveryFile() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Hostile Root", key: .ecP256)
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root, key: .ecP256)
        let names = try writeHostileFiles(signedBy: alice, pki: pki)

        for command in commands(trust: root) {
            let run = try runTool(command + [directory.path])
            XCTAssertFalse(run.crashed, "\(command[0]) crashed: \(run.stderr.suffix(2000))")
            XCTAssertTrue([0, 1, 2].contains(run.status), "\(command[0]) exit \(run.status): \(run.stderr.suffix(2000))")
            XCTAssertLessThan(run.seconds, 120, "\(command[0]) took \(run.seconds) s")
            let answered = answeredPaths(run)
            for name in names {
                let path = directory.appendingPathComponent(name).path
                XCTAssertEqual(answered[path], 1, "\(command[0]): \(name) answered \(answered[path] ?? 0) times\n\(run.stdout.prefix(4000))\n\(run.stderr.prefix(4000))")
            }
            // The signed control message is still found among the wreckage.
            let control = directory.appendingPathComponent("00-control-signed.eml").path
            if command[0] == "verify" {
                XCTAssertTrue(run.stdout.contains("\"path\":\"\(control)\"") && run.stdout.contains("signed/verified"), run.stdout)
            }
        }
    }

    func testLimitsAreNamedOnTheCommandLine() throws {
        let deep = String(repeating: "Content-Type: message/rfc822\r\n\r\n", count: 10) + "x"
        let fields = String(repeating: "X-A: 1\r\n", count: 10) + "\r\nx"
        var parts = "Content-Type: multipart/mixed; boundary=p\r\n\r\n"
        for i in 0..<20 { parts += "--p\r\n\r\n\(i)\r\n" }
        parts += "--p--\r\n"
        let cases: [(String, [String], String)] = [
            (deep, ["--max-depth", "3"], "--max-depth"),
            (fields, ["--max-header-fields", "5"], "--max-header-fields"),
            (parts, ["--max-parts", "5"], "--max-parts"),
            ("Subject: " + String(repeating: "a", count: 300) + "\r\n\r\nx", ["--max-header-bytes", "100"], "--max-header-bytes"),
            ("Subject: x\r\n\r\n" + String(repeating: "b", count: 300), ["--max-message-size", "100"], "--max-message-size"),
        ]
        for (i, (text, options, named)) in cases.enumerated() {
            let file = directory.appendingPathComponent("limit-\(i).eml")
            try Data(text.utf8).write(to: file)
            let run = try runTool(["verify", "--format", "ndjson", "--no-system-trust", "--no-progress"] + options + [file.path])
            XCTAssertFalse(run.crashed)
            XCTAssertTrue(run.stderr.contains(named), "\(named) not named: \(run.stderr)")
            if named != "--max-message-size" {
                // Refused by the reader: still an answer, unknown.
                XCTAssertTrue(run.stdout.contains("\"smimeStatus\":\"unknown\""), run.stdout)
            }
        }
        // Non-positive limits are refused up front, as trouble (exit 2).
        for option in ["--max-header-fields", "--max-layers", "--max-certificates"] {
            let run = try runTool(["verify", option, "0", directory.path])
            XCTAssertEqual(run.status, 2, "\(option): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains(option), run.stderr)
        }
    }

    func testLayerAndCertificateLimitsOnTheCommandLine() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Limit Root", key: .ecP256)
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root, key: .ecP256)
        var entity = MessageSpec.textPart("Deep.\r\n")
        for _ in 0..<3 { entity = try pki.signEntity(entity, signer: alice, detached: false) }
        let nested = directory.appendingPathComponent("nested.eml")
        try Data(MessageSpec().headerBlock + entity).write(to: nested)
        let chain = directory.appendingPathComponent("chain.eml")
        try Data(try pki.sign(signer: alice, includeChain: [root])).write(to: chain)

        let base = ["verify", "--format", "ndjson", "--no-system-trust", "--trust", root.certPEM.path, "--no-progress"]
        let ok = try runTool(base + [nested.path, chain.path])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)

        let layers = try runTool(base + ["--max-layers", "2", nested.path])
        XCTAssertEqual(layers.status, 1)
        XCTAssertTrue(layers.stdout.contains("signed/failed") && layers.stdout.contains("--max-layers"), layers.stdout)

        let certs = try runTool(base + ["--max-certificates", "1", chain.path])
        XCTAssertEqual(certs.status, 1)
        XCTAssertTrue(certs.stdout.contains("signed/failed") && certs.stdout.contains("--max-certificates"), certs.stdout)
    }

    // MARK: Never harm data

    func testReadingCommandsLeaveInputsUntouched() throws {
        let pki = try PKIFactory(sharingKeys: true)
        let root = try pki.makeCA(name: "Untouched Root", key: .ecP256)
        let alice = try pki.makeLeaf(email: "alice@example.org", issuer: root, key: .ecP256)
        let names = try writeHostileFiles(signedBy: alice, pki: pki, large: false)
        // A past modification time, so that a rewrite (even of the same bytes) shows.
        let past = Date(timeIntervalSince1970: 1_600_000_000)
        for name in names {
            try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: directory.appendingPathComponent(name).path)
        }
        let before = try snapshot()

        for command in commands(trust: root) {
            let run = try runTool(command + [directory.path])
            XCTAssertFalse(run.crashed, run.stderr)
        }
        // Once more with a message on standard input and the directory as an operand.
        _ = try runTool(["status", "--format", "ndjson", "--no-progress", "-"], stdin: directory.appendingPathComponent("00-control-signed.eml"))

        let after = try snapshot()
        XCTAssertEqual(after.keys.sorted(), before.keys.sorted(), "files appeared or disappeared")
        for (name, state) in before {
            XCTAssertEqual(after[name], state, "\(name) changed")
        }
    }

    // MARK: Fixtures

    /// Writes the hostile set; returns the file names (all of them must be answered).
    private func writeHostileFiles(signedBy alice: CertificateFixture, pki: PKIFactory, large: Bool = true) throws -> [String] {
        var files: [(String, [UInt8])] = []
        let signed = try pki.sign(signer: alice)
        files.append(("00-control-signed.eml", signed))
        files.append(("truncated-signature.eml", try Tamper.truncateSignature(signed)))
        let opaque = try pki.sign(signer: alice, detached: false)
        files.append(("truncated-opaque.eml", Array(opaque.prefix(opaque.count * 2 / 3))))
        files.append(("truncated-base64-text.eml", Array("From: a@example.org\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gV29ybG\r\nQ=".utf8)))
        files.append(("broken-boundaries.eml", Array("""
            From: a@example.org\r
            Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="b"\r
            \r
            --b\r
            Content-Type: multipart/mixed; boundary="b"\r
            \r
            --bb\r
            --b--x\r
            --b\r
            Content-Type: application/pkcs7-signature\r
            Content-Transfer-Encoding: base64\r
            \r
            MIIB\r
            """.utf8)))
        files.append(("missing-boundary.eml", Array("From: a@example.org\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"\r\n\r\n--x\r\n\r\nbody\r\n".utf8)))
        var rng = SeededBytes(seed: 7)
        let garbage = rng.bytes(3000)
        files.append(("garbage-asn1-signature.eml", try Tamper.replacing("MII", with: String(decoding: SMIMEMessage.base64Lines(garbage), as: UTF8.self) + "MII", in: signed)))
        let hostileDER: [UInt8] = [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xF0, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02,
                                   0xA0, 0x80, 0x30, 0x80, 0x02, 0x01, 0x01, 0x31, 0x80] + Array(repeating: 0x30, count: 4000).map { $0 } + [0x80]
        files.append(("garbage-asn1-opaque.eml", Array("From: a@example.org\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8) + SMIMEMessage.base64Lines(hostileDER)))
        // Invalid UTF-8 in names, values, parameters, boundary and body.
        files.append(("invalid-utf8.eml", [0xFF, 0xFE] + Array(": x\r\nFrom: ".utf8) + [0xC3, 0x28, 0x40, 0xE2, 0x82] + Array("\r\nSubject: ".utf8) + [0xF0, 0x90, 0x28, 0xBC]
                      + Array("\r\nContent-Type: multipart/mixed; charset=".utf8) + [0xFF] + Array("; boundary=\"".utf8) + [0xC0, 0xAF] + Array("\"\r\n\r\n--".utf8) + [0xC0, 0xAF]
                      + Array("\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=FF=C3=28".utf8) + [0xED, 0xA0, 0x80] + Array("\r\n--".utf8) + [0xC0, 0xAF] + Array("--\r\n".utf8)))
        var deep = ""
        for i in 0..<1000 { deep += "Content-Type: multipart/mixed; boundary=\"d\(i)\"\r\n\r\n--d\(i)\r\n" }
        deep += "\r\ncore\r\n"
        files.append(("deep-nesting-1000.eml", Array(deep.utf8)))
        files.append(("empty.eml", []))
        files.append(("random.bin", rng.bytes(large ? 1 << 20 : 4096)))
        if large {
            // 50 MB in one header block: a folded Subject that never ends.
            var header = Array("From: a@example.org\r\nSubject: start\r\n".utf8)
            let fold = Array(" aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n".utf8)
            header.reserveCapacity(50 << 20 + fold.count)
            while header.count < 50 << 20 { header += fold }
            files.append(("header-50mb.eml", header + Array("\r\nbody\r\n".utf8)))
            var parts = "From: a@example.org\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n"
            for i in 0..<10_000 { parts += "--p\r\nContent-Type: text/plain\r\n\r\n\(i)\r\n" }
            parts += "--p--\r\n"
            files.append(("parts-10000.eml", Array(parts.utf8)))
            // The same, but inside a signature: the verifier reads the content as MIME too.
            files.append(("signed-parts-10000.eml", try pki.sign(MessageSpec(content: Array(("Content-Type: multipart/mixed; boundary=p\r\n\r\n" + parts.split(separator: "\r\n\r\n", maxSplits: 1)[1]).utf8)), signer: alice)))
        }
        for (name, bytes) in files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        return files.map(\.0)
    }

    private func commands(trust root: CertificateFixture) -> [[String]] {
        var list = [
            ["status", "--format", "ndjson", "--no-progress"],
            ["verify", "--format", "ndjson", "--no-progress", "--no-system-trust", "--trust", root.certPEM.path],
        ]
        if toolHas("query") {
            // A filter every message matches, so that every file must be listed.
            let everything = #"{"operator":"OR","conditions":[{"hasSmime":true},{"hasSmime":false}]}"#
            list.append(["query", "--format", "ndjson", "--no-progress", "--no-system-trust", "--trust", root.certPEM.path,
                         "--filter", everything])
        }
        return list
    }

    /// path → how many times it was answered: an NDJSON record, or a "smimekit: PATH: reason" line.
    private func answeredPaths(_ run: ToolRun) -> [String: Int] {
        var count: [String: Int] = [:]
        for line in run.stdout.split(separator: "\n") {
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let path = object["path"] as? String else { continue }
            count[path, default: 0] += 1
        }
        for line in run.stderr.split(separator: "\n") where line.hasPrefix("smimekit: ") && !line.hasPrefix("smimekit: warning: ") {
            let rest = line.dropFirst("smimekit: ".count)
            if let colon = rest.range(of: ": ") { count[String(rest[..<colon.lowerBound]), default: 0] += 1 }
        }
        return count
    }

    private struct FileState: Equatable {
        let size: Int
        let modified: Date
        let permissions: Int
        let bytes: Data
    }

    private func snapshot() throws -> [String: FileState] {
        var out: [String: FileState] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let path = directory.appendingPathComponent(name).path
            let a = try FileManager.default.attributesOfItem(atPath: path)
            out[name] = FileState(size: (a[.size] as? NSNumber)?.intValue ?? -1,
                                  modified: a[.modificationDate] as? Date ?? .distantPast,
                                  permissions: (a[.posixPermissions] as? NSNumber)?.intValue ?? -1,
                                  bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        return out
    }

    // MARK: Running the tool

    private struct ToolRun {
        let status: Int32
        let crashed: Bool
        let stdout: String
        let stderr: String
        let seconds: Double
    }

    /// The smimekit binary next to the test bundle (SwiftPM builds it for CLITests).
    private func toolURL() throws -> URL {
        var candidates = [Bundle.main.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL]
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for dir in candidates {
            let url = dir.appendingPathComponent("smimekit")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), !isDir.boolValue { return url }
        }
        throw XCTSkip("the smimekit binary was not found near \(Bundle.main.bundlePath)")
    }

    private func toolHas(_ subcommand: String) -> Bool {
        guard let run = try? runTool([subcommand, "--help"]) else { return false }
        return run.status == 0
    }

    private func runTool(_ arguments: [String], stdin: URL? = nil) throws -> ToolRun {
        let process = Process()
        process.executableURL = try toolURL()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // Keep the result cache of these runs away from the user's.
        env["XDG_CACHE_HOME"] = cache.path
        process.environment = env
        // Files, not pipes: a full pipe would stall a chatty run.
        let out = cache.appendingPathComponent("stdout-\(UUID().uuidString)")
        let err = cache.appendingPathComponent("stderr-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        let start = Date()
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        return ToolRun(status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
                       stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                       stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self),
                       seconds: Date().timeIntervalSince(start))
    }
}

/// Deterministic noise, so a failure can be replayed.
private struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(n + 8)
        while out.count < n { withUnsafeBytes(of: next()) { out += $0 } }
        return Array(out.prefix(n))
    }
}
