import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",  // explicit: the default is derived by reflection at every start-up
        abstract: "Check S/MIME signatures and print the RFC 9219 properties.",
        discussion: """
            Every problem is listed, not just the first: the signature, the certificate path to a trust anchor (validity, key usage, name constraints, policies, revocation), the algorithms, and whether the signer is the sender in From.

            Verdicts are remembered in the result cache (see --store): smimeStatus and smimeErrors for at most --max-age seconds (24 hours) and never past a certificate's notAfter; smimeStatusAtDelivery until a trust anchor is added. With --at, the cached current verdicts are neither used nor stored (a verdict at another time is not the verdict now); --details always verifies afresh. Every file is read and hashed before a stored verdict is served for it, whatever its stat(2) stamp says (query and status may name an unchanged file by its recorded digest).

            Examples:
              smimekit verify --trust ca.pem message.eml
              smimekit verify --no-system-trust --trust ca.pem --certs intermediate.pem --crl ca.crl maildir/
              smimekit verify --details --format text message.eml
              smimekit verify --decrypt-key me.p12 --passin env:P12PASS encrypted.eml
              smimekit verify --at 2025-01-01T00:00:00Z --properties smimeStatus message.eml
              smimekit verify --no-cache message.eml
              smimekit verify -0 ~/Maildir | xargs -0 ls -l
              smimekit verify --trust ca.pem --out content.eml --signer signer.pem message.eml

            With -l (or -0) only the paths of the messages that verified (signed/verified or encrypted+signed/verified) are printed; the exit status is as without it.

            Exit status:
              0  every message is signed/verified or encrypted+signed/verified
              1  some message is not (unsigned, failed, or not checkable)
              2  trouble: a bad option, no message given, an unreadable file or key, or a --store that cannot be opened
            """
    )

    @OptionGroup var input: InputOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup(title: "Trust and verification") var trust: TrustOptions
    @OptionGroup(title: "Result cache") var cache: StoreOptions

    @Flag(help: "Add signer, certificate path (with SHA-256 fingerprints) and problem codes to each record (outside the four RFC 9219 keys).")
    var details = false

    @OptionGroup(title: "Paths only") var list: PathListOptions
    @OptionGroup(title: "Getting things out") var extract: ExtractOptions
    @OptionGroup var config: ConfigOptions

    func validate() throws {
        try list.check(format: output.format, details: details)
        try extract.check(paths: input.paths)
    }

    func run() throws {
        try input.requireInput()
        if extract.out == "-" { StandardOutput.shared.descriptor = STDERR_FILENO }
        let format = OutputFormat.resolve(output.format)
        let properties = try output.selectedProperties(default: SMIMEProperty.allCases)
        let store = try cache.open()
        // A verdict is a security decision: it is served only for bytes hashed now.
        let service = try trust.service(input, cache, store: store, onlineAnswers: true, hashesEveryFile: true)
        let at = try trust.settings.verificationTime()

        var outcome = RunOutcome()
        var printer = RecordPrinter(format: format, properties: properties)
        BatchScan(jobs: input.jobs.count, progress: input.progress()).run(input.walk()) { batch in
            let results = service.verify(batch, delivery: properties.contains(.smimeStatusAtDelivery), details: details)
            for (item, result) in zip(batch, results) {
                switch result {
                case .failure(let f):
                    outcome.sawError = true
                    printer.failure(path: item.displayPath, reason: f.text)
                case .success(let (message, v)):
                    outcome.count += 1
                    if !v.isVerified { outcome.sawMismatch = true }
                    for n in v.fresh?.notes ?? [] where n.code == .unreadableMessage || n.code == .decryptionFailed {
                        Diagnostics.warning("\(item.displayPath): \(n.message)")
                    }
                    let values = v.properties
                    if extract.wanted {
                        Self.extract(message, options: extract, verifier: service.verifier, at: at,
                                     maxBytes: min(input.maxMessageSize, input.maxInMemorySize), outcome: &outcome)
                    }
                    if list.enabled {
                        if v.isVerified { list.emit(item.displayPath) }
                    } else if details, let c = VerificationDetails(id: message.id, verdict: v) {
                        if format == .text {
                            printer.record(path: item.displayPath, id: message.id, values: values, textLines: DetailsReport.text(c, values: values))
                        } else {
                            printer.record(path: item.displayPath, id: message.id, values: values, extra: [("details", c.json)])
                        }
                    } else {
                        printer.record(path: item.displayPath, id: message.id, values: values)
                    }
                }
            }
            return true
        }
        service.finish()
        // The state of this set of paths, as changes over the same operands answers from.
        if let store = service.store, let state = try? store.state(scope: ScanScope.key(operands: input.paths)) { printer.state = state }
        printer.finish()
        if outcome.count == 0 && !outcome.sawError {
            Diagnostics.error("no message to verify: the operands and the list of paths on standard input held none")
            throw ExitCode(ExitStatus.trouble)
        }
        throw ExitCode(outcome.exitCode)
    }
}
