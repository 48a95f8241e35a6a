import Foundation
import MIME
@testable import SMIME
import TestSupport
import XCTest

/// Messages signed by GnuPG's gpgsm, a second CMS implementation, verify.
/// gpgsm 2.2 cannot import keys from OpenSSL 3's PKCS#12 files, so the key is
/// made inside gpgsm and its certificate request signed by the test CA.
final class GpgsmInteropTests: VerifierTestCase {
    var home: URL!

    func gpgsm(_ args: [String], stdin: [UInt8]? = nil) throws -> [UInt8] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gpgsm", "--batch", "--pinentry-mode", "loopback", "--passphrase", ""] + args
        p.environment = ProcessInfo.processInfo.environment.merging(["GNUPGHOME": home.path]) { $1 }
        let out = home.appendingPathComponent("out-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        let handle = try FileHandle(forWritingTo: out)
        p.standardOutput = handle
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try handle.close()
        guard p.terminationStatus == 0 else { throw FixtureError.unsupported("gpgsm \(args.joined(separator: " ")) failed") }
        return [UInt8](try Data(contentsOf: out))
    }

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gpgsm") else {
            throw XCTSkip("gpgsm is not installed (scripts/setup installs it)")
        }
        home = pki.directory.appendingPathComponent("gnupg")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try Data("allow-loopback-pinentry\n".utf8).write(to: home.appendingPathComponent("gpg-agent.conf"))
        try Data("disable-crl-checks\n".utf8).write(to: home.appendingPathComponent("gpgsm.conf"))
    }

    override func tearDown() {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gpgconf", "--kill", "gpg-agent"]
        p.environment = ProcessInfo.processInfo.environment.merging(["GNUPGHOME": home?.path ?? ""]) { $1 }
        try? p.run()
        p.waitUntilExit()
        super.tearDown()
    }

    /// A key made by gpgsm, certified by the fixture root for gina@example.org.
    func makeGina() throws {
        let params = try pki.write("Key-Type: RSA\nKey-Length: 2048\nKey-Usage: sign, encrypt\nName-DN: CN=Gina Gpgsm\nName-Email: gina@example.org\n%no-protection\n", name: "gina.params")
        let csr = try pki.write(try gpgsm(["--gen-key", params.path]), name: "gina.csr")
        let ext = try pki.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=emailProtection\nsubjectAltName=email:gina@example.org\n", name: "gina.ext")
        let cert = pki.directory.appendingPathComponent("gina.pem")
        _ = try pki.run(["x509", "-req", "-inform", "DER", "-in", csr.path, "-CA", root.certPEM.path, "-CAkey", root.keyPEM.path,
                         "-set_serial", "4242", "-days", "30", "-sha256", "-extfile", ext.path, "-out", cert.path])
        _ = try gpgsm(["--import", root.certPEM.path, cert.path])
        let fingerprint = try pki.run(["x509", "-in", root.certPEM.path, "-noout", "-fingerprint", "-sha1"]).stdoutText
            .split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        try Data("\(fingerprint) S relax\n".utf8).write(to: home.appendingPathComponent("trustlist.txt"))
    }

    let body = Array("Content-Type: text/plain; charset=us-ascii\r\n\r\nHello from gpgsm.\r\n".utf8)
    let headers = Array("From: Gina <gina@example.org>\r\nTo: bob@example.org\r\nSubject: signed by gpgsm\r\nMIME-Version: 1.0\r\n".utf8)

    func testDetachedSignatureFromGpgsmVerifies() throws {
        try makeGina()
        let content = try pki.write(body, name: "body.txt")
        let der = try gpgsm(["--detach-sign", "--include-certs", "-1", "-u", "gina@example.org", content.path])
        let message = headers + Array("Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"g\"\r\n\r\n--g\r\n".utf8)
            + body + Array("\r\n--g\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + SMIMEMessage.base64Lines(der) + Array("--g--\r\n".utf8)
        let r = try verify(message)
        assertVerified(r)
        XCTAssertEqual(r.signers.first?.emails, ["gina@example.org"])
        assertFailed(try verify(try Tamper.replacing("Hello from gpgsm.", with: "Hello from gpgsm!", in: message)), with: .contentAltered)
    }

    func testOpaqueSignatureFromGpgsmVerifies() throws {
        try makeGina()
        let content = try pki.write(body, name: "body.txt")
        let der = try gpgsm(["--sign", "--include-certs", "-1", "-u", "gina@example.org", content.path])
        let message = headers + Array("Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n".utf8)
            + SMIMEMessage.base64Lines(der)
        assertVerified(try verify(message))
    }

    func testGpgsmDecryptsWhatSmimekitEncrypts() throws {
        try makeGina()
        let gina = try KeyLoader.certificates(pki.directory.appendingPathComponent("gina.pem"))
        // gpgsm 2.2 reads EnvelopedData, not AuthEnvelopedData (AES-GCM): CBC is what it can open.
        for options in [EncryptionOptions(cipher: .aes256cbc), EncryptionOptions(cipher: .aes128cbc)] {
            let der = try CMSEncryptor.encrypt(body, to: gina, options: options)
            let file = try pki.write(der, name: "to-gina-\(options.cipher.rawValue).p7m")
            let plain = try gpgsm(["--decrypt", file.path])
            XCTAssertEqual(plain, body, "\(options.cipher)")
        }
    }
}
