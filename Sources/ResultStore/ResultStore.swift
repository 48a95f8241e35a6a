import CSQLite
import Foundation
import MIME
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The result cache: verdicts keyed by message digest and options, at-delivery
/// verdicts with the anchor set they were computed with, and the per-message
/// state that RFC 9219 / RFC 8620 Email/changes needs.
///
/// One sqlite3 connection behind a lock, so an instance can be shared between
/// threads. Several instances and several processes may use one file: the
/// database is in WAL mode, writes take the write lock up front (`BEGIN IMMEDIATE`)
/// and wait for it up to ten seconds, and no transaction outlives one call, so a
/// process killed at any moment leaves the last committed state behind.
public final class ResultStore: @unchecked Sendable {
    /// RFC 9219: a verdict is served for at most 24 hours.
    public static let maximumAge: TimeInterval = 86_400
    /// 1: verdicts, delivery, messages, message_paths, changelog. 2: adds files and anchor_sets.
    /// 3: the change state belongs to a scan scope (messages, message_paths and changelog
    /// carry one; scopes holds each scope's state).
    /// 4: adds revocation_answers (OCSP responses, CRLs and issuers fetched with --online).
    /// 5: each files row carries a copy of a current verdict of its digest (see
    /// `filesVerdictCopy`), so that a directory is read without a join.
    static let schemaVersion = 5

    /// True when opening failed only because other processes kept the file locked
    /// past the busy timeout: a run may go on without the cache rather than fail.
    public static func isContention(_ error: Error) -> Bool {
        (error as? SQLiteFailure)?.meansContention ?? false
    }
    static let busyTimeoutMilliseconds: Int32 = 10_000
    static let mmapBytes = 16 << 20

    /// The database file; nil for an in-memory store.
    public let url: URL?
    private let lock = NSLock()
    private let connection: SQLiteConnection  // use only while holding `lock`
    /// Random per database file, part of every state string, so a state from a
    /// cache that has since been replaced is refused instead of misread.
    private let generation: String

    /// Whether opening ran `PRAGMA quick_check` (false: the file was exactly as a
    /// smimekit process had left it, see `CheckedMarker`).
    public let checkedAtOpen: Bool

    private init(connection: SQLiteConnection, url: URL?, checkedAtOpen: Bool = true) throws {
        self.connection = connection
        self.url = url
        self.checkedAtOpen = checkedAtOpen
        let value = try? connection.strings("SELECT value FROM meta WHERE key = 'generation'").first
        guard let value, !value.isEmpty else {
            throw ResultStoreError.database("the cache has no generation marker")
        }
        generation = value
    }

    // MARK: Opening

