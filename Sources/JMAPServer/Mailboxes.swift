// Mail on disk as JMAP sees it: each directory operand is a mailbox tree. A
// maildir (a directory with cur/) is a mailbox holding cur/ and new/, with its
// Maildir++ folders (.Sent, .Work.Projects) as children; a plain directory is a
// mailbox holding its files, with its subdirectories as children. Mailbox ids
// come from the absolute path, so they are the same in every run.
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct MailboxNode: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case maildir, plain }
    let id: String
    let name: String
    let parentId: String?
    let role: String?
    let path: String
    let kind: Kind
    let sortOrder: Int

    /// The directories whose files are this mailbox's messages.
    var messageDirectories: [String] {
        kind == .maildir ? [path + "/cur", path + "/new"] : [path]
    }

    static func id(for path: String) -> String { "B" + Digest.sha256Hex(Array(path.utf8)).prefix(16) }
}

enum MailTree {
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    static func isMaildir(_ path: String) -> Bool { isDirectory(path + "/cur") }

    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    static func names(in dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    /// The roles Maildir++ folder names usually mean (RFC 8621 2, IANA mailbox roles).
    static func role(forFolder name: String) -> String? {
        switch name.lowercased() {
        case "sent", "sent items", "sent messages": return "sent"
        case "drafts": return "drafts"
        case "trash", "deleted items", "deleted messages": return "trash"
        case "junk", "spam": return "junk"
        case "archive", "archives": return "archive"
        default: return nil
        }
    }

    /// Every mailbox under the operands, parents before children.
    static func discover(_ operands: [String]) -> [MailboxNode] { discover(operands, reader: DirReader()) }

    static func discover(_ operands: [String], reader: DirReader) -> [MailboxNode] {
        var out: [MailboxNode] = []
        var seen: Set<String> = []
        for (i, operand) in operands.enumerated() {
            let path = absolute(operand)
            guard reader.listing(path).stamp != nil, !seen.contains(path) else { continue }
            let name = (path as NSString).lastPathComponent
            add(path, name: name.isEmpty ? "/" : name, parent: nil, sortOrder: i, into: &out, seen: &seen, depth: 0, reader: reader)
        }
        // A role names one mailbox of the account, and siblings have different names (RFC 8621 2):
        // the first that claims a role keeps it; a name met again among siblings (two operands
        // both called Maildir) gets the directory it is in, then a number.
        var taken: Set<String> = []
        var names: [String: Int] = [:]
        return out.map { m in
            var role = m.role
            if let r = role, !taken.insert(r).inserted { role = nil }
            var name = m.name
            let key = { (n: String) in "\(m.parentId ?? "")\u{1}\(n.lowercased())" }
            if names[key(name)] != nil {
                let dir = ((m.path as NSString).deletingLastPathComponent as NSString).lastPathComponent
                name = "\(m.name) (\(dir))"
                var n = 2
                while names[key(name)] != nil { name = "\(m.name) (\(dir) \(n))"; n += 1 }
            }
            names[key(name)] = 1
            return MailboxNode(id: m.id, name: name, parentId: m.parentId, role: role, path: m.path, kind: m.kind, sortOrder: m.sortOrder)
        }
    }

    /// A directory's device and inode, so that a symbolic link back up the tree is a mailbox once.
    static func identity(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return "\(st.st_dev):\(st.st_ino)"
    }

    private static func add(_ path: String, name: String, parent: String?, sortOrder: Int, into out: inout [MailboxNode],
                            seen: inout Set<String>, depth: Int, reader: DirReader) {
        let listing = reader.listing(path)
        guard depth < 32, seen.insert(path).inserted, let st = listing.stamp, seen.insert("\(st.device):\(st.inode)").inserted else { return }
        if listing.hasDirectory("cur") {
            let id = MailboxNode.id(for: path)
            // A top-level maildir is the account's INBOX, as Maildir++ has it.
            out.append(MailboxNode(id: id, name: name, parentId: parent, role: parent == nil ? "inbox" : nil,
                                   path: path, kind: .maildir, sortOrder: sortOrder))
            // Maildir++ folders: ".A" is a child of the maildir, ".A.B" of ".A" (when there is one).
            let folders = listing.entries.map(\.name).filter {
                $0.hasPrefix(".") && $0 != "." && $0 != ".." && listing.hasDirectory($0) && reader.listing(path + "/" + $0).hasDirectory("cur")
            }
            var folderIds: [String: String] = [:]
            for folder in folders.sorted(by: { $0.split(separator: ".").count < $1.split(separator: ".").count || ($0.split(separator: ".").count == $1.split(separator: ".").count && $0 < $1) }) {
                let components = folder.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                let parentKey = components.dropLast().joined(separator: ".")
                let parentId = folderIds[parentKey] ?? id
                let fpath = path + "/" + folder
                guard seen.insert(fpath).inserted else { continue }
                let fid = MailboxNode.id(for: fpath)
                folderIds[components.joined(separator: ".")] = fid
                let leaf = components.last ?? folder
                out.append(MailboxNode(id: fid, name: leaf, parentId: parentId, role: parentKey.isEmpty ? role(forFolder: leaf) : nil,
                                       path: fpath, kind: .maildir, sortOrder: 0))
            }
            // Other maildirs nested inside (not Maildir++ folders, not cur/new/tmp) are children too.
            for child in listing.entries where child.isDirectory && !child.name.hasPrefix(".") && !["cur", "new", "tmp"].contains(child.name) {
                add(path + "/" + child.name, name: child.name, parent: id, sortOrder: 0, into: &out, seen: &seen, depth: depth + 1, reader: reader)
            }
        } else {
            let id = MailboxNode.id(for: path)
            out.append(MailboxNode(id: id, name: name, parentId: parent, role: nil, path: path, kind: .plain, sortOrder: sortOrder))
            for child in listing.entries where child.isDirectory && !child.name.hasPrefix(".") {
                add(path + "/" + child.name, name: child.name, parent: id, sortOrder: 0, into: &out, seen: &seen, depth: depth + 1, reader: reader)
            }
        }
    }

    /// The message files of a mailbox, sorted: regular files, dot files left out.
    static func files(of node: MailboxNode) -> [(path: String, stamp: FileStamp)] { files(of: node, reader: DirReader()) }

    static func files(of node: MailboxNode, reader: DirReader) -> [(path: String, stamp: FileStamp)] {
        var out: [(String, FileStamp)] = []
        for dir in node.messageDirectories {
            for entry in reader.listing(dir).entries where !entry.name.hasPrefix(".") {
                guard let stamp = entry.file else { continue }
                out.append((dir + "/" + entry.name, stamp))
            }
        }
        return out
    }

    /// Maildir flags after ":2," as RFC 8621 keywords, read as the CLI's query reads them.
    static func keywords(path: String) -> Set<String> { MaildirFlags.keywords(path: path) }

    static func flags(for keywords: Set<String>) -> String {
        let map: [(String, Character)] = [("$draft", "D"), ("$flagged", "F"), ("$forwarded", "P"), ("$answered", "R"), ("$seen", "S")]
        return String(map.filter { keywords.contains($0.0) }.map(\.1))
    }
}

/// One directory's entries (sorted by name, each stat'ed, links followed) as read at
/// one moment. Adding, removing or renaming an entry changes the directory's stamp, so
/// a listing is reused while the stamp is the same, unless the directory was modified
/// within `racyNanoseconds` of the read (git's "racy" rule: a later change in the same
/// tick of the clock would leave the stamp as it was).
struct DirListing: Sendable, Equatable {
    struct Entry: Sendable, Equatable {
        let name: String
        let isDirectory: Bool
        /// The stamp of a regular file; nil for anything else.
        let file: FileStamp?
    }
    /// The directory's own stamp; nil when it is not a directory (or not there).
    let stamp: FileStamp?
    let entries: [Entry]
    /// When it was read (wall clock, nanoseconds).
    let readAt: Int64

