// `smimekit decrypt`: the message with its outer encryption removed.
import ArgumentParser
import Foundation
import MailScan
import SMIME

struct Decrypt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",  // explicit: the default is derived by reflection at every start-up
        abstract: "Decrypt an S/MIME message and write the message inside.",
        discussion: """
            The outer header fields are kept; the decrypted entity follows as it was, so a signature inside still verifies (check it with `smimekit verify`).

            Examples:
              smimekit decrypt --key bob.p12 --passin env:P12PASS encrypted.eml -o plain.eml
              smimekit decrypt --key bob.key --cert bob.pem < encrypted.eml | smimekit verify --trust ca.pem -

            Exit status:
              0  done
              2  nothing written: no key opens it, it is not encrypted, or a bad option, key or password
            """
    )

    @Argument(help: ArgumentHelp("The message, or - for standard input (the default).", valueName: "message"), completion: .file())
    var input: String?

    @Option(name: [.customLong("key"), .customLong("decrypt-key")], help: ArgumentHelp("Private key: PEM, DER or PKCS#12 (repeatable; each is tried).", valueName: "file"), completion: .file())
    var keys: [String] = []

    @Option(name: [.customLong("cert"), .customLong("decrypt-cert")], help: ArgumentHelp("Certificate of the --key at the same position, when the key file does not hold it.", valueName: "file"), completion: .file())
    var certs: [String] = []

    @OptionGroup var password: PasswordOption

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write here instead of standard output; written whole or not at all.", valueName: "file"), completion: .file())
    var output: String?

    @OptionGroup var config: ConfigOptions

    func validate() throws {
        if keys.isEmpty { throw ValidationError("give the key to decrypt with: --key FILE") }
        if certs.count > keys.count { throw ValidationError("each --cert goes with a --key") }
    }

    func run() throws {
        do {
            let identities = try DecryptionIdentity.open(keys: keys, certificates: certs, passin: password.passin)
            let plain = try MailComposer.decrypt(try MessageFiles.read(input), identities: identities)
            try MessageFiles.emit(plain, to: output)
        } catch {
            Diagnostics.error("\(input ?? "-"): \(error); nothing written")
            throw ExitCode(ExitStatus.trouble)
        }
    }
}
