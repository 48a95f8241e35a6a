// What identifies a file's contents without reading them. The streaming reader
// uses it to notice a file rewritten while it is read, the result cache to know
// a file unchanged since it was last read.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What stat(2) says of a regular file. While all of it stays the same, so do the
/// file's bytes: the assumption make, rsync and git's index rest on. The change
/// time is part of it because every write moves it and, unlike the modification
/// time, no utimes(2) call can set it back.
public struct FileStamp: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var changedNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, modifiedNanoseconds: Int64, changedNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanoseconds = modifiedNanoseconds
        self.changedNanoseconds = changedNanoseconds
    }

    /// The stamp of the regular file at `path` (links followed); nil for anything else.
    public init?(path: String) {
        var st = stat()
        guard PathCalls.stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        self.init(st)
    }

    public init(_ st: stat) {
        #if canImport(Darwin)
        let m = st.st_mtimespec, c = st.st_ctimespec
        #else
        let m = st.st_mtim, c = st.st_ctim
        #endif
        self.init(device: UInt64(truncatingIfNeeded: st.st_dev), inode: UInt64(truncatingIfNeeded: st.st_ino),
                  size: Int64(st.st_size),
                  modifiedNanoseconds: Int64(m.tv_sec) &* 1_000_000_000 &+ Int64(m.tv_nsec),
                  changedNanoseconds: Int64(c.tv_sec) &* 1_000_000_000 &+ Int64(c.tv_nsec))
    }
}
