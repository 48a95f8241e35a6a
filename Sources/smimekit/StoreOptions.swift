// Where verdicts are remembered, and for how long: shared by every command
// that verifies (verify, status, query, changes).
import ArgumentParser
import Foundation
import ResultStore

struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The result cache (default: $XDG_CACHE_HOME/smimekit/results.sqlite, else ~/.cache/smimekit/results.sqlite).", valueName: "path"),
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
        do {
            return try ResultStore(url: storeURL, warn: { Diagnostics.warning($0) })
        } catch {
            if let store {
                Diagnostics.error("--store \(store): \(error)")
                throw ExitCode(ExitStatus.trouble)
            }
            Diagnostics.warning("\(storeURL.path): \(error); going on without the result cache")
            return nil
        }
    }
}
