// The warm run's fast path (issue 17): the result store's files table read a
// directory at a time, joined with each file's current verdict, instead of a
// lookup by path and one by digest for every file. What it serves is exactly
// what those lookups would: a digest only for a file whose path and stamp are
// the ones recorded, a verdict only for the digest the message has and only
// while `ResultStore.canServe` holds. Anything it cannot match is left to the
// point lookups.
import Foundation
import MIME
import ResultStore

struct StampPrefetch: Sendable {
    /// A directory is read whole when a batch has at least this many files in it;
    /// fewer (a path list spread over many directories) are looked up one by one.
    static let minimumFiles = 8
    /// Directories kept between batches (a walk's current one, and a few for
    /// scans running side by side in a server), each for at most `maximumAge`
    /// seconds. An old row is never wrong, only slower to use: a file written
    /// since no longer matches its stamp and is read again, a verdict stored
    /// since is not seen and the message is verified again.
    static let capacity = 4
    static let maximumAge: TimeInterval = 10

    private struct Entry: Sendable {
        var rows: [UInt64: KnownFile]
        var loadedAt: TimeInterval
        var usedAt: TimeInterval
    }
    private var directories: [String: Entry] = [:]

    /// One batch's view of the directories read: for each item, the rows of its
    /// directory when that directory was read whole.
    struct BatchView: Sendable {
        fileprivate var maps: [[UInt64: KnownFile]] = []
        /// Parallel to the batch: an index into `maps`, or -1.
        fileprivate var mapOfItem: [Int] = []
        /// Parallel to the batch: where the item's name starts in its path.
        fileprivate var nameStart: [String.Index] = []

        enum Lookup {
            /// Item `i`'s directory was not read whole, or its inode's row is for
            /// another path (a hard link, another device): ask the store by path.
            case notCovered
            /// Read whole, and nothing usable recorded for the path with this inode:
            /// any row the store has for the path is for another file.
            case miss
            case row(KnownFile)
        }

        /// What the directory read says of item `i` at `path`, found by the file's inode.
        func lookup(_ i: Int, path: String, stamp: FileStamp) -> Lookup {
            guard i < mapOfItem.count, mapOfItem[i] >= 0 else { return .notCovered }
            guard let row = maps[mapOfItem[i]][stamp.inode] else { return .miss }
            // Compared as bytes (as String `==`, with its Unicode equivalence, the
            // comparison cost more than the rest of the lookup): a name equal only
            // under that equivalence, a hard link to the same bytes, is looked up by path.
            return StampPrefetch.sameBytes(path.utf8[nameStart[i]...], row.name.utf8) ? .row(row) : .notCovered
        }
    }

    /// Whether two runs of UTF-8 are the same bytes (memcmp where both are contiguous).
    static func sameBytes(_ a: Substring.UTF8View, _ b: String.UTF8View) -> Bool {
        guard a.count == b.count else { return false }
        if let same = a.withContiguousStorageIfAvailable({ x in
            b.withContiguousStorageIfAvailable { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }) ?? nil {
            return same
        }
        return a.elementsEqual(b)
    }

    /// The end of the directory part of `path` (its last '/'), or nil for a bare name.
    private static func directoryEnd(_ path: String) -> String.Index? {
        let slash = path.utf8.withContiguousStorageIfAvailable { bytes in
            // Searched on the bytes: UTF8View's own lastIndex(of:) took a tenth of a warm batch.
            var i = bytes.count - 1
            while i > 0 && bytes[i] != UInt8(ascii: "/") { i -= 1 }
            return i
        }
        if let slash {
            return slash > 0 ? path.utf8.index(path.utf8.startIndex, offsetBy: slash) : nil
        }
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else { return nil }
        return slash
    }

    /// Reads the directories `batch` has at least `minimumFiles` files in (or that
    /// were read shortly before) and gives the batch's view.
    mutating func load(_ batch: [InputItem], store: ResultStore, optionsDigest: String?,
                       maxAge: TimeInterval) throws -> BatchView {
        // Directories of the batch, found by comparing bytes with the last one seen:
        // a walk gives a directory's files one after another.
        var names: [String] = []
        var counts: [Int] = []
        var dirOfItem = [Int](repeating: -1, count: batch.count)
        var nameStart = [String.Index](repeating: "".startIndex, count: batch.count)
        var last = -1
        for (i, item) in batch.enumerated() {
            guard case .file(let path, _) = item, let end = Self.directoryEnd(path) else { continue }
            nameStart[i] = path.utf8.index(after: end)
            let dir = path[..<end]
            // By bytes, like the names (see `lookup`): a walk's paths of one directory share them.
            if last < 0 || !Self.sameBytes(dir.utf8, names[last].utf8) {
                last = names.firstIndex { Self.sameBytes(dir.utf8, $0.utf8) } ?? -1
                if last < 0 {
                    names.append(String(path[..<end]))
                    counts.append(0)
                    last = names.count - 1
                }
            }
            counts[last] += 1
            dirOfItem[i] = last
        }
        var view = BatchView()
        var mapOfDir = [Int](repeating: -1, count: names.count)
        let now = Date()
        let clock = ProcessInfo.processInfo.systemUptime
        directories = directories.filter { clock - $0.value.loadedAt < Self.maximumAge }
        for (d, name) in names.enumerated() {
            var map = directories[name]?.rows
            if map == nil && counts[d] >= Self.minimumFiles {
                let rows = try store.knownFiles(inDirectory: name, optionsDigest: optionsDigest, now: now, maxAge: maxAge)
                var byInode: [UInt64: KnownFile] = [:]
                byInode.reserveCapacity(rows.count)
                // Two rows with one inode (hard links): the first is kept, and the
                // other path then never matches it, so it goes to the point lookup.
                for row in rows where byInode[row.stamp.inode] == nil { byInode[row.stamp.inode] = row }
                map = byInode
            }
            guard let map else { continue }
            if directories[name] == nil {
                if directories.count >= Self.capacity, let oldest = directories.min(by: { $0.value.usedAt < $1.value.usedAt }) {
                    directories[oldest.key] = nil
                }
                directories[name] = Entry(rows: map, loadedAt: clock, usedAt: clock)
            } else {
                directories[name]?.usedAt = clock
            }
            mapOfDir[d] = view.maps.count
            view.maps.append(map)
        }
        view.mapOfItem = dirOfItem.map { $0 < 0 ? -1 : mapOfDir[$0] }
        view.nameStart = nameStart
        return view
    }
}

/// The store's current verdict for a message as read with its directory (see
/// StampPrefetch): the answer of a lookup by digest made then.
struct PrefetchedVerdict: Sendable {
    var verdict: StoredVerdict?

