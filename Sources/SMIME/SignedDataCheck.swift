// Checks one CMS SignedData layer: every SignerInfo, its signature over the
// content, its certificate path and the algorithms used. The message-level
// questions (which part is signed, who sent it) are MessageVerifier's.
import COpenSSLShim
import Foundation
import JMAP
import MIME

/// The first part of a multipart/signed, as the digest is to see it: canonical
/// bytes in memory, or a range of a source fed through in chunks (so a message
/// of any size is checked in bounded memory).
enum DetachedContent {
    case bytes([UInt8])
    case stream(ByteSource, Range<Int>, LineEndForm)

    /// The same content with bare LF line ends, for signers that hashed that form;
    /// nil when it is the same.
    var bareLFForm: DetachedContent? {
        switch self {
        case .bytes(let b):
            let lf = Canonical.bareLF(b)
            return lf == b ? nil : .bytes(lf)
        case .stream(let source, let range, let form):
            return form == .lf ? nil : .stream(source, range, .lf)
        }
    }

    /// Writes the content into `bio`; the error when the source could not be read as it was.
    func write(into bio: OpaquePointer) -> SourceError? {
        func put(_ raw: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < raw.count {
                let n = min(raw.count - offset, 1 << 20)
                guard let base = raw.baseAddress, BIO_write(bio, base + offset, Int32(n)) == Int32(n) else { return false }
                offset += n
            }
            return true
        }
        switch self {
        case .bytes(let b):
            return b.withUnsafeBytes { put($0) } ? nil : SourceError("the content could not be digested")
        case .stream(let source, let range, let form):
            do {
                try StreamingReader.feed(source, range: range, form: form) { put($0) }
                return nil
            } catch {
                return error
            }
        }
    }
}

/// Options that change a verdict.
public struct VerificationOptions: Sendable, Hashable, Codable {
    public var revocation: RevocationMode = .soft
    public var allowSHA1 = false
    public var allowMD5 = false
    /// Check that From matches the signer certificate (semantics.md item 7).
    public var senderCheck = true
    /// How far a signingTime may lie after the verification time before it is an error.
    public var clockSkew: TimeInterval = 300
    /// S/MIME layers (signed or enveloped) looked into, at most.
    public var maxLayers = 16
    /// Certificates one SignedData may carry. Each one is a candidate in path
    /// building, so a hostile message with thousands of them costs time on
    /// every signer; real mail carries a handful.
    public var maxCertificates = 100
    /// RSA keys (signer and CAs of its path) below this many bits fail; at least 1024 (RFC 8551 4.1).
    public var minRSABits = VerificationOptions.defaultMinRSABits
    /// Ask OCSP responders and CRL distribution points named in the certificates,
    /// and fetch missing issuers from caIssuers (needs an OnlineRevocation).
    public var online = false

    public init() {}
}

/// What a person debugging a signature wants to know about a signer.
public struct SignerDetails: Sendable, Hashable, Codable {
    public var layer: Int
    public var subject: String
    public var issuer: String
    public var serial: String
    public var emails: [String]
    public var notBefore: Date?
    public var notAfter: Date?
    public var digestAlgorithm: String
    public var signatureAlgorithm: String
    public var signingTime: Date?
    /// Subjects from the signer up to the anchor, as the path was built.
    public var chain: [String]
    /// Lowercase hex SHA-256 of each certificate in `chain`, in the same order
    /// (the signer's own alone when no path was built).
    public var chainFingerprints: [String]?
    /// True when this signer had no problem of its own.
    public var verified: Bool
    /// How each certificate's revocation status was established, signer first.
    public var revocation: [RevocationStatus] = []
}

/// A parsed CMS ContentInfo.
final class CMSMessage {
    enum Kind: Equatable { case signedData, envelopedData, authEnvelopedData, compressedData, other(String) }
    let cms: OpaquePointer
    let kind: Kind

    init?(der: [UInt8]) {
        guard let cms = withReadBIO(der, { d2i_CMS_bio($0, nil) }) ?? nil else {
            ERR_clear_error()
            return nil
        }
        self.cms = cms
        switch OBJ_obj2nid(CMS_get0_type(cms)) {
        case NID_pkcs7_signed: kind = .signedData
        case NID_pkcs7_enveloped: kind = .envelopedData
        case NID_id_smime_ct_authEnvelopedData: kind = .authEnvelopedData
        case NID_id_smime_ct_compressedData: kind = .compressedData
        case let nid: kind = .other(String(cString: OBJ_nid2ln(nid)))
        }
    }
    deinit { CMS_ContentInfo_free(cms) }
}

