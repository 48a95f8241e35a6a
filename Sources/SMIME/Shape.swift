// What kind of S/MIME a MIME part is, from its headers alone.
import MIME

enum SMIMEShape {
    /// multipart/signed with a PKCS#7 protocol: the signed part and the signature part.
    case detached(content: MIMEPart, signature: MIMEPart)
    /// multipart/signed with a PKCS#7 protocol but not exactly two parts.
    case malformedDetached(partCount: Int)
    /// application/pkcs7-mime (or its legacy spellings): signed, enveloped or certs-only CMS.
    case pkcs7Mime(MIMEPart, smimeType: String?)
    /// multipart/signed with another protocol (OpenPGP and friends).
    case foreignSigned(protocol: String)
    case notSMIME

    init(_ part: MIMEPart) {
        let ct = part.contentType
        switch ct.mimeType {
        case "multipart/signed":
            let proto = Self.trimmed((ct.parameters["protocol"] ?? "").lowercased())
            guard proto == "application/pkcs7-signature" || proto == "application/x-pkcs7-signature" else {
                self = .foreignSigned(protocol: proto.isEmpty ? "(none)" : proto)
                return
            }
            guard part.children.count == 2 else {
                self = .malformedDetached(partCount: part.children.count)
                return
            }
            self = .detached(content: part.children[0], signature: part.children[1])
        case "application/pkcs7-mime", "application/x-pkcs7-mime":
            self = .pkcs7Mime(part, smimeType: ct.parameters["smime-type"]?.lowercased())
        case "application/octet-stream":
            // Old clients label opaque S/MIME only by its file name.
            let name = (part.filename ?? "").lowercased()
            if name.hasSuffix(".p7m") || name.hasSuffix(".p7c") || name.hasSuffix(".p7z") {
                self = .pkcs7Mime(part, smimeType: ct.parameters["smime-type"]?.lowercased())
            } else {
                self = .notSMIME
            }
        default:
            self = .notSMIME
        }
    }
}

extension SMIMEShape {
    /// Without leading and trailing white space (Zs and tab, as CharacterSet.whitespaces),
    /// and without going through Foundation's NSString bridge for the common case.
    static func trimmed(_ s: String) -> String {
        let scalars = s.unicodeScalars
        func white(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        guard let first = scalars.firstIndex(where: { !white($0) }), let last = scalars.lastIndex(where: { !white($0) }) else { return "" }
        return String(scalars[first...last])
    }
}

/// The cheap detector: the status a message has from its structure alone.
public enum StructureDetector {
    /// `nil` (no S/MIME), `.unknown` or `.signed`, without any cryptography.
    public static func status(of message: Message) -> SMIMEStatus? {
        switch SMIMEShape(message.root) {
        case .detached, .malformedDetached:
            return .signed
        case .foreignSigned:
            return .unknown
        case .pkcs7Mime(let part, let smimeType):
            switch smimeType {
            case "signed-data": return .signed
            case "enveloped-data", "authenveloped-data", "certs-only", "compressed-data": return .unknown
            default: return CMSSniffer.looksSigned(message.decodedBody(part)) ? .signed : .unknown
            }
        case .notSMIME:
            return containsSignedPart(message.root, depth: 0) ? .signed : nil
        }
    }

    /// A signed part below the root, not inside an attached message: a partly signed message.
    static func containsSignedPart(_ part: MIMEPart, depth: Int) -> Bool {
        guard depth < 200 else { return false }
        for child in part.children {
            switch SMIMEShape(child) {
            case .detached, .malformedDetached: return true
            case .pkcs7Mime(let p, let t):
                if t == "signed-data" || (t == nil && p.contentType.parameters["name"]?.lowercased() == "smime.p7m") { return true }
            default:
                if containsSignedPart(child, depth: depth + 1) { return true }
            }
        }
        return false
    }
}

/// Recognises CMS SignedData by its leading OID without parsing the rest.
enum CMSSniffer {
    /// 1.2.840.113549.1.7.2 (id-signedData), DER-encoded.
    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    static func looksSigned(_ der: [UInt8]) -> Bool {
        let head = der.prefix(32)
        guard head.count >= signedDataOID.count else { return false }
        for start in head.indices where start + signedDataOID.count <= head.endIndex {
            if Array(head[start..<start + signedDataOID.count]) == signedDataOID { return true }
        }
        return false
    }
}
