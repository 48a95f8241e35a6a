import Foundation
import JMAP
@testable import MailScan
import MIME
import ResultStore
import SMIME
import TestSupport
import XCTest

/// The settings every front end fills in (the command line from its flags): their checks,
/// and the verifier, trust store, composer and result cache they open.
final class VerifierSettingsTests: XCTestCase {
    func problem(_ s: VerifierSettings) -> String? {
        do { try s.check(); return nil } catch { return error.description }
    }

    func testCheckNamesTheFirstUnusableSetting() {
        XCTAssertNil(problem(VerifierSettings()))
        XCTAssertEqual(problem(VerifierSettings(noSystemTrust: true, trustSource: .bundle)),
                       "--no-system-trust and --trust-source bundle contradict each other; give one of them")
        XCTAssertNil(problem(VerifierSettings(noSystemTrust: true, trustSource: TrustSource.none)))
        XCTAssertEqual(problem(VerifierSettings(at: "yesterday")), RFC3339.commandLineMessage(option: "--at", value: "yesterday"))
        XCTAssertEqual(problem(VerifierSettings(receivedAt: "2026-13-01")), RFC3339.commandLineMessage(option: "--received-at", value: "2026-13-01"))
        var options = VerificationOptions()
        options.maxLayers = 0
        XCTAssertEqual(problem(VerifierSettings(options: options)), "limits (--max-layers, --max-certificates) must be positive")
        options = VerificationOptions()
        options.minRSABits = 512
        XCTAssertTrue(problem(VerifierSettings(options: options))?.hasPrefix("--min-rsa-bits takes 1024 or more") ?? false)
        XCTAssertEqual(problem(VerifierSettings(onlineTimeout: 61)), "--online-timeout takes 1 to 60 seconds, not 61")
        XCTAssertEqual(problem(VerifierSettings(onlineTimeout: 0)), "--online-timeout takes 1 to 60 seconds, not 0")
        XCTAssertEqual(problem(VerifierSettings(decryptCertificates: ["c.pem"])), "each --decrypt-cert goes with a --decrypt-key")
    }

    func testTimes() throws {
        XCTAssertNil(try VerifierSettings().verificationTime())
        XCTAssertNil(try VerifierSettings().deliveryTime())
        let s = VerifierSettings(at: "2026-03-01", receivedAt: "2026-03-01T13:00:00+01:00")
        XCTAssertEqual(try s.verificationTime(), Date(timeIntervalSince1970: 1_772_323_200))
        XCTAssertEqual(try s.deliveryTime(), Date(timeIntervalSince1970: 1_772_323_200 + 12 * 3600))
    }

    func testTrustStoreAndVerifierFromTheSettings() throws {
        let factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "Settings Root", key: .ecP256)
        var options = VerificationOptions()
        options.minRSABits = 3072
        options.online = true
        let settings = VerifierSettings(anchors: [root.certPEM.path], noSystemTrust: true, options: options, onlineTimeout: 7)
        var warnings: [String] = []
        let store = try settings.trustStore(warn: { warnings.append($0) })
        XCTAssertEqual(store.anchorList.map(\.certificate.subject).count, 1)
        XCTAssertEqual(warnings, [])
        let verifier = try settings.verifier(limits: .default, inMemoryLimit: 1 << 20, warn: { _ in })
        XCTAssertEqual(verifier.options.minRSABits, 3072)
        XCTAssertEqual(verifier.online?.timeout, 7)
        XCTAssertEqual(verifier.inMemoryLimit, 1 << 20)
        XCTAssertTrue(verifier.identities.isEmpty)
        var offline = settings
        offline.options.online = false
        XCTAssertNil(try offline.verifier(limits: .default, inMemoryLimit: 1 << 20, warn: { _ in }).online)
    }

    func testAnUnreadableAnchorIsAnError() {
        let s = VerifierSettings(anchors: ["/nonexistent/anchor.pem"], noSystemTrust: true)
        XCTAssertThrowsError(try s.trustStore(warn: { _ in }))
    }
}

final class ComposeSettingsTests: XCTestCase {
    func testChoicesTakeAnyCase() throws {
        XCTAssertEqual(try SettingChoice.parse("AES-128-GCM", option: "--cipher") as ContentCipher, .aes128gcm)
        XCTAssertEqual(try SettingChoice.parse("none", option: "--header-protection") as HeaderProtectionPolicy, HeaderProtectionPolicy.none)
        XCTAssertThrowsError(try SettingChoice.parse("des", option: "--cipher") as ContentCipher) {
            XCTAssertEqual("\($0)", "--cipher takes \(ContentCipher.allCases.map(\.rawValue).joined(separator: ", ")), not 'des'")
        }
    }

    func testComposerWithoutKeysHasNoSignerAndNoBook() throws {
        let time = Date(timeIntervalSince1970: 1_000_000)
        let settings = ComposeSettings(signing: SigningOptions(digest: "sha384", pss: true, format: .opaque),
                                       encryption: EncryptionOptions(cipher: .aes256cbc, oaep: true), headerProtection: .none)
        let c = try settings.composer(time: time, warn: { _ in })
        XCTAssertNil(c.signer)
        XCTAssertNil(c.recipients)
        XCTAssertEqual(c.time, time)
        XCTAssertEqual(c.signing.digest, "sha384")
        XCTAssertEqual(c.signing.format, .opaque)
        XCTAssertEqual(c.encryption.cipher, .aes256cbc)
        XCTAssertTrue(c.encryption.oaep)
        XCTAssertEqual(c.headerProtection, HeaderProtectionPolicy.none)
    }

