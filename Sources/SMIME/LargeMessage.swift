// Messages too large to hold in memory. A multipart/signed is checked in full
// by streaming: the body is split by a chunked scanner, the signature part
// (small) is read into memory and checked as usual, and the signed part is fed
// through the CMS digest a chunk at a time. Any other shape is answered from
// its header structure, and whatever could not be checked is said so: a large
// message is never signed/verified unless every item of the checklist held.
import COpenSSLShim
import Foundation
import JMAP
import MIME

/// A message read through a ByteSource: its top-level header block, nothing more.
public struct LargeMessage: Sendable {
    public let source: ByteSource
    public let header: StreamedHeader
    public let limits: MIMELimits

    public static func open(_ source: ByteSource, limits: MIMELimits = .default) throws(StreamingError) -> LargeMessage {
        LargeMessage(source: source, header: try StreamingReader.header(of: source, isRoot: true, limits: limits), limits: limits)
    }

    /// The top-level body.
    public var body: Range<Int> { header.bodyStart..<max(header.bodyStart, source.count) }
}

extension MessageVerifier {
    /// Verifies the message in `source`: read whole and checked in memory up to
    /// `inMemoryLimit` bytes, streamed above it. Fails when the source changed or
    /// could not be read while it was checked.
    public func verify(source: ByteSource, at time: Date) -> Result<VerificationResult, SourceError> {
        if source.count <= inMemoryLimit {
            do throws(SourceError) {
                let bytes = try source.bytes(0..<source.count)
                try source.checkUnchanged()
                return .success(verify(bytes: bytes, at: time))
            } catch {
                return .failure(error)
            }
        }
        return verifyStreamed(source, at: time)
    }

    /// `verify(source:at:)`, reusing an earlier verdict when no check could tell the times apart.
    public func verify(source: ByteSource, at time: Date, reusing earlier: VerificationResult,
                       checkedAt earlierTime: Date) -> Result<VerificationResult, SourceError> {
        if earlier.holds(at: time, as: earlierTime, skew: options.clockSkew) { return .success(earlier) }
        return verify(source: source, at: time)
    }

    /// The streaming check, whatever the size (tests call it on small messages
    /// to compare it with the in-memory one).
    public func verifyStreamed(_ source: ByteSource, at time: Date) -> Result<VerificationResult, SourceError> {
        let large: LargeMessage
        do throws(StreamingError) {
            large = try LargeMessage.open(source, limits: limits)
        } catch {
            switch error {
            case .source(let e): return .failure(e)
            case .mime(let e): return .success(Self.unreadable(e))
            }
        }
        var walk = LayerWalk(verifier: self, outer: large.header.message, time: time)
        walk.runStreamed(large)
        if let e = walk.sourceError { return .failure(e) }
        do throws(SourceError) { try source.checkUnchanged() } catch { return .failure(error) }
        return .success(walk.result)
    }
}

extension LayerWalk {
    mutating func runStreamed(_ large: LargeMessage) {
        do throws(StreamingError) {
            try streamedLayers(large)
        } catch {
            switch error {
            case .source(let e):
                sourceError = e
            case .mime(let e):
                // As in memory: a message past a MIME limit is not read at all.
                result = MessageVerifier.unreadable(e)
                return
            }
        }
        finish()
    }

    private func sizeText(_ large: LargeMessage) -> String {
        "\(large.source.count) bytes, more than the \(verifier.inMemoryLimit) bytes read into memory (--max-in-memory-size)"
    }

    private mutating func streamedLayers(_ large: LargeMessage) throws(StreamingError) {
        let root = large.header.part
        switch SMIMEShape(root) {
        case .foreignSigned(let proto):
            result.layers.append("signed with \(proto)")
            unknown(.unsupportedProtocol, "The message is signed with \(proto), not S/MIME", layer: 0)
        case .detached, .malformedDetached:
            try streamedDetached(large)
        case .pkcs7Mime(_, let smimeType):
            try streamedOpaque(large, smimeType: smimeType)
        case .notSMIME:
            var budget = verifier.limits.maxParts - 1
            if try StructureDetector.streamedContainsSignedPart(large.source, part: root, body: large.body, depth: 0,
                                                                 limits: verifier.limits, budget: &budget) {
                decideSigned()
                problem(.partialSignature, "Only part of the message is signed: the signed part sits inside an unsigned \(root.contentType.mimeType), so the rest could have been added by anyone", layer: 0)
            }
        }
    }

