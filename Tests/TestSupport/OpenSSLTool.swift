import Foundation

/// Something went wrong while making a fixture.
public enum FixtureError: Error, CustomStringConvertible {
    case toolFailed(arguments: [String], status: Int32, stderr: String)
    case toolNotFound(String)
    case unsupported(String)
    case malformed(String)

    public var description: String {
        switch self {
        case let .toolFailed(arguments, status, stderr):
            return "openssl \(arguments.joined(separator: " ")) exited with \(status): \(stderr)"
        case let .toolNotFound(name):
            return "\(name) not found on PATH (set OPENSSL to its path)"
        case let .unsupported(why), let .malformed(why):
            return why
        }
    }
}

/// The outcome of one run of the openssl command line.
public struct ToolResult: Sendable {
    public let status: Int32
    public let stdout: [UInt8]
    public let stderr: String
    public var succeeded: Bool { status == 0 }
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs the `openssl` command line with an argument array (never a shell).
public struct OpenSSLTool: Sendable {
    public let executable: URL
    /// Relative paths in arguments resolve here.
    public let workingDirectory: URL
    public let environment: [String: String]

    /// `configFile` replaces the system configuration, so distribution crypto
    /// policies (which may forbid SHA-1 or MD5) cannot change what is generated.
    public init(workingDirectory: URL, configFile: URL? = nil) throws {
        self.executable = try Self.locate()
        self.workingDirectory = workingDirectory
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        if let configFile { env["OPENSSL_CONF"] = configFile.path }
        self.environment = env
    }

    /// `$OPENSSL`, else the first `openssl` on `$PATH`.
    public static func locate() throws -> URL {
        let env = ProcessInfo.processInfo.environment
        if let explicit = env["OPENSSL"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        let path = env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(dir)).appendingPathComponent("openssl")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw FixtureError.toolNotFound("openssl")
    }

    /// Runs and throws, with openssl's stderr, when the exit status is not 0.
    @discardableResult
    public func run(_ arguments: [String], stdin: [UInt8]? = nil) throws -> ToolResult {
        let result = try execute(arguments, stdin: stdin)
        guard result.succeeded else {
            throw FixtureError.toolFailed(arguments: arguments, status: result.status, stderr: result.stderr)
        }
        return result
    }

    /// Runs and reports the exit status; for checks that are expected to fail.
    public func execute(_ arguments: [String], stdin: [UInt8]? = nil) throws -> ToolResult {
        // Files rather than pipes: no reader threads, and no deadlock when
        // openssl writes more than a pipe buffer before reading its input.
        let fm = FileManager.default
        let io = fm.temporaryDirectory.appendingPathComponent("smimekit-io-\(UUID().uuidString)")
        try fm.createDirectory(at: io, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: io) }
        let inURL = io.appendingPathComponent("in"), outURL = io.appendingPathComponent("out"),
            errURL = io.appendingPathComponent("err")
        try Data(stdin ?? []).write(to: inURL)
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        let output = try FileHandle(forWritingTo: outURL)
        let errors = try FileHandle(forWritingTo: errURL)
        defer { try? input.close(); try? output.close(); try? errors.close() }

        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        process.environment = environment
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        return ToolResult(
            status: process.terminationStatus,
            stdout: [UInt8](try Data(contentsOf: outURL)),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self)
        )
    }
}
