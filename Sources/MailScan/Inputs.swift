// Turning command-line operands into a stream of messages: files, directories
// walked in sorted order, "-" for a message on standard input, or a list of
// paths piped in (as `find` prints them) when no operand is given.
import Foundation
import MIME
import ResultStore

public enum InputItem: Sendable {
    /// A path, with what stat(2) said of it when the walk met it (nil: not known).
    case file(String, stamp: FileStamp? = nil)
    case stdin
    /// An operand that could not be used (missing file, unreadable directory, a FIFO).
    case bad(String, InputError)

    public var isStandardInput: Bool {
        if case .stdin = self { return true }
        return false
    }

    public var displayPath: String {
        switch self {
        case .file(let p, _): return p
        case .stdin: return "-"
        case .bad(let p, _): return p
        }
    }
}

/// Yields input items lazily, so a walk over a million files holds one directory listing at a time.
public struct InputWalk: Sequence, IteratorProtocol, Sendable {
    private var operands: [String]
    private var pending: [InputItem] = []
    /// Directories being walked; `fd` (or -1) lets each entry be stat'ed relative to
    /// its directory, without the kernel walking the whole path again.
    /// `maildir`: a maildir's own directory, whose files are its control files, not mail.
    /// `prefix`: the directory's path with the '/' its entries' paths add.
    private var stack: [(prefix: String, fd: Int32, names: [String], next: Int, maildir: Bool)] = []
    private var pathList: PathListReader?

    /// With no operand, standard input (not a terminal) is one message when it
    /// starts like one (see `PathListReader.startsLikeMessage`), else a list of paths.
    public init(operands: [String], stdinIsTerminal: Bool) {
        if operands.isEmpty && !stdinIsTerminal {
            var reader = PathListReader(fd: STDIN_FILENO)
            if reader.startsLikeMessage() {
                StandardInputPushback.put(reader.buffer)
                pending = [.stdin]
            } else {
                pathList = reader
            }
        }
        self.operands = operands.reversed()
    }

    public mutating func next() -> InputItem? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if var top = stack.popLast() {
                if top.next < top.names.count {
                    let name = top.names[top.next]
                    top.next += 1
                    stack.append(top)
                    let path = top.prefix + name
                    if let item = classify(path, fromWalk: true, in: top.fd, name: name) {
                        if top.maildir, case .file = item { continue }
                        return item
                    }
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
            ? (directory >= 0 ? Self.statEntry(directory, name, &st) : PathCalls.lstat(path, &st))
            : PathCalls.stat(path, &st)
        if rc != 0 {
            return .bad(path, .unreadable(errno: errno))
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK {
            var target = stat()
            if PathCalls.stat(path, &target) == 0, target.st_mode & S_IFMT == S_IFREG { return .file(path, stamp: FileStamp(target)) }
            return nil
        }
        if type == S_IFDIR {
            // Listed with readdir(3): names are bytes, UTF-8 or not (see PathBytes).
            let fd = PathCalls.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0, let names = Self.names(in: fd) else {
                if fd >= 0 { close(fd) }
                return .bad(path, .cannotList)
            }
            let maildir = Self.isMaildir(fd)
            stack.append((path.hasSuffix("/") ? path : path + "/", fd, Self.walked(names, maildir: maildir, fd: fd).sorted(), 0, maildir))
            return nil
        }
        if type == S_IFREG { return .file(path, stamp: FileStamp(st)) }
        // A FIFO would block the run until some writer comes, a device never ends:
        // a walk passes them by, a path named or listed gets an error line.
        return fromWalk ? nil : .bad(path, .notRegular(FileKind(mode: st.st_mode)))
    }
}

extension InputWalk {
    /// The names in a directory (not . and ..), as `PathCalls.names(in:)` gives
    /// them, with an ASCII name (nearly every one in a maildir) made a String
    /// straight from its bytes: through `PathBytes.string` (an array, a search,
    /// UTF-8 validation) the names were a third of a warm walk's own time.
    static func names(in directory: Int32) -> [String]? {
        let copy = dup(directory)
        guard copy >= 0, let dir = fdopendir(copy) else {
            if copy >= 0 { close(copy) }
            return nil
        }
        defer { closedir(dir) }
        rewinddir(dir)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var names: [String] = []
        while let entry = readdir(dir) {
            let start = UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: UInt8.self)
            let bytes = UnsafeBufferPointer(start: start, count: strlen(UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)))
            if bytes.count <= 2 && bytes.allSatisfy({ $0 == UInt8(ascii: ".") }) && !bytes.isEmpty { continue }
            names.append(bytes.allSatisfy { $0 < 0x80 } ? String(decoding: bytes, as: UTF8.self) : PathBytes.string(bytes))
        }
        return names
    }

