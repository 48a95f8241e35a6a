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

    /// The store, or nil with --no-cache (see `ResultCacheChoice.open`): a --store that cannot be opened is trouble.
    func open() throws -> ResultStore? {
        let choice = ResultCacheChoice(path: store, disabled: noCache)
        do {
            return try choice.open(warn: { Diagnostics.warning($0) })
        } catch {
            Diagnostics.error("--store \(store ?? choice.url.path): \(error)")
            throw ExitCode(ExitStatus.trouble)
        }
    }
}