    static let racyNanoseconds: Int64 = 2_000_000_000
    /// How long a listing stands without its files being stat'ed again. A file rewritten
    /// in place (same name) changes its own stamp but not its directory's, so a message
    /// tampered with where it lies is seen within this time, not never.
    static let maxAgeNanoseconds: Int64 = 1_000_000_000

    static func == (a: DirListing, b: DirListing) -> Bool { a.stamp == b.stamp && a.entries == b.entries }

    func hasDirectory(_ name: String) -> Bool { entries.contains { $0.name == name && $0.isDirectory } }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
    }

    static func stamp(of dir: String) -> FileStamp? {
        var st = stat()
        guard stat(dir, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return nil }
        return FileStamp(st)
    }

    /// Whether this listing still stands for `dir`, whose stamp is now `current`.
    func stillValid(_ current: FileStamp?, now: Int64 = DirListing.now()) -> Bool {
        guard current == stamp, now &- readAt < Self.maxAgeNanoseconds else { return false }
        guard let s = stamp else { return true }
        // An entry added, removed or renamed sets the modification time to the clock's now
        // (and the change time with it), so the modification time alone says how recent.
        return s.modifiedNanoseconds &+ Self.racyNanoseconds < readAt
    }

    static func read(_ dir: String) -> DirListing {
        let at = now()
        guard let stamp = stamp(of: dir) else { return DirListing(stamp: nil, entries: [], readAt: at) }
        var entries: [Entry] = []
        for name in MailTree.names(in: dir) {
            var st = stat()
            guard stat(dir + "/" + name, &st) == 0 else { continue }
            let kind = st.st_mode & S_IFMT
            entries.append(Entry(name: name, isDirectory: kind == S_IFDIR, file: kind == S_IFREG ? FileStamp(st) : nil))
        }
        return DirListing(stamp: stamp, entries: entries, readAt: at)
    }
}

