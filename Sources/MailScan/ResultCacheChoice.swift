// Which result cache a run keeps its verdicts in: one the user named, the
// default one, or none. The same for every command that verifies and for a server.
import Foundation
import MIME
import ResultStore

public struct ResultCacheChoice: Sendable {
    /// The file the user named (--store); nil: the default location.
    public var path: String?
    /// Neither read nor write a cache (--no-cache).
    public var disabled: Bool
    public var environment: [String: String]

    public init(path: String? = nil, disabled: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.path = path
        self.disabled = disabled
        self.environment = environment
    }

    public var url: URL { path.map { URL(fileURLWithPath: $0) } ?? ResultStore.defaultURL(environment: environment) }

    /// The store, or nil when disabled. The default cache that cannot be opened is
    /// not a reason to stop: the run goes on without it, after a warning (that its
    /// root is missing, once a process). One the user named is what they asked for:
    /// not having it throws, unless other runs merely keep it busy. (A broken file
    /// is moved aside and replaced by the store itself, which warns too.)
    public func open(warn: @escaping @Sendable (String) -> Void) throws -> ResultStore? {
        if disabled { return nil }
        if path == nil, let missing = Self.missingCacheRoot(environment: environment) {
            // Making /nonexistent/x/.cache/smimekit would litter a path the user never chose.
            Self.warnOnce("\(missing) does not exist; running without the result cache (give --store PATH to keep one)", warn)
            return nil
        }
        do {
            return try ResultStore(url: url, warn: warn)
        } catch {
            if path != nil && !ResultStore.isContention(error) { throw error }
            warn("\(url.path): \(error); going on without the result cache")
            return nil
        }
    }

    /// The directory the default location hangs from, when it does not exist: HOME
    /// (for ~/.cache/smimekit), or the parent of $XDG_CACHE_HOME. Only what is
    /// below them is created.
    public static func missingCacheRoot(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            let root = URL(fileURLWithPath: xdg).deletingLastPathComponent().path
            return isDirectory(root) ? nil : "the parent of XDG_CACHE_HOME (\(root))"
        }
        let root = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return isDirectory(root) ? nil : "HOME (\(root))"
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    private static let warned = Locked(false)

    private static func warnOnce(_ message: String, _ warn: (String) -> Void) {
        let first = warned.withLock { w in
            defer { w = true }
            return !w
        }
        if first { warn(message) }
    }
}
