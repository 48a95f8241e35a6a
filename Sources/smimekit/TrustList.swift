// `smimekit trust list`: the anchors a verify with the same options trusts.
import ArgumentParser
import Foundation
import JMAP
import SMIME

struct Trust: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trust",  // explicit: the default is derived by reflection at every start-up
        abstract: "Show the trust anchors signatures are checked against.",
        discussion: """
            smimekit trust list prints the anchors a verify with the same options trusts (see smimekit-trust-list(1)).

            Exit status:
              0  anchors listed
              1  no anchor at all
              2  trouble: a bad option or an unreadable file
            """,
        subcommands: [TrustList.self]
    )
}

struct TrustList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List each trust anchor: subject, SHA-256 fingerprint, notAfter and where it came from.",
        discussion: """
            By default the anchors are the roots that the system's NSS built-in store (libnssckbi.so, Mozilla's root store, as Thunderbird uses it) trusts for e-mail protection; without NSS, the system CA bundle, with a warning. The same options as verify choose otherwise.

            Examples:
              smimekit trust list
              smimekit trust list --format ndjson | grep 'Secure Mail'
              smimekit trust list --trust-source bundle --trust company-root.pem

            Exit status:
              0  anchors listed
              1  no anchor at all
              2  trouble: a bad option or an unreadable file
            """
    )

    @OptionGroup var anchors: AnchorOptions

    @Option(help: ArgumentHelp("text (a line an anchor; default on a terminal) or ndjson (a JSON object a line; default in a pipe).", valueName: "format"))
    var format: OutputFormat?

    func validate() throws {
        if format == .json { throw ValidationError("trust list writes text or ndjson, not json") }
    }

    func run() throws {
        let store: TrustStore
        do {
            store = try anchors.store()
        } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        let text = OutputFormat.resolve(format) == .text
        let out = StandardOutput.shared
        for anchor in store.anchorList {
            let cert = anchor.certificate
            let notAfter = cert.notAfter.map(JMAPDate.format)
            if text {
                out.write("\(cert.fingerprint)  \(notAfter ?? "-")  \(TextColumns.pad(anchor.source, 9))\(cert.subject)\n")
            } else {
                var fields: [(String, JSON)] = [("subject", .string(cert.subject)), ("sha256", .string(cert.fingerprint)),
                                                ("notAfter", .optional(notAfter)), ("source", .string(anchor.source))]
                if let distrust = anchor.emailDistrustAfter { fields.append(("emailDistrustAfter", .string(JMAPDate.format(distrust)))) }
                let record = JSON.object(fields)
                out.write(record.serialized() + "\n")
            }
        }
        out.flush()
        if store.anchorList.isEmpty { throw ExitCode(ExitStatus.noMatch) }
    }
}
