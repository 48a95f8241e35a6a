import CSQLite
import XCTest
@testable import ResultStore

/// issue 13 item 15: what SQLite reports reaches people as a sentence about the
/// cache, never as the SQL statement that failed.
final class PlainSQLiteErrorTests: XCTestCase {
    func testNoSQLTextInAnyFailureDescription() {
        let statements = ["INSERT INTO verdicts (digest, status) VALUES (?, ?)", "PRAGMA journal_mode = WAL",
                          "CREATE TABLE IF NOT EXISTS files (path TEXT)", "SELECT digest FROM files WHERE path = ?"]
        let codes: [Int32] = [SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL,
                              SQLITE_IOERR, SQLITE_IOERR | (3 << 8), SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_NOMEM, SQLITE_ERROR, SQLITE_MISUSE]
        var seen = Set<String>()
        for code in codes {
            for sql in statements {
                let text = SQLiteFailure(code: code, message: "near \"VALUES\": syntax error", context: sql).description
                for word in ["INSERT", "PRAGMA", "CREATE", "SELECT", "VALUES", "syntax"] {
                    XCTAssertFalse(text.contains(word), "code \(code): \(text)")
                }
                XCTAssertTrue(text.contains("result cache") || text.contains("not a result cache") || text.contains("disk"), text)
                seen.insert(text)
            }
        }
        XCTAssertGreaterThan(seen.count, 8, "each kind of trouble reads differently")
        XCTAssertEqual(SQLiteFailure(code: SQLITE_FULL, message: "", context: "").description, "the disk holding the result cache is full")
    }
}