    /// The verdict, when it may still be served at `now` (as `Verdict(stored:)` reads it).
    func servable(now: Date, maxAge: TimeInterval) -> Verdict? {
        verdict.flatMap { ResultStore.canServe($0, now: now, maxAge: maxAge) ? Verdict(stored: $0) : nil }
    }
}

extension StampPrefetch {
    /// Gives each message read the verdict its directory's row holds, when that row
    /// is for the message's path and the digest it has now (just hashed: the stamp
    /// changed, or verify hashes every file).
    static func attachVerdicts(_ rows: [KnownFile?], to reads: inout [Result<ReadMessage, InputFailure>]) {
        for i in rows.indices {
            guard let row = rows[i], row.verdictKnown, case .success(var m) = reads[i], m.prefetched == nil,
                  row.digest == m.digest.hex else { continue }
            m.prefetched = PrefetchedVerdict(verdict: row.verdict)
            reads[i] = .success(m)
        }
    }
}

extension VerdictService {
    /// The warm run's shortest way (issue 17): for each file of `batch` that its
    /// directory's row names by its unchanged stamp, and for which that row holds
    /// the current verdict under this service's options, servable now, its digest
    /// and that verdict. They are what `read` then `resolve` give the file when
    /// nothing but its current verdict is asked for (no details, no status at
    /// delivery), without the message, request and result values those build and
    /// copy on the way (on a warm query they were most of the time). Nil for any
    /// other item, for which `read` and `resolve` are needed: a file not walked
    /// (no stamp), changed, larger than the in-memory limit (`resolve` opens it),
    /// without a copy of its verdict under these options; and for every item
    /// without a store, with --at, or when every file is hashed.
    func servedVerdicts(_ batch: [InputItem]) -> [(digest: MessageDigest, verdict: Verdict)?] {
        let none = [(digest: MessageDigest, verdict: Verdict)?](repeating: nil, count: batch.count)
        guard let store, at == nil, !hashesEveryFile else { return none }
        let view: StampPrefetch.BatchView
        do {
            view = try loadPrefetch(batch, store: store)
        } catch {
            storeFailed(error)
            return none
        }
        let now = Date()
        let sizeLimit = Int64(min(maxBytes, verifier.inMemoryLimit))
        var served = none
        // Most verdicts differ only in their times: the last one without errors is
        // reused for the next with the same status (Verdict(stored:) reads a status
        // string through a switch over every status).
        var last: (status: String?, verdict: Verdict)?
        for i in batch.indices {
            guard case .file(let path, let stamp?) = batch[i], stamp.size <= sizeLimit,
                  case .row(let row) = view.lookup(i, path: path, stamp: stamp), row.stamp == stamp, row.verdictKnown,
                  let stored = row.verdict, ResultStore.canServe(stored, now: now, maxAge: maxAge) else { continue }
            let plain = stored.errors == nil && stored.errorCodes == nil
            var verdict: Verdict
            if plain, let last, last.status == stored.status {
                verdict = last.verdict
                verdict.verifiedAt = stored.verifiedAt
                verdict.validUntil = stored.validUntil
            } else {
                guard let v = Verdict(stored: stored) else { continue }
                verdict = v
                if plain { last = (stored.status, v) }
            }
            served[i] = (MessageDigest(hex: row.digest), verdict)
        }
        return served
    }
}