    func testComposerOpensTheKeyAndTheBook() throws {
        let factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "Compose Root", key: .ecP256)
        let alice = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice", issuer: root, key: .ecP256)
        let settings = ComposeSettings(key: alice.keyPEM.path, cert: alice.certPEM.path, recipientCertificates: [alice.certPEM.path])
        let c = try settings.composer(time: Date(), warn: { _ in })
        XCTAssertNotNil(c.signer)
        XCTAssertNotNil(c.recipients)
        XCTAssertThrowsError(try ComposeSettings(cert: alice.certPEM.path).composer(time: Date(), warn: { _ in })) {
            XCTAssertEqual("\($0)", "--cert needs the key that goes with it (--key)")
        }
    }

    func testEmailCreationTakesTheComposersTime() {
        var composer = MailComposer()
        composer.time = Date(timeIntervalSince1970: 42)
        let creation = EmailCreation(composer: composer, blobDirectory: URL(fileURLWithPath: "/blobs"), smimeCapability: false, advice: { _ in "" })
        XCTAssertEqual(creation.builder.now, composer.time)
        XCTAssertEqual(creation.builder.blobDirectory?.path, "/blobs")
        XCTAssertFalse(creation.builder.smimeCapability)
        XCTAssertEqual(creation.builder.digestHex([]), Digest.sha256Hex([]))
    }
}

final class ResultCacheChoiceTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "cache-choice-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func testDisabledOpensNothing() throws {
        XCTAssertNil(try ResultCacheChoice(path: dir + "/r.sqlite", disabled: true).open(warn: { _ in }))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/r.sqlite"))
    }

    func testNamedAndDefaultLocations() throws {
        let named = ResultCacheChoice(path: dir + "/r.sqlite")
        XCTAssertEqual(named.url.path, dir + "/r.sqlite")
        XCTAssertNotNil(try named.open(warn: { _ in }))
        let byDefault = ResultCacheChoice(environment: ["XDG_CACHE_HOME": dir + "/cache"])
        XCTAssertEqual(byDefault.url.path, dir + "/cache/smimekit/results.sqlite")
        XCTAssertNotNil(try byDefault.open(warn: { _ in }))
    }

    func testANamedStoreThatCannotBeOpenedThrows() {
        let blocker = dir + "/file"
        FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
        XCTAssertThrowsError(try ResultCacheChoice(path: blocker + "/r.sqlite").open(warn: { _ in }))
    }

    func testMissingRootMeansNoCache() throws {
        XCTAssertEqual(ResultCacheChoice.missingCacheRoot(environment: ["HOME": "/nonexistent-home"]), "HOME (/nonexistent-home)")
        XCTAssertEqual(ResultCacheChoice.missingCacheRoot(environment: ["XDG_CACHE_HOME": "/nonexistent-x/cache"]),
                       "the parent of XDG_CACHE_HOME (/nonexistent-x)")
        XCTAssertNil(ResultCacheChoice.missingCacheRoot(environment: ["HOME": dir]))
        XCTAssertNil(ResultCacheChoice.missingCacheRoot(environment: ["XDG_CACHE_HOME": dir + "/cache", "HOME": "/nonexistent-home"]))
        let warned = Locked<[String]>([])
        let choice = ResultCacheChoice(environment: ["HOME": "/nonexistent-home"])
        XCTAssertNil(try choice.open(warn: { w in warned.withLock { $0.append(w) } }))
        XCTAssertNil(try choice.open(warn: { w in warned.withLock { $0.append(w) } }))
        // Said once a process (another test may have said it first).
        XCTAssertLessThanOrEqual(warned.withLock { $0.count }, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent-home"))
    }
}

final class SpellingTests: XCTestCase {
    let commands = ["status", "verify", "query", "changes", "sign", "encrypt", "decrypt", "trust", "jmap", "serve"]

    func testNearest() {
        XCTAssertEqual(Spelling.nearest("stauts", in: commands), "status")
        XCTAssertEqual(Spelling.nearest("VERIFY", in: commands), "verify")
        XCTAssertEqual(Spelling.nearest("ver", in: commands), "verify")
        XCTAssertEqual(Spelling.nearest("querry", in: commands), "query")
        XCTAssertNil(Spelling.nearest("xyzzy", in: commands))
    }

    func testDistance() {
        XCTAssertEqual(Spelling.distance(Array("ab"), Array("ba")), 1)
        XCTAssertEqual(Spelling.distance(Array(""), Array("abc")), 3)
        XCTAssertEqual(Spelling.distance(Array("kitten"), Array("sitting")), 3)
        XCTAssertEqual(Spelling.distance(Array("same"), Array("same")), 0)
    }
}

final class ConfigOptionTableTests: XCTestCase {
    func testTableFromTheToolDescription() {
        let json = """
            {"command": {"commandName": "smimekit", "subcommands": [
              {"commandName": "verify", "arguments": [
                {"kind": "option", "names": [{"kind": "long", "name": "trust"}]},
                {"kind": "flag", "names": [{"kind": "short", "name": "l"}, {"kind": "long", "name": "paths-only"}]},
                {"kind": "flag", "names": [{"kind": "long", "name": "no-config"}]},
                {"kind": "flag", "names": [{"kind": "long", "name": "help"}]},
                {"kind": "positional", "names": [{"kind": "long", "name": "path"}]}]},
              {"commandName": "sign", "arguments": [{"kind": "option", "names": [{"kind": "long", "name": "key"}]}]},
              {"arguments": []}]}}
            """
        let table = ConfigFile.OptionTable(dumpHelp: json)
        XCTAssertEqual(table.commands, ["verify": ["trust": true, "paths-only": false], "sign": ["key": true]])
        XCTAssertEqual(ConfigFile.OptionTable(dumpHelp: "not json").commands, [:])
        XCTAssertEqual(ConfigFile.OptionTable(dumpHelp: #"{"command": {}}"#).commands, [:])
    }
}
