import Foundation
import JMAP
@testable import JMAPServer
import MailScan
import ResultStore
import SMIME
import TestSupport
import XCTest

/// The backend a front end opens from plain settings (`smimekit jmap` and `serve` from their flags).
final class MailServiceTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "mailservice-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/mail", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: dir + "/mail/1.eml", contents: Data("From: a@example.org\r\nSubject: hi\r\n\r\nhello\r\n".utf8))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    func problem(_ s: MailServiceSettings) -> String? {
        do { try s.checkDirectories(); return nil } catch { return error.description }
    }

    func testDirectoriesAreChecked() {
        XCTAssertEqual(problem(MailServiceSettings(directories: [])), "name at least one mail directory")
        XCTAssertEqual(problem(MailServiceSettings(directories: [dir + "/mail/1.eml"])),
                       "\(dir!)/mail/1.eml is not a directory: each operand is a maildir or a directory of messages")
        XCTAssertEqual(problem(MailServiceSettings(directories: [dir + "/none"])),
                       "\(dir!)/none is not a directory: each operand is a maildir or a directory of messages")
        XCTAssertNil(problem(MailServiceSettings(directories: [dir + "/mail"])))
    }

    func testAccountName() {
        XCTAssertEqual(MailServiceSettings(directories: [], username: "alice").accountName(environment: ["USER": "bob"]), "alice")
        XCTAssertEqual(MailServiceSettings(directories: []).accountName(environment: ["USER": "bob"]), "bob")
        XCTAssertEqual(MailServiceSettings(directories: []).accountName(environment: ["USER": ""]), "local")
        XCTAssertEqual(MailServiceSettings(directories: []).accountName(environment: [:]), "local")
    }

    func testBackendFromSettings() throws {
        let factory = try PKIFactory(sharingKeys: true)
        let root = try factory.makeCA(name: "Service Root", key: .ecP256)
        let alice = try factory.makeLeaf(email: "alice@example.org", commonName: "Alice", issuer: root, key: .ecP256)
        let settings = MailServiceSettings(
            directories: [dir + "/mail"],
            verification: VerifierSettings(anchors: [root.certPEM.path], noSystemTrust: true, at: "2026-03-01"),
            compose: ComposeSettings(key: alice.keyPEM.path, cert: alice.certPEM.path, headerProtection: .none),
            blobDirectory: dir, maxMessageSize: 1 << 20, jobs: 2, username: "alice")
        let store = try ResultStore(url: URL(fileURLWithPath: dir + "/results.sqlite"))
        let backend = try MailBackend(settings: settings, store: store, warn: { _ in })
        let config = backend.configuration
        XCTAssertEqual(config.operands, [dir + "/mail"])
        XCTAssertEqual(config.username, "alice")
        XCTAssertEqual(config.maxMessageSize, 1 << 20)
        XCTAssertEqual(config.blobDirectory?.path, dir)
        XCTAssertNotNil(config.composer.signer)
        XCTAssertNil(config.composer.recipients)
        XCTAssertEqual(config.composer.headerProtection, HeaderProtectionPolicy.none)
        XCTAssertEqual(config.composer.time, try settings.verification.verificationTime())

        let request = #"{"using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail"],"methodCalls":[["Email/query",{"accountId":"local"},"q"]]}"#
        let reply = backend.respond(body: Array(request.utf8))
        XCTAssertEqual(reply.status, 200)
        let response = try JSON.parse(reply.body)
        XCTAssertEqual(response["methodResponses"]?.arrayValue?.first?.arrayValue?[1]["ids"]?.arrayValue?.count, 1)
    }

    func testAnUnreadableKeyIsAnError() {
        let settings = MailServiceSettings(directories: [dir + "/mail"], verification: VerifierSettings(noSystemTrust: true),
                                           compose: ComposeSettings(key: dir + "/no-such-key.pem"))
        XCTAssertThrowsError(try MailBackend(settings: settings, store: nil, warn: { _ in }))
    }
}