    /// multipart/signed: everything is checked, the signed part streamed into the digest.
    private mutating func streamedDetached(_ large: LargeMessage) throws(StreamingError) {
        let root = large.header.part
        let source = large.source
        result.layers.append("signed (multipart/signed)")
        var split = StreamedSplit()
        if let boundary = root.contentType.parameters["boundary"], !boundary.isEmpty {
            split = try StreamingReader.splitMultipart(source, body: large.body, boundary: Array(boundary.utf8),
                                                       maxParts: verifier.limits.maxParts - 1)
        }
        guard split.parts.count == 2 else {
            decideSigned()
            problem(.malformedMultipartSigned, "The multipart/signed has \(split.parts.count) parts instead of 2 (signed content and signature)", layer: 0)
            return
        }
        let content = split.parts[0], signatureRange = split.parts[1]
        guard signatureRange.count <= verifier.maxSignatureSize else {
            decideSigned()
            problem(.messageTooLarge, "The signature part is \(signatureRange.count) bytes, more than the \(verifier.maxSignatureSize) bytes a signature may have in a message this large (\(sizeText(large))); nothing was checked", layer: 0)
            return
        }
        let signatureBytes: [UInt8]
        do throws(SourceError) { signatureBytes = try source.bytes(signatureRange) } catch { throw .source(error) }
        let signature: Message
        do throws(MIMEError) { signature = try Message(bytes: signatureBytes, limits: verifier.limits, isRoot: false) } catch { throw .mime(error) }
        let contentHeader = try StreamingReader.header(of: source, start: content.lowerBound, end: content.upperBound,
                                                       isRoot: false, limits: verifier.limits)
        let der = signature.decodedBody(signature.root)
        guard signedLayer(der: der, detached: .stream(source, content, .crlf), headers: large.header.message,
                          headerPart: root, layer: 0) != nil else { return }
        // The signed part itself: in memory it would be walked as the next layer.
        var layer = 1
        var header = contentHeader
        if layer >= verifier.options.maxLayers {
            problem(.nestingTooDeep, "More than \(verifier.options.maxLayers) nested S/MIME layers; the rest was not checked (raise the limit with --max-layers)", layer: layer)
            return
        }
        headerSets.append(HeaderSet(kind: .content(what: "signed content"), message: header.message, part: header.part, layer: layer))
        if case .notSMIME = SMIMEShape(header.part), Self.isWrappedMessage(header.part) {
            // A wrapped message (RFC 8551 3.1): its header block is the next layer, as in memory.
            layer += 1
            if layer >= verifier.options.maxLayers {
                problem(.nestingTooDeep, "More than \(verifier.options.maxLayers) nested S/MIME layers; the rest was not checked (raise the limit with --max-layers)", layer: layer)
                return
            }
            guard ["7bit", "8bit", "binary"].contains(header.part.contentTransferEncoding) else {
                problem(.messageTooLarge, "The signed content is a wrapped message in \(header.part.contentTransferEncoding) encoding and the message is \(sizeText(large)); it was not read. Raise --max-in-memory-size above the message size to check it", layer: layer)
                return
            }
            let start = header.bodyStart
            header = try StreamingReader.header(of: source, start: start, end: max(start, content.upperBound), isRoot: false, limits: verifier.limits)
            headerSets.append(HeaderSet(kind: .wrapped, message: header.message, part: header.part, layer: layer))
        }
        let inner = header.part
        switch SMIMEShape(inner) {
        case .notSMIME:
            payloadIndex = headerSets.count - 1
            return
        case .foreignSigned(let proto):
            result.layers.append("signed with \(proto)")
            unknown(.unsupportedProtocol, "The message is signed with \(proto), not S/MIME", layer: layer)
        case .pkcs7Mime(_, let t) where (t == "enveloped-data" || t == "authenveloped-data") && verifier.identities.isEmpty:
            result.layers.append(t == "enveloped-data" ? "enveloped" : "auth-enveloped")
            note(.noDecryptionKey, "The message is encrypted and no key was given to open it (use --decrypt-key)", layer: layer)
        default:
            result.layers.append("\(inner.contentType.mimeType) (not checked)")
            problem(.messageTooLarge, "The signed content is itself S/MIME (\(inner.contentType.mimeType)) and the message is \(sizeText(large)); the outer signature holds, but the inner layer was not checked. Raise --max-in-memory-size above the message size to check it", layer: layer)
        }
    }

    /// application/pkcs7-mime: the content sits inside the CMS, which is too large to parse.
    private mutating func streamedOpaque(_ large: LargeMessage, smimeType: String?) throws(StreamingError) {
        var kind = smimeType
        if kind == nil {
            // As the cheap detector does: the leading OID tells signed data.
            kind = try Self.sniffedSigned(large) ? "signed-data" : nil
        }
        switch kind {
        case "enveloped-data", "authenveloped-data":
            result.layers.append(kind == "enveloped-data" ? "enveloped" : "auth-enveloped")
            if verifier.identities.isEmpty {
                note(.noDecryptionKey, "The message is encrypted and no key was given to open it (use --decrypt-key)", layer: 0)
            } else {
                note(.messageTooLarge, "The message is encrypted and \(sizeText(large)); it was not opened. Raise --max-in-memory-size above the message size to open it", layer: 0)
            }
        case "certs-only":
            result.layers.append("certs-only")
            unknown(.unsupportedProtocol, "The message only carries certificates (certs-only); there is no signature to check", layer: 0)
        case "compressed-data":
            result.layers.append("unsupported CMS")
            unknown(.unsupportedProtocol, "The application/pkcs7-mime part holds CMS this tool does not read", layer: 0)
        case "signed-data":
            result.layers.append("signed (application/pkcs7-mime)")
            decideSigned()
            problem(.messageTooLarge, "The message is opaque signed data (application/pkcs7-mime), whose content sits inside the signature, and it is \(sizeText(large)); the signature was not checked. Raise --max-in-memory-size above the message size to check it", layer: 0)
        default:
            result.layers.append("application/pkcs7-mime (not read)")
            unknown(.messageTooLarge, "The application/pkcs7-mime message is \(sizeText(large)); it was not read. Raise --max-in-memory-size above the message size to read it", layer: 0)
        }
    }

