import Foundation
import TestSupport
import XCTest

/// Runs the built smimekit for the query, store and changes tests, always with
/// a private result cache (XDG_CACHE_HOME and --store both point into `home`).
struct SmimekitRunner {
    let home: URL

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// ndjson records by path.
        func records() throws -> [String: [String: Any]] {
            var out: [String: [String: Any]] = [:]
            for line in lines {
                let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
                out[try XCTUnwrap(object["path"] as? String)] = object
            }
            return out
        }

        func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8)) }
    }

    var storePath: String { home.appendingPathComponent("cache/results.sqlite").path }

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("smimekit-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: home) }

    /// `smimekit <arguments>`; `useStore` adds `--store` (commands without the store leave it out).
    @discardableResult
    func run(_ arguments: [String], useStore: Bool = true) throws -> Result {
        var args = arguments
        if useStore { args.insert(contentsOf: ["--store", storePath], at: 1) }
        let r = try CLI.run(args, environment: ["XDG_CACHE_HOME": home.appendingPathComponent("xdg").path])
        return Result(status: r.status, stdout: r.text, stderr: r.stderr)
    }

    /// Writes `bytes` as `home/name` (directories made) and returns the path.
    @discardableResult
    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = home.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }
}

/// A root, an intermediate and two signers (RSA and ECDSA) under them, made once per test class.
struct SigningPKI {
    let factory: PKIFactory
    let root: CertificateFixture
    let intermediate: CertificateFixture
    let alice: CertificateFixture
    let carol: CertificateFixture

    init() throws {
        factory = try PKIFactory(sharingKeys: true)
        root = try factory.makeCA(name: "Store Test Root", key: .ecP256)
        intermediate = try factory.makeCA(name: "Store Test Intermediate", key: .ecP256, parent: root)
        alice = try factory.makeLeaf(email: "alice@example.org", issuer: intermediate, key: .ecP256)
        carol = try factory.makeLeaf(email: "carol@example.org", issuer: intermediate, key: .rsa2048)
    }

    /// A detached signed message from `signer` (its address in From).
    func signed(_ spec: MessageSpec, by signer: CertificateFixture? = nil) throws -> [UInt8] {
        let signer = signer ?? alice
        var spec = spec
        if spec.from == "Alice Example <alice@example.org>", let email = signer.email { spec.from = "<\(email)>" }
        return try factory.sign(spec, signer: signer, includeChain: [intermediate])
    }

    var trust: [String] { ["--no-system-trust", "--trust", root.certPEM.path] }
}