/// Reads directories for one look at the mail, reusing the listings of the last look
/// whose directory is unchanged, and remembering every directory it was asked for.
final class DirReader {
    let known: [String: DirListing]
    private(set) var used: [String: DirListing] = [:]

    init(known: [String: DirListing] = [:]) { self.known = known }

    func listing(_ dir: String) -> DirListing {
        if let l = used[dir] { return l }
        let l: DirListing
        if let k = known[dir], k.stillValid(DirListing.stamp(of: dir)) { l = k } else { l = DirListing.read(dir) }
        used[dir] = l
        return l
    }

    /// Whether every directory of a look is as it was (one stat each, no listing read).
    static func unchanged(_ dirs: [String: DirListing]) -> Bool {
        dirs.allSatisfy { $0.value.stillValid(DirListing.stamp(of: $0.key)) }
    }
}

/// What is remembered of one file between scans (same stamp: same bytes).
struct FileFacts: Sendable {
    let stamp: FileStamp
    let digest: String
    let size: Int
    let threadId: String
    /// From the file's name (maildir flags), which a stamp does not cover: kept with the name.
    let keywords: Set<String>
}

/// One Email: the bytes found at one or more paths.
struct EmailEntry: Sendable {
    let id: String
    let digest: String
    let size: Int
    var paths: [String]
    var mailboxIds: [String]
    var keywords: Set<String>
    let threadId: String

    /// The Email as a message not read yet: the engine reads its first path when it must
    /// (and checks the digest).
    var unread: ReadMessage { ReadMessage(item: .file(paths[0]), digest: MessageDigest(hex: digest), size: size, bytes: nil) }
}

/// Everything under the operands at one moment.
struct Snapshot: Sendable {
    var mailboxes: [MailboxNode]
    var emails: [EmailEntry]
    var byId: [String: Int]
    /// Files that could not be read, with why.
    var unreadable: [(path: String, reason: String)]

    func email(_ id: String) -> EmailEntry? { byId[id].map { emails[$0] } }

    func counts(_ mailbox: String) -> (total: Int, unread: Int, threads: Int, unreadThreads: Int) {
        var total = 0, unread = 0
        var threads: Set<String> = [], unreadThreads: Set<String> = []
        for e in emails where e.mailboxIds.contains(mailbox) {
            total += 1
            threads.insert(e.threadId)
            if !e.keywords.contains("$seen") { unread += 1; unreadThreads.insert(e.threadId) }
        }
        return (total, unread, threads.count, unreadThreads.count)
    }
}

/// Reads the operands into snapshots, remembering digests by stamp.
final class MailIndex: Sendable {
    let operands: [String]
    let maxMessageSize: Int
    let engine: any MailEngine
    /// What was learnt of each path, by its stamp.
    private let facts = Locked<[String: FileFacts]>([:])

    init(operands: [String], maxMessageSize: Int, engine: any MailEngine) {
        self.operands = operands
        self.maxMessageSize = maxMessageSize
        self.engine = engine
    }

