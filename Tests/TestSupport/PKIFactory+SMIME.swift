import Foundation

/// Signed, encrypted and certs-only messages, made by `openssl cms` and
/// prefixed with the RFC 5322 headers a mail client would add. All line ends
/// are CRLF (`-crlfeol`, plus the base64 lines openssl still ends with LF).
extension PKIFactory {
    /// A complete signed message: `multipart/signed; protocol="application/pkcs7-signature"`
    /// when `detached`, else `application/pkcs7-mime; smime-type=signed-data; name="smime.p7m"`.
    ///
    /// - Parameters:
    ///   - additionalSigners: more SignerInfos over the same content, all with `digest`.
    ///   - digest: `sha256`, `sha384`, `sha512`, `sha1`, `md5` (RSA only: ECDSA has no MD5 OID).
    ///   - includeChain: certificates added beside the signer's (`-certfile`).
    ///   - noCerts: leave out even the signer's certificate.
    ///   - pss: RSASSA-PSS instead of PKCS#1 v1.5 for RSA signers.
    ///   - signedAttributes: false signs the content digest directly (`-noattr`).
    ///   - extraArguments: further `openssl cms -sign` options.
    public func sign(
        _ message: MessageSpec = MessageSpec(), signer: CertificateFixture,
        additionalSigners: [CertificateFixture] = [], detached: Bool = true, digest: String = "sha256",
        includeChain: [CertificateFixture] = [], noCerts: Bool = false, pss: Bool = false,
        signedAttributes: Bool = true, extraArguments: [String] = []
    ) throws -> [UInt8] {
        message.headerBlock + (try signEntity(
            message.content, signer: signer, additionalSigners: additionalSigners, detached: detached,
            digest: digest, includeChain: includeChain, noCerts: noCerts, pss: pss,
            signedAttributes: signedAttributes, extraArguments: extraArguments))
    }

    /// The signed MIME entity alone (starting at `MIME-Version`), for nesting.
    public func signEntity(
        _ content: [UInt8], signer: CertificateFixture,
        additionalSigners: [CertificateFixture] = [], detached: Bool = true, digest: String = "sha256",
        includeChain: [CertificateFixture] = [], noCerts: Bool = false, pss: Bool = false,
        signedAttributes: Bool = true, extraArguments: [String] = []
    ) throws -> [UInt8] {
        var args = try signArguments(
            signers: [signer] + additionalSigners, digest: digest, includeChain: includeChain,
            noCerts: noCerts, pss: pss, signedAttributes: signedAttributes)
        if !detached { args.append("-nodetach") }
        args += ["-crlfeol"] + extraArguments
        return SMIMEMessage.crlf(try run(args, stdin: content).stdout)
    }

    /// The DER ContentInfo of a SignedData over `content` (detached: no eContent),
    /// for tests that feed CMS to the engine directly.
    public func signedData(
        _ content: [UInt8], signer: CertificateFixture,
        additionalSigners: [CertificateFixture] = [], detached: Bool = true, digest: String = "sha256",
        includeChain: [CertificateFixture] = [], noCerts: Bool = false, pss: Bool = false,
        signedAttributes: Bool = true, extraArguments: [String] = []
    ) throws -> [UInt8] {
        var args = try signArguments(
            signers: [signer] + additionalSigners, digest: digest, includeChain: includeChain,
            noCerts: noCerts, pss: pss, signedAttributes: signedAttributes)
        if !detached { args.append("-nodetach") }
        // -binary: the caller's bytes are the content, with no canonicalisation.
        args += ["-binary", "-outform", "DER", "-noindef"] + extraArguments
        return try run(args, stdin: content).stdout
    }

    private func signArguments(
        signers: [CertificateFixture], digest: String, includeChain: [CertificateFixture],
        noCerts: Bool, pss: Bool, signedAttributes: Bool
    ) throws -> [String] {
        var args = ["cms", "-sign", "-md", digest]
        for signer in signers {
            if signer.keyKind == .ed25519 {
                throw FixtureError.unsupported("OpenSSL 3.0 cannot make CMS signatures with Ed25519 (\(signer.name))")
            }
            args += ["-signer", signer.certPEM.path, "-inkey", signer.keyPEM.path]
            // -keyopt applies to the -signer just before it. An RSA-PSS key needs it
            // too: without it OpenSSL 3.0 writes a SignerInfo it cannot verify itself.
            if (pss && signer.keyKind.isPlainRSA) || signer.keyKind == .rsaPSS {
                args += ["-keyopt", "rsa_padding_mode:pss"]
            }
        }
        if !includeChain.isEmpty { args += ["-certfile", try bundle(includeChain).path] }
        if noCerts { args.append("-nocerts") }
        if !signedAttributes { args.append("-noattr") }
        return args
    }

