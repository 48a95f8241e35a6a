// The MIME reader for messages too large to hold: header blocks are read on
// their own (bounded by the header limits), multipart bodies are split by a
// scanner that sees the source a chunk at a time, and a part's bytes can be
// fed onward in chunks, line ends canonicalised on the way. Offsets are into
// the source, with the same meaning as PartParser's.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif


/// Failures of the streaming reader: a MIME limit, or the source itself.
public enum StreamingError: Error, Sendable, CustomStringConvertible {
    case mime(MIMEError)
    case source(SourceError)

    public var description: String {
        switch self {
        case .mime(let e): return e.description
        case .source(let e): return e.description
        }
    }
}

/// A header block read on its own.
public struct StreamedHeader: Sendable {
    /// A message made of the header block alone (no body), for header access.
    public let message: Message
    /// Where the body starts in the source.
    public let bodyStart: Int
    public var part: MIMEPart { message.root }
}

/// A multipart body split by the streaming scanner.
public struct StreamedSplit: Sendable, Equatable {
    /// The parts, as offsets into the source; each excludes the line end before the next delimiter.
    public var parts: [Range<Int>] = []
    public var preamble: Range<Int>?
    /// nil when there was no close delimiter.
    public var epilogue: Range<Int>?

    public init(parts: [Range<Int>] = [], preamble: Range<Int>? = nil, epilogue: Range<Int>? = nil) {
        self.parts = parts
        self.preamble = preamble
        self.epilogue = epilogue
    }
}

/// How line ends are written when a part is fed onward.
public enum LineEndForm: Sendable {
    /// Every bare LF and bare CR becomes CRLF (RFC 8551 3.1.1), as `Canonical.crlf`.
    case crlf
    /// Every line end becomes a bare LF.
    case lf
}

public enum StreamingReader {
    /// Chunk size of every read: the memory a scan holds, whatever the message size.
    public static let defaultChunkSize = 1 << 20

    /// Reads the header block of the entity starting at `start` (and ending at `end`).
    /// `defaultType` is what an entity without Content-Type is.
    public static func header(of source: ByteSource, start: Int = 0, end: Int? = nil, isRoot: Bool,
                              digestChild: Bool = false, limits: MIMELimits) throws(StreamingError) -> StreamedHeader {
        let stop = min(end ?? source.count, source.count)
        let lo = min(max(start, 0), stop)
        // More than the header limit: a block that does not end inside it is too large anyway.
        let available = stop - lo
        let want = min(available, limits.maxHeaderBytes + 4096)
        let prefix: [UInt8]
        do { prefix = try source.bytes(lo..<(lo + want)) } catch { throw .source(error) }
        let hb: PartParser.HeaderBlock
        do {
            hb = try prefix.withUnsafeBufferPointer { buf throws(MIMEError) in
                try PartParser(buf: buf, limits: limits).parseHeaders(start: 0, end: buf.count, isRoot: isRoot)
            }
        } catch { throw .mime(error) }
        if hb.bodyStart >= want && want < available {
            throw .mime(.headerTooLarge(limit: limits.maxHeaderBytes))
        }
        let headerBytes = Array(prefix[0..<min(hb.bodyStart, prefix.count)])
        let message: Message
        do {
            message = try Message(headerBlock: headerBytes, isRoot: isRoot,
                                  defaultType: digestChild ? .messageRFC822 : .textPlainDefault, limits: limits)
        } catch { throw .mime(error) }
        return StreamedHeader(message: message, bodyStart: lo + hb.bodyStart)
    }

    /// Splits the multipart body `body` at RFC 2046 delimiter lines for `boundary`,
    /// as `PartParser.splitMultipart` does, reading the source a chunk at a time.
    /// Stops at the close delimiter; throws when more than `maxParts` parts are found.
    public static func splitMultipart(_ source: ByteSource, body: Range<Int>, boundary: [UInt8], maxParts: Int,
                                      chunkSize: Int = defaultChunkSize) throws(StreamingError) -> StreamedSplit {
        var scanner = DelimiterScanner(pattern: [DASH, DASH] + boundary, body: body, maxParts: maxParts)
        do {
            try source.forEachChunk(body, chunkSize: chunkSize) { (chunk, offset) throws(SourceError) -> Bool in
                scanner.scan(chunk, at: offset)
                return !scanner.done
            }
        } catch { throw .source(error) }
        let split = scanner.finish()
        if let e = scanner.failure { throw .mime(e) }
        return split
    }

    /// Calls `sink` with the bytes of `range` in chunks, line ends rewritten to `form`.
    public static func feed(_ source: ByteSource, range: Range<Int>, form: LineEndForm, chunkSize: Int = defaultChunkSize,
                            _ sink: (UnsafeRawBufferPointer) -> Bool) throws(SourceError) {
        let size = max(1, chunkSize)
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * size + 2, alignment: 16)
        defer { out.deallocate() }
        guard let o = out.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var pendingCR = false
        var failed = false
        try source.forEachChunk(range, chunkSize: size) { (chunk, _) throws(SourceError) -> Bool in
            guard let b = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return true }
            let n = chunk.count
            var i = 0, w = 0
            @inline(__always) func eol() {
                if form == .crlf { o[w] = CR; w += 1 }
                o[w] = LF; w += 1
            }
            @inline(__always) func copy(_ from: Int, _ to: Int) {
                if to > from { memcpy(o + w, b + from, to - from); w += to - from }
            }
            if pendingCR, n > 0 {
                // A CR at the end of the last chunk: its LF, if any, is here.
                if b[0] == LF { i = 1 }
                pendingCR = false
            }
            while i < n {
                let lf = memchr(b + i, Int32(LF), n - i).map { UnsafeRawPointer($0) - UnsafeRawPointer(b) } ?? n
                if let crp = memchr(b + i, Int32(CR), lf - i) {
                    let cr = UnsafeRawPointer(crp) - UnsafeRawPointer(b)
                    copy(i, cr)
                    eol()
                    i = cr + 1
                    if i < n {
                        if b[i] == LF { i += 1 }
                    } else {
                        pendingCR = true
                    }
                    continue
                }
                copy(i, lf)
                if lf < n { eol(); i = lf + 1 } else { i = n }
            }
            if !sink(UnsafeRawBufferPointer(start: o, count: w)) { failed = true; return false }
            return true
        }
        if failed { throw SourceError("the content could not be passed on") }
    }
}

