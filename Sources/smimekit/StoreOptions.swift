// Where verdicts are remembered, and for how long: shared by every command
// that verifies (verify, status, query, changes).
import ArgumentParser
import Foundation
import ResultStore
import SMIME

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

    /// The store, or nil with --no-cache. A store that cannot be opened is not a
    /// reason to stop: the run goes on without it, after a warning. (A broken file
    /// is moved aside and replaced by the store itself, which warns too.)
    func open() -> ResultStore? {
        if noCache { return nil }
        do {
            return try ResultStore(url: storeURL, warn: { Diagnostics.warning($0) })
        } catch {
            Diagnostics.warning("\(error); going on without the result cache")
            return nil
        }
    }
}

/// The result store as --online's answer cache. A store that fails is no reason
/// to stop: the answer is fetched again.
struct StoredRevocationAnswers: RevocationAnswerCache {
    let store: ResultStore

    func answer(for key: String, now: Date) -> [UInt8]? {
        try? store.revocationAnswer(for: key, now: now)
    }

    func store(_ der: [UInt8], for key: String, url: String, until: Date) {
        try? store.recordRevocationAnswer(der, for: key, url: url, until: until)
    }
}
