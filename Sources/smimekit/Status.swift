import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
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
        let limits = input.limits
        let maxSize = input.maxMessageSize
        let inMemory = input.maxInMemorySize
        let jobs = input.jobCount
        var service: VerdictService?
        // Only with --cached: a plain status must not answer differently after a verify.
        if cached, let store = try cache.open() {
            service = VerdictService(
                verifier: try trust.verifier(limits: limits, inMemoryLimit: input.maxInMemorySize), store: store, maxAge: TimeInterval(cache.maxAge),
                at: try trust.parsedTime(trust.at, option: "--at"), receivedAt: nil, maxBytes: maxSize, jobs: jobs, warn: { Diagnostics.warning($0) }, advice: { $0.advice })
        }
        var outcome = RunOutcome()
        var printer = RecordPrinter(format: format, properties: [.smimeStatus])
        BatchScan(jobs: jobs, progress: input.progress()).run(input.walk()) { batch in
            let results = WorkPool.map(batch, jobs: jobs) { StructureRead.read($0, limits: limits, maxBytes: maxSize, inMemory: inMemory) }
            var cached = (service?.cachedVerdicts(results.compactMap { try? $0.get().digest }) ?? []).makeIterator()
            for (item, result) in zip(batch, results) {
                switch result {
                case .failure(let f):
                    outcome.sawError = true
                    printer.failure(path: item.displayPath, reason: f.text)
                case .success(let s):
                    if let refusal = s.refusal { Diagnostics.warning("\(item.displayPath): \(refusal)") }
                    // A cached verdict wins, even one that says there is no S/MIME.
                    var status = s.status
                    if service != nil, let verdict = cached.next()! { status = verdict.status }
                    outcome.count += 1
                    if status == nil { outcome.sawMismatch = true }
                    if list.enabled {
                        if status != nil { list.emit(item.displayPath) }
                        continue
                    }
                    printer.record(path: item.displayPath, id: s.digest.emailID, values: SMIMEProperties(status: status))
                }
            }
            return true
        }
        printer.finish()
        throw ExitCode(outcome.exitCode)
    }
}