    /// A complete message encrypted to `recipients`: enveloped-data, or
    /// authEnveloped-data for a GCM cipher (OpenSSL 3.0 supports RFC 5083).
    ///
    /// - Parameters:
    ///   - cipher: an openssl cipher name: `aes-256-cbc`, `aes-128-cbc`, `aes-256-gcm`, `des-ede3-cbc`.
    ///   - oaep: RSAES-OAEP key transport for RSA recipients.
    public func encrypt(
        _ message: MessageSpec = MessageSpec(), to recipients: [CertificateFixture],
        cipher: String = "aes-256-cbc", oaep: Bool = false
    ) throws -> [UInt8] {
        message.headerBlock + (try encryptEntity(message.content, to: recipients, cipher: cipher, oaep: oaep))
    }

    /// The encrypted MIME entity alone (starting at `MIME-Version`).
    public func encryptEntity(
        _ content: [UInt8], to recipients: [CertificateFixture],
        cipher: String = "aes-256-cbc", oaep: Bool = false
    ) throws -> [UInt8] {
        var args = ["cms", "-encrypt", "-\(cipher)", "-crlfeol"]
        for recipient in recipients {
            args += ["-recip", recipient.certPEM.path]
            if oaep && recipient.keyKind.isPlainRSA { args += ["-keyopt", "rsa_padding_mode:oaep"] }
        }
        return SMIMEMessage.crlf(try run(args, stdin: content).stdout)
    }

    /// Signed first, then the signed entity encrypted (RFC 8551, 3.7).
    public func signAndEncrypt(
        _ message: MessageSpec = MessageSpec(), signer: CertificateFixture, to recipients: [CertificateFixture],
        detached: Bool = true, digest: String = "sha256", cipher: String = "aes-256-cbc"
    ) throws -> [UInt8] {
        let signed = try signEntity(message.content, signer: signer, detached: detached, digest: digest)
        return message.headerBlock + (try encryptEntity(signed, to: recipients, cipher: cipher))
    }

    /// `application/pkcs7-mime; smime-type=certs-only`: a SignedData with
    /// certificates (and CRLs) and no signer.
    public func certsOnly(
        _ certificates: [CertificateFixture], crls: [CRLFixture] = [], message: MessageSpec = MessageSpec()
    ) throws -> [UInt8] {
        var der = try run(["crl2pkcs7", "-nocrl", "-certfile", try bundle(certificates).path, "-outform", "DER"]).stdout
        if !crls.isEmpty { der = try DER.insertingCRLs(try crls.map { try $0.derBytes() }, into: der) }
        let entity = "MIME-Version: 1.0\r\n"
            + "Content-Type: application/pkcs7-mime; smime-type=certs-only; name=\"smime.p7c\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename=\"smime.p7c\"\r\n\r\n"
        return message.headerBlock + Array(entity.utf8) + SMIMEMessage.base64Lines(der)
    }

    /// `message` with `crls` added to its SignedData's `crls` field. The
    /// signatures stay valid: they do not cover that field.
    public func addingCRLs(_ crls: [CRLFixture], to message: [UInt8]) throws -> [UInt8] {
        try addingCRLs(der: try crls.map { try $0.derBytes() }, to: message)
    }

    /// The same with CRLs given as DER.
    public func addingCRLs(der crls: [[UInt8]], to message: [UInt8]) throws -> [UInt8] {
        let range = try SMIMEMessage.cmsBase64Range(in: message)
        let der = try SMIMEMessage.decodeBase64(message[range])
        let updated = try DER.insertingCRLs(crls, into: der)
        return Array(message[..<range.lowerBound]) + SMIMEMessage.base64Lines(updated) + Array(message[range.upperBound...])
    }
}
