// Skipping the integrity check of a cache nothing has touched. `PRAGMA
// quick_check` reads the whole file, which at every open cost a warm query over
// 100,000 messages 70 ms of its 0.9 s. A closing ResultStore writes the stat(2)
// stamp of the file it leaves (after SQLite has checkpointed and removed the
// WAL) into `<cache>-checked`; an open that finds the file with exactly that
// stamp, and no WAL, knows it is byte for byte what a smimekit process wrote,
// and skips the check. Anything else (another program, a copy, a crash that
// left a WAL, damage that moved the file's times) is checked as before.
import Foundation
import MIME
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum CheckedMarker {
    static let suffix = "-checked"

    private static func text(_ stamp: FileStamp) -> String {
        "\(stamp.device) \(stamp.inode) \(stamp.size) \(stamp.modifiedNanoseconds) \(stamp.changedNanoseconds)\n"
    }

    /// A WAL with frames in it means the file alone is not the whole database.
    private static func walIsEmpty(_ databasePath: String) -> Bool {
        var st = stat()
        return stat(databasePath + "-wal", &st) != 0 || st.st_size == 0
    }

    /// Notes the database file as it is now; removes a stale note when it cannot vouch.
    static func record(databasePath: String) {
        let marker = databasePath + suffix
        guard walIsEmpty(databasePath), let stamp = FileStamp(path: databasePath), stamp.size > 0 else {
            unlink(marker)
            return
        }
        let temporary = marker + ".\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(text(stamp).utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        if written == bytes.count { rename(temporary, marker) } else { unlink(temporary) }
    }

    /// Whether the database file is exactly as a closing ResultStore left it.
    static func matches(databasePath: String) -> Bool {
        guard walIsEmpty(databasePath), let stamp = FileStamp(path: databasePath), stamp.size > 0,
              let data = FileManager.default.contents(atPath: databasePath + suffix) else { return false }
        return String(decoding: data, as: UTF8.self) == text(stamp)
    }
}
