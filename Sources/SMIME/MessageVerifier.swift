// The RFC 9219 verdict for a whole message: walks the S/MIME layers from the
// outside in, as semantics.md's "top level" rules say.
import COpenSSLShim
import Foundation
import JMAP
import MIME

/// Everything learnt about one message.
public struct VerificationResult: Sendable {
    public var status: SMIMEStatus?
    /// Every problem found, outermost layer first. Non-empty exactly when the status is */failed.
    public var problems: [Problem] = []
    /// Things worth telling a person that do not make the message fail (no key to decrypt, ...).
    public var notes: [Problem] = []
    public var signers: [SignerDetails] = []
    /// The S/MIME layers from the outside in, e.g. ["signed (multipart/signed)", "enveloped"].
    public var layers: [String] = []
    /// The earliest notAfter in a certificate path: a cached verdict must not outlive it.
    public var validUntil: Date?
    /// The latest notBefore in a certificate path.
    public var validFrom: Date?
    /// A CRL took part: revocation data has validity periods of its own.
    public var usedCRLs = false
    /// The protected header fields, when the message has header protection (RFC 9788, RFC 8551 3.1).
    public var headerProtection: HeaderProtection?
    /// Only with `keepingContent`: the content of the outermost signed layer (the
    /// entity that was signed, as transmitted), or with no signature the decrypted
    /// content; and the certificates of that layer's signers.
    public var content: [UInt8]?
    public var signerCertificates: [Certificate] = []

    /// smimeErrors: non-null only for */failed.
    public var smimeErrors: [String]? {
        guard let status, status.isFailed else { return nil }
        return problems.map(\.message)
    }
}

/// A private key (and its certificate, when known) for opening enveloped data.
public struct DecryptionIdentity: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate?
    public init(key: PrivateKey, certificate: Certificate?) {
        self.key = key
        self.certificate = certificate
    }
}

public final class MessageVerifier: Sendable {
    public let trust: TrustStore
    public let options: VerificationOptions
    public let identities: [DecryptionIdentity]
    public let limits: MIMELimits
    /// Online revocation (used when options.online is set), shared by every message of the run.
    public let online: OnlineRevocation?
    /// Certificate paths validated for earlier messages: most mail comes from few signers.
    let pathCache = PathCache()
    /// Certificates parsed for earlier messages (see CertificateCache).
    let certificateCache = CertificateCache()

    /// Messages up to this size are read whole and checked in memory; larger ones
    /// are streamed (see LargeMessage.swift).
    public let inMemoryLimit: Int
    /// The largest signature part a streamed multipart/signed may have.
    public let maxSignatureSize: Int

    public static let defaultInMemoryLimit = 32 << 20
    public static let defaultMaxSignatureSize = 16 << 20

    public init(trust: TrustStore, options: VerificationOptions = VerificationOptions(),
                identities: [DecryptionIdentity] = [], limits: MIMELimits = .default,
                inMemoryLimit: Int = MessageVerifier.defaultInMemoryLimit,
                maxSignatureSize: Int = MessageVerifier.defaultMaxSignatureSize,
                online: OnlineRevocation? = nil) {
        self.online = online
        self.trust = trust
        self.options = options
        self.identities = identities
        self.limits = limits
        self.inMemoryLimit = inMemoryLimit
        self.maxSignatureSize = maxSignatureSize
    }

    /// Verifies raw message bytes; a message the MIME reader refuses is `unknown` with a note,
    /// unless its structure already showed a signature (then `signed/failed`).
    public func verify(bytes: [UInt8], at time: Date) -> VerificationResult {
        do {
            let message = try Message(bytes: bytes, limits: limits)
            return verify(message, at: time)
        } catch {
            return Self.unreadable(error)
        }
    }

    /// The verdict on a message the MIME reader refuses.
    static func unreadable(_ error: MIMEError) -> VerificationResult {
        var r = VerificationResult()
        r.status = .unknown
        r.notes.append(Problem(.unreadableMessage, "The message could not be read: \(error)"))
        return r
    }

    public func verify(_ message: Message, at time: Date) -> VerificationResult {
        verify(message, at: time, keepingContent: false)
    }

    /// `keepingContent`: also hand back the signed (or decrypted) content and the
    /// signer certificates, for writing them out; nothing is kept otherwise.
    public func verify(_ message: Message, at time: Date, keepingContent: Bool) -> VerificationResult {
        var walk = LayerWalk(verifier: self, outer: message, time: time)
        walk.keepContent = keepingContent
        walk.run()
        return walk.result
    }