    /// The header block of a file (up to its blank line), for the threadId of a file
    /// whose digest was known without reading it.
    static func header(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
        guard let h = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? h.close() }
        var out: [UInt8] = []
        while out.count < limit {
            guard let chunk = try? h.read(upToCount: 16 << 10), !chunk.isEmpty else { return out }
            let from = max(0, out.count - 3)
            out += chunk
            var i = from
            while i + 1 < out.count {
                if out[i] == 0x0A && out[i + 1] == 0x0A { return Array(out[...(i + 1)]) }
                if i + 3 < out.count, out[i] == 0x0D, out[i + 1] == 0x0A, out[i + 2] == 0x0D, out[i + 3] == 0x0A { return Array(out[...(i + 3)]) }
                i += 1
            }
        }
        return out
    }

    /// The engine's one file reader: regular files only (a name swapped for a FIFO or a
    /// device after the listing is refused, not waited on), at most `maxBytes`.
    static func read(_ path: String, maxBytes: Int) -> Result<[UInt8], MethodError> {
        FileBytes.read(.file(path, stamp: nil), maxBytes: maxBytes).mapError {
            MethodError("serverFail", "\(path): \($0.reason)")
        }
    }

    static func threadId(_ bytes: [UInt8], digest: String) -> String {
        guard let m = try? Message(bytes: bytes) else { return "T" + digest.prefix(24) }
        return ThreadID.make(m, digestHex: digest, hash: { Digest.sha256Hex($0) })
    }

    /// The last look: its snapshot, the directories it read, and a generation that
    /// changes exactly when a look finds something different.
    private struct Look: Sendable {
        let snapshot: Snapshot
        let dirs: [String: DirListing]
        let generation: Int
    }
    private let last = Locked<Look?>(nil)
    /// One look that reads directories at a time; a request that finds every directory
    /// unchanged does not wait for it.
    private let lookLock = NSLock()

    /// Everything under the operands now, and its generation (equal generations: equal snapshots).
    func current() -> (snapshot: Snapshot, generation: Int) {
        if let l = last.withLock({ $0 }), DirReader.unchanged(l.dirs) { return (l.snapshot, l.generation) }
        lookLock.lock()
        defer { lookLock.unlock() }
        let previous = last.withLock { $0 }
        if let l = previous, DirReader.unchanged(l.dirs) { return (l.snapshot, l.generation) }
        let reader = DirReader(known: previous?.dirs ?? [:])
        let s = build(reader)
        let same = previous.map { $0.dirs == reader.used && $0.snapshot.unreadable.map(\.path) == s.unreadable.map(\.path) } ?? false
        let look = Look(snapshot: s, dirs: reader.used, generation: same ? previous!.generation : (previous?.generation ?? 0) + 1)
        last.withLock { $0 = look }
        return (s, look.generation)
    }

    func snapshot() -> Snapshot { current().snapshot }

    private func build(_ reader: DirReader) -> Snapshot {
        let mailboxes = MailTree.discover(operands, reader: reader)
        var emails: [EmailEntry] = []
        var byId: [String: Int] = [:]
        var unreadable: [(String, String)] = []
        var newFacts: [String: FileFacts] = [:]
        let known = facts.withLock { $0 }
        var listed: [(node: MailboxNode, path: String, stamp: FileStamp)] = []
        for node in mailboxes {
            for (path, stamp) in MailTree.files(of: node, reader: reader) { listed.append((node, path, stamp)) }
        }
        // Files not seen with this stamp before are named by the engine (the result store
        // knows most of them without reading); only their header is read for the threadId.
        let unknown = listed.indices.filter { known[listed[$0].path]?.stamp != listed[$0].stamp }
        var found: [Int: FileFacts] = [:]
        let identified = engine.identify(unknown.map { (listed[$0].path, listed[$0].stamp) }, maxBytes: maxMessageSize)
        for (i, r) in zip(unknown, identified) {
            switch r {
            case .failure(let e): unreadable.append((listed[i].path, e.description))
            case .success(let f):
                let head = f.bytes ?? Self.header(listed[i].path) ?? []
                found[i] = FileFacts(stamp: listed[i].stamp, digest: f.digest.hex, size: f.size, threadId: Self.threadId(head, digest: f.digest.hex),
                                     keywords: MailTree.keywords(path: listed[i].path))
            }
        }
        for (i, item) in listed.enumerated() {
            guard let facts = found[i] ?? (known[item.path].flatMap { $0.stamp == item.stamp ? $0 : nil }) else { continue }
            let (node, path) = (item.node, item.path)
            newFacts[path] = facts
            let id = EmailID.make(digestHex: facts.digest)
            let kw = facts.keywords
            if let i = byId[id] {
                emails[i].paths.append(path)
                if !emails[i].mailboxIds.contains(node.id) { emails[i].mailboxIds.append(node.id) }
                emails[i].keywords.formUnion(kw)
            } else {
                byId[id] = emails.count
                emails.append(EmailEntry(id: id, digest: facts.digest, size: facts.size, paths: [path], mailboxIds: [node.id],
                                         keywords: kw, threadId: facts.threadId))
            }
        }
        facts.withLock { $0 = newFacts }
        return Snapshot(mailboxes: mailboxes, emails: emails, byId: byId, unreadable: unreadable)
    }

    /// The bytes of an Email, from the first of its paths that still holds them.
    func bytes(of email: EmailEntry) -> ReadMessage? {
        for path in email.paths {
            guard case .success(let b) = Self.read(path, maxBytes: maxMessageSize) else { continue }
            let d = MessageDigest.of(b)
            if d.hex == email.digest { return ReadMessage(item: .file(path), digest: d, size: b.count, bytes: b) }
        }
        return nil
    }
}
