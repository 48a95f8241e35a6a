// Reading a message or request, and writing the result without ever leaving a
// half-written file.
import Foundation
import MailScan
import SMIME

/// Reading a message or request, and writing the result to a file or standard output.
enum MessageFiles {
    static func read(_ path: String?) throws -> [UInt8] {
        let item: InputItem = path.map { $0 == "-" ? .stdin : .file(RawArguments.recover($0)) } ?? .stdin
        switch InputReader.read(item, maxBytes: 256 << 20) {
        case .success(let b): return b
        case .failure(let f): throw EngineError.unreadable(path ?? "-", f.text)
        }
    }

    static func emit(_ bytes: [UInt8], to output: String?) throws {
        if let output {
            try AtomicFile.write(bytes, to: output)
        } else {
            StandardOutput.shared.write(bytes: bytes)
            StandardOutput.shared.flush()
        }
    }
}

/// Writes a file whole or not at all: a temporary file in the same directory, then rename(2).
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        let temp = dir + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        InterruptCleanup.track(temp)
        defer { InterruptCleanup.track(nil) }
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EngineError.unreadable(path, "cannot write here: \(String(cString: strerror(errno)))") }
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
        guard ok, rename(temp, path) == 0 else {
            unlink(temp)
            throw EngineError.unreadable(path, "cannot write: \(why)")
        }
    }
}

/// SIGINT and SIGTERM remove the temporary file being written, so an interrupted
/// run leaves either the whole output or nothing. The path lives in a fixed C
/// buffer because a signal handler may only call async-signal-safe functions.
enum InterruptCleanup {
    nonisolated(unsafe) static let path: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(PATH_MAX) + 1)
        p.initialize(repeating: 0, count: Int(PATH_MAX) + 1)
        return p
    }()

    static func install() {
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
    static func track(_ file: String?) {
        path.pointee = 0
        guard let file, file.utf8.count <= Int(PATH_MAX) else { return }
        file.withCString { c in
            // The first byte goes in last, so a handler sees either no path or all of it.
            let n = strlen(c)
            (path + 1).update(from: c + 1, count: n)
            path.pointee = c.pointee
        }
    }
}
