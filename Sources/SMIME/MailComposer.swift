// Whole messages in, whole messages out: sign, encrypt, or sign then encrypt
// (RFC 8551 3.7), and decrypt. The RFC 5322 fields stay outside every layer;
// the MIME entity is what gets protected.
import COpenSSLShim
import Foundation
import MIME

/// Where the signing key comes from.
public enum SignerSource: Sendable {
    /// One identity given on the command line.
    case identity(SigningIdentity)
    /// Identities to choose from by the signer's address (--identities DIR).
    case directory([SigningIdentity], path: String)

    func identity(for address: String, at time: Date) throws(CompositionError) -> SigningIdentity {
        switch self {
        case .identity(let id): return id
        case .directory(let ids, let path):
            // Prefer one whose certificate is usable; fall back to any naming the address so the error says why.
            let named = ids.filter { $0.certificate.carries(address) }
            if let good = named.first(where: { $0.certificate.mailUsageProblems(at: time, keyUsageNeeded: UInt32(KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION), what: "").isEmpty }) {
                return good
            }
            if let any = named.first { return any }
            throw .noSigningIdentity("no key and certificate for \(address) in \(path) (it holds \(ids.count) identit\(ids.count == 1 ? "y" : "ies"))")
        }
    }
}

public struct MailComposer: Sendable {
    public var signer: SignerSource?
    public var signing = SigningOptions()
    public var recipients: RecipientBook?
    public var encryption = EncryptionOptions()
    /// Validity of certificates is judged at this time.
    public var time = Date()
    public var limits = MIMELimits.default

    public init() {}

    /// The message signed (when `sign`) and then encrypted (when `encrypt`).
    public func compose(_ bytes: [UInt8], sign: Bool, encrypt: Bool) throws(CompositionError) -> [UInt8] {
        let message: Message
        do { message = try Message(bytes: bytes, limits: limits) } catch { throw .unreadableMessage(error.description) }
        let split = EntityExtraction.split(message)
        var entity = split.entity
        var signerCert: Certificate?
        var signerAddress: String?

        if sign {
            guard let signer else { throw .noSigningIdentity("no signing key: give --key (and --cert), or --identities DIR") }
            let (address, _) = try SignerAddress.of(message)
            let identity = try signer.identity(for: address, at: time)
            try CMSSigner.check(identity, address: address, at: time)
            entity = try signedEntity(entity, identity: identity)
            signerCert = identity.certificate
            signerAddress = address
        }
        var outer = split.outerFields
        if encrypt {
            guard let book = recipients else { throw .engine("no recipient certificates: give --recipients DIR or --recipient-cert FILE") }
            let certs = try recipientCertificates(message, book: book, signerCert: signerCert, signerAddress: signerAddress)
            let der = try CMSEncryptor.encrypt(entity, to: certs, options: encryption)
            entity = Self.pkcs7MimeEntity(smimeType: encryption.cipher.smimeType, der: der)
            // Bcc must not reach the other recipients (RFC 5322 3.6.3); it is inside nothing either.
            outer = split.outerFields(removing: ["bcc"])
        }
        return MessageWriter.message(headers: outer, entity: entity)
    }

    /// The signed entity: multipart/signed around the exact bytes hashed, or signed-data.
    func signedEntity(_ entity: [UInt8], identity: SigningIdentity) throws(CompositionError) -> [UInt8] {
        let der = try CMSSigner.sign(entity, identity: identity, options: signing)
        switch signing.format {
        case .opaque:
            return Self.pkcs7MimeEntity(smimeType: "signed-data", der: der)
        case .detached:
            var signature = HeaderWriter.field("Content-Type", ParameterWriter.value("application/pkcs7-signature", [("name", "smime.p7s")]))
            signature += HeaderWriter.field("Content-Transfer-Encoding", "base64")
            signature += HeaderWriter.field("Content-Disposition", ParameterWriter.value("attachment", [("filename", "smime.p7s")]))
            signature += [0x0D, 0x0A] + TransferEncoding.encodeBase64(der)
            // The first part's bytes are exactly those hashed; the CRLF before each delimiter belongs to it (RFC 2046 5.1.1).
            let boundary = Boundary.make(for: [entity, signature], prefix: "=_smk_signed_")
            var out = HeaderWriter.field("Content-Type", ParameterWriter.value("multipart/signed", [
                ("protocol", "application/pkcs7-signature"), ("micalg", signing.micalg ?? "sha-256"), ("boundary", boundary),
            ]))
            out += [0x0D, 0x0A]
            out += Array("This is an S/MIME signed message.\r\n\r\n".utf8)
            out += Boundary.join([entity, signature], boundary: boundary)
            return out
        }
    }

