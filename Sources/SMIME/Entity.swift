// A MIME entity as the layer walk and the structure detector see it: a part of
// a message read whole, or a header block read from a source whose body stays
// there (a message too large to hold in memory). What differs between the two
// is here, so that the walk and the detector are written once.
import MIME

struct Entity {
    /// The message the part belongs to: the whole message in memory; in a source,
    /// the header block alone (for header access).
    let message: Message
    let part: MIMEPart
    /// Set when the body stays in a source.
    let stream: Stream?

    struct Stream {
        let source: ByteSource
        /// Where the body is in the source.
        let body: Range<Int>
        let limits: MIMELimits
    }

    private init(message: Message, part: MIMEPart, stream: Stream?) {
        self.message = message
        self.part = part
        self.stream = stream
    }

    /// A part of a message read whole (its root when `part` is nil).
    init(_ message: Message, _ part: MIMEPart? = nil) {
        self.init(message: message, part: part ?? message.root, stream: nil)
    }

    /// The top level of a message too large to hold.
    init(_ large: LargeMessage) {
        self.init(message: large.header.message, part: large.header.part,
                  stream: Stream(source: large.source, body: large.body, limits: large.limits))
    }

    /// The entity in `range` of a source (below the top level), its header read now.
    static func read(_ source: ByteSource, _ range: Range<Int>, digestChild: Bool = false,
                     limits: MIMELimits) throws(StreamingError) -> Entity {
        let header = try StreamingReader.header(of: source, start: range.lowerBound, end: range.upperBound, isRoot: false,
                                                digestChild: digestChild, limits: limits)
        let body = header.bodyStart..<max(header.bodyStart, range.upperBound)
        return Entity(message: header.message, part: header.part, stream: Stream(source: source, body: body, limits: limits))
    }

    /// The entity as transmitted, when it is in memory.
    var bytes: [UInt8]? {
        stream == nil ? Array(message.slice(part.range)) : nil
    }

    /// What the part budget of the structure scan starts at (a source is split a
    /// level at a time, so the parts are counted as it goes; in memory the reader counted them).
    var partBudget: Int {
        (stream?.limits.maxParts ?? .max) - 1
    }

    /// The first `count` bytes of the body, still in their transfer encoding.
    func bodyHead(_ count: Int) throws(StreamingError) -> ArraySlice<UInt8> {
        guard let stream else { return message.slice(part.bodyRange).prefix(count) }
        let lo = stream.body.lowerBound
        do throws(SourceError) {
            return try stream.source.bytes(lo..<min(stream.body.upperBound, lo + count))[...]
        } catch { throw .source(error) }
    }

    /// Whether the body, decoded, starts like CMS SignedData: all of it in memory,
    /// its first 4096 bytes in a source.
    func looksSigned() throws(StreamingError) -> Bool {
        guard stream != nil else { return CMSSniffer.looksSigned(message.decodedBody(part)) }
        return CMSSniffer.looksSigned(head: try bodyHead(4096), transferEncoding: part.contentTransferEncoding)
    }

    /// A part of a multipart entity: read, or in a source with its header not read yet.
    enum Part {
        case read(Entity)
        case unread(Range<Int>, digestChild: Bool)
    }

    /// The parts of a multipart entity, for the structure scan: in memory as read;
    /// in a source split at their delimiters (against `budget` and the depth limit).
    func parts(depth: Int, budget: inout Int) throws(StreamingError) -> [Part] {
        guard let stream else { return part.children.map { .read(Entity(message, $0)) } }
        guard part.contentType.isMultipart, let boundary = part.contentType.parameters["boundary"], !boundary.isEmpty else { return [] }
        let limits = stream.limits
        if depth + 1 > limits.maxDepth { throw .mime(.depthExceeded(limit: limits.maxDepth)) }
        let split = try StreamingReader.splitMultipart(stream.source, body: stream.body, boundary: Array(boundary.utf8), maxParts: budget)
        budget -= split.parts.count
        let digest = part.contentType.subtype == "digest"
        return split.parts.map { .unread($0, digestChild: digest) }
    }

    /// One of `parts`, its header read now if it was not.
    func open(_ part: Part) throws(StreamingError) -> Entity {
        switch part {
        case .read(let entity): return entity
        case .unread(let range, let digestChild):
            guard let stream else { preconditionFailure("an unread part is always in a source") }
            return try Entity.read(stream.source, range, digestChild: digestChild, limits: stream.limits)
        }
    }

    /// The two halves of a multipart/signed.
    enum SignedHalves {
        /// The signed part, the signature (DER) and the content the signature is over.
        case halves(content: Entity, signature: [UInt8], detached: DetachedContent)
        case wrongPartCount(Int)
        /// In a source: a signature part larger than may be read into memory.
        case signatureTooLarge(Int)
    }

    /// Splits a multipart/signed. In a source the signature part is read into memory
    /// (if it is at most `maxSignatureSize` bytes) and the signed part stays there,
    /// to be fed through the digest a chunk at a time.
    func signedHalves(maxSignatureSize: Int) throws(StreamingError) -> SignedHalves {
        guard let stream else {
            guard case .detached(let content, let signature) = SMIMEShape(part) else { return .wrongPartCount(part.children.count) }
            return .halves(content: Entity(message, content), signature: message.decodedBody(signature),
                           detached: .bytes(Canonical.crlf(message.slice(content.range))))
        }
        let source = stream.source, limits = stream.limits
        var split = StreamedSplit()
        if let boundary = part.contentType.parameters["boundary"], !boundary.isEmpty {
            split = try StreamingReader.splitMultipart(source, body: stream.body, boundary: Array(boundary.utf8),
                                                       maxParts: limits.maxParts - 1)
        }
        guard split.parts.count == 2 else { return .wrongPartCount(split.parts.count) }
        let content = split.parts[0], signatureRange = split.parts[1]
        guard signatureRange.count <= maxSignatureSize else { return .signatureTooLarge(signatureRange.count) }
        let signatureBytes: [UInt8]
        do throws(SourceError) { signatureBytes = try source.bytes(signatureRange) } catch { throw .source(error) }
        let signature: Message
        do throws(MIMEError) { signature = try Message(bytes: signatureBytes, limits: limits, isRoot: false) } catch { throw .mime(error) }
        let signed = try Entity.read(source, content, limits: limits)
        return .halves(content: signed, signature: signature.decodedBody(signature.root), detached: .stream(source, content, .crlf))
    }

    /// The message a message/rfc822 entity in a source wraps: only an identity
    /// transfer encoding can be read in place, nil for any other. (In memory the
    /// walk takes the reader's encapsulated message, or reads the decoded body.)
    func wrappedMessageInSource() throws(StreamingError) -> Entity? {
        guard let stream else { return nil }
        guard ["7bit", "8bit", "binary"].contains(part.contentTransferEncoding) else { return nil }
        return try Entity.read(stream.source, stream.body, limits: stream.limits)
    }
}
