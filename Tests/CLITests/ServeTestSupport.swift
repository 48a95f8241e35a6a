import Foundation
import TestSupport
import XCTest

/// A `smimekit serve` process on 127.0.0.1 with a port the system picked, read
/// from its "listening on" line. Tests stop it themselves; `deinit` kills it as
/// a last resort, so no server outlives its test.
final class ServeProcess {
    let process = Process()
    let home: URL
    let errURL: URL
    private(set) var port = 0
    private var stopped = false

    /// Starts `smimekit serve --listen 127.0.0.1:0 ARGS` and waits (up to `timeout`) for the port.
    /// A process that exits first is returned too, with port 0: see `waitForExit`.
    init(_ arguments: [String], home: URL, listen: String = "127.0.0.1:0", timeout: Double = 120) throws {
        self.home = home
        errURL = home.appendingPathComponent("serve-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.executableURL = try CLI.binary()
        process.arguments = ["serve", "--listen", listen] + arguments
        var env = ProcessInfo.processInfo.environment
        env["XDG_CACHE_HOME"] = home.appendingPathComponent("xdg-cache").path
        env["XDG_CONFIG_HOME"] = home.appendingPathComponent("xdg-config").path
        env.removeValue(forKey: "SMIMEKIT_CONFIG")
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let range = stderr.range(of: #"listening on http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression),
               let p = Int(stderr[range].split(separator: ":").last ?? "") {
                port = p
                return
            }
            if !process.isRunning { return }
            usleep(20_000)
        }
        kill()
        throw HTTPTestError.protocolError("smimekit serve did not listen within \(timeout) s: \(stderr)")
    }

    var stderr: String { (try? String(contentsOf: errURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then the exit status (SIGKILL after `timeout`, reported as nil).
    @discardableResult
    func terminate(timeout: Double = 30) -> Int32? {
        guard !stopped else { return process.isRunning ? nil : process.terminationStatus }
        stopped = true
        if process.isRunning { process.terminate() }
        return waitForExit(timeout: timeout)
    }

    /// The exit status once the process has ended by itself or been told to; nil if it is still running after `timeout` (then killed).
    func waitForExit(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill()
            return nil
        }
        return process.terminationStatus
    }

    func kill() {
        stopped = true
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill() }
}

/// A private directory with a token file (mode 600 unless told otherwise).
struct ServeHome {
    let url: URL
    let token: String
    var tokenFile: String { url.appendingPathComponent("token").path }
    var storePath: String { url.appendingPathComponent("results.sqlite").path }

    init(tokenMode: mode_t = 0o600) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        token = UUID().uuidString + UUID().uuidString
        let path = url.appendingPathComponent("token").path
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8)) else {
            throw HTTPTestError.system("cannot write \(path)")
        }
        chmod(path, tokenMode)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// A maildir (cur, new, tmp) holding copies of `files`, delivered to cur/ with the seen flag.
    func maildir(_ files: [URL], name: String = "Maildir") throws -> String {
        let root = url.appendingPathComponent(name)
        for sub in ["cur", "new", "tmp"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        for (n, file) in files.enumerated() {
            try FileManager.default.copyItem(at: file, to: root.appendingPathComponent("cur/\(1_700_000_000 + n).M\(n)P1.test:2,S"))
        }
        return root.path
    }
}

extension HTTPTestReply {
    /// The method responses of a JMAP Response.
    func methodResponses() throws -> [[Any]] {
        try XCTUnwrap(try json()["methodResponses"] as? [[Any]], text)
    }
}

/// A JMAP Request object as bytes.
func jmapRequest(_ calls: [[Any]], using: [String] = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:smimeverify"]) -> [UInt8] {
    [UInt8](try! JSONSerialization.data(withJSONObject: ["using": using, "methodCalls": calls], options: [.sortedKeys]))
}
