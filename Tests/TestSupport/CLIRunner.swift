import Foundation

/// Runs the built `smimekit` binary, for command-level tests.
public enum CLI {
    /// The executable beside the test bundle (on Linux `swift test` runs from the products directory).
    public static func binary() throws -> URL {
        #if os(macOS)
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? Bundle.main.bundleURL
        #else
        let products = Bundle.main.bundleURL
        #endif
        let binary = products.appendingPathComponent("smimekit")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw FixtureError.unsupported("no smimekit binary in \(products.path): run `swift build` first")
        }
        return binary
    }

    public struct Run: Sendable {
        public let status: Int32
        public let stdout: [UInt8]
        public let stderr: String
        public var text: String { String(decoding: stdout, as: UTF8.self) }
        public var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    /// Runs `smimekit args` (or, with `shell`, a bash command line with smimekit on PATH).
    /// Output goes through files so that a chatty child cannot block on a full pipe.
    public static func run(_ arguments: [String], stdin: [UInt8]? = nil, in directory: URL? = nil,
                           environment: [String: String] = [:], shell: Bool = false) throws -> Run {
        let io = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: io, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: io) }
        let (inURL, outURL, errURL) = (io.appendingPathComponent("in"), io.appendingPathComponent("out"), io.appendingPathComponent("err"))
        try Data(stdin ?? []).write(to: inURL)
        try Data().write(to: outURL)
        try Data().write(to: errURL)
        let p = Process()
        let binary = try binary()
        if shell {
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c"] + arguments
        } else {
            p.executableURL = binary
            p.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = binary.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        // Tests never touch the user's cache unless they ask for a store.
        env["XDG_CACHE_HOME"] = io.appendingPathComponent("cache").path
        // ... nor read the user's config file (~/.config/smimekit/config) unless they name one.
        env["XDG_CONFIG_HOME"] = io.appendingPathComponent("config").path
        env.removeValue(forKey: "SMIMEKIT_CONFIG")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = directory }
        let (inH, outH, errH) = (try FileHandle(forReadingFrom: inURL), try FileHandle(forWritingTo: outURL), try FileHandle(forWritingTo: errURL))
        p.standardInput = stdin == nil ? FileHandle.nullDevice : inH
        p.standardOutput = outH
        p.standardError = errH
        try p.run()
        p.waitUntilExit()
        try outH.close()
        try errH.close()
        try inH.close()
        return Run(status: p.terminationStatus, stdout: [UInt8](try Data(contentsOf: outURL)),
                   stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }
}
