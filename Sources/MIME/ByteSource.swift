// Messages too large to hold in memory are read through a ByteSource: random
// access reads of fixed-size chunks, so memory stays bounded by the chunk size
// however large the file is.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a source could not be read to the end as it was when opened.
public struct SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }

    public static let changed = SourceError("changed while being read; run again")
}

/// Bytes read by offset. Reads never go past `count`, which is fixed when the
/// source is opened.
public protocol ByteSource: AnyObject, Sendable {
    var count: Int { get }
    /// Fills `buffer` from `offset` on, or up to `count`; returns the bytes read.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(SourceError) -> Int
    /// Throws when the source is no longer what it was when opened.
    func checkUnchanged() throws(SourceError)
}

extension ByteSource {
    /// The bytes of `range`, clamped to the source. Only for small ranges.
    public func bytes(_ range: Range<Int>) throws(SourceError) -> [UInt8] {
        let lo = min(max(range.lowerBound, 0), count)
        let hi = min(max(range.upperBound, lo), count)
        var out = [UInt8](repeating: 0, count: hi - lo)
        var n = 0
        var failure: SourceError?
        out.withUnsafeMutableBytes { raw in
            do throws(SourceError) { n = try read(at: lo, into: raw) } catch { failure = error }
        }
        if let failure { throw failure }
        if n != hi - lo { throw .changed }
        return out
    }

    /// Calls `body` with consecutive chunks of `range` (each at most `chunkSize`
    /// bytes) and the offset of each; `body` returns false to stop early.
    public func forEachChunk(_ range: Range<Int>, chunkSize: Int,
                             _ body: (UnsafeRawBufferPointer, Int) throws(SourceError) -> Bool) throws(SourceError) {
        let lo = min(max(range.lowerBound, 0), count)
        let hi = min(max(range.upperBound, lo), count)
        let size = max(1, chunkSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
        defer { buffer.deallocate() }
        var offset = lo
        while offset < hi {
            let want = min(size, hi - offset)
            let n = try read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
            if n != want { throw .changed }
            if try !body(UnsafeRawBufferPointer(rebasing: buffer[0..<want]), offset) { return }
            offset += want
        }
    }
}

/// A regular file, read with pread so that concurrent readers need no locking.
public final class FileSource: ByteSource, Sendable {
    public let path: String
    public let count: Int
    /// The file as it was when opened.
    public let fingerprint: FileStamp
    private let fd: Int32

    /// Opens a regular file; throws (with the reason) for anything else. The open
    /// does not block: a FIFO swapped in for the file is refused, not waited on.
    public convenience init(path: String) throws(SourceError) {
        try self.init(descriptor: PathCalls.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY), name: path)
    }

    /// A regular file already open (a spooled, unlinked temporary file, say); the
    /// descriptor is duplicated, so the caller keeps its own.
    public convenience init(duplicating descriptor: Int32, name: String) throws(SourceError) {
        try self.init(descriptor: dup(descriptor), name: name)
    }

    /// Takes over `fd` (from open or dup; -1 with errno set when that failed).
    private init(descriptor fd: Int32, name: String) throws(SourceError) {
        guard fd >= 0 else { throw SourceError(String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw SourceError("not a regular file")
        }
        // Regular files ignore O_NONBLOCK; cleared so that reads are plain reads.
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        self.path = name
        self.fd = fd
        self.count = Int(st.st_size)
        self.fingerprint = FileStamp(st)
    }

    deinit { close(fd) }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(SourceError) -> Int {
        guard offset >= 0, offset <= count, let base = buffer.baseAddress else { return 0 }
        let want = min(buffer.count, count - offset)
        var got = 0
        while got < want {
            let n = pread(fd, base + got, want - got, off_t(offset + got))
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError(String(cString: strerror(errno)))
            }
            // Shorter than when it was opened.
            if n == 0 { throw .changed }
            got += n
        }
        return got
    }

    public func checkUnchanged() throws(SourceError) {
        var st = stat()
        guard fstat(fd, &st) == 0, FileStamp(st) == fingerprint else { throw .changed }
    }
}

/// Bytes in memory as a source: for tests, and for callers that already hold them.
public final class MemorySource: ByteSource, Sendable {
    public let storage: [UInt8]
    public var count: Int { storage.count }

    public init(_ bytes: [UInt8]) { storage = bytes }

    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(SourceError) -> Int {
        guard offset >= 0, offset <= storage.count else { return 0 }
        let n = min(buffer.count, storage.count - offset)
        storage.withUnsafeBytes { raw in
            if n > 0, let dst = buffer.baseAddress, let src = raw.baseAddress {
                memcpy(dst, src + offset, n)
            }
        }
        return n
    }

    public func checkUnchanged() throws(SourceError) {}
}