    /// `PathCalls.fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW)`, with the
    /// search for raw bytes (see PathBytes) made on the name's bytes at once.
    static func statEntry(_ directory: Int32, _ name: String, _ st: inout stat) -> Int32 {
        let plain = name.utf8.withContiguousStorageIfAvailable { !$0.contains(0xF4) } ?? false
        guard plain else { return PathCalls.fstatat(directory, name, &st, AT_SYMLINK_NOFOLLOW) }
        return name.withCString { fstatat(directory, $0, &st, AT_SYMLINK_NOFOLLOW) }
    }

    /// A maildir, as mblaze's mdirs tells one: a directory with a `cur` directory.
    public static func isMaildir(_ fd: Int32) -> Bool {
        var st = stat()
        return fd >= 0 && fstatat(fd, "cur", &st, 0) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// The entries of a directory that a walk goes into. Dot entries are skipped.
    /// In a maildir, as mdirs and mlist read one, only the mail is: `cur`, `new`,
    /// and the folders that are maildirs themselves (Maildir++ `.Folder`s among
    /// them); `tmp` holds half-delivered mail, the files beside them are the
    /// maildir's own (dovecot-uidlist, maildirfolder, ...).
    public static func walked(_ names: [String], maildir: Bool, fd: Int32) -> [String] {
        guard maildir else { return names.filter { !$0.hasPrefix(".") } }
        return names.filter { name in
            if name == "cur" || name == "new" { return true }
            guard name != "tmp", name != ".", name != "..", fd >= 0 else { return false }
            var st = stat()
            return PathCalls.fstatat(fd, name + "/cur", &st, 0) == 0 && st.st_mode & S_IFMT == S_IFDIR
        }
    }
}

/// Paths from standard input, one a line, or NUL-separated when a NUL is seen.
public struct PathListReader: Sendable {
    public let fd: Int32
    public var buffer: [UInt8] = []
    public var eof = false
    public var nulSeparated = false

    public init(fd: Int32) { self.fd = fd }

    public mutating func next() -> String? {
        while true {
            if let i = buffer.firstIndex(where: { $0 == 0 || (!nulSeparated && $0 == 0x0A) }) {
                if buffer[i] == 0 { nulSeparated = true }
                var line = Array(buffer[..<i])
                buffer.removeFirst(i + 1)
                if !nulSeparated, line.last == 0x0D { line.removeLast() }
                return PathBytes.string(line)
            }
            if eof {
                if buffer.isEmpty { return nil }
                defer { buffer = [] }
                return PathBytes.string(buffer)
            }
            fill()
        }
    }

    /// One read(2) more into the buffer; sets `eof` at the end (or on an error).
    private mutating func fill() {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { eof = true } else { buffer += chunk[0..<n] }
            return
        }
    }

