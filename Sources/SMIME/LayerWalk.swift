// The walk over the S/MIME layers of one message, from the outside in, as
// semantics.md's "top level" rules say. One walk for a message read whole and
// for one too large to hold, whose entities stay in their source (see
// Entity.swift): of such a message only the outermost layer is opened. A
// multipart/signed is checked in full, its signed part fed through the CMS
// digest a chunk at a time; whatever could not be checked is said so, and a
// large message is never signed/verified unless every item of the checklist held.
import COpenSSLShim
import Foundation
import MIME

/// One pass over the layers of one message.
struct LayerWalk {
    let verifier: MessageVerifier
    /// Where the walk starts: the whole message, or the top level of one in a source.
    let root: Entity
    /// The message's own header fields (the whole message when it was read whole).
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

    init(verifier: MessageVerifier, root: Entity, time: Date) {
        self.verifier = verifier
        self.root = root
        self.outer = root.message
        self.time = time
    }

    var check: SignedDataCheck {
        SignedDataCheck(trust: verifier.trust, options: verifier.options, pathCache: verifier.pathCache,
                        certificateCache: verifier.certificateCache, online: verifier.online)
    }

    /// Walks the layers and settles the verdict. A MIME limit met on the way in a
    /// source gives the verdict of an unreadable message, as in memory; a source
    /// that could not be read as it was leaves `sourceError` set.
    mutating func run() {
        do throws(StreamingError) {
            try walk()
        } catch {
            switch error {
            case .source(let e):
                sourceError = e
            case .mime(let e):
                result = MessageVerifier.unreadable(e)
                return
            }
        }
        finish()
    }

