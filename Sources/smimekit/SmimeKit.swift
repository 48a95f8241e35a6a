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

            Exit status (each subcommand's page says what 0 and 1 mean for it):
              0  success: every message verified, carries S/MIME or matched; the message was written
              1  not so: some message did not verify, carry S/MIME or match
              2  trouble: a bad option, an unreadable file, key or config file

            A missing password for a key (PKCS#12 or encrypted PEM) is asked for on the terminal, with echo off, as openssl does; without a terminal, give it with --passin.

            Environment:
              SMIMEKIT_CONFIG  the config file to read instead of the default one (set but empty: none)
              XDG_CONFIG_HOME  where the config file is looked for (default ~/.config)
              XDG_CACHE_HOME  where the result cache is kept (default ~/.cache)
              HOME  the home directory: the default for both, and what ~ means in the config file

            Files:
              $XDG_CONFIG_HOME/smimekit/config  defaults for every subcommand, gpg style: a long option name a line without the dashes, then its value (trust /etc/mail/ca.pem, no-system-trust, format text, identities ~/.smime/keys); lines starting with # and blank lines are skipped, and ~ is the home directory. An option applies to every subcommand that has it and is ignored by the others; a name that no subcommand knows is an error naming the line. The file's options come before the command line's, so the command line wins; a repeatable option (trust, certs, crl, decrypt-key, recipients, ...) gets the file's values and then the command line's, as gpg does. A flag set in the file cannot be unset on the command line: run with --no-config to ignore the file.
              ~/.config/smimekit/config  the same, when XDG_CONFIG_HOME is not set
              $XDG_CACHE_HOME/smimekit/results.sqlite  the result cache of status, verify, query and changes (see --store)
              ~/.cache/smimekit/results.sqlite  the same, when XDG_CACHE_HOME is not set
            """,
        version: "0.1.0",
        subcommands: [Status.self, Verify.self, Query.self, Changes.self, Sign.self, Encrypt.self, Decrypt.self, Trust.self, Jmap.self, Serve.self]
    )
}

extension RevocationMode: ExpressibleByArgument {
    // The raw values, as ArgumentParser's defaults give them, without the runtime lookups (start-up).
    public static var allValueStrings: [String] { allCases.map { $0.rawValue } }
    public var defaultValueDescription: String { rawValue }
}