    /// Whether the input is a message rather than a list of paths (the habit of
    /// `openssl cms -verify < msg` and `gpgsm --verify < msg`): its first line is an
    /// RFC 5322 header field (a field name of printable ASCII but the colon, then a
    /// colon) and not the path of an existing file. A NUL-separated list never is;
    /// so `C:` or `dir:x/a.eml` in a list still name files when they exist.
    public mutating func startsLikeMessage() -> Bool {
        while !eof && !buffer.contains(0x0A) && !buffer.contains(0) && buffer.count < 1000 { fill() }
        let end = buffer.firstIndex { $0 == 0x0A || $0 == 0 } ?? buffer.endIndex
        if end < buffer.endIndex && buffer[end] == 0 { return false }
        var line = Array(buffer[..<end])
        if line.last == 0x0D { line.removeLast() }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              line[..<colon].allSatisfy({ (0x21...0x7E).contains($0) }) else { return false }
        var st = stat()
        let exists = (line + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { lstat($0, &st) == 0 }
        }
        return !exists
    }
}

public enum InputReader {
    /// Reads a whole message, refusing files above `maxBytes`; anything but a
    /// regular file (or standard input) is refused without being read.
    public static func read(_ item: InputItem, maxBytes: Int) -> Result<[UInt8], InputFailure> {
        switch item {
        case .bad(_, let why): return .failure(InputFailure(why))
        case .stdin:
            return readToEnd(STDIN_FILENO, prefix: StandardInputPushback.take(), sizeHint: 0, maxBytes: maxBytes)
        case .file(let path, _):
            switch InputFile.openRegular(path) {
            case .failure(let e): return .failure(InputFailure(e))
            case .success(let (fd, st)):
                defer { close(fd) }
                let size = Int(st.st_size)
                if size > maxBytes { return .failure(InputFailure(.tooLarge(size: size, limit: maxBytes))) }
                return readToEnd(fd, prefix: [], sizeHint: size, maxBytes: maxBytes)
            }
        }
    }

    /// Everything `fd` still holds, after `prefix`, in chunks, stopping as soon as
    /// it passes `maxBytes`: memory stays bounded by the limit whatever the source.
    public static func readToEnd(_ fd: Int32, prefix: [UInt8], sizeHint: Int, maxBytes: Int) -> Result<[UInt8], InputFailure> {
        var out = prefix
        if out.count > maxBytes { return .failure(InputFailure(.tooLarge(size: nil, limit: maxBytes))) }
        out.reserveCapacity(min(max(sizeHint, out.count), maxBytes))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(InputFailure(.unreadable(errno: errno)))
            }
            if n == 0 { break }
            if out.count + n > maxBytes { return .failure(InputFailure(.tooLarge(size: nil, limit: maxBytes))) }
            out += chunk[0..<n]
        }
        return .success(out)
    }

    public static func modificationDate(_ item: InputItem) -> Date? {
        guard case .file(let path, _) = item else { return nil }
        var st = stat()
        guard PathCalls.stat(path, &st) == 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(st.st_mtim.tv_sec))
    }
}

/// Why a message could not be read or verified: always typed, so that a caller
/// (the command line, a JMAP server) says it in its own words.
public struct InputFailure: Error, Sendable, Equatable {
    public let error: InputError
    public init(_ error: InputError) { self.error = error }

    /// The engine's own words, without any caller's option names.
    public var reason: String { error.description }
    /// What would let the message be read, if anything.
    public var remedy: Remedy? { error.remedy }
}

/// What the user (or a server's operator) can change so that a message is read:
/// the command line names its flag.
public enum Remedy: Sendable, Equatable {
    /// A larger message size limit (the command line's --max-message-size).
    case raiseMessageSizeLimit
    /// Standard input is read when asked for by name (the command line's `-`).
    case readStandardInput
    /// A signing key (the command line's --key or --identities).
    case giveSigningKey
    /// Recipient certificates (the command line's --recipients or --recipient-cert).
    case giveRecipientCertificates
    /// Verifying without the sender check (the command line's --no-sender-check).
    case skipSenderCheck

    /// The engine's own words for it, for a caller without words of its own.
    public var words: String {
        switch self {
        case .raiseMessageSizeLimit: return "raise the message size limit"
        case .readStandardInput: return "read standard input by name"
        case .giveSigningKey: return "give a signing key"
        case .giveRecipientCertificates: return "give recipient certificates"
        case .skipSenderCheck: return "verify without the sender check to check the signature and certificate path alone"
        }
    }
}