    private mutating func walk() throws(StreamingError) {
        var entity = root
        var layer = 0
        // What `entity` is: the content of a cryptographic layer (a message/rfc822 there is a
        // wrapped message), or the root of such a wrapped message.
        var contentOf: String? = nil
        var wrapped = false
        // A message/rfc822 in a source whose wrapped message is read once the walk gets to it.
        var unreadWrapping: Entity?
        while true {
            if layer >= verifier.options.maxLayers {
                problem(.nestingTooDeep(limit: verifier.options.maxLayers), layer: layer)
                return
            }
            if let wrapping = unreadWrapping {
                unreadWrapping = nil
                guard let inner = try wrapping.wrappedMessageInSource() else {
                    problem(.wrappedMessageNotRead(encoding: wrapping.part.contentTransferEncoding, oversize(wrapping)), layer: layer)
                    return
                }
                entity = inner
            }
            if wrapped {
                headerSets.append(HeaderSet(kind: .wrapped, message: entity.message, part: entity.part, layer: layer))
            } else if let what = contentOf {
                headerSets.append(HeaderSet(kind: .content(what: what), message: entity.message, part: entity.part, layer: layer))
            }
            let inLayer = contentOf != nil
            let recorded = inLayer || wrapped
            contentOf = nil
            wrapped = false
            let shape = SMIMEShape(entity.part)
            switch shape {
            case .detached, .malformedDetached, .pkcs7Mime:
                // Only the outermost layer of a message in a source is opened.
                if entity.stream != nil && layer > 0 { return notOpened(entity, shape, layer: layer) }
            case .foreignSigned, .notSMIME:
                break
            }
            switch shape {
            case .detached, .malformedDetached:
                result.layers.append("signed (multipart/signed)")
                switch try entity.signedHalves(maxSignatureSize: verifier.maxSignatureSize) {
                case .wrongPartCount(let n):
                    decideSigned()
                    problem(.malformedMultipartSigned(parts: n), layer: layer)
                    return
                case .signatureTooLarge(let n):
                    decideSigned()
                    problem(.signatureTooLarge(bytes: n, limit: verifier.maxSignatureSize, oversize(entity)), layer: layer)
                    return
                case .halves(let content, let signature, let detached):
                    if keepContent && !decided { result.content = content.bytes }
                    guard signedLayer(der: signature, detached: detached, headerPart: entity.part, layer: layer) != nil else { return }
                    entity = content
                    contentOf = "signed content"
                }
            case .pkcs7Mime(_, let smimeType):
                // The CMS holds the content: too large to parse when the message stays in its source.
                guard entity.stream == nil else { return try opaqueNotRead(entity, smimeType: smimeType) }
                let der = entity.message.decodedBody(entity.part)
                guard let cms = CMSMessage.parse(der, certificates: verifier.certificateCache) else {
                    if smimeType == "signed-data" || CMSSniffer.looksSigned(der) {
                        result.layers.append("signed (application/pkcs7-mime)")
                        decideSigned()
                        problem(.unreadableSignatureBlock, layer: layer)
                    } else {
                        result.layers.append("unreadable application/pkcs7-mime")
                        unknown(.unreadablePKCS7, layer: layer)
                    }
                    return
                }
                switch cms.kind {
                case .signedData:
                    if smimeType == "certs-only" || (smk_signerinfo_num(CMS_get0_SignerInfos(cms.cms)) == 0 && CMS_is_detached(cms.cms) == 1) {
                        result.layers.append("certs-only")
                        unknown(.certsOnly, layer: layer)
                        return
                    }
                    result.layers.append("signed (application/pkcs7-mime)")
                    let decisive = !decided
                    guard let inner = signedLayer(cms: cms, detached: nil, headerPart: entity.part, layer: layer) else { return }
                    if keepContent && decisive { result.content = inner }
                    guard let parsed = parseInner(inner, layer: layer, what: "signed content") else { return }
                    entity = Entity(parsed)
                    contentOf = "signed content"
                case .envelopedData, .authEnvelopedData:
                    result.layers.append(cms.kind == .envelopedData ? "enveloped" : "auth-enveloped")
                    guard let plain = decrypt(cms, layer: layer) else { return }
                    if keepContent && !decided { result.content = plain }
                    if !decided { encrypted = true }
                    decryptedAny = true
                    guard let parsed = parseInner(plain, layer: layer, what: "decrypted content") else { return }
                    entity = Entity(parsed)
                    contentOf = "decrypted content"
                case .compressedData, .other:
                    result.layers.append("unsupported CMS")
                    unknown(.unsupportedCMS, layer: layer)
                    return
                }
            case .foreignSigned(let proto):
                result.layers.append("signed with \(proto)")
                unknown(.foreignSignature(proto), layer: layer)
                return
            case .notSMIME:
                if inLayer && Self.isWrappedMessage(entity.part) {
                    // RFC 8551 3.1: the whole message wrapped, so that its header fields are signed too.
                    if entity.stream != nil {
                        unreadWrapping = entity
                    } else if let inner = entity.part.encapsulated {
                        entity = Entity(entity.message, inner)
                    } else {
                        guard let parsed = parseInner(entity.message.decodedBody(entity.part), layer: layer, what: "wrapped message") else { return }
                        entity = Entity(parsed)
                    }
                    wrapped = true
                    break
                }
                if recorded { payloadIndex = headerSets.count - 1 }
                // At every layer not yet under a signature, decrypted ones included.
                var budget = entity.partBudget
                if !decided, try StructureDetector.containsSignedPart(entity, depth: 0, budget: &budget) {
                    decideSigned()
                    problem(.partialSignature(container: entity.part.contentType.mimeType), layer: layer)
                }
                return
            }
            layer += 1
        }
    }

    /// Checks a signature layer; returns the content to go on with (eContent for opaque), or nil to stop.
    mutating func signedLayer(der: [UInt8], detached: DetachedContent, headerPart: MIMEPart, layer: Int) -> [UInt8]? {
        guard let cms = CMSMessage.parse(der, certificates: verifier.certificateCache) else {
            decideSigned()
            problem(.unreadableSignaturePart, layer: layer)
            return nil
        }
        guard cms.kind == .signedData else {
            decideSigned()
            problem(.notSignedData, layer: layer)
            return nil
        }
        return signedLayer(cms: cms, detached: detached, headerPart: headerPart, layer: layer)
    }

