// Where verdicts are remembered, and for how long: shared by every command
// that verifies (verify, status, query, changes).
import ArgumentParser
import Foundation
import MIME
import MailScan
import ResultStore
import SMIME

struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite; none when HOME, or the parent of XDG_CACHE_HOME, does not exist). query, changes and status name a file whose stat(2) stamp (device, inode, size, mtime, ctime) is unchanged by the digest recorded for it; verify always reads and hashes the file before serving a stored verdict.", valueName: "path"),
            completion: .file())
    var store: String?

    @Flag(help: "Neither read nor write the result cache (even one named with --store): verify everything now.")
    var noCache = false

    @Option(help: ArgumentHelp("Serve a cached smimeStatus and smimeErrors at most this many seconds after they were computed (0 to 86400; RFC 9219 allows 24 hours).", valueName: "seconds"))
    var maxAge: Int = Int(ResultStore.maximumAge)

    func validate() throws {
        guard (0...Int(ResultStore.maximumAge)).contains(maxAge) else {
            throw ValidationError("--max-age takes 0 to 86400 seconds (RFC 9219 serves a verdict for at most 24 hours), not \(maxAge)")
        }
    }

    var storeURL: URL {
        store.map { URL(fileURLWithPath: $0) } ?? ResultStore.defaultURL()
    }

    /// The store, or nil with --no-cache. The default cache that cannot be opened
    /// is not a reason to stop: the run goes on without it, after a warning. One
    /// named with --store is what the user asked for: not having it is trouble
    /// (exit 2). (A broken file is moved aside and replaced by the store itself,
    /// which warns too.)
    func open() throws -> ResultStore? {
        if noCache { return nil }
        if store == nil, let missing = Self.missingCacheRoot() {
            // Making /nonexistent/x/.cache/smimekit would litter a path the user never chose.
            Self.warnOnce("\(missing) does not exist; running without the result cache (give --store PATH to keep one)")
            return nil
        }
        do {
            return try ResultStore(url: storeURL, warn: { Diagnostics.warning($0) })
        } catch {
            // A store that cannot be opened is trouble when the user named it; one that
            // other runs keep busy is not broken, so every run goes on without it.
            if let store, !ResultStore.isContention(error) {
                Diagnostics.error("--store \(store): \(error)")
                throw ExitCode(ExitStatus.trouble)
            }
            Diagnostics.warning("\(storeURL.path): \(error); going on without the result cache")
            return nil
        }
    }

    /// The directory the default location hangs from, when it does not exist: HOME
    /// (for ~/.cache/smimekit), or the parent of $XDG_CACHE_HOME. Only what is
    /// below them is created.
    static func missingCacheRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let root: String
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            root = URL(fileURLWithPath: xdg).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue { return nil }
            return "the parent of XDG_CACHE_HOME (\(root))"
        }
        root = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue { return nil }
        return "HOME (\(root))"
    }

    private static let warned = Locked(false)

    private static func warnOnce(_ message: String) {
        let first = warned.withLock { w in
            defer { w = true }
            return !w
        }
        if first { Diagnostics.warning(message) }
    }
}
