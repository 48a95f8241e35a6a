// Writing a file whole or not at all, for the command line's outputs and a
// server's deliveries alike: one write loop, one fsync, one rename.
import Foundation
import SMIME

/// Writes a file whole or not at all: a temporary file in the same directory, then rename(2).
public enum AtomicFile {
    /// Why a file could not be written, in strerror's words.
    public struct Failure: Error, Sendable, Equatable {
        public let path: String
        public let why: String
        /// False when the file could not even be made (the directory takes no files).
        public let created: Bool
    }

    /// Creates `path` (it must not exist), writes all of `bytes` and syncs them to disk;
    /// on failure nothing is left at `path`.
    public static func writeNew(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(path: path, why: String(cString: strerror(errno)), created: false) }
        var ok = true
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { ok = false; break }
            offset += n
        }
        if ok && fsync(fd) != 0 { ok = false }
        let why = String(cString: strerror(errno))
        close(fd)
        if !ok {
            unlink(path)
            throw Failure(path: path, why: why, created: true)
        }
    }

    /// `bytes` at `path`, replacing what was there only once they are all on disk.
    /// - Parameter tracked: the temporary file is removed if SIGINT or SIGTERM comes
    ///   meanwhile (`InterruptCleanup`; one file at a time, for a command line).
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, tracked: Bool = true) throws(Failure) {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent().path + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        if tracked { InterruptCleanup.track(temp) }
        defer { if tracked { InterruptCleanup.track(nil) } }
        do { try writeNew(bytes, to: temp, mode: mode) } catch { throw Failure(path: path, why: error.why, created: error.created) }
        guard rename(temp, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temp)
            throw Failure(path: path, why: why, created: true)
        }
    }
}

/// SIGINT and SIGTERM remove the temporary file being written, so an interrupted
/// run leaves either the whole output or nothing. The path lives in a fixed C
/// buffer because a signal handler may only call async-signal-safe functions.
public enum InterruptCleanup {
    nonisolated(unsafe) static let path: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
        p.initialize(repeating: 0, count: Int(PATH_MAX) + 1)
        return p
    }()

    public static func install() {
        _ = path
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig) { sig in
                if InterruptCleanup.path.pointee != 0 { unlink(InterruptCleanup.path) }
                signal(sig, SIG_DFL)
                raise(sig)
            }
        }
    }

    /// The file to remove on interruption (nil: none).
    public static func track(_ file: String?) {
        path.pointee = 0
        guard let file, file.utf8.count <= Int(PATH_MAX) else { return }
        file.withCString { c in
            // The first byte goes in last, so a handler sees either no path or all of it.
            let n = strlen(c)
            (path + 1).update(from: c + 1, count: n)
            path.pointee = c.pointee
        }
    }

    /// The file that would be removed now, if any.
    public static var tracked: String? { path.pointee == 0 ? nil : String(cString: path) }
}
