import Foundation
import MIME
import ResultStore
import TestSupport
import XCTest

/// Inputs that are not messages but cost time or memory (issue 11, 14-16): a FIFO
/// among the paths must not hang a pipeline, a device must not be read into
/// memory, and verify must not serve a stored verdict for bytes it did not hash.
final class HostileInputResourceTests: XCTestCase {
    private var home: URL!

    override func setUpWithError() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-resource-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let home { try? FileManager.default.removeItem(at: home) }
    }

    // MARK: FIFOs

    func testAFIFOAmongAThousandListedPathsDelaysNothing() throws {
        let dir = home.appendingPathComponent("mail")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var paths: [String] = []
        for i in 0..<1000 {
            let path = dir.appendingPathComponent(String(format: "m%04d.eml", i)).path
            if i == 500 {
                XCTAssertEqual(mkfifo(path, 0o600), 0)
            } else {
                try Data(plainMessage(i)).write(to: URL(fileURLWithPath: path))
            }
            paths.append(path)
        }
        let fifo = paths[500]
        let list = Array(paths.joined(separator: "\n").utf8) + [0x0A]
        for command in [["status"], ["verify"], ["query"]] {
            let run = try BoundedRun.run(command + ["--no-cache", "--format", "ndjson"], stdin: list, home: home, guardSeconds: 120)
            XCTAssertFalse(run.timedOut, "\(command[0]) hung on the FIFO (killed after \(run.seconds) s)")
            XCTAssertEqual(run.status, 2, "\(command[0]): \(run.stderr.suffix(500))")
            let answered = Set(run.records.compactMap { $0["path"] as? String })
            XCTAssertEqual(answered.count, 999, "\(command[0]) answered \(answered.count) of the 999 messages")
            XCTAssertFalse(answered.contains(fifo))
            XCTAssertTrue(run.stderr.contains("smimekit: \(fifo): not a regular file (a FIFO)"), run.stderr)
            XCTAssertEqual(run.stderr.components(separatedBy: "\n").filter { $0.contains("not a regular file") }.count, 1, run.stderr)
            print("\(command[0]): 1,000 listed paths with a FIFO: \(String(format: "%.2f", run.seconds)) s, \(run.maxRSSKB / 1024) MB peak RSS")
        }
        // The same list through changes: no hang, the FIFO named, exit 2.
        let changes = try BoundedRun.run(["changes", "--store", home.appendingPathComponent("s.sqlite").path], stdin: list,
                                         home: home, guardSeconds: 120)
        XCTAssertFalse(changes.timedOut, "changes hung on the FIFO")
        XCTAssertEqual(changes.status, 2, changes.stderr)
        XCTAssertTrue(changes.stderr.contains("\(fifo): not a regular file (a FIFO)"), changes.stderr)
    }

    func testAFIFOOperandIsRefusedByEveryCommandThatReadsMessages() throws {
        let a = try write(plainMessage(1), "a.eml")
        let b = try write(plainMessage(2), "b.eml")
        let fifo = home.appendingPathComponent("pipe.eml").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let store = ["--store", home.appendingPathComponent("s.sqlite").path]
        for command in [["status"], ["verify"], ["query"], ["status"] + store, ["verify"] + store] {
            let run = try BoundedRun.run(command + ["--format", "ndjson", a, fifo, b], home: home, guardSeconds: 60)
            XCTAssertFalse(run.timedOut, "\(command.joined(separator: " ")) hung on a FIFO operand")
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertEqual(Set(run.records.compactMap { $0["path"] as? String }), [a, b], run.stderr)
            XCTAssertTrue(run.stderr.contains("smimekit: \(fifo): not a regular file (a FIFO)"), run.stderr)
        }
        let changes = try BoundedRun.run(["changes"] + store + [a, fifo, b], home: home, guardSeconds: 60)
        XCTAssertFalse(changes.timedOut, "changes hung on a FIFO operand")
        XCTAssertEqual(changes.status, 2, changes.stderr)
        XCTAssertTrue(changes.stderr.contains("\(fifo): not a regular file (a FIFO)"), changes.stderr)

        // The single-message commands: sign, encrypt and decrypt.
        let examples = Self.packageRoot.appendingPathComponent("examples")
        let p12 = examples.appendingPathComponent("alice.p12").path
        let pem = examples.appendingPathComponent("alice.pem").path
        for command in [["sign", "--key", p12, "--passin", "pass:example", fifo],
                        ["encrypt", "--recipient-cert", pem, fifo],
                        ["decrypt", "--key", p12, "--passin", "pass:example", fifo],
                        ["sign", "--key", p12, "--passin", "pass:example", "--jmap", fifo, "--output-dir", home.path]] {
            let run = try BoundedRun.run(command, home: home, guardSeconds: 60)
            XCTAssertFalse(run.timedOut, "\(command[0]) hung on a FIFO input")
            XCTAssertEqual(run.status, 2, "\(command[0]): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("not a regular file (a FIFO)"), "\(command[0]): \(run.stderr)")
            XCTAssertTrue(run.stdout.isEmpty)
        }
    }

    func testAFIFOInADirectoryWalkIsSkipped() throws {
        let a = try write(plainMessage(1), "mail/a.eml")
        let c = try write(plainMessage(3), "mail/sub/c.eml")
        XCTAssertEqual(mkfifo(home.appendingPathComponent("mail/b.eml").path, 0o600), 0)
        XCTAssertEqual(mkfifo(home.appendingPathComponent("mail/sub/d.eml").path, 0o600), 0)
        // A link to a FIFO, in the walk, is not followed into a read either.
        XCTAssertEqual(symlink(home.appendingPathComponent("mail/b.eml").path, home.appendingPathComponent("mail/e.eml").path), 0)
        for command in [["status"], ["verify"], ["query"]] {
            let run = try BoundedRun.run(command + ["--no-cache", "--format", "ndjson", home.appendingPathComponent("mail").path],
                                         home: home, guardSeconds: 60)
            XCTAssertFalse(run.timedOut, "\(command[0]) hung on a FIFO in a directory")
            XCTAssertEqual(run.status, command[0] == "query" ? 0 : 1, run.stderr)
            XCTAssertEqual(run.records.compactMap { $0["path"] as? String }, [a, c])
        }
    }

    // MARK: Devices and sockets

    func testDeviceOperandsEndInBoundedMemory() throws {
        let a = try write(plainMessage(1), "a.eml")
        for device in ["/dev/zero", "/dev/urandom"] {
            for command in [["verify", "--no-cache"], ["status", "--no-cache"], ["query", "--no-cache"]] {
                let run = try BoundedRun.run(command + ["--format", "ndjson", device, a], home: home, guardSeconds: 120)
                XCTAssertFalse(run.timedOut, "\(command[0]) \(device) did not end")
                XCTAssertLessThan(run.maxRSSKB, 64 * 1024, "\(command[0]) \(device): \(run.maxRSSKB / 1024) MB peak RSS")
                XCTAssertEqual(run.status, 2, run.stderr)
                XCTAssertTrue(run.stderr.contains("smimekit: \(device): not a regular file (a character device)"), run.stderr)
                XCTAssertEqual(run.records.compactMap { $0["path"] as? String }, [a])
                print("\(command[0]) \(device): \(String(format: "%.2f", run.seconds)) s, \(run.maxRSSKB / 1024) MB peak RSS")
            }
        }
        // Named in a path list, too.
        let listed = try BoundedRun.run(["verify", "--no-cache", "--format", "ndjson"], stdin: Array("/dev/zero\n\(a)\n".utf8),
                                        home: home, guardSeconds: 120)
        XCTAssertFalse(listed.timedOut)
        XCTAssertLessThan(listed.maxRSSKB, 64 * 1024)
        XCTAssertTrue(listed.stderr.contains("/dev/zero: not a regular file (a character device)"), listed.stderr)
        // The single-message commands read no device either.
        let p12 = Self.packageRoot.appendingPathComponent("examples/alice.p12").path
        let sign = try BoundedRun.run(["sign", "--key", p12, "--passin", "pass:example", "/dev/zero"], home: home, guardSeconds: 120)
        XCTAssertFalse(sign.timedOut)
        XCTAssertLessThan(sign.maxRSSKB, 64 * 1024, "sign /dev/zero: \(sign.maxRSSKB / 1024) MB")
        XCTAssertEqual(sign.status, 2)
        XCTAssertTrue(sign.stderr.contains("not a regular file (a character device)"), sign.stderr)
    }

    func testASocketFileIsRefused() throws {
        let a = try write(plainMessage(1), "mail/a.eml")
        let socketPath = home.appendingPathComponent("mail/s.eml").path
        let fd = try Self.bindUnixSocket(socketPath)
        defer { close(fd) }
        let operand = try BoundedRun.run(["status", "--no-cache", "--format", "ndjson", socketPath, a], home: home, guardSeconds: 60)
        XCTAssertEqual(operand.status, 2)
        XCTAssertTrue(operand.stderr.contains("smimekit: \(socketPath): not a regular file (a socket)"), operand.stderr)
        XCTAssertEqual(operand.records.compactMap { $0["path"] as? String }, [a])
        let listed = try BoundedRun.run(["verify", "--no-cache", "--format", "ndjson"], stdin: Array("\(socketPath)\n\(a)\n".utf8),
                                        home: home, guardSeconds: 60)
        XCTAssertEqual(listed.status, 2)
        XCTAssertTrue(listed.stderr.contains("\(socketPath): not a regular file (a socket)"), listed.stderr)
        let walked = try BoundedRun.run(["status", "--no-cache", "--format", "ndjson", home.appendingPathComponent("mail").path],
                                        home: home, guardSeconds: 60)
        XCTAssertEqual(walked.status, 1, walked.stderr)
        XCTAssertEqual(walked.records.compactMap { $0["path"] as? String }, [a])
    }

    func testDirectorySymlinkLoopsEnd() throws {
        let mail = home.appendingPathComponent("mail")
        let a = try write(plainMessage(1), "mail/a.eml")
        let b = try write(plainMessage(2), "mail/sub/b.eml")
        XCTAssertEqual(symlink(".", mail.appendingPathComponent("self").path), 0)
        XCTAssertEqual(symlink("..", mail.appendingPathComponent("sub/up").path), 0)
        XCTAssertEqual(symlink(mail.appendingPathComponent("y").path, mail.appendingPathComponent("x").path), 0)
        XCTAssertEqual(symlink(mail.appendingPathComponent("x").path, mail.appendingPathComponent("y").path), 0)
        let walked = try BoundedRun.run(["status", "--no-cache", "--format", "ndjson", mail.path], home: home, guardSeconds: 60)
        XCTAssertFalse(walked.timedOut)
        XCTAssertEqual(walked.records.compactMap { $0["path"] as? String }, [a, b])
        // A loop named as an operand is an error line; a link to a directory named is walked once.
        let named = try BoundedRun.run(["status", "--no-cache", "--format", "ndjson", mail.appendingPathComponent("x").path,
                                        mail.appendingPathComponent("sub/up").path], home: home, guardSeconds: 60)
        XCTAssertFalse(named.timedOut)
        XCTAssertEqual(named.status, 2)
        XCTAssertTrue(named.stderr.contains("\(mail.appendingPathComponent("x").path): "), named.stderr)
        XCTAssertEqual(named.records.count, 2, named.stdout)
    }

    // MARK: The file-stamp cache (tmpfs, shared mmap)

    /// A write through a shared mmap on tmpfs changes neither size, mtime, ctime nor
    /// inode: the stamp row then names the old digest. Simulated by pointing the
    /// row of the tampered file at the digest of the good message.
    func testVerifyHashesWhatItReadsWhateverTheStampSays() throws {
        let runner = try SmimekitRunner()
        defer { runner.remove() }
        let pki = try SigningPKI()
        for (n, text) in ["Pay Bob 100 EUR.\r\n", "Meet at noon.\r\n", "The key is 1234.\r\n"].enumerated() {
            let good = try pki.signed(MessageSpec(content: MessageSpec.textPart(text)))
            var tampered = good
            let at = try XCTUnwrap((0..<(good.count - 6)).first { Array(good[$0..<$0 + 5]) == Array(text.prefix(5).utf8) })
            tampered[at + 1] ^= 0x20
            let goodPath = try runner.write(good, "good\(n).eml")
            let badPath = try runner.write(tampered, "bad\(n).eml")
            Thread.sleep(forTimeInterval: 2.2)
            let first = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [goodPath, badPath]).records()
            XCTAssertEqual(first[goodPath]?["smimeStatus"] as? String, "signed/verified")
            XCTAssertEqual(first[badPath]?["smimeStatus"] as? String, "signed/failed")
            let goodID = try XCTUnwrap(first[goodPath]?["id"] as? String)
            let badID = try XCTUnwrap(first[badPath]?["id"] as? String)

            // The tampered file's row names the good digest, its stamp unchanged.
            let store = try ResultStore(url: URL(fileURLWithPath: runner.storePath))
            let goodStamp = try XCTUnwrap(FileStamp(path: goodPath))
            let badStamp = try XCTUnwrap(FileStamp(path: badPath))
            let goodDigest = try XCTUnwrap(try store.knownDigests([(goodPath, goodStamp)])[0])
            try store.recordFiles([FileRecord(path: badPath, stamp: badStamp, digest: goodDigest)])

            let verify = try runner.run(["verify", "--format", "ndjson"] + pki.trust + [badPath])
            XCTAssertEqual(verify.status, 1, "verify served the stored verdict of other bytes: \(verify.stdout)")
            XCTAssertEqual(try verify.records()[badPath]?["smimeStatus"] as? String, "signed/failed")
            XCTAssertEqual(try verify.records()[badPath]?["id"] as? String, badID)
            XCTAssertNotEqual(badID, goodID)
            // Listed on standard input, and with a details view: the same.
            let listed = try CLI.run(["verify", "--store", runner.storePath, "--format", "ndjson"] + pki.trust,
                                     stdin: Array("\(badPath)\n".utf8))
            XCTAssertEqual(listed.status, 1, listed.text)
            XCTAssertTrue(listed.text.contains("\"signed/failed\""), listed.text)
            // query keeps the documented stamp rule: it answers from the row (poisoned
            // again: verify recorded what it read).
            try store.recordFiles([FileRecord(path: badPath, stamp: badStamp, digest: goodDigest)])
            let query = try runner.run(["query", "--has-verified-smime", "--format", "ndjson"] + pki.trust + [badPath])
            XCTAssertEqual(try query.records()[badPath]?["id"] as? String, goodID,
                           "query names an unchanged file by its recorded digest (the stamp rule)")
        }
    }

    // MARK: Helpers

    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private func plainMessage(_ i: Int) -> [UInt8] {
        Array("From: a@example.org\r\nTo: b@example.org\r\nSubject: \(i)\r\nMessage-ID: <\(i)@example.org>\r\n\r\nMessage \(i).\r\n".utf8)
    }

    @discardableResult
    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = home.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func bindUnixSocket(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError.unsupported("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw FixtureError.unsupported("socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { close(fd); throw FixtureError.unsupported("bind: \(errno)") }
        return fd
    }
}