    /// The verdict at `time`, reusing `earlier` (the same message checked at
    /// `earlierTime`) when no check could tell the two times apart: both inside
    /// every path certificate's validity, no CRL involved, and no signingTime
    /// after either time. smimeStatusAtDelivery usually is such a case, and
    /// verifying twice would double the cost of a cold run.
    public func verify(_ message: Message, at time: Date, reusing earlier: VerificationResult, checkedAt earlierTime: Date) -> VerificationResult {
        if earlier.holds(at: time, as: earlierTime, skew: options.clockSkew) { return earlier }
        return verify(message, at: time)
    }
}

extension VerificationResult {
    /// Whether a check at `time` must give this result, computed at `checkedAt`.
    func holds(at time: Date, as checkedAt: Date, skew: TimeInterval) -> Bool {
        if time == checkedAt { return true }
        // Nothing time-dependent was checked: no signature, or none whose path was built.
        guard !signers.isEmpty else { return status == nil || status == .unknown }
        guard !usedCRLs, let from = validFrom, let until = validUntil else { return false }
        guard signers.allSatisfy({ !$0.subject.isEmpty }) else { return false }
        for t in [time, checkedAt] where t < from || t >= until { return false }
        for s in signers {
            if let st = s.signingTime, st > time.addingTimeInterval(skew) || st > checkedAt.addingTimeInterval(skew) { return false }
        }
        return true
    }
}

/// One pass over the layers of one message.
struct LayerWalk {
    let verifier: MessageVerifier
    let outer: Message
    let time: Date
    var result = VerificationResult()
    /// The outermost signature decides; set when we meet it.
    var decided = false
    var encrypted = false
    /// The status to give when no signature is met.
    var undecidedStatus: SMIMEStatus? = nil
    /// A streamed message could not be read to the end as it was: there is no verdict.
    var sourceError: SourceError?
    /// Header blocks inside the layers, outside in (see HeaderBinding.swift).
    var headerSets: [HeaderSet] = []
    /// The header set of the Cryptographic Payload: the part the walk stopped at, inside every layer.
    var payloadIndex: Int?
    /// Signatures waiting to be bound to a From.
    var bindings: [PendingBinding] = []
    /// Some layer was decrypted (HP-Outer only means something then).
    var decryptedAny = false
    /// Keep the content and signer certificates in the result (see VerificationResult.content).
    var keepContent = false

    init(verifier: MessageVerifier, outer: Message, time: Date) {
        self.verifier = verifier
        self.outer = outer
        self.time = time
    }

    var check: SignedDataCheck {
        SignedDataCheck(trust: verifier.trust, options: verifier.options, pathCache: verifier.pathCache,
                        certificateCache: verifier.certificateCache, online: verifier.online)
    }

