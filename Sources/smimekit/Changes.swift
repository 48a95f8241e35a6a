import ArgumentParser
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan messages and print what changed since a state, as a JMAP Email/changes response.",
        discussion: """
            Each message given is verified (through the result cache) and noted as seen at its path: a new one is created, one whose smimeStatus or smimeErrors differ from last time is updated (a new smimeVerifiedAt alone is no change, RFC 9219), and one no longer found under a directory scanned (or a file named that is gone) is destroyed. Ids are derived from the message bytes, as in verify.

            States belong to the set of paths scanned: the operands, made absolute and sorted (so `changes b a` and `cd /; changes /a /b` are one set), or, with no operand, the list of paths read from standard input (one set for every such run; a path not listed is gone). A message copied into a tree is created there even if the same bytes were seen elsewhere; a state of one set is refused for another.

            Without --since the current state is printed, to start from:
              state=$(smimekit changes ~/Maildir)
              ...
              smimekit changes --since "$state" ~/Maildir

            Exit status:
              0  success
              2  trouble: a bad option, an unreadable file, a result cache that cannot be opened, or a state the cache cannot compute changes from
            """
    )

    @Option(help: ArgumentHelp("The state of an earlier run (printed by changes without --since, or as newState).", valueName: "state"))
    var since: String?

    @Option(help: ArgumentHelp("At most this many ids; newState is then an intermediate state and hasMoreChanges true.", valueName: "n"))
    var maxChanges: Int?

    @OptionGroup var input: InputOptions
    @OptionGroup(title: "Trust and verification") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        if cache.noCache { throw ValidationError("changes keeps its state in the result cache; it cannot run with --no-cache") }
        if let maxChanges, maxChanges < 1 { throw ValidationError("--max-changes takes a number of 1 or more") }
    }

    func run() throws {
        guard let store = try cache.open() else {
            Diagnostics.error("changes needs the result cache, and it could not be opened")
            throw ExitCode(ExitStatus.trouble)
        }
        var sawError = false
        let scope = ScanScope.key(operands: input.paths)
        // Scan when there is something to scan: operands, or paths piped in.
        if !input.paths.isEmpty || isatty(STDIN_FILENO) == 0 {
            sawError = try scan(store, scope: scope)
        }
        do {
            if let since {
                let c = try store.changes(since: since, maxChanges: maxChanges, scope: scope)
                let response = JMAPResponse.envelope([JMAPResponse.invocation("Email/changes", .object([
                    ("accountId", .string("local")),
                    ("oldState", .string(c.oldState)),
                    ("newState", .string(c.newState)),
                    ("hasMoreChanges", .bool(c.hasMoreChanges)),
                    ("created", .array(c.created.map { .string($0) })),
                    ("updated", .array(c.updated.map { .string($0) })),
                    ("destroyed", .array(c.destroyed.map { .string($0) })),
                ]))])
                StandardOutput.shared.write(response.serialized() + "\n")
            } else {
                StandardOutput.shared.write(try store.state(scope: scope) + "\n")
            }
        } catch let e as ResultStoreError {
            Diagnostics.error(e.description)
            let response = JMAPResponse.error(type: e.jmapType, description: e.description)
            StandardOutput.shared.write(response.serialized() + "\n")
            StandardOutput.shared.flush()
            throw ExitCode(ExitStatus.trouble)
        }
        StandardOutput.shared.flush()
        throw ExitCode(sawError ? ExitStatus.trouble : ExitStatus.success)
    }

    /// Verifies and records every message; sweeps what is gone. True when something could not be read.
    private func scan(_ store: ResultStore, scope: String) throws -> Bool {
        let verifier = try trust.verifier(limits: input.limits, inMemoryLimit: input.maxInMemorySize)
        let jobs = input.jobCount
        let maxSize = input.maxMessageSize
        var service = VerdictService(
            verifier: verifier, store: store, maxAge: TimeInterval(cache.maxAge),
            at: try trust.parsedTime(trust.at, option: "--at"), receivedAt: nil, maxBytes: maxSize, jobs: jobs)
        var sawError = false
        var storeUsable = true
        // Every path seen, readable or not: a file that is there is not destroyed.
        // Noted in the store batch by batch, so memory does not grow with the scan.
        try store.clearPresent()
        defer { try? store.clearPresent() }
        BatchScan(jobs: jobs, progress: input.progress()).run(input.walk()) { batch in
            let reads = service.read(batch)
            let requests = reads.compactMap { try? $0.get() }.map { VerdictRequest(message: $0) }
            var verdicts = service.resolve(requests).makeIterator()
            var seen: [ResultStore.SeenMessage] = []
            var present: [String] = []
            for (item, read) in zip(batch, reads) {
                var st = stat()
                if case .file(let path, _) = item, PathCalls.stat(path, &st) == 0 { present.append(Self.absolute(path)) }
                switch read.flatMap({ m in verdicts.next()!.map { (m, $0) } }) {
                case .failure(let f):
                    sawError = true
                    Diagnostics.error("\(item.displayPath): \(f.reason)")
                case .success(let (m, v)):
                    // A message from standard input has no path to be found at again.
                    guard case .file(let path, _) = item else { continue }
                    seen.append((id: m.id, path: Self.absolute(path), status: v.status, errors: v.errors))
                }
            }
            do {
                try store.recordSeen(batch: seen, scope: scope)
                try store.markPresent(present)
            } catch {
                Diagnostics.error("\(error)")
                storeUsable = false
                return false
            }
            return true
        }
        service.finish()
        guard storeUsable else { throw ExitCode(ExitStatus.trouble) }
        // Everything the scope holds was found under its operands (or in its list): what this
        // scan did not see is gone, a file named that no longer exists included.
        try store.sweepUnmarked(scope: scope)
        return sawError
    }

    /// Paths are remembered absolute, so that `changes ~/Maildir` and `cd ~; changes Maildir` agree.
    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// The set of paths a run scans, as the result cache keys Email/changes state:
/// a digest of the canonical operand list (absolute, standardised, sorted, each
/// once; `-` left out, as standard input has no path), or a fixed key for a list of
/// paths read from standard input.
enum ScanScope {
    static func key(operands: [String]) -> String {
        let paths = Set(operands.filter { $0 != "-" }.map(Changes.absolute)).sorted()
        let canonical = paths.isEmpty ? "\u{1}paths from standard input" : paths.joined(separator: "\0")
        return String(Digest.sha256Hex(Array(canonical.utf8)).prefix(16))
    }
}
