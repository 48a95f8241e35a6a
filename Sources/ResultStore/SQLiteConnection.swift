import CSQLite
import Foundation

/// A failure reported by SQLite, with the primary result code kept so callers
/// can tell a broken file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) from contention
/// or I/O trouble.
struct SQLiteFailure: Error, CustomStringConvertible {
    var code: Int32          // extended result code
    var message: String
    var context: String

    var primaryCode: Int32 { code & 0xff }
    var meansBrokenFile: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }
    /// Another process held the file past the busy timeout: the file itself is fine.
    var meansContention: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }
    /// What a person reads: a plain sentence about the file, never the SQL that
    /// failed (`context` keeps that, for a debugger).
    var description: String {
        switch primaryCode {
        case SQLITE_READONLY: return "the result cache is read-only (check the file's and its directory's permissions)"
        case SQLITE_CANTOPEN: return "the result cache file cannot be opened (check that its directory exists and is writable)"
        case SQLITE_PERM, SQLITE_AUTH: return "permission to use the result cache was denied"
        case SQLITE_BUSY, SQLITE_LOCKED: return "the result cache is locked by another process for too long"
        case SQLITE_FULL: return "the disk holding the result cache is full"
        case SQLITE_IOERR: return "reading or writing the result cache failed (a disk error)"
        case SQLITE_CORRUPT, SQLITE_NOTADB: return "the file is not a result cache, or it is damaged"
        case SQLITE_NOMEM: return "there was not enough memory to use the result cache"
        default: return "the result cache could not be used (SQLite error \(code))"
        }
    }
}

/// One sqlite3 connection with a cache of prepared statements.
/// Not thread-safe on its own: `ResultStore` serialises every use behind its lock.
final class SQLiteConnection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    init(path: String) throws {
        var db: OpaquePointer?
        // NOMUTEX: the owner serialises access, so SQLite's own mutex would be redundant.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteFailure(code: rc, message: message, context: "opening \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    private var closed = false

    deinit { close() }

    /// Finalises the statements and closes the database (the last connection
    /// checkpoints the WAL into the file and removes it). Idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        for statement in statements.values { sqlite3_finalize(statement) }
        statements = [:]
        sqlite3_close_v2(handle)
    }

    func failure(_ code: Int32, _ context: String) -> SQLiteFailure {
        SQLiteFailure(code: code, message: String(cString: sqlite3_errmsg(handle)), context: context)
    }

    /// Runs one or more statements that return no rows worth reading.
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc, sql) }
    }

    /// Runs a statement and returns the first column of every row as text.
    func strings(_ sql: String) throws -> [String] {
        var statement: OpaquePointer?
        var rc = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(rc, sql) }
        defer { sqlite3_finalize(statement) }
        var rows: [String] = []
        while true {
            rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw failure(rc, sql) }
            rows.append(sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? "")
        }
    }

    /// A prepared statement kept for reuse; it is reset when handed out.
    func statement(_ sql: String) throws -> Statement {
        if let cached = statements[sql] {
            return Statement(handle: cached, connection: self, sql: sql)
        }
        var prepared: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard rc == SQLITE_OK, let prepared else { throw failure(rc, "preparing \(sql)") }
        statements[sql] = prepared
        return Statement(handle: prepared, connection: self, sql: sql)
    }

    var changes: Int { Int(sqlite3_changes(handle)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Runs `body` inside a transaction. Writers use `BEGIN IMMEDIATE` so that the
    /// write lock is taken (waiting up to the busy timeout) before anything is read;
    /// a deferred transaction that later tries to write can fail with SQLITE_BUSY
    /// without the busy handler being consulted.
    func transaction<T>(write: Bool, _ body: () throws -> T) throws -> T {
        try execute(write ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if inTransaction { _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil) }
            throw error
        }
    }
}

/// A borrowed, reusable prepared statement. Bind, step, read; `reset()` after use.
struct Statement {
    let handle: OpaquePointer
    let connection: SQLiteConnection
    let sql: String

    /// SQLITE_TRANSIENT: SQLite copies the bound bytes before the call returns.
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ index: Int32, _ value: String?) throws {
        let rc: Int32
        if let value {
            var value = value
            rc = value.withUTF8 { bytes in
                // A non-null pointer even for "", so the value binds as '' and not NULL.
                let base = bytes.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 1)!
                return sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self),
                                         Int32(bytes.count), Statement.transient)
            }
        } else {
            rc = sqlite3_bind_null(handle, index)
        }
        guard rc == SQLITE_OK else { throw connection.failure(rc, "binding \(sql)") }
    }

    func bind(_ index: Int32, _ value: Int64?) throws {
        let rc = value.map { sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index)
        guard rc == SQLITE_OK else { throw connection.failure(rc, "binding \(sql)") }
    }

    /// Binds `values` to ?1, ?2, ... in order and steps to completion.
    func run(_ values: any SQLValue...) throws {
        for (i, v) in values.enumerated() { try v.bind(to: self, Int32(i + 1)) }
        try run()
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.failure(rc, sql)
    }

    /// Steps to completion, discarding rows.
    func run() throws {
        defer { reset() }
        while try step() {}
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func string(_ column: Int32) -> String? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// The column's text bytes, valid until the next step or reset; nil for NULL.
    func text(_ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let text = sqlite3_column_text(handle, column) else { return nil }
        return UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column)))
    }

    func int64(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(handle, column)
    }
}

/// What a statement parameter takes: text, an integer, or (nil) NULL.
protocol SQLValue {
    func bind(to statement: Statement, _ index: Int32) throws
}

extension String: SQLValue {
    func bind(to statement: Statement, _ index: Int32) throws { try statement.bind(index, self) }
}

extension Int64: SQLValue {
    func bind(to statement: Statement, _ index: Int32) throws { try statement.bind(index, self) }
}

extension Optional: SQLValue where Wrapped: SQLValue {
    func bind(to statement: Statement, _ index: Int32) throws {
        if let self { try self.bind(to: statement, index) } else { try statement.bind(index, nil as Int64?) }
    }
}
