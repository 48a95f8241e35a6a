import Foundation

/// Makes certificates, CRLs and S/MIME messages with the openssl command line,
/// in a fresh temporary directory that is removed when the factory goes away
/// (kept, and its path printed, when `SMIMEKIT_KEEP_FIXTURES=1`).
///
/// Every certificate is issued with `openssl ca` from a generated minimal
/// configuration: it is the only 3.0 command that sets arbitrary validity
/// dates, serials, extensions and CRL update times.
public final class PKIFactory {
    public let directory: URL
    public let openssl: OpenSSLTool
    /// See `init(sharingKeys:)`.
    public let sharesKeys: Bool
    private var fileCounter = 0
    private var keysTaken: [KeyKind: Int] = [:]

    /// - Parameter sharingKeys: reuse key pairs that earlier key-sharing
    ///   factories of this process generated (RSA generation is most of a
    ///   fixture's cost). Keys stay distinct within one factory, but two sharing
    ///   factories hand out the same keys in the same order, so their
    ///   certificates must not meet in one test: an "untrusted" root from
    ///   another factory could carry the trusted root's key and name.
    public init(sharingKeys: Bool = false) throws {
        sharesKeys = sharingKeys
        let fm = FileManager.default
        directory = fm.temporaryDirectory
            .appendingPathComponent("smimekit-fixtures-\(UUID().uuidString)", isDirectory: true)
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        LiveDirectories.shared.add(directory)
        let config = directory.appendingPathComponent("openssl.cnf")
        // `req` insists on a distinguished_name section even with -subj.
        try Data("[req]\ndistinguished_name = dn\n[dn]\n".utf8).write(to: config)
        openssl = try OpenSSLTool(workingDirectory: directory, configFile: config)
    }

    deinit {
        LiveDirectories.shared.remove(directory)
        LiveDirectories.discard(directory)
    }

    // MARK: Files and the tool

    /// Runs openssl in `directory`; throws with its stderr on a non-zero exit.
    @discardableResult
    public func run(_ arguments: [String], stdin: [UInt8]? = nil) throws -> ToolResult {
        try openssl.run(arguments, stdin: stdin)
    }

    /// Runs openssl in `directory` and returns whatever happened.
    public func execute(_ arguments: [String], stdin: [UInt8]? = nil) throws -> ToolResult {
        try openssl.execute(arguments, stdin: stdin)
    }

