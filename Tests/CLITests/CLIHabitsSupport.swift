import Foundation
import TestSupport
import XCTest

/// What the tests of issue 13's CLI habits (config, passwords, errors, -l/-0, --out) share.
enum Habits {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func example(_ name: String) -> String { root.appendingPathComponent("examples/" + name).path }
    static var ca: String { example("ca/ca.pem") }
    /// Verification time inside every example certificate's validity.
    static let at = "2027-01-01T00:00:00Z"
    /// The options that make examples/signed.eml verify.
    static var trusted: [String] { ["--no-cache", "--no-system-trust", "--trust", ca, "--at", at] }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ text: String, to url: URL) throws {
        try Data(text.utf8).write(to: url)
    }
}