    /// `$XDG_CACHE_HOME/smimekit/results.sqlite`, else `$HOME/.cache/smimekit/results.sqlite`.
    /// As the XDG spec says, a relative XDG_CACHE_HOME is ignored.
    public static func defaultURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base: URL
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            base = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            base = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache", isDirectory: true)
        }
        return base.appendingPathComponent("smimekit", isDirectory: true)
            .appendingPathComponent("results.sqlite", isDirectory: false)
    }

    /// Opens (creating if need be) the cache at `url`. Missing directories are made
    /// with mode 0700 and a new file with mode 0600: the cache names the user's mail.
    ///
    /// A file that is not a database, fails `PRAGMA quick_check`, or holds something
    /// other than a smimekit cache is never trusted: it is renamed to
    /// `<name>.corrupt-<UTC timestamp>` (with its -wal and -shm files), `warn` is
    /// called with a sentence saying so, and a new cache is created in its place.
    public convenience init(url: URL, warn: @Sendable (String) -> Void = { _ in }) throws {
        let url = url.standardizedFileURL
        let (connection, checked) = try Self.openFile(path: url.path, warn: warn)
        try self.init(connection: connection, url: url, checkedAtOpen: checked)
    }

    /// Closes the database, then notes the file as this process left it, so that
    /// the next open can skip the integrity check when nothing touched it since.
    deinit {
        lock.lock()
        connection.close()
        lock.unlock()
        if let url { CheckedMarker.record(databasePath: url.path) }
    }

    /// A private cache in memory, gone when the instance is.
    public static func inMemory() throws -> ResultStore {
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: ":memory:")
            try Self.prepareSchema(connection)
        } catch let failure as SQLiteFailure {
            throw ResultStoreError.database(failure.description)
        }
        return try ResultStore(connection: connection, url: nil)
    }

    private struct BrokenFile: Error {
        var reason: String
        var identity: FileIdentity?
    }

    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64

        init?(path: String) {
            var info = stat()
            guard stat(path, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private static func openFile(path: String, warn: @Sendable (String) -> Void) throws -> (SQLiteConnection, Bool) {
        try makeDirectories((path as NSString).deletingLastPathComponent)
        createFileIfMissing(path)
        do {
            let check = !CheckedMarker.matches(databasePath: path)
            return (try openChecked(path: path, integrityCheck: check), check)
        } catch let broken as BrokenFile {
            if let aside = try moveAside(path: path, identity: broken.identity) {
                warn("The result cache \(path) was not usable (\(broken.reason)); it was moved aside to \(aside) and a new, empty cache was started.")
            }
            createFileIfMissing(path)
            do {
                return (try openChecked(path: path, integrityCheck: true), true)
            } catch let again as BrokenFile {
                throw ResultStoreError.corrupt("\(path) is still unusable after replacing it (\(again.reason))")
            }
        }
    }

    private static func openChecked(path: String, integrityCheck: Bool) throws -> SQLiteConnection {
        let identity = FileIdentity(path: path)
        do {
            let connection = try SQLiteConnection(path: path)
            sqlite3_busy_timeout(connection.handle, busyTimeoutMilliseconds)
            if integrityCheck {
                let check = try connection.strings("PRAGMA quick_check")
                guard check == ["ok"] else {
                    let detail = check.prefix(3).joined(separator: "; ")
                    throw BrokenFile(reason: "integrity check failed: \(detail)", identity: identity)
                }
            }
            // WAL: readers never block the writer, and commits are atomic across crashes.
            // NORMAL is durable enough for a cache in WAL mode and much faster than FULL.
            _ = try connection.strings("PRAGMA journal_mode = WAL")
            try connection.execute("PRAGMA synchronous = NORMAL")
            // After a checkpoint, shrink a WAL that a large batch grew, instead of keeping it.
            _ = try connection.strings("PRAGMA journal_size_limit = 8388608")
            // Reads through a memory map instead of one pread(2) per page: a warm
            // query over a large maildir does two lookups a message and spent a
            // fifth of its time in the system call. Pages are the OS's page cache,
            // shared and reclaimable; the map is bounded so that RSS stays small.
            _ = try connection.strings("PRAGMA mmap_size = \(mmapBytes)")
            try prepareSchema(connection)
            return connection
        } catch let failure as SQLiteFailure where failure.meansBrokenFile {
            throw BrokenFile(reason: failure.message, identity: identity)
        } catch let reason as SchemaProblem {
            throw BrokenFile(reason: reason.description, identity: identity)
        } catch let failure as SQLiteFailure {
            throw ResultStoreError.database(failure.description)
        }
    }

    private static func makeDirectories(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ResultStoreError.database("\(directory) exists and is not a directory")
            }
            return
        }
        // Create only what is missing, each with 0700; existing parents keep their modes.
        try makeDirectories((directory as NSString).deletingLastPathComponent)
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            let reason = String(cString: strerror(errno))
            throw ResultStoreError.database("cannot create the cache directory \(directory): \(reason)")
        }
    }

    /// SQLite would create the file with the umask's mode (often world-readable);
    /// creating it first gives 0600, which SQLite then copies to -wal and -shm.
    private static func createFileIfMissing(_ path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
    }

    /// Renames a broken cache (and its -wal/-shm/-journal companions) out of the way.
    /// Returns the new name, or nil when another process already replaced the file.
    private static func moveAside(path: String, identity: FileIdentity?) throws -> String? {
        // Serialise recoveries between processes: without this, a process that found
        // the old file broken could rename the fresh cache another one just made.
        let directory = (path as NSString).deletingLastPathComponent
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 { flock(directoryFD, LOCK_EX) }
        defer {
            if directoryFD >= 0 {
                flock(directoryFD, LOCK_UN)
                close(directoryFD)
            }
        }
        guard let current = FileIdentity(path: path) else { return nil }
        if let identity, identity != current { return nil }

        let stamp = utcStamp(Date())
        var target = "\(path).corrupt-\(stamp)"
        var counter = 1
        while FileManager.default.fileExists(atPath: target) {
            target = "\(path).corrupt-\(stamp)-\(counter)"
            counter += 1
        }
        guard rename(path, target) == 0 else {
            let reason = String(cString: strerror(errno))
            throw ResultStoreError.database("the cache \(path) is unusable and could not be moved aside: \(reason)")
        }
        // Keep companions paired with the moved file (SQLite finds "<db>-wal" by name);
        // a stale WAL left beside the new cache could otherwise be replayed into it.
        unlink(path + CheckedMarker.suffix)
        for suffix in ["-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: path + suffix) {
            if rename(path + suffix, target + suffix) != 0 { unlink(path + suffix) }
        }
        return target
    }

    private static func utcStamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }

    // MARK: Schema

    private struct SchemaProblem: Error, CustomStringConvertible {
        var description: String
    }

    private static let schema = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
        CREATE TABLE verdicts(
            message_digest TEXT NOT NULL,
            options_digest TEXT NOT NULL,
            status TEXT,
            errors_json TEXT,
            codes_json TEXT,
            verified_at INTEGER,   -- Unix seconds
            valid_until INTEGER,   -- Unix seconds
            path TEXT,
            PRIMARY KEY(message_digest, options_digest)
        ) WITHOUT ROWID;
        """ + changeTables + filesTableVersion2 + filesVerdictCopy + anchorSetsTable + deliveryTable + revocationAnswersTable

    /// Email/changes state, per scan scope (see ResultStore+Changes.swift).
    private static let changeTables = """
        -- One row per scope and message id ever seen there; destroyed ones stay as tombstones until compacted.
        CREATE TABLE messages(
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            status TEXT,
            errors_json TEXT,
            modseq INTEGER NOT NULL,
            created_modseq INTEGER NOT NULL,
            destroyed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY(scope, id)
        ) WITHOUT ROWID;
        -- Where each message is, per scope: one id may sit at several paths (identical files).
        CREATE TABLE message_paths(scope TEXT NOT NULL, path TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY(scope, path)) WITHOUT ROWID;
        CREATE INDEX message_paths_by_id ON message_paths(scope, id);
        -- One row per state step; kind 0 created, 1 updated, 2 destroyed. modseq counts over every scope.
        CREATE TABLE changelog(modseq INTEGER PRIMARY KEY, id TEXT NOT NULL, kind INTEGER NOT NULL, scope TEXT NOT NULL DEFAULT '');
        CREATE INDEX changelog_by_scope ON changelog(scope, modseq);
        -- Each scope's state (its last modseq) and the oldest state it can answer changes from.
        CREATE TABLE scopes(key TEXT PRIMARY KEY, state INTEGER NOT NULL, min_state INTEGER NOT NULL) WITHOUT ROWID;
        """

    /// Version 2 to 3: what was there is the default scope's (the library's, keyed '').
    private static let upgradeFromVersion2 = """
        ALTER TABLE messages RENAME TO messages_v2;
        ALTER TABLE message_paths RENAME TO message_paths_v2;
        ALTER TABLE changelog RENAME TO changelog_v2;
        DROP INDEX message_paths_by_id;
        """ + changeTables + """
        INSERT INTO messages(scope, id, status, errors_json, modseq, created_modseq, destroyed)
            SELECT '', id, status, errors_json, modseq, created_modseq, destroyed FROM messages_v2;
        INSERT INTO message_paths(scope, path, id) SELECT '', path, id FROM message_paths_v2;
        INSERT INTO changelog(modseq, id, kind, scope) SELECT modseq, id, kind, '' FROM changelog_v2;
        INSERT INTO scopes(key, state, min_state)
            SELECT '', (SELECT value FROM meta WHERE key = 'state'), (SELECT value FROM meta WHERE key = 'min_state');
        DROP TABLE messages_v2;
        DROP TABLE message_paths_v2;
        DROP TABLE changelog_v2;
        """

    /// What --online fetched (DER, base64), kept until it expires (an OCSP
    /// response's or CRL's nextUpdate, at most a day without one), so a large
    /// run asks each responder once per certificate, and the next run not at all.
    static let revocationAnswersTable = """
        CREATE TABLE revocation_answers(
            key TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            der_base64 TEXT NOT NULL,
            fetched_at INTEGER NOT NULL,   -- Unix seconds
            valid_until INTEGER NOT NULL   -- Unix seconds
        ) WITHOUT ROWID;
        """

    /// The trust anchor sets at-delivery verdicts were computed with, each stored
    /// once: with the system store a set is ~150 fingerprints (~10 KB), which
    /// version 1 repeated in every delivery row.
    private static let anchorSetsTable = """
        CREATE TABLE anchor_sets(
            id INTEGER PRIMARY KEY,
            anchors_json TEXT NOT NULL UNIQUE  -- sorted, normalised fingerprints
        );
        """
    private static let deliveryTable = """
        CREATE TABLE delivery(
            message_digest TEXT NOT NULL,
            options_digest TEXT NOT NULL,
            status TEXT,
            received_at INTEGER NOT NULL,
            anchor_set INTEGER NOT NULL REFERENCES anchor_sets(id),
            PRIMARY KEY(message_digest, options_digest)
        ) WITHOUT ROWID;
        """

    /// Version 1 to 2: the files table, and delivery rows pointing at anchor sets.
    private static let upgradeFromVersion1 = filesTableVersion2 + anchorSetsTable + """
        INSERT INTO anchor_sets(anchors_json) SELECT DISTINCT anchors_json FROM delivery;
        ALTER TABLE delivery RENAME TO delivery_v1;
        """ + deliveryTable + """
        INSERT INTO delivery(message_digest, options_digest, status, received_at, anchor_set)
            SELECT d.message_digest, d.options_digest, d.status, d.received_at, a.id
            FROM delivery_v1 d JOIN anchor_sets a ON a.anchors_json = d.anchors_json;
        DROP TABLE delivery_v1;
        """

    /// What each file held when last read (see `FileStamp`): lets a warm run name a
    /// message by its digest without reading or hashing it. As versions 2 to 4 made it.
    private static let filesTableVersion2 = """
        CREATE TABLE files(
            path TEXT PRIMARY KEY,
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL,
            digest TEXT NOT NULL
        ) WITHOUT ROWID;
        """

    /// Version 5: a copy of one current verdict of the file's digest, the row of
    /// `verdicts` for (digest, v_options), so that a warm run reads a directory's
    /// stamps and verdicts in one range read of this table, without a join (which
    /// was three quarters of that read). The copy is exact or absent (v_options
    /// NULL): `record(batch:)` rewrites the copies of the digest it files a verdict
    /// for (through files_by_digest), `recordFiles` copies from `verdicts` when it
    /// writes a row, and `compact` drops copies of the verdicts it deletes.
    /// A copy under other options than a run's says nothing: the run looks up its own.
    static let filesVerdictCopy = """
        ALTER TABLE files ADD COLUMN v_options TEXT;
        ALTER TABLE files ADD COLUMN v_status TEXT;
        ALTER TABLE files ADD COLUMN v_errors_json TEXT;
        ALTER TABLE files ADD COLUMN v_codes_json TEXT;
        ALTER TABLE files ADD COLUMN v_verified_at INTEGER;
        ALTER TABLE files ADD COLUMN v_valid_until INTEGER;
        CREATE INDEX files_by_digest ON files(digest);
        """

    /// Version 4 to 5: the copies, filled from the verdicts there are (the most
    /// recently verified of each digest).
    private static let upgradeFromVersion4 = filesVerdictCopy + """
        UPDATE files SET (v_options, v_status, v_errors_json, v_codes_json, v_verified_at, v_valid_until) =
            (SELECT options_digest, status, errors_json, codes_json, verified_at, valid_until FROM verdicts
             WHERE message_digest = files.digest ORDER BY verified_at DESC LIMIT 1);
        """

    private static let requiredTables: Set<String> = ["meta", "verdicts", "delivery", "messages", "message_paths", "changelog", "files", "anchor_sets", "scopes", "revocation_answers"]

    /// Creates the schema in an empty database, or checks that an existing one is ours.
    private static func prepareSchema(_ connection: SQLiteConnection) throws {
        try connection.transaction(write: true) {
            let version = Int(try connection.strings("PRAGMA user_version").first ?? "0") ?? 0
            if version == 0 {
                let objects = try connection.strings("SELECT count(*) FROM sqlite_master").first ?? "0"
                guard objects == "0" else {
                    throw SchemaProblem(description: "it holds a database that is not a smimekit result cache")
                }
                try connection.execute(schema)
                let generation = String(UInt32.random(in: 0 ... .max), radix: 16)
                let padded = String(repeating: "0", count: 8 - generation.count) + generation
                try connection.execute("""
                    INSERT INTO meta(key, value) VALUES ('generation', '\(padded)'), ('state', 0), ('min_state', 0);
                    INSERT INTO scopes(key, state, min_state) VALUES ('', 0, 0);
                    PRAGMA user_version = \(schemaVersion);
                    """)
            } else if (1...schemaVersion).contains(version) {
                // Each step keeps the verdicts and the change history.
                if version == 1 { try connection.execute(upgradeFromVersion1) }
                if version <= 2 { try connection.execute(upgradeFromVersion2) }
                if version <= 3 { try connection.execute(revocationAnswersTable) }
                if version <= 4 { try connection.execute(upgradeFromVersion4) }
                if version < schemaVersion { try connection.execute("PRAGMA user_version = \(schemaVersion);") }
                let tables = Set(try connection.strings("SELECT name FROM sqlite_master WHERE type = 'table'"))
                let missing = requiredTables.subtracting(tables)
                guard missing.isEmpty else {
                    throw SchemaProblem(description: "tables missing: \(missing.sorted().joined(separator: ", "))")
                }
            } else {
                throw SchemaProblem(description: "it is in cache format \(version), which this version of smimekit does not read")
            }
        }
    }

    // MARK: Serialised access

    /// Runs `body` holding the lock, turning SQLite failures into `ResultStoreError`.
    func locked<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        do {
            return try body(connection)
        } catch let failure as SQLiteFailure {
            if failure.meansBrokenFile { throw ResultStoreError.corrupt(failure.description) }
            throw ResultStoreError.database(failure.description)
        }
    }

    // MARK: Current verdicts

    private static let selectVerdict = """
        SELECT status, errors_json, codes_json, verified_at, valid_until
        FROM verdicts WHERE message_digest = ?1 AND options_digest = ?2
        """
    private static let upsertVerdict = """
        INSERT INTO verdicts(message_digest, options_digest, status, errors_json, codes_json, verified_at, valid_until, path)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT(message_digest, options_digest) DO UPDATE SET
            status = excluded.status, errors_json = excluded.errors_json, codes_json = excluded.codes_json,
            verified_at = excluded.verified_at, valid_until = excluded.valid_until,
            path = coalesce(excluded.path, verdicts.path)
        """
    /// The files holding this digest get the verdict just filed as their copy (see `filesVerdictCopy`).
    private static let updateVerdictCopies = """
        UPDATE files SET v_options = ?2, v_status = ?3, v_errors_json = ?4, v_codes_json = ?5,
            v_verified_at = ?6, v_valid_until = ?7
        WHERE digest = ?1
        """

    /// The cached verdict, or nil when there is none, it is `maxAge` old or older
    /// (maxAge is clamped to 0...24 h), it was computed after `now`, or
    /// `now` is at or past its `validUntil`.
    ///
    /// `now` is the verification time: the `--at` time or the current time.
    public func verdict(for key: StoreKey, now: Date, maxAge: TimeInterval) throws -> StoredVerdict? {
        try verdicts(for: [key], now: now, maxAge: maxAge)[0]
    }

    /// Looks up many keys in one read transaction; the answer is parallel to `keys`.
    public func verdicts(for keys: [StoreKey], now: Date, maxAge: TimeInterval) throws -> [StoredVerdict?] {
        let freshness = try Freshness(now: now, maxAge: maxAge)
        return try locked { connection in
            let select = try connection.statement(Self.selectVerdict)
            return try connection.transaction(write: false) {
                var results: [StoredVerdict?] = []
                results.reserveCapacity(keys.count)
                for key in keys {
                    try select.bind(1, key.messageDigest)
                    try select.bind(2, key.optionsDigest)
                    defer { select.reset() }
                    results.append(try select.step() ? Self.readVerdict(select, freshness) : nil)
                }
                return results
            }
        }
    }

    struct Freshness {
        var now: Double
        var maxAge: Double

        init(now date: Date, maxAge: TimeInterval) throws {
            now = date.timeIntervalSince1970
            guard now.isFinite else { throw ResultStoreError.invalidArguments("the time to look up verdicts at is not a finite date") }
            // NaN and negative ages serve nothing; nothing is served past 24 hours.
            self.maxAge = maxAge.isNaN ? 0 : min(max(maxAge, 0), ResultStore.maximumAge)
        }

        func accepts(verifiedAt: Int64?, validUntil: Int64?) -> Bool {
            if let validUntil, now >= Double(validUntil) { return false }
            guard let verifiedAt else { return true }
            let age = now - Double(verifiedAt)
            // A verdict from later than `now` was computed for another verification time.
            return age >= 0 && age < maxAge
        }
    }

    static func readVerdict(_ row: Statement, _ freshness: Freshness) -> StoredVerdict? {
        let verifiedAt = row.int64(3)
        let validUntil = row.int64(4)
        guard freshness.accepts(verifiedAt: verifiedAt, validUntil: validUntil) else { return nil }
        var errors: [String]?
        var codes: [String]?
        // A column that does not decode is a miss, never a guess.
        if let text = row.string(1) {
            guard let decoded = StringArrayJSON.decode(text) else { return nil }
            errors = decoded
        }
        if let text = row.string(2) {
            guard let decoded = StringArrayJSON.decode(text) else { return nil }
            codes = decoded
        }
        return StoredVerdict(
            status: row.string(0), errors: errors, errorCodes: codes,
            verifiedAt: verifiedAt.map { Date(timeIntervalSince1970: Double($0)) },
            validUntil: validUntil.map { Date(timeIntervalSince1970: Double($0)) })
    }

    /// Stores (replacing) the verdict for `key`. `path` is kept for inspection only.
    public func record(_ verdict: StoredVerdict, for key: StoreKey, path: String?) throws {
        try record(batch: [(key, verdict, path)])
    }

    /// Stores many verdicts in one write transaction.
    public func record(batch: [(StoreKey, StoredVerdict, String?)]) throws {
        guard !batch.isEmpty else { return }
        // Validate before taking the write lock.
        let rows = try batch.map { key, verdict, path in
            (key, verdict, path, try verdict.verifiedAt.map(Self.seconds), try verdict.validUntil.map(Self.seconds))
        }
        try locked { connection in
            let upsert = try connection.statement(Self.upsertVerdict)
            let copies = try connection.statement(Self.updateVerdictCopies)
            try connection.transaction(write: true) {
                for (key, verdict, path, verifiedAt, validUntil) in rows {
                    let errors = verdict.errors.map(StringArrayJSON.encode)
                    let codes = verdict.errorCodes.map(StringArrayJSON.encode)
                    try upsert.bind(1, key.messageDigest)
                    try upsert.bind(2, key.optionsDigest)
                    try upsert.bind(3, verdict.status)
                    try upsert.bind(4, errors)
                    try upsert.bind(5, codes)
                    try upsert.bind(6, verifiedAt)
                    try upsert.bind(7, validUntil)
                    try upsert.bind(8, path)
                    try upsert.run()
                    try copies.bind(1, key.messageDigest)
                    try copies.bind(2, key.optionsDigest)
                    try copies.bind(3, verdict.status)
                    try copies.bind(4, errors)
                    try copies.bind(5, codes)
                    try copies.bind(6, verifiedAt)
                    try copies.bind(7, validUntil)
                    try copies.run()
                }
            }
        }
    }

    /// Whole Unix seconds, rounded down.
    static func seconds(_ date: Date) throws -> Int64 {
        let value = date.timeIntervalSince1970.rounded(.down)
        guard value.isFinite, abs(value) < 1e15 else {
            // Not Date.description: it traps on NaN.
            throw ResultStoreError.invalidArguments("\(date.timeIntervalSince1970) s since 1970 is not a date the cache can store")
        }
        return Int64(value)
    }

    // MARK: At-delivery verdicts

    private static let selectDelivery = """
        SELECT status, received_at, anchor_set FROM delivery WHERE message_digest = ?1 AND options_digest = ?2
        """
    private static let selectAnchorSet = "SELECT anchors_json FROM anchor_sets WHERE id = ?1"
    private static let selectAnchorSetID = "SELECT id FROM anchor_sets WHERE anchors_json = ?1"
    private static let insertAnchorSet = "INSERT INTO anchor_sets(anchors_json) VALUES (?1)"
    private static let upsertDelivery = """
        INSERT INTO delivery(message_digest, options_digest, status, received_at, anchor_set)
        VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT(message_digest, options_digest) DO UPDATE SET
            status = excluded.status, received_at = excluded.received_at, anchor_set = excluded.anchor_set
        """

    /// Fingerprints compare case-insensitively, without ':' or spaces.
    static func normalisedAnchor(_ fingerprint: String) -> String {
        String(fingerprint.lowercased().unicodeScalars.filter { $0 != ":" && $0 != " " })
    }

    /// The remembered at-delivery verdict, or nil when there is none or it must be
    /// recomputed: `currentAnchors` holds an anchor the stored set lacks (the set
    /// gained a member), or `receivedAt` is given and differs from the stored one
    /// (compared in whole seconds). Anchors that were removed since do not matter.
    public func deliveryVerdict(for key: StoreKey, currentAnchors: Set<String>, receivedAt: Date? = nil) throws -> DeliveryVerdict? {
        try deliveryVerdicts(for: [key], currentAnchors: currentAnchors, receivedAt: receivedAt.map { [$0] })[0]
    }

    /// Many at-delivery lookups in one read transaction, parallel to `keys`.
    /// `receivedAt`, when given, must be parallel to `keys` too.
    public func deliveryVerdicts(for keys: [StoreKey], currentAnchors: Set<String>, receivedAt: [Date?]? = nil) throws -> [DeliveryVerdict?] {
        if let receivedAt, receivedAt.count != keys.count {
            throw ResultStoreError.invalidArguments("receivedAt has \(receivedAt.count) dates for \(keys.count) keys")
        }
        let wanted = try receivedAt?.map { try $0.map(Self.seconds) }
        let current = Set(currentAnchors.map(Self.normalisedAnchor))
        return try locked { connection in
            let select = try connection.statement(Self.selectDelivery)
            let selectSet = try connection.statement(Self.selectAnchorSet)
            return try connection.transaction(write: false) {
                var results: [DeliveryVerdict?] = []
                results.reserveCapacity(keys.count)
                // Rows share a few anchor sets: read, decode and compare each once per call.
                var setOfID: [Int64: (anchors: [String], covers: Bool)?] = [:]
                for (index, key) in keys.enumerated() {
                    try select.bind(1, key.messageDigest)
                    try select.bind(2, key.optionsDigest)
                    defer { select.reset() }
                    guard try select.step(), let storedAt = select.int64(1), let setID = select.int64(2) else {
                        results.append(nil)
                        continue
                    }
                    if setOfID[setID] == nil {
                        try selectSet.bind(1, setID)
                        defer { selectSet.reset() }
                        let anchors = try selectSet.step() ? selectSet.string(0).flatMap(StringArrayJSON.decode) : nil
                        setOfID[setID] = .some(anchors.map { ($0, current.isSubset(of: Set($0))) })
                    }
                    // A row whose set is missing or does not decode is a miss, never a guess.
                    guard let (anchors, covers) = setOfID[setID] ?? nil else {
                        results.append(nil)
                        continue
                    }
                    if let wanted, let seconds = wanted[index], seconds != storedAt {
                        results.append(nil)
                        continue
                    }
                    results.append(covers
                        ? DeliveryVerdict(status: select.string(0),
                                          receivedAt: Date(timeIntervalSince1970: Double(storedAt)),
                                          anchorSet: anchors)
                        : nil)
                }
                return results
            }
        }
    }

    /// Remembers an at-delivery verdict (replacing any earlier one for `key`).
    /// The anchor set is stored normalised (lower case, no ':'), sorted.
    public func recordDelivery(_ verdict: DeliveryVerdict, for key: StoreKey) throws {
        try recordDelivery(batch: [(key, verdict)])
    }

    public func recordDelivery(batch: [(StoreKey, DeliveryVerdict)]) throws {
        guard !batch.isEmpty else { return }
        let rows = try batch.map { key, verdict in
            (key, verdict.status, try Self.seconds(verdict.receivedAt),
             StringArrayJSON.encode(Set(verdict.anchorSet.map(Self.normalisedAnchor)).sorted()))
        }
        try locked { connection in
            let upsert = try connection.statement(Self.upsertDelivery)
            let findSet = try connection.statement(Self.selectAnchorSetID)
            let insertSet = try connection.statement(Self.insertAnchorSet)
            try connection.transaction(write: true) {
                var idOfSet: [String: Int64] = [:]
                for (key, status, receivedAt, anchors) in rows {
                    let setID: Int64
                    if let known = idOfSet[anchors] {
                        setID = known
                    } else {
                        try findSet.bind(1, anchors)
                        if try findSet.step(), let id = findSet.int64(0) {
                            setID = id
                        } else {
                            findSet.reset()
                            try insertSet.bind(1, anchors)
                            try insertSet.run()
                            setID = connection.lastInsertRowID
                        }
                        findSet.reset()
                        idOfSet[anchors] = setID
                    }
                    try upsert.run(key.messageDigest, key.optionsDigest, status, receivedAt, setID)
                }
            }
        }
    }

    // MARK: Housekeeping

    /// Deletes verdicts that can never be served again (24 hours old, or past
    /// validUntil at `now`, the current time) and forgets change history older than
    /// the last `keepingChanges` state steps; `changes(since:)` from a state before
    /// that then throws `cannotCalculateChanges`. At-delivery verdicts are kept.
    public func compact(now: Date = Date(), keepingChanges: Int = 1_000_000) throws {
        let nowSeconds = try Self.seconds(now)
        let keep = Int64(max(keepingChanges, 0))
        try locked { connection in
            try connection.transaction(write: true) {
                let expire = try connection.statement("""
                    DELETE FROM verdicts WHERE (verified_at IS NOT NULL AND verified_at <= ?1 - 86400)
                        OR (valid_until IS NOT NULL AND valid_until <= ?1)
                    """)
                try expire.bind(1, nowSeconds)
                try expire.run()
                // A copy is exact or absent: those of the verdicts deleted go too.
                try connection.execute("""
                    UPDATE files SET v_options = NULL, v_status = NULL, v_errors_json = NULL, v_codes_json = NULL,
                        v_verified_at = NULL, v_valid_until = NULL
                    WHERE v_options IS NOT NULL AND NOT EXISTS
                        (SELECT 1 FROM verdicts WHERE message_digest = files.digest AND options_digest = files.v_options)
                    """)
                let stale = try connection.statement("DELETE FROM revocation_answers WHERE valid_until <= ?1")
                try stale.bind(1, nowSeconds)
                try stale.run()
                try connection.execute("DELETE FROM anchor_sets WHERE id NOT IN (SELECT anchor_set FROM delivery)")
                let state = try Self.meta(connection, "state")
                let cutoff = state - keep
                guard cutoff > (try Self.meta(connection, "min_state")) else { return }
                let forget = try connection.statement("DELETE FROM changelog WHERE modseq <= ?1")
                try forget.bind(1, cutoff)
                try forget.run()
                let tombstones = try connection.statement("DELETE FROM messages WHERE destroyed = 1 AND modseq <= ?1")
                try tombstones.bind(1, cutoff)
                try tombstones.run()
                try Self.setMeta(connection, "min_state", cutoff)
                // A scope whose last step is older than the cutoff lost nothing a client at
                // that state needs: its oldest answerable state is its own.
                let scopes = try connection.statement("UPDATE scopes SET min_state = max(min_state, min(?1, state))")
                try scopes.bind(1, cutoff)
                try scopes.run()
            }
        }
    }

    /// Row counts, for `cache info`-style output and tests.
    public struct Statistics: Sendable, Equatable {
        public var verdicts: Int
        public var deliveryVerdicts: Int
        public var messages: Int
        public var destroyedMessages: Int
        public var paths: Int
        public var changeLogEntries: Int
    }

    public func statistics() throws -> Statistics {
        try locked { connection in
            try connection.transaction(write: false) {
                func count(_ sql: String) throws -> Int { Int(try connection.strings(sql).first ?? "0") ?? 0 }
                return Statistics(
                    verdicts: try count("SELECT count(*) FROM verdicts"),
                    deliveryVerdicts: try count("SELECT count(*) FROM delivery"),
                    messages: try count("SELECT count(*) FROM messages WHERE destroyed = 0"),
                    destroyedMessages: try count("SELECT count(*) FROM messages WHERE destroyed = 1"),
                    paths: try count("SELECT count(*) FROM message_paths"),
                    changeLogEntries: try count("SELECT count(*) FROM changelog"))
            }
        }
    }

    /// Runs `PRAGMA quick_check` on the open database: ["ok"] when it is sound.
    public func checkIntegrity() throws -> [String] {
        try locked { connection in try connection.strings("PRAGMA quick_check") }
    }

    static func meta(_ connection: SQLiteConnection, _ key: String) throws -> Int64 {
        let select = try connection.statement("SELECT value FROM meta WHERE key = ?1")
        defer { select.reset() }
        try select.bind(1, key)
        guard try select.step(), let value = select.int64(0) else {
            throw ResultStoreError.database("the cache has no \(key) value")
        }
        return value
    }

    static func setMeta(_ connection: SQLiteConnection, _ key: String, _ value: Int64) throws {
        let update = try connection.statement("UPDATE meta SET value = ?2 WHERE key = ?1")
        try update.bind(1, key)
        try update.bind(2, value)
        try update.run()
    }

    /// "generation-counter" for the default scope, "generation-counter-scope" for another.
    func stateString(_ counter: Int64, scope: String = ResultStore.defaultScope) -> String {
        scope.isEmpty ? "\(generation)-\(counter)" : "\(generation)-\(counter)-\(scope)"
    }

    func parseState(_ state: String) -> (counter: Int64, scope: String)? {
        let prefix = generation + "-"
        guard state.hasPrefix(prefix) else { return nil }
        let rest = state.dropFirst(prefix.count).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard let digits = rest.first, !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let counter = Int64(digits) else { return nil }
        let scope = rest.count == 2 ? String(rest[1]) : ResultStore.defaultScope
        if rest.count == 2 && scope.isEmpty { return nil }
        return (counter, scope)
    }
}
