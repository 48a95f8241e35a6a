// `smimekit encrypt`: the same run as sign, seen from the recipients' side.
import ArgumentParser

struct Encrypt: ComposeCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encrypt a message with S/MIME to its sender and every To, Cc and Bcc recipient (and sign it first with --sign).",
        discussion: """
            Each recipient's certificate is looked up by address in --recipients and --recipient-cert. If any recipient has none, or only an expired or revoked one, nothing is written and every such recipient is listed. Bcc is left out of the headers written.

            Examples:
              smimekit encrypt --recipients ~/.smime/addressbook message.eml -o encrypted.eml
              smimekit encrypt --recipient-cert bob.pem --recipient-cert alice.pem --cipher aes-256-cbc < message.eml
              smimekit encrypt --sign --key alice.p12 --passin env:P12PASS --recipients book/ message.eml
              smimekit encrypt --recipients book/ --jmap request.json --output-dir out/

            Exit status:
              0  done
              1  some JMAP create failed (see notCreated)
              2  nothing written: a bad option or message, or a recipient without a usable certificate
            """
    )

    /// Always encrypts; signs first with --sign.
    var does: (sign: Bool, encrypt: Bool) { (sign, true) }

    @OptionGroup(title: "Input and output") var io: ComposeIO
    @OptionGroup(title: "Recipients") var recipients: RecipientOptions
    @Flag(help: "Sign the message first (needs a signing key).") var sign = false
    @OptionGroup(title: "Signer (with --sign)") var signer: SignerOptions
    @OptionGroup var config: ConfigOptions
}
