// The warm run's fast path: what the store knows of every file in one directory,
// with the current verdict of each file's digest, in one range read of the files
// table instead of two point lookups a file (one by path, one by digest). On a
// warm query those lookups were two fifths of the time.
import CSQLite
import Foundation
import MIME

/// What the store recorded for one file, and the verdict filed under its digest.
public struct KnownFile: Sendable, Equatable {
    /// The file's name in the directory read (its path as recorded, without the
    /// directory and '/'): mostly short enough to need no allocation of its own.
    public var name: String
    /// The stat(2) stamp the file had when `digest` was recorded. Serve `digest`
    /// only for a file whose stamp is exactly this one (see `FileStamp`).
    public var stamp: FileStamp
    /// Hex SHA-256 of what the file held (64 lower-case hex digits; any other row is left out).
    public var digest: String
    /// The current verdict for `digest` under the options digest asked for, when
    /// one was stored and could be served at the time asked for; nil otherwise.
    /// Check `ResultStore.canServe` again at the time it is used. Meaningful only
    /// when `verdictKnown`.
    public var verdict: StoredVerdict?
    /// Whether `verdict` is the answer `verdicts(for:now:maxAge:)` gives: the row's
    /// copy of a verdict (see `ResultStore.filesVerdictCopy`) is under the options
    /// digest asked for. When false, ask `verdicts(for:now:maxAge:)`.
    public var verdictKnown: Bool

    public init(name: String, stamp: FileStamp, digest: String, verdict: StoredVerdict?, verdictKnown: Bool? = nil) {
        self.name = name
        self.stamp = stamp
        self.digest = digest
        self.verdict = verdict
        self.verdictKnown = verdictKnown ?? (verdict != nil)
    }
}

extension ResultStore {
    /// Rows of the files table whose path starts with `?1` (which ends in '/'; `?2`
    /// is `?1` with that '/' made '0', the next byte: a range on the primary key),
    /// with the copy of a verdict each row holds, and whether it is under the
    /// options `?3`. Rows in subdirectories are skipped by the caller, on the bytes
    /// (in SQL that cost a quarter of the read). No join (see `filesVerdictCopy`).
    private static let selectDirectory = """
        SELECT v_status, v_errors_json, v_codes_json, v_verified_at, v_valid_until, v_options IS ?3,
               path, device, inode, size, mtime_ns, ctime_ns, digest
        FROM files WHERE path >= ?1 AND path < ?2
        """

    /// Everything recorded for the files directly in `directory` (not in its
    /// subdirectories), in path order, each by its name: one read transaction. With
    /// `optionsDigest`, a file's `verdict`, when `verdictKnown`, is the one
    /// `verdicts(for:now:maxAge:)` would give for (its digest, `optionsDigest`) at
    /// `now`; without, it is nil and not known. A path absent
    /// from the answer is one the store knows nothing of (or whose row is not
    /// usable): a miss, as `knownDigests` would give.
    public func knownFiles(inDirectory directory: String, optionsDigest: String?, now: Date,
                           maxAge: TimeInterval) throws -> [KnownFile] {
        let freshness = try Freshness(now: now, maxAge: maxAge)
        guard !directory.isEmpty else { return [] }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        let upper = String(prefix.dropLast()) + "0"
        let prefixLength = prefix.utf8.count
        return try locked { connection in
            let select = try connection.statement(Self.selectDirectory)
            return try connection.transaction(write: false) {
                try select.bind(1, prefix)
                try select.bind(2, upper)
                // No options digest matches no verdict row: options digests are hex.
                try select.bind(3, optionsDigest ?? "")
                defer { select.reset() }
                var files: [KnownFile] = []
                while try select.step() {
                    guard let path = select.text(6), path.count > prefixLength,
                          !path[prefixLength...].contains(UInt8(ascii: "/")),
                          let digest = select.text(12), Self.isDigest(digest),
                          let stamp = Self.stamp(select, from: 7) else { continue }
                    let known = optionsDigest != nil && select.int64(5) == 1
                    files.append(KnownFile(name: String(decoding: path[prefixLength...], as: UTF8.self), stamp: stamp,
                                           digest: String(decoding: digest, as: UTF8.self),
                                           verdict: known ? Self.readVerdict(select, freshness) : nil, verdictKnown: known))
                }
                return files
            }
        }
    }

    /// 64 lower-case hex digits, on the bytes.
    static func isDigest(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 64 else { return false }
        for b in bytes where !((b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66)) { return false }
        return true
    }

    /// Whether a verdict read earlier may still be served at `now` with `maxAge`:
    /// the same rule as `verdicts(for:now:maxAge:)`.
    public static func canServe(_ verdict: StoredVerdict, now: Date, maxAge: TimeInterval) -> Bool {
        do {
            let freshness = try Freshness(now: now, maxAge: maxAge)
            return freshness.accepts(verifiedAt: try verdict.verifiedAt.map(seconds),
                                     validUntil: try verdict.validUntil.map(seconds))
        } catch {
            return false
        }
    }
}
