// Whole messages in, whole messages out: sign, encrypt, or sign then encrypt
// (RFC 8551 3.7), and decrypt. The RFC 5322 fields stay outside every layer;
// the MIME entity is what gets protected.
import COpenSSLShim
import Foundation
import JMAP
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
    /// RFC 9788 header protection of what is signed or encrypted (see HeaderProtectionPolicy).
    public var headerProtection = HeaderProtectionPolicy.default

    public init() {}

    /// The message signed (when `sign`) and then encrypted (when `encrypt`).
    public func compose(_ bytes: [UInt8], sign: Bool, encrypt: Bool) throws(CompositionError) -> [UInt8] {
        let message: Message
        do { message = try Message(bytes: bytes, limits: limits) } catch { throw .unreadableMessage(error.description) }
        let split = EntityExtraction.split(message)
        var entity = split.entity
        var signerCert: Certificate?
        var signerAddress: String?
        // Outside: Bcc must not reach the other recipients (RFC 5322 3.6.3), so it leaves an
        // encrypted message; the confidentiality policy then obscures what it says.
        var outer = encrypt ? split.outerFields(removing: ["bcc"]) : split.outerFields
        if encrypt && headerProtection == .baseline { outer = ProtectedHeaders.baseline(split) }
        if headerProtection != .none && (sign || encrypt) {
            entity = ProtectedHeaders.payload(entity, split: split, outer: encrypt ? outer : nil)
        }

        if sign {
            guard let signer else { throw .noSigningIdentity("no signing key: give --key (and --cert), or --identities DIR") }
            let (address, _) = try SignerAddress.of(message)
            let identity = try signer.identity(for: address, at: time)
            try CMSSigner.check(identity, address: address, at: time)
            entity = try signedEntity(entity, identity: identity)
            signerCert = identity.certificate
            signerAddress = address
        }
        if encrypt {
            guard let book = recipients else { throw .engine("no recipient certificates: give --recipients DIR or --recipient-cert FILE") }
            let certs = try recipientCertificates(message, book: book, signerCert: signerCert, signerAddress: signerAddress)
            let der = try CMSEncryptor.encrypt(entity, to: certs, options: encryption)
            entity = Self.pkcs7MimeEntity(smimeType: encryption.cipher.smimeType, der: der)
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
        let split = EntityExtraction.split(message)
        var outer = split.outerFields
        if let parsed = try? Message(bytes: inner, limits: limits), let protected = ProtectedHeaders.fields(in: parsed) {
            // RFC 9788: the protected fields are the message's, the obscured outer ones are not
            // shown; fields added on the way (Received, DKIM-Signature, ...) stay, first.
            // An unsigned payload is the inner entity itself: its fields are the message's already.
            let names = Set(protected.names.map { $0.lowercased() })
            outer = zip(split.outerNames, split.outerFields).filter { !names.contains($0.0.lowercased()) }.map(\.1)
                + (protected.atRoot ? [] : protected.fields)
        }
        return MessageWriter.message(headers: outer, entity: inner)
    }
}

/// Making RFC 9788 header protection: the message's header fields copied into the
/// Cryptographic Payload, which is marked hp="clear" (signed only) or hp="cipher"
/// (encrypted, with HP-Outer saying what was left outside).
enum ProtectedHeaders {
    /// Header fields that are never copied inside: Bcc (it would reach every recipient)
    /// and trace fields, which belong to the transport.
    static let notProtected: Set<String> = ["bcc", "received", "return-path"]

    /// The outer fields under the baseline Header Confidentiality Policy (RFC 9788 3.2.2):
    /// Subject obscured as "[...]", Keywords and Comments removed, the rest as it is.
    static func baseline(_ split: SplitMessage) -> [[UInt8]] {
        var out: [[UInt8]] = []
        for (name, field) in zip(split.outerNames, split.outerFields) {
            switch name.lowercased() {
            case "bcc", "keywords", "comments": continue
            case "subject": out.append(HeaderWriter.field(name, "[...]"))
            default: out.append(field)
            }
        }
        return out
    }

    /// `entity` with the protected fields before its Content-* fields and the hp parameter on
    /// its Content-Type. `outer` is what goes outside an encrypted message (for HP-Outer).
    static func payload(_ entity: [UInt8], split: SplitMessage, outer: [[UInt8]]?) -> [UInt8] {
        var head: [UInt8] = []
        for (name, field) in zip(split.outerNames, split.outerFields) where !notProtected.contains(name.lowercased()) {
            head += field
        }
        if let outer {
            // "HP-Outer: Name: value", folded as the field itself was.
            for field in outer { head += Array("HP-Outer: ".utf8) + field }
        }
        return head + marked(entity, hp: outer == nil ? "clear" : "cipher")
    }

    /// The entity with `; hp="..."` at the end of its Content-Type field, bytes otherwise unchanged.
    static func marked(_ entity: [UInt8], hp: String) -> [UInt8] {
        guard let parsed = try? Message(bytes: entity, isRoot: false),
              let field = parsed.root.fields(named: "Content-Type").first else {
            return HeaderWriter.field("Content-Type", "text/plain; charset=us-ascii; hp=\"\(hp)\"") + entity
        }
        var end = field.range.upperBound
        while end > field.range.lowerBound, entity[end - 1] == 0x0A || entity[end - 1] == 0x0D { end -= 1 }
        var value = entity[field.range.lowerBound..<end]
        while let last = value.last, last == 0x20 || last == 0x09 || last == 0x3B { value = value.dropLast() }
        return Array(entity[..<field.range.lowerBound]) + value + Array(";\r\n hp=\"\(hp)\"".utf8) + Array(entity[end...])
    }

    /// The protected fields of a decrypted message's Cryptographic Payload (through a
    /// multipart/signed), as header fields to write outside; nil without header protection.
    static func fields(in message: Message) -> (names: [String], fields: [[UInt8]], atRoot: Bool)? {
        var part = message.root
        if case .detached(let content, _) = SMIMEShape(part) { part = content }
        let atRoot = part === message.root
        guard HeaderProtectionMarker(part) != nil else { return nil }
        let fields = part.headers.filter {
            let n = $0.name.lowercased()
            return !n.hasPrefix("content-") && n != "mime-version" && n != "hp-outer"
        }
        guard !fields.isEmpty else { return nil }
        return (fields.map(\.name), fields.map { f in
            let raw = Canonical.crlf(message.slice(f.range))
            return raw.last == 0x0A ? raw : raw + [0x0D, 0x0A]
        }, atRoot)
    }
}