/// Why an input could not be read as a message.
public enum InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A FIFO, a device, a socket, a directory where a file was wanted.
    case notRegular(FileKind)
    case unreadable(errno: Int32)
    /// Past the message size limit (`size` when known before reading).
    case tooLarge(size: Int?, limit: Int)
    case cannotList
    case cannotSpool(errno: Int32)
    /// A file read in chunks that could not be read to the end as it was when opened.
    case source(SourceError)
    /// The bytes changed between reading and verifying: its verdict would be filed
    /// under the wrong digest.
    case changed

    public var description: String {
        switch self {
        case .notRegular(.directory): return "is a directory"
        case .notRegular(let kind): return "not a regular file (\(kind.phrase)); only regular files are read"
        case .unreadable(let e): return String(cString: strerror(e))
        case .tooLarge(let size?, let limit): return "\(size) bytes, larger than the limit of \(limit)"
        case .tooLarge(nil, let limit): return "larger than the limit of \(limit) bytes"
        case .cannotList: return "cannot list the directory"
        case .cannotSpool(let e): return "cannot spool standard input: \(String(cString: strerror(e)))"
        case .source(let e): return e.description
        case .changed: return SourceError.changed.description
        }
    }

    public var remedy: Remedy? {
        switch self {
        case .notRegular(.directory): return nil
        case .notRegular: return .readStandardInput
        case .tooLarge: return .raiseMessageSizeLimit
        default: return nil
        }
    }
}

/// The type of a file that is not a regular file, as stat(2) tells it.
public enum FileKind: Sendable, Equatable {
    case fifo, characterDevice, blockDevice, socket, directory, symbolicLink, other

    public init(mode: mode_t) {
        switch mode & S_IFMT {
        case S_IFIFO: self = .fifo
        case S_IFCHR: self = .characterDevice
        case S_IFBLK: self = .blockDevice
        case S_IFSOCK: self = .socket
        case S_IFDIR: self = .directory
        case S_IFLNK: self = .symbolicLink
        default: self = .other
        }
    }

    public var phrase: String {
        switch self {
        case .fifo: return "a FIFO"
        case .characterDevice: return "a character device"
        case .blockDevice: return "a block device"
        case .socket: return "a socket"
        case .directory: return "a directory"
        case .symbolicLink: return "a symbolic link"
        case .other: return "not a file"
        }
    }
}

/// Opening inputs named by path.
public enum InputFile {
    /// A regular file opened for reading, with its fstat. Opened with O_NONBLOCK,
    /// so that a FIFO without a writer or a device never blocks the open, and
    /// judged by fstat of the descriptor itself, so that a path swapped for a FIFO
    /// after an earlier stat is refused too.
    public static func openRegular(_ path: String) -> Result<(fd: Int32, stat: stat), InputError> {
        let fd = PathCalls.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 {
            let e = errno
            // A socket cannot be opened at all: say what it is rather than ENXIO.
            var st = stat()
            if PathCalls.stat(path, &st) == 0, st.st_mode & S_IFMT != S_IFREG { return .failure(.notRegular(FileKind(mode: st.st_mode))) }
            return .failure(.unreadable(errno: e))
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            return .failure(.unreadable(errno: e))
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return .failure(.notRegular(FileKind(mode: st.st_mode)))
        }
        // Reads of a regular file never block anyway; cleared so they are plain reads.
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return .success((fd, st))
    }
}

/// Bytes already taken from standard input (to tell a message from a list of
/// paths) that belong in front of the rest when it is read as a message.
public enum StandardInputPushback {
    private static let bytes = Locked<[UInt8]>([])

    public static func put(_ b: [UInt8]) {
        bytes.withLock { $0 = b }
    }

    public static func take() -> [UInt8] {
        bytes.withLock { b in
            defer { b = [] }
            return b
        }
    }
}
