import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import ResultStore
import SMIME

struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes",  // explicit: the default is derived by reflection at every start-up
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
                let response = JMAPResponse.emailChanges(oldState: c.oldState, newState: c.newState, hasMoreChanges: c.hasMoreChanges,
                                                         created: c.created, updated: c.updated, destroyed: c.destroyed)
                StandardOutput.shared.write(response.serialized() + "\n")
            } else {
                StandardOutput.shared.write(try store.state(scope: scope) + "\n")
            }
        } catch let e as ResultStoreError {
            Diagnostics.jmapError(e.description, type: e.jmapType, description: e.description, asResponse: true)
            throw ExitCode(ExitStatus.trouble)
        }
        StandardOutput.shared.flush()
        throw ExitCode(sawError ? ExitStatus.trouble : ExitStatus.success)
    }

    /// Verifies and records every message; sweeps what is gone. True when something could not be read.
    private func scan(_ store: ResultStore, scope: String) throws -> Bool {
        let service = try trust.service(input, cache, store: store, deliveryTime: false)
        var sawError = false
        do {
            try ChangesScan(store: store, scope: scope, service: service).run(input.walk(), jobs: input.jobs.count, progress: input.progress()) { item, f in
                sawError = true
                Diagnostics.error("\(item.displayPath): \(f.text)")
            }
        } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        return sawError
    }
}