/// The built binary run with a hang guard (killed after `guardSeconds`) and its
/// peak resident memory, as GNU time measures it for that child alone.
struct BoundedRun {
    let status: Int32
    let stdout: String
    let stderr: String
    let timedOut: Bool
    let seconds: Double
    /// Peak resident set size, in kilobytes (ru_maxrss).
    let maxRSSKB: Int

    var records: [[String: Any]] {
        stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The last line GNU time wrote: the peak resident set in KB.
    static func peakKB(_ path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    static func run(_ arguments: [String], stdin: [UInt8]? = nil, home: URL, guardSeconds: Double,
                    environment: [String: String] = [:]) throws -> BoundedRun {
        let binary = try CLI.binary()
        let io = home.appendingPathComponent("io-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: io, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: io) }
        let inPath = io.appendingPathComponent("in").path, outPath = io.appendingPathComponent("out").path
        let errPath = io.appendingPathComponent("err").path
        try Data(stdin ?? []).write(to: URL(fileURLWithPath: inPath))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin == nil ? "/dev/null" : inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = home.appendingPathComponent("xdg-cache").path
        for (k, v) in environment { env[k] = v }
        // Peak memory through GNU time, which forks from its own small image: the
        // rusage of a child that posix_spawn cloned from this test process (CLONE_VM)
        // carries this process's high-water mark across exec, so wait4 alone would
        // report the test runner's memory, not smimekit's.
        let rssPath = io.appendingPathComponent("rss").path
        let timeTool = "/usr/bin/time"
        guard FileManager.default.isExecutableFile(atPath: timeTool) else {
            throw FixtureError.unsupported("GNU time (/usr/bin/time) is missing: run scripts/setup --for-tests")
        }
        let argv = ([timeTool, "-f", "%M", "-o", rssPath, binary.path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own, so that the hang guard kills smimekit and not only time.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pid: pid_t = 0
        let start = Date()
        let rc = posix_spawn(&pid, timeTool, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw FixtureError.unsupported("posix_spawn: \(rc)") }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if Date().timeIntervalSince(start) > guardSeconds {
                timedOut = true
                kill(-pid, SIGKILL)
                _ = wait4(pid, &status, 0, &usage)
                break
            }
            usleep(20_000)
        }
        let seconds = Date().timeIntervalSince(start)
        let exited = status & 0x7f == 0
        return BoundedRun(status: exited ? (status >> 8) & 0xff : -1,
                          stdout: String(decoding: try Data(contentsOf: URL(fileURLWithPath: outPath)), as: UTF8.self),
                          stderr: String(decoding: try Data(contentsOf: URL(fileURLWithPath: errPath)), as: UTF8.self),
                          timedOut: timedOut, seconds: seconds, maxRSSKB: Self.peakKB(rssPath) ?? Int.max)
    }
}
