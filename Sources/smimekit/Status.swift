import ArgumentParser
import Foundation
import JMAP
import MIME
import SMIME

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell from structure alone whether messages carry S/MIME: null, unknown or signed.",
        discussion: """
            No cryptography is done: `signed` means a signature is there, not that it holds (use verify for that).
            `unknown` is S/MIME that is not a signature we can check: encrypted, certs-only, or a multipart/signed with another protocol such as OpenPGP. `null` is no S/MIME at all.

            Examples:
              smimekit status message.eml
              smimekit status --format ndjson ~/Maildir > statuses.ndjson
              cat message.eml | smimekit status -

            Exit status: 0 when every message carries S/MIME, 1 when some does not, 2 on trouble.
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try input.requireInput()
        let format = OutputFormat.resolve(output.format)
        _ = try output.selectedProperties(default: [.smimeStatus])
        let limits = input.limits
        let maxSize = input.maxSize
        var outcome = RunOutcome()
        var printer = RecordPrinter(format: format, properties: [.smimeStatus])
        Scan(jobs: input.jobCount, progress: input.progress()).run(input.walk(), work: { item -> Result<(String, String?), InputFailure> in
            InputReader.read(item, maxBytes: maxSize).map { bytes in
                let id = EmailID.make(digestHex: Digest.sha256Hex(bytes))
                guard let message = try? Message(bytes: bytes, limits: limits) else {
                    // A message the reader refuses is still S/MIME if it says so at the top.
                    return (id, SMIMEStatus.unknown.rawValue)
                }
                return (id, StructureDetector.status(of: message)?.rawValue)
            }
        }, emit: { item, result in
            switch result {
            case .failure(let f):
                outcome.sawError = true
                printer.failure(path: item.displayPath, reason: f.reason)
            case .success(let (id, status)):
                outcome.count += 1
                if status == nil { outcome.sawMismatch = true }
                printer.record(path: item.displayPath, id: id, values: SMIMEProperties(status: status))
            }
        })
        printer.finish()
        throw ExitCode(outcome.exitCode)
    }
}
