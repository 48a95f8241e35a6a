// Turning command-line operands into a stream of messages: files, directories
// walked in sorted order, "-" for a message on standard input, or a list of
// paths piped in (as `find` prints them) when no operand is given.
import Foundation
import MIME

enum InputItem {
    /// A path, with what stat(2) said of it when the walk met it (nil: not known).
    case file(String, stamp: FileStamp? = nil)
    case stdin
    /// An operand that could not be used (missing file, unreadable directory).
    case bad(String, String)

    var isStandardInput: Bool {
        if case .stdin = self { return true }
        return false
    }

    var displayPath: String {
        switch self {
        case .file(let p, _): return p
        case .stdin: return "-"
        case .bad(let p, _): return p
        }
    }
}

/// Yields input items lazily, so a walk over a million files holds one directory listing at a time.
struct InputWalk: Sequence, IteratorProtocol {
    private var operands: [String]
    private var pending: [InputItem] = []
    /// Directories being walked; `fd` (or -1) lets each entry be stat'ed relative to
    /// its directory, without the kernel walking the whole path again.
    private var stack: [(dir: String, fd: Int32, names: [String], next: Int)] = []
    private var pathList: PathListReader?

    init(operands: [String], stdinIsTerminal: Bool) {
        if operands.isEmpty && !stdinIsTerminal {
            pathList = PathListReader(handle: FileHandle.standardInput)
        }
        self.operands = operands.reversed()
    }

    mutating func next() -> InputItem? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if var top = stack.popLast() {
                if top.next < top.names.count {
                    let name = top.names[top.next]
                    top.next += 1
                    stack.append(top)
                    let path = top.dir.hasSuffix("/") ? top.dir + name : top.dir + "/" + name
                    if let item = classify(path, fromWalk: true, in: top.fd, name: name) { return item }
                } else if top.fd >= 0 {
                    close(top.fd)
                }
                continue
            }
            if var reader = pathList {
                let line = reader.next()
                pathList = reader
                guard let line else { pathList = nil; return nil }
                if line.isEmpty { continue }
                if let item = classify(line, fromWalk: false) { return item }
                continue
            }
            guard let op = operands.popLast() else { return nil }
            if op == "-" { return .stdin }
            if let item = classify(op, fromWalk: false) { return item }
        }
    }

    /// A file is returned; a directory is pushed for walking (nil returned).
    private mutating func classify(_ path: String, fromWalk: Bool, in directory: Int32 = -1, name: String = "") -> InputItem? {
        var st = stat()
        // Inside a walk, do not follow links to directories (loops); operands are followed.
        let rc = fromWalk
            ? (directory >= 0 ? fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) : lstat(path, &st))
            : stat(path, &st)
        if rc != 0 {
            return .bad(path, String(cString: strerror(errno)))
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK {
            var target = stat()
            if stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG { return .file(path, stamp: FileStamp(target)) }
            return nil
        }
        if type == S_IFDIR {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                return .bad(path, "cannot list the directory")
            }
            stack.append((path, open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), names.filter { !$0.hasPrefix(".") }.sorted(), 0))
            return nil
        }
        if type == S_IFREG { return .file(path, stamp: FileStamp(st)) }
        return fromWalk ? nil : .file(path) // named pipes and devices are read if named explicitly
    }
}

/// Paths from standard input, one a line, or NUL-separated when a NUL is seen.
struct PathListReader {
    let handle: FileHandle
    var buffer: [UInt8] = []
    var eof = false
    var nulSeparated = false

    init(handle: FileHandle) { self.handle = handle }

    mutating func next() -> String? {
        while true {
            if let i = buffer.firstIndex(where: { $0 == 0 || (!nulSeparated && $0 == 0x0A) }) {
                if buffer[i] == 0 { nulSeparated = true }
                var line = Array(buffer[..<i])
                buffer.removeFirst(i + 1)
                if !nulSeparated, line.last == 0x0D { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            if eof {
                if buffer.isEmpty { return nil }
                defer { buffer = [] }
                return String(decoding: buffer, as: UTF8.self)
            }
            let chunk = handle.availableData
            if chunk.isEmpty { eof = true } else { buffer += chunk }
        }
    }
}

enum InputReader {
    /// Reads a whole message, refusing files above `maxBytes`.
    static func read(_ item: InputItem, maxBytes: Int) -> Result<[UInt8], InputFailure> {
        switch item {
        case .bad(_, let why): return .failure(InputFailure(why))
        case .stdin:
            let data = FileHandle.standardInput.readDataToEndOfFile()
            if data.count > maxBytes { return .failure(InputFailure("larger than --max-message-size \(maxBytes) bytes")) }
            return .success([UInt8](data))
        case .file(let path, _):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return .failure(InputFailure(String(cString: strerror(errno)))) }
            defer { close(fd) }
            var st = stat()
            if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFDIR { return .failure(InputFailure("is a directory")) }
            let size = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG ? Int(st.st_size) : 0
            if size > maxBytes { return .failure(InputFailure("\(size) bytes, larger than --max-message-size \(maxBytes)")) }
            var out = [UInt8]()
            out.reserveCapacity(size)
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    return .failure(InputFailure(String(cString: strerror(errno))))
                }
                if n == 0 { break }
                out += chunk[0..<n]
                if out.count > maxBytes { return .failure(InputFailure("larger than --max-message-size \(maxBytes) bytes")) }
            }
            return .success(out)
        }
    }

    static func modificationDate(_ item: InputItem) -> Date? {
        guard case .file(let path, _) = item else { return nil }
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
    }
}

struct InputFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
