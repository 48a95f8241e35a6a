// Email/set create with the smime-advanced draft's smimeSign and smimeEncrypt:
// each Email built from its JMAP properties, signed and/or encrypted, and handed
// to the caller to store (the command line writes ID.eml, a server its maildir).
import Foundation
import JMAP
import MIME
import SMIME

public struct EmailCreation: Sendable {
    public var builder: EmailCreateBuilder
    public var composer: MailComposer
    /// The caller's words for what would supply a missing key (the command line: its flags).
    public var advice: @Sendable (Remedy) -> String

    public init(builder: EmailCreateBuilder, composer: MailComposer, advice: @escaping @Sendable (Remedy) -> String) {
        self.builder = builder
        self.composer = composer
        self.advice = advice
    }

    /// One create: the EmailSetResponse `created` entry (id, blobId, threadId, size),
    /// or why not. `store` gets the message's bytes and its id.
    public func create(_ email: JSON, store: (_ bytes: [UInt8], _ id: String) throws -> Void) -> Result<JSON, SetError> {
        do {
            let made = try builder.build(email)
            var bytes = made.bytes
            if made.smimeSign || made.smimeEncrypt {
                if made.smimeSign && composer.signer == nil {
                    return .failure(.invalidProperties(["smimeSign"], "smimeSign needs a signing key: " + advice(.giveSigningKey)))
                }
                if made.smimeEncrypt && composer.recipients == nil {
                    return .failure(.invalidProperties(["smimeEncrypt"], "smimeEncrypt needs recipient certificates: " + advice(.giveRecipientCertificates)))
                }
                var composer = composer
                if let p = made.headerProtection { composer.headerProtection = p }
                do {
                    bytes = try composer.compose(bytes, sign: made.smimeSign, encrypt: made.smimeEncrypt)
                } catch {
                    return .failure(Self.setError(error))
                }
            }
            let digest = MessageDigest.of(bytes)
            // The outer header carries Message-ID and References whether signed or encrypted.
            let threadId = (try? Message(bytes: bytes)).map { ThreadID.make($0, digestHex: digest.hex, hash: Digest.sha256Hex) }
                ?? "T" + digest.hex.prefix(24)
            let entry = EmailSetResponse.createdEntry(digestHex: digest.hex, size: bytes.count, threadId: threadId)
            do {
                try store(bytes, digest.emailID)
            } catch {
                return .failure(SetError(type: "serverFail", description: "\(error)"))
            }
            return .success(entry)
        } catch {
            return .failure(error)
        }
    }

    /// The answer to a request (or bare Email/set arguments) that only creates:
    /// Email/set calls are answered, anything else is unknownMethod; updates and
    /// destroys are refused. `anyFailed` when some call or create was not done.
    public func answer(_ input: EmailSetInput, store: (_ bytes: [UInt8], _ id: String) throws -> Void) -> (response: JSON, anyFailed: Bool) {
        var responses: [JSON] = []
        var anyFailed = false
        for call in input.calls {
            guard call.name == "Email/set" else {
                responses.append(.array([.string("error"), methodError("unknownMethod", "smimekit answers Email/set only"), .string(call.callId)]))
                anyFailed = true
                continue
            }
            if let using = input.using, !using.contains(JMAPCapability.mail) {
                responses.append(.array([.string("error"), methodError("unknownMethod", "Email/set needs \(JMAPCapability.mail) in \"using\""), .string(call.callId)]))
                anyFailed = true
                continue
            }
            let (parsed, error) = EmailSetArguments.parse(call.arguments)
            guard let args = parsed else {
                responses.append(.array([.string("error"), error ?? .null, .string(call.callId)]))
                anyFailed = true
                continue
            }
            var response = EmailSetResponse(accountId: args.accountId)
            for (id, email) in args.create {
                switch create(email, store: store) {
                case .success(let entry): response.created.append((id, entry))
                case .failure(let e): response.notCreated.append((id, e)); anyFailed = true
                }
            }
            let refusal = SetError(type: "forbidden", description: "smimekit only creates messages; it cannot change or destroy them")
            response.notUpdated = args.update.map { ($0, refusal) }
            response.notDestroyed = args.destroy.map { ($0, refusal) }
            if !args.update.isEmpty || !args.destroy.isEmpty { anyFailed = true }
            responses.append(.array([.string("Email/set"), response.json, .string(call.callId)]))
        }
        let answer: JSON = input.isFullRequest
            ? JMAPResponse.envelope(responses)
            : (responses.first?.arrayValue?[1] ?? .null)
        return (answer, anyFailed)
    }

    /// A composition failure as a SetError: invalidProperties when it names them.
    public static func setError(_ e: CompositionError) -> SetError {
        let props = e.properties
        if !props.isEmpty { return .invalidProperties(props, e.description) }
        return SetError(type: "serverFail", description: e.description)
    }
}