    /// Writes `bytes` to `directory/name` (subdirectories are created).
    @discardableResult
    public func write(_ bytes: [UInt8], name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    @discardableResult
    public func write(_ text: String, name: String) throws -> URL {
        try write(Array(text.utf8), name: name)
    }

    /// The certificates' PEM, concatenated into one file (for -CAfile, -certfile, -untrusted).
    public func bundle(_ certificates: [CertificateFixture], name: String? = nil) throws -> URL {
        var pem: [UInt8] = []
        for cert in certificates { pem += try cert.pemBytes() }
        return try write(pem, name: name ?? uniqueName("bundle", ext: "pem"))
    }

    /// The certificate, its key and its issuers as PKCS#12.
    /// `legacy` uses RC2/3DES, for readers older than OpenSSL 3 and NSS.
    public func pkcs12(_ certificate: CertificateFixture, password: String, includeChain: Bool = true,
                       legacy: Bool = false, name: String? = nil) throws -> URL {
        let url = directory.appendingPathComponent(name ?? uniqueName(certificate.name, ext: "p12"))
        var args = ["pkcs12", "-export", "-in", certificate.certPEM.path, "-inkey", certificate.keyPEM.path,
                    "-name", certificate.name, "-passout", "pass:\(password)", "-out", url.path]
        if includeChain, !certificate.issuers.isEmpty {
            args += ["-certfile", try bundle(certificate.issuers).path]
        }
        if legacy { args.append("-legacy") }
        try run(args)
        return url
    }

    func uniqueName(_ base: String, ext: String) -> String {
        fileCounter += 1
        return "\(fileCounter)-\(slug(base)).\(ext)"
    }

    private func slug(_ text: String) -> String {
        let kept = text.lowercased().unicodeScalars.map {
            CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-"
        }
        return String(String(kept).prefix(40))
    }

    // MARK: Certificates

    /// A certification authority: self-signed when `parent` is nil.
    ///
    /// - Parameters:
    ///   - basicConstraints: `.notCA` or `.absent` make a "CA" that RFC 5280 forbids to issue.
    ///   - nameConstraints: openssl syntax, e.g. `["permitted;email:.example.com", "excluded;email:evil.example"]`.
    ///   - policies: certificatePolicies OIDs (`2.5.29.32.0` is anyPolicy).
    ///   - policyMappings: `"issuerOID:subjectOID"` pairs.
    ///   - extraExtensions: further `name = value` lines for openssl's extension config.
    ///   - digest: the hash of the certificate's own signature (by `parent`, or itself).
    public func makeCA(
        name: String, key: KeyKind = .rsa2048, parent: CertificateFixture? = nil,
        notBefore: Date = .now - 86400, notAfter: Date = .now + 3650 * 86400,
        basicConstraints: BasicConstraints = .ca, pathLength: Int? = nil,
        keyUsage: [String]? = ["keyCertSign", "cRLSign"],
        nameConstraints: [String]? = nil,
        policies: [String]? = nil, requireExplicitPolicy: Int? = nil, inhibitPolicyMapping: Int? = nil,
        inhibitAnyPolicy: Int? = nil, policyMappings: [String]? = nil,
        extraExtensions: [String] = [], digest: String = "sha256"
    ) throws -> CertificateFixture {
        var ext: [String] = []
        switch basicConstraints {
        case .ca: ext.append("basicConstraints = critical,CA:TRUE" + (pathLength.map { ",pathlen:\($0)" } ?? ""))
        case .notCA: ext.append("basicConstraints = critical,CA:FALSE")
        case .absent: break
        }
        if let keyUsage, !keyUsage.isEmpty { ext.append("keyUsage = critical," + keyUsage.joined(separator: ",")) }
        if let nameConstraints, !nameConstraints.isEmpty {
            ext.append("nameConstraints = critical," + nameConstraints.joined(separator: ","))
        }
        if let policies, !policies.isEmpty { ext.append("certificatePolicies = " + policies.joined(separator: ",")) }
        var constraints: [String] = []
        if let requireExplicitPolicy { constraints.append("requireExplicitPolicy:\(requireExplicitPolicy)") }
        if let inhibitPolicyMapping { constraints.append("inhibitPolicyMapping:\(inhibitPolicyMapping)") }
        if !constraints.isEmpty { ext.append("policyConstraints = critical," + constraints.joined(separator: ",")) }
        if let inhibitAnyPolicy { ext.append("inhibitAnyPolicy = critical,\(inhibitAnyPolicy)") }
        if let policyMappings, !policyMappings.isEmpty {
            ext.append("policyMappings = critical," + policyMappings.joined(separator: ","))
        }
        return try issue(
            subject: [("O", "smimekit fixtures"), ("CN", name)], name: name, email: nil, key: key,
            issuer: parent, notBefore: notBefore, notAfter: notAfter,
            extensions: ext + extraExtensions, digest: digest)
    }

    /// An end-entity certificate.
    ///
    /// - Parameters:
    ///   - email: goes into subjectAltName as an rfc822Name; nil for no such entry.
    ///   - subjectEmail: goes into the subject as emailAddress.
    ///   - extraSANs: further subjectAltName entries in openssl syntax, e.g.
    ///     `"email:Alice@EXAMPLE.ORG"`, `"DNS:example.org"`,
    ///     `"otherName:1.3.6.1.5.5.7.8.9;UTF8:alice@bücher.example"` (SmtpUTF8Mailbox).
    ///     An rfc822Name is an IA5String: write IDN domains in their xn-- form.
    public func makeLeaf(
        email: String?, subjectEmail: String? = nil, commonName: String? = nil,
        issuer: CertificateFixture, key: KeyKind = .rsa2048,
        notBefore: Date = .now - 86400, notAfter: Date = .now + 365 * 86400,
        basicConstraints: BasicConstraints = .notCA,
        keyUsage: [String]? = ["digitalSignature", "keyEncipherment"],
        extendedKeyUsage: [String]? = ["emailProtection"],
        extraSANs: [String] = [], policies: [String]? = nil,
        extraExtensions: [String] = [], digest: String = "sha256"
    ) throws -> CertificateFixture {
        var ext: [String] = []
        switch basicConstraints {
        case .ca: ext.append("basicConstraints = critical,CA:TRUE")
        case .notCA: ext.append("basicConstraints = critical,CA:FALSE")
        case .absent: break
        }
        if let keyUsage, !keyUsage.isEmpty { ext.append("keyUsage = critical," + keyUsage.joined(separator: ",")) }
        if let extendedKeyUsage, !extendedKeyUsage.isEmpty {
            ext.append("extendedKeyUsage = " + extendedKeyUsage.joined(separator: ","))
        }
        let sans = (email.map { ["email:\($0)"] } ?? []) + extraSANs
        if !sans.isEmpty { ext.append("subjectAltName = " + sans.joined(separator: ",")) }
        if let policies, !policies.isEmpty { ext.append("certificatePolicies = " + policies.joined(separator: ",")) }

        let cn = commonName ?? email ?? subjectEmail ?? "Leaf"
        var subject = [("CN", cn)]
        if let subjectEmail { subject.append(("emailAddress", subjectEmail)) }
        return try issue(
            subject: subject, name: cn, email: email ?? subjectEmail, key: key, issuer: issuer,
            notBefore: notBefore, notAfter: notAfter, extensions: ext + extraExtensions,
            digest: digest)
    }

    private func issue(
        subject: [(String, String)], name: String, email: String?, key: KeyKind,
        issuer: CertificateFixture?, notBefore: Date, notAfter: Date,
        extensions: [String], digest: String
    ) throws -> CertificateFixture {
        let dir = directory.appendingPathComponent(uniqueName(name, ext: "d"), isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let keyURL = dir.appendingPathComponent("key.pem"), reqURL = dir.appendingPathComponent("req.pem")
        let certURL = dir.appendingPathComponent("cert.pem"), derURL = dir.appendingPathComponent("cert.der")
        let extURL = dir.appendingPathComponent("ext.cnf")

        try makeKey(key, at: keyURL)
        let subj = subject.map { "/\($0.0)=\(escapeRDN($0.1))" }.joined()
        try run(["req", "-new", "-utf8", "-key", keyURL.path, "-subj", subj, "-out", reqURL.path])

        // Every certificate gets a CA database, so any of them can sign another
        // (a leaf misused as a CA is one of the cases tests want).
        try writeCADatabase(in: dir)
        let signingDir = issuer?.caDirectory ?? dir

        // Random 64-bit serials, so certificates of two factories never share issuer+serial.
        var serial = String(format: "%02X", UInt8.random(in: 0x10...0x7F))
        for _ in 0..<7 { serial += String(format: "%02X", UInt8.random(in: 0...0xFF)) }
        try Data((serial + "\n").utf8).write(to: signingDir.appendingPathComponent("serial"))

        var ext = ["[ext]", "subjectKeyIdentifier = hash"]
        if issuer != nil { ext.append("authorityKeyIdentifier = keyid") }
        ext += extensions
        try Data((ext.joined(separator: "\n") + "\n").utf8).write(to: extURL)

        var args = ["ca", "-batch", "-notext", "-config", signingDir.appendingPathComponent("ca.cnf").path,
                    "-in", reqURL.path, "-out", certURL.path,
                    "-startdate", OpenSSLTime.generalized(notBefore), "-enddate", OpenSSLTime.generalized(notAfter),
                    "-extfile", extURL.path, "-extensions", "ext"]
        let signingKey = issuer?.keyKind ?? key
        // Ed25519 has its hash built in: `ca` rejects any -md for it.
        if signingKey != .ed25519 { args += ["-md", digest] }
        if issuer == nil { args += ["-selfsign", "-keyfile", keyURL.path] }
        try run(args)
        try Data(try derFromPEM(certURL)).write(to: derURL)

        return CertificateFixture(
            name: name, email: email, certPEM: certURL, certDER: derURL, keyPEM: keyURL, keyKind: key,
            serial: serial, notBefore: notBefore, notAfter: notAfter,
            issuers: issuer.map { [$0] + $0.issuers } ?? [], caDirectory: dir)
    }

    private func makeKey(_ kind: KeyKind, at url: URL) throws {
        let index = keysTaken[kind, default: 0]
        keysTaken[kind] = index + 1
        if sharesKeys, let pem = KeyPool.shared.key(kind, at: index) {
            try Data(pem).write(to: url)
            return
        }
        try run(["genpkey"] + kind.genpkeyArguments + ["-out", url.path])
        if sharesKeys { KeyPool.shared.offer([UInt8](try Data(contentsOf: url)), kind, at: index) }
    }

    private func escapeRDN(_ value: String) -> String {
        var out = ""
        for ch in value {
            if ch == "/" || ch == "\\" || ch == "+" || ch == "=" { out.append("\\") }
            out.append(ch)
        }
        return out
    }

    private func writeCADatabase(in dir: URL, database: String = "index.txt", crlSection: [String] = []) throws {
        try Data().write(to: dir.appendingPathComponent(database))
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("crlnumber").path) {
            try Data("01\n".utf8).write(to: dir.appendingPathComponent("crlnumber"))
        }
        try Data(caConfig(dir: dir, database: database, crlSection: crlSection).utf8)
            .write(to: dir.appendingPathComponent(database == "index.txt" ? "ca.cnf" : database + ".cnf"))
    }

    /// A minimal `openssl ca` configuration: every subject field optional and
    /// kept, no uniqueness check, and the database at `dir/database`.
    private func caConfig(dir: URL, database: String, crlSection: [String]) -> String {
        """
        [ca]
        default_ca = fixture_ca
        [fixture_ca]
        dir = \(dir.path)
        database = $dir/\(database)
        serial = $dir/serial
        crlnumber = $dir/crlnumber
        new_certs_dir = $dir
        certificate = $dir/cert.pem
        private_key = $dir/key.pem
        default_md = default
        policy = fixture_policy
        unique_subject = no
        preserve = yes
        email_in_dn = yes
        [fixture_policy]
        countryName = optional
        organizationName = optional
        organizationalUnitName = optional
        commonName = optional
        emailAddress = optional
        [crl_ext]
        authorityKeyIdentifier = keyid
        \(crlSection.joined(separator: "\n"))

        """
    }

    // MARK: CRLs

    /// A CRL signed by `issuer` that lists `revoked` (revoked two hours ago,
    /// no reason) and `entries` (with their own dates and reasons).
    ///
    /// - Parameters:
    ///   - number: the CRLNumber; by default the issuer's next one (1, 2, ...).
    ///   - deltaOf: makes a delta CRL whose deltaCRLIndicator names this base CRL number.
    ///   - extensions: further CRL extension lines, e.g.
    ///     `"issuingDistributionPoint = critical,@idp"` plus the `[idp]` section lines.
    public func makeCRL(
        issuer: CertificateFixture, revoked: [CertificateFixture] = [], entries: [Revocation] = [],
        lastUpdate: Date = .now - 3600, nextUpdate: Date = .now + 86400,
        number: Int? = nil, deltaOf baseNumber: Int? = nil,
        extensions: [String] = [], digest: String = "sha256"
    ) throws -> CRLFixture {
        let dir = issuer.caDirectory
        let all = revoked.map { Revocation($0) } + entries
        // A database of just these entries: each CRL stands alone, whatever
        // other CRLs the same issuer made before.
        fileCounter += 1
        let database = "crl-\(fileCounter).txt"
        var crlSection = extensions
        if let baseNumber {
            // openssl has no config name for deltaCRLIndicator; give the DER of the INTEGER.
            crlSection.insert("2.5.29.27 = critical,DER:\(derInteger(baseNumber))", at: 0)
        }
        try writeCADatabase(in: dir, database: database, crlSection: crlSection)
        let lines = all.map { entry -> String in
            let when = OpenSSLTime.index(entry.date) + (entry.reason.map { ",\($0)" } ?? "")
            return "R\t\(OpenSSLTime.index(entry.certificate.notAfter))\t\(when)\t\(entry.certificate.serial)\tunknown\t/CN=\(entry.certificate.name)\n"
        }
        try Data(lines.joined().utf8).write(to: dir.appendingPathComponent(database))
        if let number {
            var hex = String(number, radix: 16, uppercase: true)
            if hex.count % 2 == 1 { hex = "0" + hex }
            try Data((hex + "\n").utf8).write(to: dir.appendingPathComponent("crlnumber"))
        }
        let crlNumber = try currentCRLNumber(in: dir)

        let base = uniqueName("crl-\(issuer.name)", ext: "crl")
        let pem = directory.appendingPathComponent(base + ".pem"), der = directory.appendingPathComponent(base + ".der")
        var args = ["ca", "-gencrl", "-batch", "-config", dir.appendingPathComponent(database + ".cnf").path,
                    "-crlexts", "crl_ext",
                    "-crl_lastupdate", OpenSSLTime.generalized(lastUpdate),
                    "-crl_nextupdate", OpenSSLTime.generalized(nextUpdate), "-out", pem.path]
        if issuer.keyKind != .ed25519 { args += ["-md", digest] }
        try run(args)
        try Data(try derFromPEM(pem)).write(to: der)
        return CRLFixture(pem: pem, der: der, issuer: issuer, number: crlNumber,
                          lastUpdate: lastUpdate, nextUpdate: nextUpdate, revokedSerials: all.map(\.certificate.serial))
    }

    /// The first PEM block's bytes; decoded here to save an openssl start per fixture.
    private func derFromPEM(_ url: URL) throws -> [UInt8] {
        let lines = String(decoding: try Data(contentsOf: url), as: UTF8.self).split(whereSeparator: \.isNewline)
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") }),
              let end = lines[begin...].firstIndex(where: { $0.hasPrefix("-----END ") }),
              let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()) else {
            throw FixtureError.malformed("\(url.lastPathComponent) is not PEM")
        }
        return [UInt8](der)
    }