    static func pkcs7MimeEntity(smimeType: String, der: [UInt8]) -> [UInt8] {
        var out = HeaderWriter.field("Content-Type", ParameterWriter.value("application/pkcs7-mime", [("smime-type", smimeType), ("name", "smime.p7m")]))
        out += HeaderWriter.field("Content-Transfer-Encoding", "base64")
        out += HeaderWriter.field("Content-Disposition", ParameterWriter.value("attachment", [("filename", "smime.p7m")]))
        return out + [0x0D, 0x0A] + TransferEncoding.encodeBase64(der)
    }

    /// The sender and every To, Cc and Bcc recipient, each with a usable certificate;
    /// otherwise every one without, and why.
    func recipientCertificates(_ message: Message, book: RecipientBook, signerCert: Certificate?, signerAddress: String?) throws(CompositionError) -> [Certificate] {
        var wanted: [(address: String, field: String)] = []
        let senders = message.root.fields(named: "Sender")
        let originField = senders.isEmpty ? "From" : "Sender"
        for name in [originField, "To", "Cc", "Bcc"] {
            for field in message.root.fields(named: name) {
                for entry in message.addresses(field) {
                    let boxes: [Mailbox]
                    switch entry {
                    case .mailbox(let m): boxes = [m]
                    case .group(_, let members): boxes = members
                    }
                    for m in boxes where !m.email.isEmpty {
                        if !wanted.contains(where: { EmailAddress($0.address) == EmailAddress(m.email) && EmailAddress(m.email) != nil }) {
                            wanted.append((m.email, name.lowercased()))
                        }
                    }
                }
            }
        }
        var certs: [Certificate] = []
        var problems: [RecipientProblem] = []
        for w in wanted {
            let extra = (signerAddress.flatMap { EmailAddress($0) } == EmailAddress(w.address)) ? [signerCert].compactMap { $0 } : []
            switch book.certificate(for: w.address, at: time, extra: extra) {
            case .found(let c): if !certs.contains(c) { certs.append(c) }
            case .refused(let why): problems.append(RecipientProblem(address: w.address, field: w.field, reason: why))
            }
        }
        if !problems.isEmpty { throw .recipients(problems) }
        if certs.isEmpty { throw .engine("the message names no recipient to encrypt to") }
        return certs
    }

    /// The message with its outermost encryption removed: the outer fields, then the inner entity as it was.
    public static func decrypt(_ bytes: [UInt8], identities: [DecryptionIdentity], limits: MIMELimits = .default) throws(CompositionError) -> [UInt8] {
        let message: Message
        do { message = try Message(bytes: bytes, limits: limits) } catch { throw .unreadableMessage(error.description) }
        guard case .pkcs7Mime(let part, _) = SMIMEShape(message.root) else {
            throw .decryption("the message is not encrypted (its top level is \(message.root.contentType.mimeType), not application/pkcs7-mime)")
        }
        if identities.isEmpty { throw .decryption("no key to decrypt with: give --key (or --decrypt-key)") }
        let plain = try CMSDecryptor.decrypt(message.decodedBody(part), identities: identities)
        // The inner bytes stay as they are: a signature inside covers them.
        var inner = plain
        if let parsed = try? Message(bytes: plain, limits: limits),
           let mv = parsed.root.fields(named: "MIME-Version").first {
            inner = Array(plain[..<mv.range.lowerBound]) + Array(plain[mv.range.upperBound...])
        }
        return MessageWriter.message(headers: EntityExtraction.split(message).outerFields, entity: inner)
    }
}