    static func sniffedSigned(_ large: LargeMessage) throws(StreamingError) -> Bool {
        try StructureDetector.sniffedSigned(large)
    }
}

extension StructureDetector {
    /// `status(of:)` for a message too large to hold: header structure only.
    public static func status(of large: LargeMessage) throws(StreamingError) -> SMIMEStatus? {
        let root = large.header.part
        switch SMIMEShape(root) {
        case .detached, .malformedDetached:
            return .signed
        case .foreignSigned:
            return .unknown
        case .pkcs7Mime(_, let smimeType):
            switch smimeType {
            case "signed-data": return .signed
            case "enveloped-data", "authenveloped-data", "certs-only", "compressed-data": return .unknown
            default: return try sniffedSigned(large) ? .signed : .unknown
            }
        case .notSMIME:
            var budget = large.limits.maxParts - 1
            return try streamedContainsSignedPart(large.source, part: root, body: large.body, depth: 0,
                                                  limits: large.limits, budget: &budget) ? .signed : nil
        }
    }

    /// Whether the leading bytes of the top-level body, decoded, start like CMS SignedData.
    static func sniffedSigned(_ large: LargeMessage) throws(StreamingError) -> Bool {
        let head: [UInt8]
        do throws(SourceError) { head = try large.source.bytes(0..<min(large.source.count, large.header.bodyStart + 4096)) } catch { throw .source(error) }
        guard let m = try? Message(bytes: head, limits: large.limits) else { return false }
        return CMSSniffer.looksSigned(m.decodedBody(m.root))
    }

    /// `containsSignedPart` over a source: every multipart level is one scan of its body.
    static func streamedContainsSignedPart(_ source: ByteSource, part: MIMEPart, body: Range<Int>, depth: Int,
                                           limits: MIMELimits, budget: inout Int) throws(StreamingError) -> Bool {
        guard depth < 200, part.contentType.isMultipart,
              let boundary = part.contentType.parameters["boundary"], !boundary.isEmpty else { return false }
        if depth + 1 > limits.maxDepth { throw .mime(.depthExceeded(limit: limits.maxDepth)) }
        let split = try StreamingReader.splitMultipart(source, body: body, boundary: Array(boundary.utf8), maxParts: budget)
        budget -= split.parts.count
        let digest = part.contentType.subtype == "digest"
        for r in split.parts {
            let child = try StreamingReader.header(of: source, start: r.lowerBound, end: r.upperBound, isRoot: false,
                                                   digestChild: digest, limits: limits)
            let childBody = child.bodyStart..<max(child.bodyStart, r.upperBound)
            switch SMIMEShape(child.part).signing {
            case .signed: return true
            case .unsigned: continue
            case .sniff:
                let head: [UInt8]
                do throws(SourceError) {
                    head = try source.bytes(childBody.lowerBound..<min(childBody.upperBound, childBody.lowerBound + CMSSniffer.headBytes))
                } catch { throw .source(error) }
                if CMSSniffer.looksSigned(head: head[...], transferEncoding: child.part.contentTransferEncoding) { return true }
            case .container:
                if try streamedContainsSignedPart(source, part: child.part, body: childBody,
                                                  depth: depth + 1, limits: limits, budget: &budget) { return true }
            }
        }
        return false
    }
}

extension Digest {
    /// Hex SHA-256 of a whole source, read a chunk at a time.
    public static func sha256Hex(source: ByteSource, chunkSize: Int = StreamingReader.defaultChunkSize) throws(SourceError) -> String {
        guard let ctx = EVP_MD_CTX_new() else { throw SourceError("no digest context") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else { throw SourceError("SHA-256 is not available") }
        try source.forEachChunk(0..<source.count, chunkSize: chunkSize) { (chunk, _) throws(SourceError) -> Bool in
            EVP_DigestUpdate(ctx, chunk.baseAddress, chunk.count)
            return true
        }
        var md = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        md.withUnsafeMutableBufferPointer { _ = EVP_DigestFinal_ex(ctx, $0.baseAddress, &len) }
        try source.checkUnchanged()
        return hex(md)
    }
}