    private func currentCRLNumber(in dir: URL) throws -> Int {
        let text = String(decoding: try Data(contentsOf: dir.appendingPathComponent("crlnumber")), as: UTF8.self)
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) ?? 0
    }

    /// DER of a small non-negative INTEGER as colon-separated hex.
    private func derInteger(_ value: Int) -> String {
        var bytes: [UInt8] = []
        var v = value
        repeat { bytes.insert(UInt8(v & 0xFF), at: 0); v >>= 8 } while v > 0
        if bytes[0] & 0x80 != 0 { bytes.insert(0, at: 0) }
        return ([0x02, UInt8(bytes.count)] + bytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }
}

/// Directories of factories still alive, removed at process exit: a factory
/// held in a static (a suite's shared PKI) is never deinitialised.
private final class LiveDirectories: @unchecked Sendable {  // every access holds `lock`
    static let shared = LiveDirectories()
    private let lock = NSLock()
    private var directories: Set<URL> = []
    private var installed = false

    func add(_ url: URL) {
        lock.withLock {
            directories.insert(url)
            if !installed {
                installed = true
                atexit { for url in LiveDirectories.shared.drain() { LiveDirectories.discard(url) } }
            }
        }
    }

    func remove(_ url: URL) { lock.withLock { _ = directories.remove(url) } }

