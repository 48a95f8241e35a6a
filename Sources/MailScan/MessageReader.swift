// Reading one message: whole into memory with one read call, or, above the
// in-memory limit, as an open file that is streamed; standard input spooled.
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

/// The SHA-256 of a message's bytes: the result store's key, and what its Email
/// id is made of.
public struct MessageDigest: Hashable, Sendable, CustomStringConvertible {
    public let hex: String
    public init(hex: String) { self.hex = hex }

    public static func of(_ bytes: [UInt8]) -> MessageDigest { MessageDigest(hex: Digest.sha256Hex(bytes)) }

    /// The RFC 8620 id of the Email with these bytes.
    public var emailID: String { EmailID.make(digestHex: hex) }
    public var description: String { hex }
}

/// One message read from its input and named by its digest.
public struct ReadMessage: Sendable {
    public let item: InputItem
    /// The cache key's first half, and the id.
    public let digest: MessageDigest
    public let size: Int
    /// Kept only for small messages, so a batch of large ones does not pile up in
    /// memory; a dropped one is read again when it must be verified.
    public var bytes: [UInt8]?
    /// Set when the caller already parsed it (query does, for its filter).
    public var message: Message?
    /// Set for a message above the in-memory limit: it is streamed from this open file,
    /// never read whole, and must not change before it is verified.
    public var source: FileSource? = nil
    /// The store's current verdict as read with the file's directory (nil: not read so; see StampPrefetch).
    var prefetched: PrefetchedVerdict? = nil

    public init(item: InputItem, digest: MessageDigest, size: Int, bytes: [UInt8]?, message: Message? = nil, source: FileSource? = nil) {
        self.item = item
        self.digest = digest
        self.size = size
        self.bytes = bytes
        self.message = message
        self.source = source
    }

    public var id: String { digest.emailID }

    /// Bytes up to this size stay in memory between the phases of a batch.
    public static let keepLimit = 256 << 10

    public static func read(_ item: InputItem, maxBytes: Int, streamAbove: Int) -> Result<ReadMessage, InputFailure> {
        // A file the walk saw small is opened at once, and its fstat decides: only one
        // grown past the limit since goes the streaming way (a stat by path saved per file).
        if case .file(_, let stamp?) = item, stamp.size <= Int64(streamAbove),
           let read = FileBytes.read(item, maxBytes: maxBytes, unlessAbove: streamAbove) {
            return read.map { bytes in
                ReadMessage(item: item, digest: .of(bytes), size: bytes.count, bytes: bytes.count <= keepLimit ? bytes : nil)
            }
        }
        switch LargeFile.open(item, above: streamAbove, maxBytes: maxBytes) {
        case nil: break
        case .failure(let f)?: return .failure(f)
        case .success(.large(let source))?:
            return LargeFile.digest(source).map { digest in
                ReadMessage(item: item, digest: digest, size: source.count, bytes: nil, source: source)
            }
        case .success(.bytes(let bytes))?:
            // Standard input cannot be read twice: its bytes are always kept.
            return .success(ReadMessage(item: item, digest: .of(bytes), size: bytes.count, bytes: bytes))
        }
        return FileBytes.read(item, maxBytes: maxBytes).map { bytes in
            ReadMessage(item: item, digest: .of(bytes), size: bytes.count,
                        bytes: bytes.count <= keepLimit ? bytes : nil)
        }
    }
}

/// Messages above --max-in-memory-size: never read whole, but streamed by the engine.
public enum LargeFile {
    public enum Input {
        /// Standard input that fitted in memory (it cannot be read again).
        case bytes([UInt8])
        case large(FileSource)
    }

    /// A regular file of more than `limit` bytes as a source, and standard input
    /// either in memory or, when larger than `limit`, spooled to an unlinked
    /// temporary file; nil for a file that is read whole as before.
    public static func open(_ item: InputItem, above limit: Int, maxBytes: Int) -> Result<Input, InputFailure>? {
        switch item {
        case .stdin: return spoolStandardInput(above: limit, maxBytes: maxBytes)
        case .bad: return nil
        case .file: return source(item, above: limit, maxBytes: maxBytes).map { $0.map(Input.large) }
        }
    }

