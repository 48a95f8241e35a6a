import Foundation

/// Runs Tests/TestSupport/revocation_helper.py (Python with the `cryptography`
/// package): indirect CRLs, and a loopback OCSP / CRL / caIssuers server.
public enum RevocationHelper {
    public static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("revocation_helper.py")
    }

    /// `$SMIMEKIT_TEST_PYTHON`, else the venv scripts/setup --for-tests makes
    /// (.venv-tests in the package root), else the system's python3; the first
    /// that can import `cryptography`.
    public static func python() throws -> URL {
        let root = script.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates: [String] = []
        if let p = ProcessInfo.processInfo.environment["SMIMEKIT_TEST_PYTHON"], !p.isEmpty { candidates.append(p) }
        candidates += [root.appendingPathComponent(".venv-tests/bin/python3").path, "/usr/bin/python3", "/usr/local/bin/python3"]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: c)
            p.arguments = ["-c", "import cryptography.x509.ocsp"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            if (try? p.run()) != nil {
                p.waitUntilExit()
                if p.terminationStatus == 0 { return URL(fileURLWithPath: c) }
            }
        }
        throw FixtureError.toolNotFound("python3 with the cryptography package (run scripts/setup --for-tests)")
    }

    /// An indirect CRL signed by `signer`, listing each (serial, issuer) pair.
    public static func indirectCRL(in pki: PKIFactory, signer: CertificateFixture, number: Int,
                                   entries: [(CertificateFixture, CertificateFixture)]) throws -> URL {
        let out = pki.directory.appendingPathComponent("indirect-\(UUID().uuidString).crl")
        var args = [script.path, "indirect-crl", "--signer-cert", signer.certPEM.path, "--signer-key", signer.keyPEM.path,
                    "--number", String(number), "--out", out.path]
        for (cert, issuer) in entries { args += ["--entry", "\(cert.serial):\(issuer.certPEM.path)"] }
        let p = Process()
        p.executableURL = try python()
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        try p.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw FixtureError.toolFailed(arguments: args, status: p.terminationStatus, stderr: String(decoding: stderr, as: UTF8.self))
        }
        return out
    }
}

/// A loopback HTTP server answering OCSP and serving CRLs and certificates,
/// on a port the system picked. Stopped by `stop()` or when it goes away.
public final class RevocationServer: @unchecked Sendable {
    public let port: Int
    public let control: URL
    private let process: Process
    private let stdin: Pipe

    public init() throws {
        control = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-revocation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = try RevocationHelper.python()
        process.arguments = [RevocationHelper.script.path, "serve", control.path]
        stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = [UInt8]()
        let handle = stdout.fileHandleForReading
        while !line.contains(0x0A) {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw FixtureError.malformed("the revocation server did not start (said '\(text)')")
        }
        self.port = port
    }

    deinit { stop() }

    /// http://127.0.0.1:PORT/path
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Replaces what the server serves (see revocation_helper.py for the keys).
    public func setState(_ state: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: state)
        let tmp = control.appendingPathComponent("state.json.tmp")
        try data.write(to: tmp)
        // rename(2): the server never reads half a file.
        guard rename(tmp.path, control.appendingPathComponent("state.json").path) == 0 else {
            throw FixtureError.malformed("cannot write the revocation server's state")
        }
    }

    /// Every request so far, as "METHOD PATH".
    public var requests: [String] {
        let text = (try? String(contentsOf: control.appendingPathComponent("requests.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    public func stop() {
        if process.isRunning {
            try? stdin.fileHandleForWriting.close()
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: control)
    }
}