    private func drain() -> Set<URL> {
        lock.withLock { defer { directories = [] }; return directories }
    }

    static func discard(_ url: URL) {
        if ProcessInfo.processInfo.environment["SMIMEKIT_KEEP_FIXTURES"] == "1" {
            FileHandle.standardError.write(Data("smimekit fixtures kept in \(url.path)\n".utf8))
        } else {
            try? FileManager.default.removeItem(at: url)
        }
    }
}

/// Private keys generated by key-sharing factories, in order of generation.
private final class KeyPool: @unchecked Sendable {  // every access holds `lock`
    static let shared = KeyPool()
    private let lock = NSLock()
    private var keys: [KeyKind: [[UInt8]]] = [:]

    func key(_ kind: KeyKind, at index: Int) -> [UInt8]? {
        lock.withLock { keys[kind].flatMap { index < $0.count ? $0[index] : nil } }
    }

    /// Kept only if it extends the list: a concurrent factory may have filled `index` first.
    func offer(_ pem: [UInt8], _ kind: KeyKind, at index: Int) {
        lock.withLock { if keys[kind, default: []].count == index { keys[kind, default: []].append(pem) } }
    }
}

/// A CRL made by `PKIFactory.makeCRL`.
public struct CRLFixture: Sendable, Hashable {
    public let pem: URL
    public let der: URL
    public let issuer: CertificateFixture
    public let number: Int
    public let lastUpdate: Date
    public let nextUpdate: Date
    public let revokedSerials: [String]

    public func derBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: der)) }
    public func pemBytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: pem)) }
}
