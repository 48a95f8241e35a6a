import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",  // explicit: the default is derived by reflection at every start-up
        abstract: "Tell from structure alone whether messages carry S/MIME: null, unknown or signed.",
        discussion: """
            No cryptography is done: `signed` means a signature is there, not that it holds (use verify for that).
            `unknown` is S/MIME that is not a signature we can check: encrypted, certs-only, or a multipart/signed with another protocol such as OpenPGP. `null` is no S/MIME at all.

            The answer depends on the message alone, never on what ran before. With --cached, a fresh verdict that an earlier verify with the same trust options left in the result cache (signed/verified, signed/failed, ...) is printed instead of the structural answer where there is one.

            Examples:
              smimekit status message.eml
              smimekit status --format ndjson ~/Maildir > statuses.ndjson
              smimekit status --cached --no-system-trust --trust ca.pem ~/Maildir
              cat message.eml | smimekit status -
              smimekit status -l ~/Maildir > smime-paths.txt

            With -l (or -0) only the paths of the messages that carry S/MIME (any status but null) are printed; the exit status is as without it.

            Exit status:
              0  every message carries S/MIME
              1  some message does not
              2  trouble: a bad option, an unreadable file, or a --store that cannot be opened
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Trust (selects which cached verdicts apply, with --cached)") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions
    @OptionGroup(title: "Paths only") var list: PathListOptions
    @OptionGroup var config: ConfigOptions

    @Flag(help: "Print the fresh verdict an earlier verify left in the result cache (same trust options), where there is one, instead of the structural answer.")
    var cached = false

    func validate() throws {
        try list.check(format: output.format)
        if cached && cache.noCache { throw ValidationError("--cached reads the result cache; it does not go with --no-cache") }
    }

    func run() throws {
        try input.requireInput()
        let format = OutputFormat.resolve(output.format)
        _ = try output.selectedProperties(default: [.smimeStatus])
        var service: VerdictService?
        // Only with --cached: a plain status must not answer differently after a verify.
        if cached, let store = try cache.open() {
            service = try trust.service(input, cache, store: store, deliveryTime: false)
        }
        var outcome = RunOutcome()
        var printer = RecordPrinter(format: format, properties: [.smimeStatus])
        BatchScan(jobs: input.jobs.count, progress: input.progress()).run(input.walk()) { batch in
            let results = StructureRead.statuses(batch, limits: input.limits, maxBytes: input.maxMessageSize,
                                                 inMemory: input.maxInMemorySize, jobs: input.jobs.count, cached: service)
            for (item, result) in zip(batch, results) {
                switch result {
                case .failure(let f):
                    outcome.sawError = true
                    printer.failure(path: item.displayPath, reason: f.text)
                case .success(let s):
                    if let refusal = s.refusal { Diagnostics.warning("\(item.displayPath): \(refusal)") }
                    outcome.count += 1
                    if s.status == nil { outcome.sawMismatch = true }
                    if list.enabled {
                        if s.status != nil { list.emit(item.displayPath) }
                        continue
                    }
                    printer.record(path: item.displayPath, id: s.digest.emailID, values: SMIMEProperties(status: s.status))
                }
            }
            return true
        }
        printer.finish()
        throw ExitCode(outcome.exitCode)
    }
}
