// Which digest each file on disk had when it was last read, so that a warm run
// can name a message by its digest (and so find its verdict) without reading or
// hashing it. A warm query over a maildir then costs a stat(2) a message and one
// range read of the files table (joined with the verdicts) per directory.
import CSQLite
import Foundation
import MIME
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FileStamp {
    /// A file written this close to when it was read may be written again within
    /// the same clock tick of a coarse-grained file system, leaving the stamp as
    /// it was over different bytes; such a file is not remembered (git calls this
    /// the "racily clean" case).
    public static let settleNanoseconds: Int64 = 2_000_000_000

    /// Whether the file was last written long enough before `now` to be remembered.
    public func isSettled(at now: Date) -> Bool {
        let nowNanoseconds = Int64((now.timeIntervalSince1970 * 1e9).rounded(.down))
        return max(modifiedNanoseconds, changedNanoseconds) <= nowNanoseconds - Self.settleNanoseconds
    }
}

/// A file read in this run: where, its stamp before reading, and the digest of what was read.
public struct FileRecord: Sendable {
    public var path: String
    public var stamp: FileStamp
    public var digest: String

    public init(path: String, stamp: FileStamp, digest: String) {
        self.path = path
        self.stamp = stamp
        self.digest = digest
    }
}

extension ResultStore {
    private static let selectFile = """
        SELECT device, inode, size, mtime_ns, ctime_ns, digest FROM files WHERE path = ?1
        """
    /// The row, with a copy of a verdict already filed for its digest (a file
    /// copied or renamed, a maildir message whose flags changed) if there is one
    /// (see `filesVerdictCopy`): any verdict of the digest is an exact copy. The
    /// verdict is looked up first (`selectAnyVerdict`) and bound: as a subquery
    /// of the upsert, SQLite materialised it for every row, tripling its cost.
    private static let upsertFile = """
        INSERT INTO files(path, device, inode, size, mtime_ns, ctime_ns, digest,
                          v_options, v_status, v_errors_json, v_codes_json, v_verified_at, v_valid_until)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
        ON CONFLICT(path) DO UPDATE SET device = excluded.device, inode = excluded.inode, size = excluded.size,
            mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, digest = excluded.digest,
            v_options = excluded.v_options, v_status = excluded.v_status, v_errors_json = excluded.v_errors_json,
            v_codes_json = excluded.v_codes_json, v_verified_at = excluded.v_verified_at, v_valid_until = excluded.v_valid_until
        """
    private static let selectAnyVerdict = """
        SELECT options_digest, status, errors_json, codes_json, verified_at, valid_until
        FROM verdicts WHERE message_digest = ?1 LIMIT 1
        """

    /// The digest recorded for each path, when the file's stamp is exactly the one
    /// recorded with it; nil otherwise. One read transaction; parallel to `files`.
    public func knownDigests(_ files: [(path: String, stamp: FileStamp)]) throws -> [String?] {
        guard !files.isEmpty else { return [] }
        return try locked { connection in
            let select = try connection.statement(Self.selectFile)
            return try connection.transaction(write: false) {
                var digests: [String?] = []
                digests.reserveCapacity(files.count)
                for (path, stamp) in files {
                    try select.bind(1, path)
                    defer { select.reset() }
                    guard try select.step(), Self.stamp(select) == stamp, let digest = select.string(5),
                          Self.isDigest(digest) else {
                        digests.append(nil)
                        continue
                    }
                    digests.append(digest)
                }
                return digests
            }
        }
    }

    /// Remembers what each file held, replacing what was recorded for its path.
    /// Files not settled at `now` (see `FileStamp.isSettled`) are left out.
    public func recordFiles(_ files: [FileRecord], now: Date = Date()) throws {
        let rows = files.filter { $0.stamp.isSettled(at: now) && Self.isDigest($0.digest) }
        guard !rows.isEmpty else { return }
        try locked { connection in
            let upsert = try connection.statement(Self.upsertFile)
            let verdict = try connection.statement(Self.selectAnyVerdict)
            try connection.transaction(write: true) {
                for row in rows {
                    try verdict.bind(1, row.digest)
                    if try verdict.step() {
                        try upsert.bind(8, verdict.string(0))
                        try upsert.bind(9, verdict.string(1))
                        try upsert.bind(10, verdict.string(2))
                        try upsert.bind(11, verdict.string(3))
                        try upsert.bind(12, verdict.int64(4))
                        try upsert.bind(13, verdict.int64(5))
                    }
                    verdict.reset()
                    try upsert.bind(1, row.path)
                    try upsert.bind(2, Int64(bitPattern: row.stamp.device))
                    try upsert.bind(3, Int64(bitPattern: row.stamp.inode))
                    try upsert.bind(4, row.stamp.size)
                    try upsert.bind(5, row.stamp.modifiedNanoseconds)
                    try upsert.bind(6, row.stamp.changedNanoseconds)
                    try upsert.bind(7, row.digest)
                    try upsert.run()
                }
            }
        }
    }

    static func stamp(_ row: Statement, from first: Int32 = 0) -> FileStamp? {
        guard let device = row.int64(first), let inode = row.int64(first + 1), let size = row.int64(first + 2),
              let modified = row.int64(first + 3), let changed = row.int64(first + 4) else { return nil }
        return FileStamp(device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode), size: size,
                         modifiedNanoseconds: modified, changedNanoseconds: changed)
    }

    /// 64 lower-case hex digits: anything else in the column is a miss, never a key.
    static func isDigest(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }
}
