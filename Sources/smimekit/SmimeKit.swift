// The command table. Each subcommand parses its options, calls the engine,
// and prints; no MIME or crypto logic lives in this target.
import ArgumentParser
import SMIME

struct SmimeKit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smimekit",
        abstract: "Check, find and make S/MIME mail, answering in JMAP (RFC 9219) terms.",
        discussion: """
            Examples:
              smimekit verify --trust ca.pem message.eml
              smimekit status ~/Maildir
              find ~/Maildir -type f -print0 | smimekit query --has-verified-smime -0 | xargs -0 ls -l
              smimekit verify --details --format text suspicious.eml

            Exit status: 0 success (all verified / something matched), 1 not so, 2 trouble (bad option, unreadable file).
            """,
        version: "0.1.0",
        subcommands: [Status.self, Verify.self, Query.self, Changes.self, Sign.self, Encrypt.self, Decrypt.self, Trust.self]
    )
}

extension RevocationMode: ExpressibleByArgument {}