/// The line-start state machine behind `StreamingReader.splitMultipart`: it
/// keeps only the state of the current line, so delimiters split across chunk
/// edges, lines longer than a chunk and a CR at a chunk's end need no buffering.
struct DelimiterScanner {
    enum Phase {
        /// Not a delimiter line: skip to the next LF.
        case none
        /// Matched this many bytes of "--boundary".
        case prefix(Int)
        /// Matched "--boundary" and one more '-'.
        case dash
        /// After "--boundary" (and "--" when closing): only transport padding may follow.
        case padding(close: Bool)
        /// A CR in the padding: only LF (or the end) may follow.
        case cr(close: Bool)
    }

    let pattern: [UInt8]
    let body: Range<Int>
    let maxParts: Int
    var phase: Phase = .prefix(0)
    var lineStart: Int
    /// The LF that ended the previous line had a CR before it.
    var lineAfterCRLF = false
    var lastByte: UInt8 = 0
    var partStart: Int?
    var split = StreamedSplit()
    var done = false
    var failure: MIMEError?

    init(pattern: [UInt8], body: Range<Int>, maxParts: Int) {
        self.pattern = pattern
        self.body = body
        self.maxParts = maxParts
        lineStart = body.lowerBound
    }

    mutating func scan(_ chunk: UnsafeRawBufferPointer, at offset: Int) {
        guard !done, let b = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let n = chunk.count
        var i = 0
        pattern.withUnsafeBufferPointer { p in
            while i < n && !done {
                if case .none = phase {
                    guard let hit = memchr(b + i, Int32(LF), n - i) else { i = n; break }
                    let at = UnsafeRawPointer(hit) - UnsafeRawPointer(b)
                    let crBefore = at > 0 ? b[at - 1] == CR : lastByte == CR
                    newLine(at: offset + at + 1, crlf: crBefore)
                    i = at + 1
                    continue
                }
                let c = b[i]
                if c == LF {
                    let crBefore = i > 0 ? b[i - 1] == CR : lastByte == CR
                    lineEnded(next: offset + i + 1)
                    if !done { newLine(at: offset + i + 1, crlf: crBefore) }
                    i += 1
                    continue
                }
                switch phase {
                case .none: break
                case .prefix(let k):
                    if k == p.count {
                        // "--boundary" seen: a '-' may start the close delimiter.
                        if c == DASH { phase = .dash } else { padding(c, close: false) }
                    } else if c == p[k] {
                        phase = .prefix(k + 1)
                    } else {
                        phase = .none
                    }
                case .dash:
                    phase = c == DASH ? .padding(close: true) : .none
                case .padding(let close):
                    padding(c, close: close)
                case .cr:
                    phase = .none
                }
                i += 1
            }
        }
        if n > 0 { lastByte = b[n - 1] }
    }

    private mutating func padding(_ c: UInt8, close: Bool) {
        if c == SP || c == HT { phase = .padding(close: close) } else if c == CR { phase = .cr(close: close) } else { phase = .none }
    }

    private mutating func newLine(at s: Int, crlf: Bool) {
        lineStart = s
        lineAfterCRLF = crlf
        phase = .prefix(0)
    }

    /// Whether the current line, ended by an LF or the end of the body, is a delimiter.
    private var delimiterState: Bool? {
        switch phase {
        case .prefix(let k): return k == pattern.count ? false : nil
        case .padding(let close), .cr(let close): return close
        case .none, .dash: return nil
        }
    }

    private mutating func lineEnded(next: Int) {
        guard let isClose = delimiterState else { return }
        let regionStart = partStart ?? body.lowerBound
        // The line end before the delimiter belongs to the delimiter.
        var contentEnd = lineStart
        if contentEnd > regionStart {
            contentEnd -= 1
            if lineAfterCRLF && contentEnd > regionStart { contentEnd -= 1 }
        }
        if let ps = partStart {
            split.parts.append(ps..<contentEnd)
            if split.parts.count > maxParts {
                failure = .tooManyParts(limit: maxParts)
                done = true
                return
            }
        } else {
            split.preamble = body.lowerBound..<contentEnd
        }
        if isClose {
            split.epilogue = next..<body.upperBound
            done = true
            return
        }
        partStart = next
    }

    mutating func finish() -> StreamedSplit {
        // The last line had no LF.
        if !done { lineEnded(next: body.upperBound) }
        if split.epilogue == nil && failure == nil {
            if let ps = partStart { split.parts.append(ps..<body.upperBound) } else { split.preamble = body }
        }
        return split
    }
}