    mutating func signedLayer(cms: CMSMessage, detached: DetachedContent?, headerPart: MIMEPart, layer: Int) -> [UInt8]? {
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
                    result.notes.append(Problem(.nonCanonicalContent, layer: layer))
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
            note(.noDecryptionKey, layer: layer)
            return nil
        }
        if let plain = cms.open(with: verifier.identities) { return plain }
        note(.decryptionFailed, layer: layer)
        return nil
    }

    mutating func parseInner(_ bytes: [UInt8], layer: Int, what: String) -> Message? {
        do {
            return try Message(bytes: bytes, limits: verifier.limits)
        } catch {
            if decided {
                problem(.unreadableContent(what, error), layer: layer + 1)
            } else {
                note(.unreadableContent(what, error), layer: layer + 1)
            }
            return nil
        }
    }

    /// The size sentence of what a message in a source could not have checked.
    func oversize(_ entity: Entity) -> WalkProblem.Oversize {
        WalkProblem.Oversize(bytes: entity.stream?.source.count ?? 0, limit: verifier.inMemoryLimit)
    }

    /// An S/MIME layer inside a message in a source: not opened, and said so.
    mutating func notOpened(_ entity: Entity, _ shape: SMIMEShape, layer: Int) {
        if case .pkcs7Mime(_, let t) = shape, t == "enveloped-data" || t == "authenveloped-data", verifier.identities.isEmpty {
            // What opening it would have said.
            result.layers.append(t == "enveloped-data" ? "enveloped" : "auth-enveloped")
            note(.noDecryptionKey, layer: layer)
            return
        }
        let type = entity.part.contentType.mimeType
        result.layers.append("\(type) (not checked)")
        problem(.innerLayerNotChecked(type: type, oversize(entity)), layer: layer)
    }

    /// application/pkcs7-mime at the top of a message in a source: the content sits
    /// inside the CMS, which is too large to parse. Its label (or the leading OID) tells what it is.
    mutating func opaqueNotRead(_ entity: Entity, smimeType: String?) throws(StreamingError) {
        var kind = smimeType
        if kind == nil {
            // As the structure detector does: the leading OID tells signed data.
            kind = try entity.looksSigned() ? "signed-data" : nil
        }
        let size = oversize(entity)
        switch kind {
        case "enveloped-data", "authenveloped-data":
            result.layers.append(kind == "enveloped-data" ? "enveloped" : "auth-enveloped")
            note(verifier.identities.isEmpty ? .noDecryptionKey : .encryptedNotOpened(size), layer: 0)
        case "certs-only":
            result.layers.append("certs-only")
            unknown(.certsOnly, layer: 0)
        case "compressed-data":
            result.layers.append("unsupported CMS")
            unknown(.unsupportedCMS, layer: 0)
        case "signed-data":
            result.layers.append("signed (application/pkcs7-mime)")
            decideSigned()
            problem(.opaqueSignedNotChecked(size), layer: 0)
        default:
            result.layers.append("application/pkcs7-mime (not read)")
            unknown(.pkcs7NotRead(size), layer: 0)
        }
    }

    mutating func decideSigned() {
        decided = true
    }

    mutating func problem(_ what: WalkProblem, layer: Int) {
        result.problems.append(Problem(what, layer: layer))
    }

    mutating func note(_ what: WalkProblem, layer: Int) {
        result.notes.append(Problem(what, layer: layer))
        if !decided { undecidedStatus = .unknown }
    }

    /// S/MIME we cannot check: only matters when no signature decided already.
    mutating func unknown(_ what: WalkProblem, layer: Int) {
        note(what, layer: layer)
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

/// Every problem and note the walk itself finds (the checks of a signature and of
/// its signers' certificates are SignedDataCheck's; the sender binding's, SenderCheck's).
enum WalkProblem {
    case nestingTooDeep(limit: Int)
    case malformedMultipartSigned(parts: Int)
    case unreadableSignaturePart
    case unreadableSignatureBlock
    case notSignedData
    case unreadablePKCS7
    case certsOnly
    case unsupportedCMS
    case foreignSignature(String)
    case partialSignature(container: String)
    case nonCanonicalContent
    case noDecryptionKey
    case decryptionFailed
    case unreadableContent(String, MIMEError)
    case unreadableMessage(MIMEError)
    // A message in a source, too large to hold: what was not checked.
    case signatureTooLarge(bytes: Int, limit: Int, Oversize)
    case wrappedMessageNotRead(encoding: String, Oversize)
    case innerLayerNotChecked(type: String, Oversize)
    case encryptedNotOpened(Oversize)
    case opaqueSignedNotChecked(Oversize)
    case pkcs7NotRead(Oversize)

    /// How large a message in a source is, against what is read into memory.
    struct Oversize {
        let bytes: Int
        let limit: Int
        var text: String { "\(bytes) bytes, more than the \(limit) bytes read into memory (--max-in-memory-size)" }
    }

    /// The code and the sentence.
    var text: (code: ProblemCode, message: String) {
        switch self {
        case .nestingTooDeep(let limit):
            return (.nestingTooDeep, "More than \(limit) nested S/MIME layers; the rest was not checked (raise the limit with --max-layers)")
        case .malformedMultipartSigned(let n):
            return (.malformedMultipartSigned, "The multipart/signed has \(n) parts instead of 2 (signed content and signature)")
        case .unreadableSignaturePart:
            return (.unreadableSignature, "The signature part is not valid CMS (truncated or corrupt); nothing could be checked")
        case .unreadableSignatureBlock:
            return (.unreadableSignature, "The signature block is not valid CMS (truncated or corrupt)")
        case .notSignedData:
            return (.notSignedData, "The signature part holds CMS of another type than SignedData")
        case .unreadablePKCS7:
            return (.unsupportedProtocol, "The application/pkcs7-mime part is not valid CMS")
        case .certsOnly:
            return (.unsupportedProtocol, "The message only carries certificates (certs-only); there is no signature to check")
        case .unsupportedCMS:
            return (.unsupportedProtocol, "The application/pkcs7-mime part holds CMS this tool does not read")
        case .foreignSignature(let proto):
            return (.unsupportedProtocol, "The message is signed with \(proto), not S/MIME")
        case .partialSignature(let container):
            return (.partialSignature, "Only part of the message is signed: the signed part sits inside an unsigned \(container), so the rest could have been added by anyone")
        case .nonCanonicalContent:
            return (.nonCanonicalContent, "The signature was made over the content with bare LF line ends instead of CRLF (RFC 8551 3.1.1); the content is unchanged")
        case .noDecryptionKey:
            return (.noDecryptionKey, "The message is encrypted and no key was given to open it (use --decrypt-key)")
        case .decryptionFailed:
            return (.decryptionFailed, "The message is encrypted, but none of the given keys opens it (it was encrypted for someone else, or the key does not match its certificate)")
        case .unreadableContent(let what, let error):
            return (.unreadableMessage, "The \(what) could not be read as MIME: \(error)")
        case .unreadableMessage(let error):
            return (.unreadableMessage, "The message could not be read: \(error)")
        case .signatureTooLarge(let bytes, let limit, let size):
            return (.messageTooLarge, "The signature part is \(bytes) bytes, more than the \(limit) bytes a signature may have in a message this large (\(size.text)); nothing was checked")
        case .wrappedMessageNotRead(let encoding, let size):
            return (.messageTooLarge, "The signed content is a wrapped message in \(encoding) encoding and the message is \(size.text); it was not read. Raise --max-in-memory-size above the message size to check it")
        case .innerLayerNotChecked(let type, let size):
            return (.messageTooLarge, "The signed content is itself S/MIME (\(type)) and the message is \(size.text); the outer signature holds, but the inner layer was not checked. Raise --max-in-memory-size above the message size to check it")
        case .encryptedNotOpened(let size):
            return (.messageTooLarge, "The message is encrypted and \(size.text); it was not opened. Raise --max-in-memory-size above the message size to open it")
        case .opaqueSignedNotChecked(let size):
            return (.messageTooLarge, "The message is opaque signed data (application/pkcs7-mime), whose content sits inside the signature, and it is \(size.text); the signature was not checked. Raise --max-in-memory-size above the message size to check it")
        case .pkcs7NotRead(let size):
            return (.messageTooLarge, "The application/pkcs7-mime message is \(size.text); it was not read. Raise --max-in-memory-size above the message size to read it")
        }
    }
}

extension Problem {
    init(_ what: WalkProblem, layer: Int) {
        let (code, message) = what.text
        self.init(code, message, layer: layer)
    }
}
