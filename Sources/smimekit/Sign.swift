// `smimekit sign`, and the run that sign and encrypt share: a message, or a JMAP
// Email/set request whose creates MailScan's EmailCreation makes.
import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME
import SMIME

struct Sign: ComposeCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",  // explicit: the default is derived by reflection at every start-up
        abstract: "Sign a message with S/MIME (and encrypt it with --encrypt).",
        discussion: """
            The signer is the address in Sender, else From; the certificate must name it, be valid now and allow emailProtection.
            The RFC 5322 header fields stay outside; the MIME body is re-encoded to 7 bits if needed and signed.

            Examples:
              smimekit sign --key alice.p12 --passin env:P12PASS message.eml -o signed.eml
              smimekit sign --key alice.key --cert alice.pem --opaque < message.eml > signed.eml
              smimekit sign --identities ~/.smime/keys --encrypt --recipients ~/.smime/addressbook message.eml
              smimekit sign --key alice.p12 --recipients book/ --jmap request.json --output-dir out/

            With --jmap, each Email's smimeSign and smimeEncrypt decide what is done to it (both false: a plain message), and smimeHeaderProtection how its header fields are protected.

            Header protection (RFC 9788) is on by default: the header fields are copied into the signed part, marked hp="clear" (hp="cipher" when encrypted, with the outer Subject replaced by [...]). Use --header-protection none for readers that cannot cope.

            Exit status:
              0  done
              1  some JMAP create failed (see notCreated)
              2  nothing written: a bad option, message, key or password
            """
    )

    @OptionGroup(title: "Input and output") var io: ComposeIO
    @OptionGroup(title: "Signer") var signer: SignerOptions
    @Flag(help: "Encrypt the signed message too (needs recipient certificates).") var encrypt = false
    @OptionGroup(title: "Recipients (with --encrypt)") var recipients: RecipientOptions
    @OptionGroup var config: ConfigOptions

    var does: (sign: Bool, encrypt: Bool) { (true, encrypt) }
}

/// sign and encrypt: one run, seen from the signer's or from the recipients' side.
protocol ComposeCommand: ParsableCommand {
    var io: ComposeIO { get }
    var signer: SignerOptions { get }
    var recipients: RecipientOptions { get }
    /// Whether it signs and whether it encrypts (each needs its keys then).
    var does: (sign: Bool, encrypt: Bool) { get }
}

extension ComposeCommand {
    func run() throws {
        try ComposeRun(io: io, signer: signer, recipients: recipients, wantSigner: does.sign, wantRecipients: does.encrypt)
            .run(sign: does.sign, encrypt: does.encrypt)
    }
}

/// One run of sign or encrypt: message mode or JMAP mode.
struct ComposeRun {
    let io: ComposeIO
    let signer: SignerOptions
    let recipients: RecipientOptions
    /// Whether the command needs these (a missing key is an error only then).
    let wantSigner: Bool
    let wantRecipients: Bool

    func run(sign: Bool, encrypt: Bool) throws {
        let settings = ComposeSettings(
            key: signer.files.key, cert: signer.files.cert, chain: signer.files.chain, identities: signer.files.identities,
            passin: signer.password.passin, signing: signer.form.options, recipients: recipients.files.recipients,
            recipientCertificates: recipients.files.recipientCert, crls: recipients.crl, encryption: recipients.form.options,
            headerProtection: try io.headerProtectionPolicy())
        let composer: MailComposer
        do {
            composer = try settings.composer(time: io.time, warn: { Diagnostics.warning($0) })
        } catch {
            Diagnostics.error("\(error); nothing written")
            throw ExitCode(ExitStatus.trouble)
        }
        if io.jmap == nil {
            if wantSigner && composer.signer == nil {
                Diagnostics.error("no signing key: give --key FILE (with --cert FILE unless it is a .p12) or --identities DIR; nothing written")
                throw ExitCode(ExitStatus.trouble)
            }
            if wantRecipients && composer.recipients == nil {
                Diagnostics.error("no recipient certificates: give --recipients DIR or --recipient-cert FILE; nothing written")
                throw ExitCode(ExitStatus.trouble)
            }
        }
        if let jmap = io.jmap {
            try runJMAP(jmap, composer: composer)
        } else {
            try runMessage(composer: composer, sign: sign, encrypt: encrypt)
        }
    }

    func runMessage(composer: MailComposer, sign: Bool, encrypt: Bool) throws {
        do {
            let bytes = try io.readInput(io.input)
            let out = try composer.compose(bytes, sign: sign, encrypt: encrypt)
            try io.emit(out)
        } catch {
            Diagnostics.error("\(io.input ?? "-"): \(error); nothing written")
            throw ExitCode(ExitStatus.trouble)
        }
    }

    func runJMAP(_ path: String, composer: MailComposer) throws {
        let input: EmailSetInput
        do {
            input = try EmailSetInput.parse(try io.readInput(path))
        } catch let e as RequestError {
            // A request-level problem (RFC 8620 3.6.1) is the answer, printed like any other.
            try io.emit(Array((e.json.serialized() + "\n").utf8))
            throw ExitCode(ExitStatus.trouble)
        }
        let outputDir = io.outputDir ?? "."
        let creation = EmailCreation(composer: composer, blobDirectory: io.blobDir.map { URL(fileURLWithPath: $0, isDirectory: true) },
                                     smimeCapability: input.using.map { $0.contains(JMAPCapability.smimeAdvanced) } ?? true,
                                     advice: { $0.advice })
        let (answer, anyFailed) = creation.answer(input) { bytes, id in try OutputFile.write(bytes, to: outputDir + "/" + id + ".eml") }
        do { try io.emit(Array((answer.serialized() + "\n").utf8)) } catch {
            Diagnostics.error("\(error)")
            throw ExitCode(ExitStatus.trouble)
        }
        if anyFailed { throw ExitCode(ExitStatus.noMatch) }
    }
}