struct SignedDataOutcome {
    var problems: [Problem] = []
    var signers: [SignerDetails] = []
    /// The certificates of the signers that had one, in SignerInfo order.
    var signerCertificates: [Certificate] = []
    /// Addresses of each signer certificate (SAN rfc822Name, else subject emailAddress).
    var signerAddresses: [SignerAddresses] = []
    /// The signed content: eContent for opaque signatures.
    var content: [UInt8]?
    /// A streamed content could not be read to the end as it was: no verdict.
    var sourceError: SourceError?
    /// The earliest notAfter along the certificate paths.
    var validUntil: Date?
    /// The latest notBefore along the certificate paths.
    var validFrom: Date?
    /// A CRL took part in some path check (its own validity then matters too).
    var usedCRLs = false
    /// Worth saying, not failures (a status --online could not establish).
    var notes: [Problem] = []
}

struct SignedDataCheck {
    let trust: TrustStore
    let options: VerificationOptions
    /// Paths validated for earlier messages of the same verifier (nil: none kept).
    var pathCache: PathCache? = nil
    /// Certificates parsed for earlier messages: the signer is looked up there.
    var certificateCache: CertificateCache? = nil
    /// Fetches OCSP answers, CRLs and issuers when options.online is set.
    var online: OnlineRevocation? = nil

