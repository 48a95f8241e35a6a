// The S/MIME layers around a message's content, opened without checking
// anything: what query searches in (opaque signed content is readable without
// any key; encrypted content with one), and the signingTimes that receivedAt
// takes when there is no Received header.
import COpenSSL
import COpenSSLShim
import Foundation
import MIME

public struct OpenedLayers: Sendable {
    /// Why some content could not be looked into.
    public enum Blind: Sendable, Equatable {
        /// Encrypted, and no --decrypt-key was given.
        case encryptedWithoutKey
        /// Encrypted, and none of the keys given opens it.
        case encryptedForSomeoneElse
        /// The CMS, or the MIME inside it, could not be read.
        case unreadable
    }

    /// The messages inside opaque signed and decrypted layers, outermost first
    /// (the message itself is not among them).
    public var inner: [Message] = []
    /// The signingTime of every SignerInfo met on the way, at every layer.
    public var signingTimes: [Date] = []
    /// Set when a layer could not be opened: what lies inside it is not in `inner`.
    public var blind: Blind?

    public init() {}
}

public enum ContentLayers {
    /// Steps through the top-level layers as the verifier does (multipart/signed
    /// into its first part, application/pkcs7-mime into its content), keeping what
    /// opaque signed and encrypted layers hold. No signature is checked.
    /// - Parameter decrypt: false leaves encrypted layers shut (and says so in `blind`).
    public static func open(_ message: Message, identities: [DecryptionIdentity], limits: MIMELimits,
                            maxLayers: Int = VerificationOptions().maxLayers, decrypt: Bool = true) -> OpenedLayers {
        var out = OpenedLayers()
        var current = message
        var part = message.root
        for _ in 0..<maxLayers {
            switch SMIMEShape(part) {
            case .detached(let content, let signature):
                if let cms = CMSMessage(der: current.decodedBody(signature)), cms.kind == .signedData {
                    out.signingTimes += signingTimes(cms)
                }
                part = content
            case .pkcs7Mime(let p, _):
                guard let cms = CMSMessage(der: current.decodedBody(p)) else {
                    out.blind = .unreadable
                    return out
                }
                let bytes: [UInt8]
                switch cms.kind {
                case .signedData:
                    out.signingTimes += signingTimes(cms)
                    guard let content = eContent(cms) else { return out }  // certs-only, or detached
                    bytes = content
                case .envelopedData, .authEnvelopedData:
                    guard decrypt, !identities.isEmpty else {
                        out.blind = .encryptedWithoutKey
                        return out
                    }
                    guard let plain = cms.open(with: identities) else {
                        out.blind = .encryptedForSomeoneElse
                        return out
                    }
                    bytes = plain
                case .compressedData, .other:
                    out.blind = .unreadable
                    return out
                }
                guard let inner = try? Message(bytes: bytes, limits: limits) else {
                    out.blind = .unreadable
                    return out
                }
                out.inner.append(inner)
                current = inner
                part = inner.root
            case .malformedDetached, .foreignSigned, .notSMIME:
                return out
            }
        }
        return out
    }

    static func signingTimes(_ cms: CMSMessage) -> [Date] {
        let infos = CMS_get0_SignerInfos(cms.cms)
        var out: [Date] = []
        for index in 0..<Int(smk_signerinfo_num(infos)) {
            guard let si = smk_signerinfo_value(infos, Int32(index)) else { continue }
            var t: Int64 = 0
            if smk_signer_signing_time(si, &t) == 1 { out.append(Date(timeIntervalSince1970: TimeInterval(t))) }
        }
        return out
    }

    /// The eContent of opaque SignedData; nil when it is detached or absent.
    static func eContent(_ cms: CMSMessage) -> [UInt8]? {
        guard let slot = CMS_get0_content(cms.cms), let octets = slot.pointee else { return nil }
        let n = Int(ASN1_STRING_length(octets))
        guard n > 0, let data = ASN1_STRING_get0_data(octets) else { return n == 0 ? [] : nil }
        return Array(UnsafeBufferPointer(start: data, count: n))
    }
}