    mutating func run() {
        var message = outer
        var part = outer.root
        var layer = 0
        // What `part` is: the content of a cryptographic layer (a message/rfc822 there is a
        // wrapped message), or the root of such a wrapped message.
        var contentOf: String? = nil
        var wrapped = false
        while true {
            if layer >= verifier.options.maxLayers {
                problem(.nestingTooDeep, "More than \(verifier.options.maxLayers) nested S/MIME layers; the rest was not checked (raise the limit with --max-layers)", layer: layer)
                break
            }
            if wrapped {
                headerSets.append(HeaderSet(kind: .wrapped, message: message, part: part, layer: layer))
            } else if let what = contentOf {
                headerSets.append(HeaderSet(kind: .content(what: what), message: message, part: part, layer: layer))
            }
            let inLayer = contentOf != nil
            let recorded = inLayer || wrapped
            contentOf = nil
            wrapped = false
            switch SMIMEShape(part) {
            case .detached(let content, let signature):
                result.layers.append("signed (multipart/signed)")
                if keepContent && !decided { result.content = Array(message.slice(content.range)) }
                let der = message.decodedBody(signature)
                guard let next = signedLayer(der: der, detached: .bytes(Canonical.crlf(message.slice(content.range))),
                                             headers: message, headerPart: part, layer: layer) else { return finish() }
                _ = next
                part = content
                contentOf = "signed content"
            case .malformedDetached(let n):
                result.layers.append("signed (multipart/signed)")
                decideSigned()
                problem(.malformedMultipartSigned, "The multipart/signed has \(n) parts instead of 2 (signed content and signature)", layer: layer)
                return finish()
            case .pkcs7Mime(let p, let smimeType):
                let der = message.decodedBody(p)
                guard let cms = CMSMessage.parse(der, certificates: verifier.certificateCache) else {
                    if smimeType == "signed-data" || CMSSniffer.looksSigned(der) {
                        result.layers.append("signed (application/pkcs7-mime)")
                        decideSigned()
                        problem(.unreadableSignature, "The signature block is not valid CMS (truncated or corrupt)", layer: layer)
                    } else {
                        result.layers.append("unreadable application/pkcs7-mime")
                        unknown(.unsupportedProtocol, "The application/pkcs7-mime part is not valid CMS", layer: layer)
                    }
                    return finish()
                }
                switch cms.kind {
                case .signedData:
                    if smimeType == "certs-only" || (smk_signerinfo_num(CMS_get0_SignerInfos(cms.cms)) == 0 && CMS_is_detached(cms.cms) == 1) {
                        result.layers.append("certs-only")
                        unknown(.unsupportedProtocol, "The message only carries certificates (certs-only); there is no signature to check", layer: layer)
                        return finish()
                    }
                    result.layers.append("signed (application/pkcs7-mime)")
                    let decisive = !decided
                    guard let inner = signedLayer(cms: cms, der: der, detached: nil, headers: message, headerPart: part, layer: layer) else { return finish() }
                    if keepContent && decisive { result.content = inner }
                    guard let parsed = parseInner(inner, layer: layer, what: "signed content") else { return finish() }
                    message = parsed
                    part = parsed.root
                    contentOf = "signed content"
                case .envelopedData, .authEnvelopedData:
                    result.layers.append(cms.kind == .envelopedData ? "enveloped" : "auth-enveloped")
                    guard let plain = decrypt(cms, layer: layer) else { return finish() }
                    if keepContent && !decided { result.content = plain }
                    if !decided { encrypted = true }
                    decryptedAny = true
                    guard let parsed = parseInner(plain, layer: layer, what: "decrypted content") else { return finish() }
                    message = parsed
                    part = parsed.root
                    contentOf = "decrypted content"
                case .compressedData, .other:
                    result.layers.append("unsupported CMS")
                    unknown(.unsupportedProtocol, "The application/pkcs7-mime part holds CMS this tool does not read", layer: layer)
                    return finish()
                }
            case .foreignSigned(let proto):
                result.layers.append("signed with \(proto)")
                unknown(.unsupportedProtocol, "The message is signed with \(proto), not S/MIME", layer: layer)
                return finish()
            case .notSMIME:
                if inLayer && Self.isWrappedMessage(part) {
                    // RFC 8551 3.1: the whole message wrapped, so that its header fields are signed too.
                    if let inner = part.encapsulated {
                        part = inner
                    } else {
                        guard let parsed = parseInner(message.decodedBody(part), layer: layer, what: "wrapped message") else { return finish() }
                        message = parsed
                        part = parsed.root
                    }
                    wrapped = true
                    break
                }
                if recorded { payloadIndex = headerSets.count - 1 }
                // At every layer not yet under a signature, decrypted ones included.
                if !decided && StructureDetector.containsSignedPart(message, part, depth: 0) {
                    decideSigned()
                    problem(.partialSignature, "Only part of the message is signed: the signed part sits inside an unsigned \(part.contentType.mimeType), so the rest could have been added by anyone", layer: layer)
                }
                return finish()
            }
            layer += 1
        }
        finish()
    }

    /// Checks a signature layer; returns the content to go on with (eContent for opaque), or nil to stop.
    mutating func signedLayer(der: [UInt8], detached: DetachedContent, headers: Message, headerPart: MIMEPart, layer: Int) -> [UInt8]? {
        guard let cms = CMSMessage.parse(der, certificates: verifier.certificateCache) else {
            decideSigned()
            problem(.unreadableSignature, "The signature part is not valid CMS (truncated or corrupt); nothing could be checked", layer: layer)
            return nil
        }
        guard cms.kind == .signedData else {
            decideSigned()
            problem(.notSignedData, "The signature part holds CMS of another type than SignedData", layer: layer)
            return nil
        }
        return signedLayer(cms: cms, der: der, detached: detached, headers: headers, headerPart: headerPart, layer: layer)
    }