    /// - Parameters:
    ///   - detachedContent: the first part of a multipart/signed; nil for opaque signed-data.
    func check(_ cms: CMSMessage, detachedContent: DetachedContent?, at time: Date, layer: Int) -> SignedDataOutcome {
        var out = SignedDataOutcome()
        func fail(_ code: ProblemCode, _ message: String) { out.problems.append(Problem(code, message, layer: layer)) }

        let infos = CMS_get0_SignerInfos(cms.cms)
        let count = Int(smk_signerinfo_num(infos))
        if count == 0 { fail(.noSignerInfos, "The signature holds no signer: nothing was signed by anybody") }

        let isDetached = CMS_is_detached(cms.cms) == 1
        if detachedContent != nil && !isDetached {
            fail(.detachedWithContent, "The detached signature also carries content of its own (eContent), which a mail reader could show instead of the signed part")
        }
        if detachedContent == nil && isDetached {
            fail(.missingContent, "The signed-data holds no content: the signed text is missing")
            return out
        }

        // Message certificates first, then the user's extra ones.
        let messageCerts = CMS_get1_certs(cms.cms)
        defer { if let messageCerts { smk_x509_stack_free_all(messageCerts) } }
        let certificateCount = messageCerts.map { Int(smk_x509_stack_num($0)) } ?? 0
        if certificateCount > options.maxCertificates {
            fail(.tooManyCertificates, "The signature carries \(certificateCount) certificates, more than the limit of \(options.maxCertificates) (raise it with --max-certificates); it was not checked")
            return out
        }
        let extra = CertificateStack(trust.extraCertificates)
        _ = CMS_set1_signers_certs(cms.cms, extra.stack, 0)
        ERR_clear_error()
        // The list (Certificate objects) only for --online, which adds fetched issuers to it.
        let untrustedList = options.online ? CertificateStack.certificates(of: messageCerts) + trust.extraCertificates : []
        let untrusted = CertificateStack(messageCerts, adding: trust.extraCertificates)

        // Run the content through the digest BIOs once; every SignerInfo is checked against them.
        // Detached content is written into the chain (ending in a null BIO), so it is never
        // held a second time; opaque content is read out of the chain.
        let sinkBIO: OpaquePointer? = detachedContent == nil ? nil : BIO_new(BIO_s_null())
        defer { if let sinkBIO { BIO_free(sinkBIO) } }
        guard let chain = CMS_dataInit(cms.cms, sinkBIO) else {
            fail(.unreadableSignature, "The signed content could not be read from the signature (\(openSSLError()))")
            return out
        }
        defer { smk_bio_free_upto(chain, sinkBIO) }
        if let detachedContent {
            if let error = detachedContent.write(into: chain) {
                out.sourceError = error
                return out
            }
        } else {
            var content: [UInt8] = []
            let bufferSize = 16384
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = BIO_read(chain, buffer, Int32(bufferSize))
                if n <= 0 { break }
                content.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: Int(n)))
            }
            out.content = content
        }

        let messageCRLs = CMS_get1_crls(cms.cms)
        defer { if let messageCRLs { smk_crl_stack_free_all(messageCRLs) } }
        let crls = selectCRLs(messageCRLs, at: time)
        defer { if let crls { smk_crl_stack_free_all(crls) } }

        // Both forms of S/MIME signature cover a MIME entity, whose type is id-data
        // (RFC 8551 2.4.1); another type is content a mail reader would not show as the message.
        let eContentType = CMS_get0_eContentType(cms.cms)
        if OBJ_obj2nid(eContentType) != NID_pkcs7_data {
            fail(.unexpectedContentType, "The signature covers content of type \(Self.objectName(eContentType)), not the MIME data (id-data) an S/MIME message signs; it cannot vouch for this message")
        }

        for index in 0..<count {
            guard let si = smk_signerinfo_value(infos, Int32(index)) else { continue }
            let before = out.problems.count
            let label = count > 1 ? "Signer \(index + 1)" : "The signer"
            var pk: OpaquePointer?
            var signerX509: OpaquePointer?
            var digestAlg: UnsafeMutablePointer<X509_ALGOR>?
            var sigAlg: UnsafeMutablePointer<X509_ALGOR>?
            CMS_SignerInfo_get0_algs(si, &pk, &signerX509, &digestAlg, &sigAlg)
            let digestName = Self.algorithmName(digestAlg)
            let sigName = Self.algorithmName(sigAlg)
            var details = SignerDetails(layer: layer, subject: "", issuer: "", serial: "", emails: [],
                                        digestAlgorithm: digestName, signatureAlgorithm: sigName,
                                        chain: [], verified: false)
            var signingTime: Int64 = 0
            if smk_signer_signing_time(si, &signingTime) == 1 {
                details.signingTime = Date(timeIntervalSince1970: TimeInterval(signingTime))
            }

            let digestNID = Self.algorithmNID(digestAlg)
            if digestNID == NID_sha1 && !options.allowSHA1 {
                fail(.weakDigest, "\(label) uses the SHA-1 digest, which is no longer safe; pass --allow-sha1 to accept it")
            } else if digestNID == NID_md5 && !options.allowMD5 {
                fail(.weakDigest, "\(label) uses the MD5 digest, which is broken; pass --allow-md5 to accept it")
            }

            guard let signerX509 else {
                fail(.signerCertificateMissing, "\(label)'s certificate is not in the message; pass it with --certs")
                out.signers.append(details)
                out.signerAddresses.append([])
                continue
            }
            let signer = certificateCache?.known(signerX509) ?? Certificate(retaining: signerX509)
            out.signerCertificates.append(signer)
            details.subject = signer.subject
            details.issuer = signer.issuer
            details.serial = signer.serialHex
            details.notBefore = signer.notBefore
            details.notAfter = signer.notAfter
            let addresses = signer.mailAddresses
            details.emails = addresses.addresses

            // Signature over the signed attributes, then the content digest.
            let hasSignedAttributes = CMS_signed_get_attr_count(si) >= 0
            if hasSignedAttributes {
                checkSignedAttributes(si, eContentType: eContentType, label: label, fail: fail)
            }
            if hasSignedAttributes && CMS_SignerInfo_verify(si) <= 0 {
                ERR_clear_error()
                fail(.signatureInvalid, "\(label)'s signature (\(signer.displayName)) does not verify: the signature block was altered or made with another key")
            } else if CMS_SignerInfo_verify_content(si, chain) <= 0 {
                ERR_clear_error()
                if hasSignedAttributes {
                    fail(.contentAltered, "The signed content was altered after signing: its digest does not match the one \(label.lowercased()) signed")
                } else {
                    fail(.signatureInvalid, "\(label)'s signature (\(signer.displayName)) does not match the content: the message was altered")
                }
            }

            if let st = details.signingTime, st > time.addingTimeInterval(options.clockSkew) {
                fail(.signingTimeInFuture, "\(label) claims to have signed at \(JMAPDate.format(st)), after the verification time \(JMAPDate.format(time))")
            }

            let path = checkPath(signer, untrusted: untrusted, untrustedList: untrustedList, messageCRLs: messageCRLs,
                                 crls: crls, at: time, label: label, layer: layer)
            out.problems += path.problems
            out.notes += path.notes
            details.revocation = path.statuses
            details.chain = path.chain.map(\.subject)
            details.chainFingerprints = path.chain.isEmpty ? [signer.fingerprint] : path.chain.map(\.fingerprint)
            if let until = path.validUntil { out.validUntil = min(out.validUntil ?? until, until) }
            if let from = path.validFrom { out.validFrom = max(out.validFrom ?? from, from) }
            out.usedCRLs = out.usedCRLs || path.usedCRLs
            checkPurpose(signer, label: label, layer: layer, into: &out.problems)
            checkKeyStrength(signer, path: path.chain, label: label, layer: layer, into: &out.problems)
            checkDistrustAfter(signer, path: path.chain, label: label, layer: layer, into: &out.problems)

            details.verified = out.problems.count == before
            out.signers.append(details)
            out.signerAddresses.append(addresses)
        }
        return out
    }

    struct PathOutcome {
        var problems: [Problem] = []
        var notes: [Problem] = []
        var chain: [Certificate] = []
        var validUntil: Date?
        var validFrom: Date?
        var usedCRLs = false
        /// What OpenSSL reported: each error with the depth of its certificate.
        var raw: [(error: Int32, depth: Int)] = []
        var crlPathError: Int32 = 0
        var crlPathCert: Certificate?
        /// Bit d: no usable CRL for the certificate at depth d.
        var unavailableMask: UInt32 = 0
        /// How each certificate's revocation status was established, signer first.
        var statuses: [RevocationStatus] = []
    }

    /// Every CRL on offer (the message's, the user's, and fetched ones), narrowed to
    /// the newest valid one of each scope: OpenSSL itself would stop at the first
    /// valid CRL it meets, so a stale CRL carried in the message could hide a newer
    /// one. nil when there are none (or revocation is off).
    func selectCRLs(_ messageCRLs: OpaquePointer?, extra: [RevocationList] = [], at time: Date) -> OpaquePointer? {
        guard options.revocation != .off, smk_crl_stack_num(messageCRLs) > 0 || !trust.crls.isEmpty || !extra.isEmpty,
              let all = smk_crl_stack_new() else { return nil }
        defer { smk_crl_stack_free_all(all) }
        for i in 0..<smk_crl_stack_num(messageCRLs) {
            if let c = smk_crl_stack_value(messageCRLs, i) { _ = smk_crl_stack_push_up_ref(all, c) }
        }
        for c in trust.crls + extra { _ = smk_crl_stack_push_up_ref(all, c.crl) }
        return smk_crl_select(all, time_t(time.timeIntervalSince1970))
    }

    static let unavailableErrors: Set<Int32> = [X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
                                                X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER, X509_V_ERR_DIFFERENT_CRL_SCOPE]

    /// The certificate path and, with --online, each certificate's status from OCSP or
    /// the CRL distribution points (and missing issuers from caIssuers).
    func checkPath(_ leaf: Certificate, untrusted: CertificateStack, untrustedList: [Certificate], messageCRLs: OpaquePointer?,
                   crls: OpaquePointer?, at time: Date, label: String, layer: Int) -> PathOutcome {
        guard options.online, let online, options.revocation != .off else {
            var out = validatePath(leaf, untrusted: untrusted, crls: crls, at: time, label: label, layer: layer)
            out.problems = pathProblems(out, established: [], label: label, layer: layer) + out.problems
            out.statuses = statuses(out, ocsp: [:], crlURLs: [:], reasons: [:])
            return out
        }
        let now = Date()
        var stack = untrusted
        var list = untrustedList
        var out = validatePath(leaf, untrusted: stack, crls: crls, at: time, label: label, layer: layer)
        // A missing issuer: ask the caIssuers URL of the topmost certificate found, a few levels up at most.
        var asked = Set<String>()
        for _ in 0..<4 {
            let issuerMissing = out.raw.contains { [X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                                    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE].contains($0.error) }
            guard issuerMissing else { break }
            let top = out.chain.last ?? leaf
            guard !top.isSelfIssued, asked.insert(top.fingerprint).inserted else { break }
            let found = online.issuers(of: top, now: now).filter { c in !list.contains { $0.fingerprint == c.fingerprint } }
            guard !found.isEmpty else { break }
            list += found
            stack = CertificateStack(list)
            out = validatePath(leaf, untrusted: stack, crls: crls, at: time, label: label, layer: layer)
        }
        let chain = out.chain
        var ocsp: [Int: (answer: OnlineRevocation.OCSPAnswer, url: String, cached: Bool)] = [:]
        var fetched: [RevocationList] = []
        var crlURLs: [Int: String] = [:]
        var reasons: [Int: [String]] = [:]
        if chain.count >= 2 {
            for d in 0..<(chain.count - 1) {
                let cert = chain[d], issuer = chain[d + 1]
                let (answer, ocspReasons) = online.ocsp(cert, issuer: issuer, untrusted: stack, store: trust.store, now: now)
                if let answer { ocsp[d] = answer; continue }
                let (crl, crlReasons) = online.crl(for: cert, now: now)
                if let crl { fetched.append(crl.crl); crlURLs[d] = crl.url }
                let all = ocspReasons + crlReasons
                reasons[d] = all.isEmpty ? ["the certificate names no OCSP responder or CRL distribution point"] : all
            }
        }
        if !fetched.isEmpty {
            let pool = selectCRLs(messageCRLs, extra: fetched, at: time)
            defer { if let pool { smk_crl_stack_free_all(pool) } }
            out = validatePath(leaf, untrusted: stack, crls: pool, at: time, label: label, layer: layer)
        }
        out.problems = pathProblems(out, established: Set(ocsp.keys), label: label, layer: layer) + out.problems
        for (d, found) in ocsp.sorted(by: { $0.key < $1.key }) where found.answer.state == .revoked && d < chain.count {
            let whose = d == 0 ? "\(label)'s certificate '\(chain[d].displayName)'" : "Certificate '\(chain[d].displayName)'"
            let when = found.answer.revokedAt.map { " on \(JMAPDate.format($0))" } ?? ""
            out.problems.append(Problem(.certificateRevoked, "\(whose) has been revoked\(when) (OCSP \(found.url))", layer: layer))
        }
        out.statuses = statuses(out, ocsp: ocsp, crlURLs: crlURLs, reasons: reasons)
        if options.revocation == .soft {
            for (d, s) in out.statuses.enumerated() where s.state == .unknown && d < chain.count {
                out.notes.append(Problem(.revocationUnknown, "The revocation status of '\(chain[d].displayName)' could not be established (\(s.reason ?? "no answer")); with --revocation hard this fails", layer: layer))
            }
        }
        // Answers expire: a verdict resting on them is not reused for another time.
        out.usedCRLs = true
        return out
    }

    /// Each certificate's status from what the path check and the online answers found.
    func statuses(_ out: PathOutcome, ocsp: [Int: (answer: OnlineRevocation.OCSPAnswer, url: String, cached: Bool)],
                  crlURLs: [Int: String], reasons: [Int: [String]]) -> [RevocationStatus] {
        let revokedDepths = Set(out.raw.filter { $0.error == X509_V_ERR_CERT_REVOKED }.map(\.depth))
        return out.chain.enumerated().map { d, cert in
            let subject = cert.subject
            if d == out.chain.count - 1, trust.anchorFingerprints.contains(cert.fingerprint) || cert.isSelfIssued {
                return RevocationStatus(subject: subject, state: .anchor)
            }
            if let o = ocsp[d] {
                var s = RevocationStatus(subject: subject, state: o.answer.state, method: "OCSP", url: o.url, produced: o.answer.produced)
                s.cached = o.cached
                return s
            }
            if options.revocation == .off { return RevocationStatus(subject: subject, state: .notChecked, reason: "revocation off") }
            if revokedDepths.contains(d) { return RevocationStatus(subject: subject, state: .revoked, method: "CRL", url: crlURLs[d]) }
            let noCRL = !out.usedCRLs || (d < 32 && out.unavailableMask & (1 << UInt32(d)) != 0)
            if noCRL {
                if let why = reasons[d] { return RevocationStatus(subject: subject, state: .unknown, reason: why.joined(separator: "; ")) }
                return RevocationStatus(subject: subject, state: .notChecked, reason: options.online ? "no CRL" : "offline")
            }
            return RevocationStatus(subject: subject, state: .good, method: "CRL", url: crlURLs[d])
        }
    }

    /// Runs OpenSSL's path check; `problems` then holds only the signature-digest
    /// problems of the chain (see `pathProblems` for the rest).
    func validatePath(_ leaf: Certificate, untrusted: CertificateStack, crls: OpaquePointer?, at time: Date, label: String, layer: Int) -> PathOutcome {
        var out = PathOutcome()
        var flags = UInt(X509_V_FLAG_POLICY_CHECK)
        let haveCRLs = smk_crl_stack_num(crls) > 0
        if options.revocation == .hard || (options.revocation == .soft && haveCRLs) {
            flags |= UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL | X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS)
        }
        // Without CRLs the outcome depends only on the certificates, the flags and the
        // time: a path that validated before is valid again inside its validity window.
        var cacheKey: PathCache.Key?
        if let pathCache, flags & UInt(X509_V_FLAG_CRL_CHECK) == 0 {
            let key = PathCache.key(flags: flags, leaf: leaf, untrusted: untrusted.stack, certificates: certificateCache)
            if let chain = pathCache.lookup(key, at: Int64(time.timeIntervalSince1970.rounded(.down))) {
                out.chain = chain
                out.validUntil = chain.compactMap(\.notAfter).min()
                out.validFrom = chain.compactMap(\.notBefore).max()
                return out
            }
            cacheKey = key
        }
        let capacity = 64
        var errors = [Int32](repeating: 0, count: capacity)
        var depths = [Int32](repeating: 0, count: capacity)
        var chainStack: OpaquePointer?
        var crlPathError: Int32 = 0
        var crlPathCert: Certificate?
        var unavailable: UInt32 = 0
        let recorded: Int = errors.withUnsafeMutableBufferPointer { e in
            depths.withUnsafeMutableBufferPointer { d in
                var report = smk_path_report(count: 0, capacity: Int32(capacity), errors: e.baseAddress, depths: d.baseAddress,
                                             ignore_crl_unavailable: options.revocation == .soft ? 1 : 0,
                                             crl_path_error: 0, crl_path_cert: nil, unavailable_mask: 0)
                // The S/MIME signing purpose makes OpenSSL refuse a CA whose extendedKeyUsage
                // is present without emailProtection (or anyExtendedKeyUsage), as NSS does.
                _ = smk_verify_path(trust.store, leaf.x509, untrusted.stack, crls, UInt(flags),
                                    time_t(time.timeIntervalSince1970), X509_PURPOSE_SMIME_SIGN, &report, &chainStack)
                crlPathError = report.crl_path_error
                if let cert = report.crl_path_cert { crlPathCert = Certificate(owning: cert) }
                unavailable = report.unavailable_mask
                return Int(min(report.count, Int32(capacity)))
            }
        }
        ERR_clear_error()
        out.chain = CertificateStack.certificates(of: chainStack)
        if let chainStack { smk_x509_stack_free_all(chainStack) }
        out.validUntil = out.chain.compactMap(\.notAfter).min()
        out.validFrom = out.chain.compactMap(\.notBefore).max()
        out.usedCRLs = flags & UInt(X509_V_FLAG_CRL_CHECK) != 0
        out.raw = (0..<recorded).map { (errors[$0], Int(depths[$0])) }
        out.crlPathError = crlPathError
        out.crlPathCert = crlPathCert
        out.unavailableMask = unavailable

        // Signatures on the certificates (not the anchor's own): SHA-1 and MD5 are refused unless allowed.
        for (i, cert) in out.chain.enumerated() where !(i == out.chain.count - 1 && cert.isSelfIssued) {
            switch cert.signatureDigestName {
            case "SHA1" where !options.allowSHA1:
                out.problems.append(Problem(.weakCertificateSignature, "Certificate '\(cert.displayName)' is signed with SHA-1, which is no longer safe; pass --allow-sha1 to accept it", layer: layer))
            case "MD5" where !options.allowMD5:
                out.problems.append(Problem(.weakCertificateSignature, "Certificate '\(cert.displayName)' is signed with MD5, which is broken; pass --allow-md5 to accept it", layer: layer))
            default: break
            }
        }
        // Only a clean result is remembered: failures are recomputed, so each keeps its exact explanation.
        if let cacheKey, out.problems.isEmpty, out.raw.isEmpty { pathCache?.store(cacheKey, chain: out.chain) }
        return out
    }

    /// One sentence per kind of fault and certificate; a missing CRL is no fault
    /// for a certificate whose status OCSP established (`established` depths).
    func pathProblems(_ out: PathOutcome, established: Set<Int>, label: String, layer: Int) -> [Problem] {
        var problems: [Problem] = []
        var seen = Set<String>()
        // The trust anchor is not part of the path (RFC 5280 6.1): its own revocation status is not asked for.
        var established = established
        if let top = out.chain.last, top.isSelfIssued, trust.anchorFingerprints.contains(top.fingerprint) {
            established.insert(out.chain.count - 1)
        }
        for (error, depth) in out.raw {
            if established.contains(depth) && Self.unavailableErrors.contains(error) { continue }
            let cert = depth < out.chain.count ? out.chain[depth] : out.chain.first ?? out.crlPathCert
            guard let cert else { continue }
            if error == X509_V_ERR_INVALID_PURPOSE {
                // The signer's own key usages are checkPurpose's, with a sentence that says which one
                // is missing; a CA that is no CA at all is reported as such (invalid CA) already.
                if depth == 0 { continue }
                guard let eku = cert.extendedKeyUsage, eku & UInt32(XKU_SMIME | XKU_ANYEKU) == 0 else { continue }
            }
            let p = error == X509_V_ERR_CRL_PATH_VALIDATION_ERROR
                ? describeCRLPath(error: out.crlPathError, signer: out.crlPathCert, cert: cert, layer: layer)
                : describe(error: error, cert: cert, depth: depth, chain: out.chain, label: label, layer: layer)
            // OpenSSL may report one fault twice (issuer missing, then leaf unverifiable): one sentence per kind and certificate.
            if seen.insert("\(p.code)@\(depth)").inserted { problems.append(p) }
        }
        return problems
    }

    func checkPurpose(_ signer: Certificate, label: String, layer: Int, into problems: inout [Problem]) {
        if let ku = signer.keyUsage, ku & UInt32(X509v3_KU_DIGITAL_SIGNATURE | X509v3_KU_NON_REPUDIATION) == 0 {
            problems.append(Problem(.keyUsage, "\(label)'s certificate (\(signer.displayName)) may not be used for signatures: its key usage has neither digitalSignature nor nonRepudiation", layer: layer))
        }
        if let eku = signer.extendedKeyUsage, eku & UInt32(XKU_SMIME | XKU_ANYEKU) == 0 {
            problems.append(Problem(.extendedKeyUsage, "\(label)'s certificate (\(signer.displayName)) is not for e-mail: its extended key usage lacks emailProtection", layer: layer))
        }
    }

    /// RFC 5652 5.3: signed attributes must hold content-type and message-digest, and
    /// 11.1: the content-type attribute must equal eContentType (which the signature
    /// does not cover otherwise: it could be changed afterwards).
    func checkSignedAttributes(_ si: OpaquePointer, eContentType: OpaquePointer?, label: String,
                               fail: (ProblemCode, String) -> Void) {
        func occurrences(_ nid: Int32) -> Int {
            var n = 0
            var last: Int32 = -1
            while true {
                last = CMS_signed_get_attr_by_NID(si, nid, last)
                if last < 0 { return n }
                n += 1
            }
        }
        let contentTypes = occurrences(NID_pkcs9_contentType)
        if contentTypes == 0 {
            fail(.signedAttributeMissing, "\(label)'s signed attributes lack the content-type attribute that RFC 5652 requires, so the type of the signed content is not protected; the signature cannot be trusted")
        } else if let raw = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_contentType), -3, V_ASN1_OBJECT) {
            let signedType = OpaquePointer(raw)
            if OBJ_cmp(signedType, eContentType) != 0 {
                fail(.contentTypeMismatch, "\(label) signed content of type \(Self.objectName(signedType)), but the message says \(Self.objectName(eContentType)): the content type was changed after signing")
            }
        } else {
            fail(.contentTypeMismatch, "\(label)'s content-type attribute is malformed (it must appear once, with one object identifier); the signature cannot be trusted")
        }
        if occurrences(NID_pkcs9_messageDigest) == 0 {
            fail(.signedAttributeMissing, "\(label)'s signed attributes lack the message-digest attribute that RFC 5652 requires, so the signature does not cover the content")
        }
    }

    /// RFC 8551 4.1 key sizes, for the signer and every CA key of its path (a weak CA key
    /// lets anyone forge the certificates below it, the signer's included).
    func checkKeyStrength(_ signer: Certificate, path: [Certificate], label: String, layer: Int, into problems: inout [Problem]) {
        var keys = [(signer, true)]
        for cert in path.dropFirst() { keys.append((cert, false)) }
        for (cert, isSigner) in keys {
            guard let key = cert.publicKeyStrength, let weak = options.weakness(of: key) else { continue }
            let whose = isSigner ? "\(label)'s key (\(cert.displayName))" : "The key of certificate authority '\(cert.displayName)' in the path"
            var message = "\(whose) is \(key.description), under the \(weak.needed) bits RFC 8551 requires"
            if let remedy = weak.remedy { message += "; \(remedy)" }
            problems.append(Problem(.weakKey, message, layer: layer))
        }
    }

    /// Mozilla stops trusting some roots for e-mail certificates issued after a date
    /// (NSS's CKA_NSS_EMAIL_DISTRUST_AFTER), judged by the signer certificate's notBefore.
    func checkDistrustAfter(_ signer: Certificate, path: [Certificate], label: String, layer: Int, into problems: inout [Problem]) {
        guard !trust.emailDistrustAfter.isEmpty, path.count > 1, let anchor = path.last,
              let date = trust.emailDistrustAfter[anchor.fingerprint], let issued = signer.notBefore, issued > date else { return }
        problems.append(Problem(.untrustedRoot, "The root '\(anchor.displayName)' is trusted for e-mail only for certificates issued until \(JMAPDate.format(date)), and \(label.lowercased())'s certificate was issued \(JMAPDate.format(issued)); add the root with --trust if you still trust it", layer: layer))
    }

    static func objectName(_ obj: OpaquePointer?) -> String {
        guard let obj else { return "(none)" }
        var buf = [CChar](repeating: 0, count: 128)
        let nid = OBJ_obj2nid(obj)
        let dotted = OBJ_obj2txt(&buf, Int32(buf.count), obj, 1) > 0 ? String(cString: buf) : "?"
        if nid != NID_undef, let ln = OBJ_nid2ln(nid) { return "\(String(cString: ln)) (\(dotted))" }
        return dotted
    }

    /// The CRL covering `cert` is signed by a certificate off the path (a separate
    /// CRL-signing key, an indirect CRL issuer) whose own path failed with `error`.
    func describeCRLPath(error: Int32, signer: Certificate?, cert: Certificate, layer: Int) -> Problem {
        let who = signer.map { "'\($0.displayName)'" } ?? "a certificate off the path"
        let why: String
        switch error {
        case X509_V_ERR_CERT_REVOKED: why = "that certificate has been revoked"
        case X509_V_ERR_CERT_HAS_EXPIRED: why = "that certificate has expired"
        case X509_V_ERR_UNABLE_TO_GET_CRL: why = "that certificate's own revocation status is unknown (pass its issuer's CRL with --crl)"
        case 0: why = "its certificate path did not validate"
        default: why = "its certificate path did not validate (\(Self.verifyErrorString(error)))"
        }
        return Problem(.crlInvalid, "The CRL for '\(cert.displayName)' cannot be used: it was signed by \(who), and \(why)", layer: layer)
    }

    func describe(error: Int32, cert: Certificate, depth: Int, chain: [Certificate], label: String, layer: Int) -> Problem {
        let name = "'\(cert.displayName)'"
        let whose = depth == 0 ? "\(label)'s certificate \(name)" : "Certificate \(name)"
        switch error {
        case X509_V_ERR_CERT_HAS_EXPIRED:
            let when = cert.notAfter.map { " on \(JMAPDate.format($0))" } ?? ""
            return Problem(.certificateExpired, "\(whose) expired\(when)", layer: layer)
        case X509_V_ERR_CERT_NOT_YET_VALID:
            let when = cert.notBefore.map { " until \(JMAPDate.format($0))" } ?? ""
            return Problem(.certificateNotYetValid, "\(whose) is not valid yet\(when)", layer: layer)
        case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
            return Problem(.issuerNotFound, "The issuer '\(Self.commonName(cert.issuer))' of \(whose.prefix(1).lowercased() + whose.dropFirst()) was not found: pass it with --certs, or trust it with --trust", layer: layer)
        case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
            return Problem(.untrustedRoot, "The root \(name) is not a trusted anchor: add it with --trust if you trust it", layer: layer)
        case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
            return Problem(.issuerNotFound, "No trusted path for \(whose.prefix(1).lowercased() + whose.dropFirst()): pass its issuer with --certs or --trust", layer: layer)
        case X509_V_ERR_CERT_UNTRUSTED:
            return Problem(.untrustedRoot, "\(whose) is not trusted: add its root with --trust", layer: layer)
        case X509_V_ERR_CERT_REVOKED:
            return Problem(.certificateRevoked, "\(whose) has been revoked (listed in its issuer's CRL)", layer: layer)
        case X509_V_ERR_UNABLE_TO_GET_CRL:
            return Problem(.revocationUnknown, "No CRL for \(whose.prefix(1).lowercased() + whose.dropFirst()): its revocation status is unknown; pass a CRL with --crl, or use --revocation soft", layer: layer)
        case X509_V_ERR_CRL_HAS_EXPIRED:
            return Problem(.revocationUnknown, "The CRL covering \(name) is out of date (past its nextUpdate); fetch a fresh one, or use --revocation soft", layer: layer)
        case X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_CRL_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
             X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE, X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD,
             X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD, X509_V_ERR_DIFFERENT_CRL_SCOPE, X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
            return Problem(.crlInvalid, "The CRL for \(name) cannot be used: \(Self.verifyErrorString(error))", layer: layer)
        case X509_V_ERR_INVALID_CA, X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
            return Problem(.notCertificateAuthority, "Certificate \(name) issued another certificate but is not a certificate authority (\(Self.verifyErrorString(error)))", layer: layer)
        case X509_V_ERR_PATH_LENGTH_EXCEEDED:
            return Problem(.pathLengthExceeded, "The certificate path is longer than a CA's pathLenConstraint allows (at \(name))", layer: layer)
        case X509_V_ERR_PERMITTED_VIOLATION, X509_V_ERR_EXCLUDED_VIOLATION, X509_V_ERR_SUBTREE_MINMAX,
             X509_V_ERR_UNSUPPORTED_CONSTRAINT_TYPE, X509_V_ERR_UNSUPPORTED_CONSTRAINT_SYNTAX,
             X509_V_ERR_UNSUPPORTED_NAME_SYNTAX:
            return Problem(.nameConstraintsViolated, "\(whose) violates the name constraints of a CA above it (\(Self.verifyErrorString(error)))", layer: layer)
        case X509_V_ERR_NO_EXPLICIT_POLICY, X509_V_ERR_INVALID_POLICY_EXTENSION:
            return Problem(.policyViolation, "The certificate path does not satisfy the certificate policies its CAs require (\(Self.verifyErrorString(error)))", layer: layer)
        case X509_V_ERR_CERT_SIGNATURE_FAILURE, X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
            return Problem(.certificateSignatureInvalid, "The signature on \(whose.prefix(1).lowercased() + whose.dropFirst()) does not verify: the certificate was forged or altered", layer: layer)
        case X509_V_ERR_CA_MD_TOO_WEAK:
            return Problem(.weakCertificateSignature, "\(whose) is signed with a digest that is too weak", layer: layer)
        case X509_V_ERR_INVALID_PURPOSE:
            if depth > 0 {
                return Problem(.extendedKeyUsage, "Certificate authority \(name) may not issue e-mail certificates: its extended key usage lacks emailProtection (and anyExtendedKeyUsage), so it does not vouch for \(label.lowercased())", layer: layer)
            }
            return Problem(.extendedKeyUsage, "\(whose) is not valid for e-mail protection", layer: layer)
        default:
            return Problem(.certificatePathInvalid, "\(whose) failed path validation: \(Self.verifyErrorString(error))", layer: layer)
        }
    }

    static func verifyErrorString(_ error: Int32) -> String {
        String(cString: X509_verify_cert_error_string(Int(error)))
    }

    static func commonName(_ dn: String) -> String {
        for rdn in dn.split(separator: ",") where rdn.hasPrefix("CN=") { return String(rdn.dropFirst(3)) }
        return dn
    }

    static func algorithmNID(_ alg: UnsafeMutablePointer<X509_ALGOR>?) -> Int32 {
        guard let alg else { return NID_undef }
        var obj: OpaquePointer?
        X509_ALGOR_get0(&obj, nil, nil, alg)
        return OBJ_obj2nid(obj)
    }

    static func algorithmName(_ alg: UnsafeMutablePointer<X509_ALGOR>?) -> String {
        let nid = algorithmNID(alg)
        guard nid != NID_undef, let ln = OBJ_nid2sn(nid) else { return "unknown" }
        return String(cString: ln)
    }
}

/// A memory BIO holding its own copy of the bytes.
func BIO_new_mem_buf_copy(_ raw: UnsafeRawBufferPointer) -> OpaquePointer? {
    guard let bio = BIO_new(BIO_s_mem()) else { return nil }
    if raw.count > 0 { BIO_write(bio, raw.baseAddress, Int32(raw.count)) }
    // Reading must not block or hit "retry" at the end of the data.
    BIO_ctrl(bio, BIO_C_SET_BUF_MEM_EOF_RETURN, 0, nil)
    return bio
}
