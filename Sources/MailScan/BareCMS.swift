// A file that is a CMS object and not a mail message (`smime.p7m` saved from an
// attachment, `openssl cms -sign -outform DER` output): read as the opaque
// S/MIME entity it would be inside a message, as `openssl cms -inform DER` reads it.
import Foundation
import MIME
import SMIME

public enum BareCMS {
    /// The ContentInfo types read; anything else (certs-only aside, which is
    /// SignedData too) stays a file that is not S/MIME.
    public enum Kind: Sendable {
        case signedData, envelopedData, authEnvelopedData

        /// RFC 8551 3.2.2.
        public var smimeType: String {
            switch self {
            case .signedData: return "signed-data"
            case .envelopedData: return "enveloped-data"
            case .authEnvelopedData: return "authEnveloped-data"
            }
        }
    }

    /// The bytes as an RFC 5322 message: one application/pkcs7-mime entity, with
    /// no header field but the MIME ones (so no From); nil when they are not a CMS
    /// ContentInfo in DER/BER or PEM (`PKCS7`, `CMS`) armour.
    public static func message(_ bytes: [UInt8]) -> [UInt8]? {
        guard let (der, kind) = contentInfo(bytes) else { return nil }
        let body = Data(der).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let header = marker
            + "Content-Type: application/pkcs7-mime; smime-type=\(kind.smimeType); name=smime.p7m\r\n"
            + "Content-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename=smime.p7m\r\n\r\n"
        return Array((header + body + "\r\n").utf8)
    }

    /// How the made-up message starts, so that its verdict can carry a note.
    private static let marker = "MIME-Version: 1.0 (a bare CMS object)\r\n"

    public static func isWrapped(_ message: Message) -> Bool {
        message.bytes.starts(with: marker.utf8)
    }

    /// The bytes as a message: wrapped when they are bare CMS, else as they are.
    public static func parse(_ bytes: [UInt8], limits: MIMELimits) throws -> Message {
        try Message(bytes: message(bytes) ?? bytes, limits: limits)
    }

    /// Said with the verdict of a bare CMS object.
    /// `advice` says how to check the signature and certificate path alone (`Remedy.skipSenderCheck`).
    public static func note(advice: String) -> Problem {
        Problem(.bareCMSObject, "This file is a bare CMS object, not a mail message: it was read as an S/MIME entity with no From, so the signer cannot be bound to a sender; " + advice)
    }

    public static let note = note(advice: Remedy.skipSenderCheck.words)

    public static func contentInfo(_ bytes: [UInt8]) -> ([UInt8], Kind)? {
        if let kind = kind(der: bytes) { return (bytes, kind) }
        guard let der = pem(bytes), let kind = kind(der: der) else { return nil }
        return (der, kind)
    }

    private static let labels = ["PKCS7", "CMS", "PKCS #7 SIGNED DATA"]
    private static let pemStart = Array("-----BEGIN ".utf8)

    /// The DER inside `-----BEGIN PKCS7-----` (or CMS) armour at the start.
    private static func pem(_ bytes: [UInt8]) -> [UInt8]? {
        guard let first = bytes.firstIndex(where: { ![0x20, 0x09, 0x0D, 0x0A].contains($0) }),
              bytes.count - first < 512 << 20 else { return nil }
        // Every armour starts so, byte for byte: a mail message (every file verify reads)
        // is not turned into a String of its whole length to be told apart.
        guard bytes[first...].starts(with: pemStart) else { return nil }
        let text = String(decoding: bytes[first...], as: UTF8.self)
        guard let label = labels.first(where: { text.hasPrefix("-----BEGIN \($0)-----") }),
              let end = text.range(of: "-----END \(label)-----") else { return nil }
        let inner = text[text.index(text.startIndex, offsetBy: "-----BEGIN \(label)-----".count)..<end.lowerBound]
        return Data(base64Encoded: String(inner), options: .ignoreUnknownCharacters).map { [UInt8]($0) }
    }

    /// A ContentInfo: SEQUENCE (definite length covering the file, or BER
    /// indefinite) whose first element is one of the content type OIDs.
    private static func kind(der b: [UInt8]) -> Kind? {
        guard b.count > 16, b[0] == 0x30 else { return nil }
        var i = 2
        switch b[1] {
        case 0x80: break
        case 0x00..<0x80:
            guard 2 + Int(b[1]) == b.count else { return nil }
        case 0x81...0x84:
            let n = Int(b[1] & 0x7F)
            var length = 0
            for k in 0..<n { length = length << 8 | Int(b[2 + k]) }
            i = 2 + n
            // A newline after the DER (a file saved by hand) is let through.
            var end = b.count
            while end > i, b[end - 1] == 0x0A || b[end - 1] == 0x0D { end -= 1 }
            guard i + length == b.count || i + length == end else { return nil }
        default: return nil
        }
        let pkcs7: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07]
        let authEnveloped: [UInt8] = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x01, 0x17]
        if b.count >= i + pkcs7.count + 1, Array(b[i..<i + pkcs7.count]) == pkcs7 {
            switch b[i + pkcs7.count] {
            case 0x02: return .signedData
            case 0x03: return .envelopedData
            default: return nil
            }
        }
        if b.count >= i + authEnveloped.count, Array(b[i..<i + authEnveloped.count]) == authEnveloped { return .authEnvelopedData }
        return nil
    }
}