    mutating func signedLayer(cms: CMSMessage, der: [UInt8], detached: DetachedContent?, headers: Message, headerPart: MIMEPart, layer: Int) -> [UInt8]? {
        let decisive = !decided
        decideSigned()
        var outcome = check.check(cms, detachedContent: detached, at: time, layer: layer)
        if let error = outcome.sourceError {
            sourceError = error
            return nil
        }
        if let detached, outcome.problems.contains(where: { $0.code == .contentAltered }) {
            // Some signers (NSS's test generator among them) hash the part with bare LF line
            // ends, against RFC 8551 3.1.1. The text is the same either way, so a digest that
            // matches the LF form is accepted, and said.
            if let lf = detached.bareLFForm {
                let retry = check.check(cms, detachedContent: lf, at: time, layer: layer)
                if let error = retry.sourceError {
                    sourceError = error
                    return nil
                }
                if !retry.problems.contains(where: { $0.code == .contentAltered }) {
                    outcome = retry
                    result.notes.append(Problem(.nonCanonicalContent, "The signature was made over the content with bare LF line ends instead of CRLF (RFC 8551 3.1.1); the content is unchanged", layer: layer))
                }
            }
        }
        result.problems += outcome.problems
        result.notes += outcome.notes
        result.signers += outcome.signers
        if keepContent && decisive { result.signerCertificates = outcome.signerCertificates }
        if let until = outcome.validUntil { result.validUntil = min(result.validUntil ?? until, until) }
        if let from = outcome.validFrom { result.validFrom = max(result.validFrom ?? from, from) }
        result.usedCRLs = result.usedCRLs || outcome.usedCRLs

        // The sender binding: the outermost signature against the binding From (see
        // HeaderBinding.swift), made at the end of the walk. An inner signature is bound
        // only when its layer has a From of its own.
        if verifier.options.senderCheck && (decisive || !headerPart.fields(named: "From").isEmpty) {
            bindings.append(PendingBinding(layer: layer, insertAt: result.problems.count, signers: outcome.signers,
                                           signerAddresses: outcome.signerAddresses))
        }
        if outcome.problems.contains(where: { $0.code == .unreadableSignature || $0.code == .missingContent }) { return nil }
        return detached == nil ? outcome.content : []
    }

    mutating func decrypt(_ cms: CMSMessage, layer: Int) -> [UInt8]? {
        if verifier.identities.isEmpty {
            note(.noDecryptionKey, "The message is encrypted and no key was given to open it (use --decrypt-key)", layer: layer)
            return nil
        }
        if let plain = cms.open(with: verifier.identities) { return plain }
        note(.decryptionFailed, "The message is encrypted, but none of the given keys opens it (it was encrypted for someone else, or the key does not match its certificate)", layer: layer)
        return nil
    }

    mutating func parseInner(_ bytes: [UInt8], layer: Int, what: String) -> Message? {
        do {
            return try Message(bytes: bytes, limits: verifier.limits)
        } catch {
            if decided {
                problem(.unreadableMessage, "The \(what) could not be read as MIME: \(error)", layer: layer + 1)
            } else {
                note(.unreadableMessage, "The \(what) could not be read as MIME: \(error)", layer: layer + 1)
            }
            return nil
        }
    }

    mutating func decideSigned() {
        decided = true
    }

    mutating func problem(_ code: ProblemCode, _ message: String, layer: Int) {
        result.problems.append(Problem(code, message, layer: layer))
    }

    mutating func note(_ code: ProblemCode, _ message: String, layer: Int) {
        result.notes.append(Problem(code, message, layer: layer))
        if !decided { undecidedStatus = .unknown }
    }

    /// S/MIME we cannot check: only matters when no signature decided already.
    mutating func unknown(_ code: ProblemCode, _ message: String, layer: Int) {
        note(code, message, layer: layer)
    }

    mutating func finish() {
        bindSenders()
        describeHeaderProtection()
        if decided {
            let failed = !result.problems.isEmpty
            switch (encrypted, failed) {
            case (false, false): result.status = .signedVerified
            case (false, true): result.status = .signedFailed
            case (true, false): result.status = .encryptedSignedVerified
            case (true, true): result.status = .encryptedSignedFailed
            }
        } else {
            result.status = undecidedStatus ?? (result.layers.isEmpty ? nil : .unknown)
            // Problems only ever belong to a signed verdict.
            result.notes += result.problems
            result.problems = []
        }
    }

    static func cn(_ dn: String) -> String { SignedDataCheck.commonName(dn) }
}