    public static func spoolStandardInput(above limit: Int, maxBytes: Int) -> Result<Input, InputFailure> {
        let tooLarge = InputFailure(.tooLarge(size: nil, limit: maxBytes))
        // What was read to tell a message from a list of paths comes first.
        var kept = StandardInputPushback.take()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        func next() -> Int {
            while true {
                let n = chunk.withUnsafeMutableBytes { Foundation.read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                return n
            }
        }
        while kept.count <= limit {
            let n = next()
            if n < 0 { return .failure(InputFailure(.unreadable(errno: errno))) }
            if n == 0 { return kept.count > maxBytes ? .failure(tooLarge) : .success(.bytes(kept)) }
            kept += chunk[0..<n]
        }
        // Too large for memory: everything goes to a file that only this process can reach.
        var template = Array((NSTemporaryDirectory() + "/smimekit-stdin-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return .failure(InputFailure(.cannotSpool(errno: errno))) }
        // Unlinked at once: the open file stays readable, and goes with the process.
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        defer { close(fd) }
        func write(_ bytes: ArraySlice<UInt8>) -> Bool {
            var offset = bytes.startIndex
            while offset < bytes.endIndex {
                let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + (offset - bytes.startIndex), bytes.endIndex - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        var total = kept.count
        guard total <= maxBytes else { return .failure(tooLarge) }
        guard write(kept[...]) else { return .failure(InputFailure(.cannotSpool(errno: errno))) }
        kept = []
        while true {
            let n = next()
            if n < 0 { return .failure(InputFailure(.unreadable(errno: errno))) }
            if n == 0 { break }
            total += n
            if total > maxBytes { return .failure(tooLarge) }
            guard write(chunk[0..<n]) else { return .failure(InputFailure(.cannotSpool(errno: errno))) }
        }
        do throws(SourceError) {
            return .success(.large(try FileSource(duplicating: fd, name: "-")))
        } catch {
            return .failure(InputFailure(.source(error)))
        }
    }

    /// The file behind `item` when it is a regular file of more than `limit` bytes;
    /// nil for anything that is read whole.
    public static func source(_ item: InputItem, above limit: Int, maxBytes: Int) -> Result<FileSource, InputFailure>? {
        guard case .file(let path, _) = item else { return nil }
        var st = stat()
        guard PathCalls.stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int(st.st_size) > limit else { return nil }
        let source: FileSource
        do throws(SourceError) { source = try FileSource(path: path) } catch { return .failure(InputFailure(.source(error))) }
        // Shrank since the stat: read whole, as any small file.
        guard source.count > limit else { return nil }
        if source.count > maxBytes {
            return .failure(InputFailure(.tooLarge(size: source.count, limit: maxBytes)))
        }
        return .success(source)
    }

    /// The id digest (SHA-256 of every byte), read a chunk at a time.
    public static func digest(_ source: FileSource) -> Result<MessageDigest, InputFailure> {
        do throws(SourceError) {
            return .success(MessageDigest(hex: try Digest.sha256Hex(source: source)))
        } catch {
            return .failure(InputFailure(.source(error)))
        }
    }
}

/// Asks the kernel to start reading a batch's files before the workers read them
/// one by one: on a cold page cache (a maildir scanned for the first time) the
/// reads then overlap each other and the verification, instead of each worker
/// waiting on the disk in turn. Only files the walk saw as small enough to be
/// read whole are hinted.
///
/// A batch whose first and last files are already in the page cache (a corpus
/// read moments ago, a maildir scanned before) is not hinted: a hint opens and
/// closes each file once more, which costs about as much as reading a small
/// one, and there is nothing to wait for (issue 17: 4% of a cold verify).
public enum ReadAhead {
    public static func hint(_ indices: some Sequence<Int>, of batch: [InputItem], below limit: Int) {
        #if os(Linux)
        let files: [(path: String, size: Int64)] = indices.compactMap { i in
            guard case .file(let path, let stamp?) = batch[i], stamp.size > 0, stamp.size <= Int64(limit) else { return nil }
            return (path, stamp.size)
        }
        guard let first = files.first, let last = files.last else { return }
        if resident(first.path, size: first.size) && (files.count == 1 || resident(last.path, size: last.size)) { return }
        for (path, size) in files {
            let fd = PathCalls.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, off_t(size), POSIX_FADV_WILLNEED)
            close(fd)
        }
        #endif
    }

    #if os(Linux)
    /// Whether every page of the file is in the page cache (false when that cannot be told).
    static func resident(_ path: String, size: Int64) -> Bool {
        let fd = PathCalls.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let length = Int(size)
        guard let map = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else { return false }
        defer { munmap(map, length) }
        let page = max(1, Int(sysconf(Int32(_SC_PAGESIZE))))
        var pages = [UInt8](repeating: 0, count: (length + page - 1) / page)
        guard mincore(map, length, &pages) == 0 else { return false }
        return pages.allSatisfy { $0 & 1 != 0 }
    }
    #endif
}

/// Reads a regular file with one allocation of its size and one read call,
/// which matters when a warm run does little else per message; anything else
/// (standard input, a file that changes size while read) goes to InputReader.
public enum FileBytes {
    public static func read(_ item: InputItem, maxBytes: Int) -> Result<[UInt8], InputFailure> {
        // Without a limit the read always happens.
        read(item, maxBytes: maxBytes, unlessAbove: nil)!
    }

    /// As `read(_:maxBytes:)`, but nil, with nothing read, when the opened regular
    /// file has more than `limit` bytes (for the caller to stream it instead).
    static func read(_ item: InputItem, maxBytes: Int, unlessAbove limit: Int?) -> Result<[UInt8], InputFailure>? {
        guard case .file(let path, _) = item else { return InputReader.read(item, maxBytes: maxBytes) }
        let (fd, st): (Int32, stat)
        switch InputFile.openRegular(path) {
        case .failure(let e): return .failure(InputFailure(e))
        case .success(let opened): (fd, st) = opened
        }
        defer { close(fd) }
        if let limit, Int(st.st_size) > limit { return nil }
        guard Int(st.st_size) <= maxBytes else {
            return .failure(InputFailure(.tooLarge(size: Int(st.st_size), limit: maxBytes)))
        }
        let size = Int(st.st_size)
        var complete = false
        // One byte more than the size, to notice a file that grew.
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count <= size {
                let n = Foundation.read(fd, buffer.baseAddress! + count, size + 1 - count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    complete = n == 0 && count == size
                    return
                }
                count += n
            }
        }
        return complete ? .success(bytes) : InputReader.read(item, maxBytes: maxBytes)
    }
}
