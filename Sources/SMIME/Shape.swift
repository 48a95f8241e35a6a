// What kind of S/MIME a MIME part is, from its headers alone.
import JMAP
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
            self = .pkcs7Mime(part, smimeType: Self.smimeType(ct))
        case "application/pkcs7-signature", "application/x-pkcs7-signature":
            // A signature part outside its multipart/signed (a gateway turned it into mixed):
            // still S/MIME, whose content is missing.
            self = .pkcs7Mime(part, smimeType: Self.smimeType(ct))
        case "application/octet-stream":
            // Old clients label S/MIME only by its file name, in either header.
            self = Self.hasSMIMEFileName(part) ? .pkcs7Mime(part, smimeType: Self.smimeType(ct)) : .notSMIME
        default:
            self = .notSMIME
        }
    }

    static func smimeType(_ ct: ContentType) -> String? {
        ct.parameters["smime-type"].map { trimmed($0.lowercased()) }
    }

    /// File name suffixes of S/MIME: opaque or enveloped (.p7m), certificates (.p7c),
    /// compressed (.p7z) and detached signatures (.p7s).
    static let fileNameSuffixes = [".p7m", ".p7c", ".p7z", ".p7s"]

    /// The Content-Type name and the Content-Disposition filename, each on its own:
    /// a reader may go by either.
    static func hasSMIMEFileName(_ part: MIMEPart) -> Bool {
        let names = [part.contentType.parameters["name"], part.contentDisposition?.parameters["filename"]]
        for case let raw? in names {
            let name = trimmed((raw.contains("=?") ? EncodedWords.decode(raw) : raw).lowercased())
            if fileNameSuffixes.contains(where: { name.hasSuffix($0) }) { return true }
        }
        return false
    }

    /// How the partial-signing detectors see a part below the root. One catalogue for
    /// every detector: in memory, streamed and the cheap status one.
    enum Signing {
        /// A signature whatever the content says.
        case signed
        /// S/MIME that is not a signature by its label (certificates only).
        case unsigned
        /// S/MIME whose label does not settle it: the leading bytes of the CMS do.
        case sniff
        /// Not S/MIME: look at the parts inside, if any.
        case container
    }

    var signing: Signing {
        switch self {
        case .detached, .malformedDetached: return .signed
        case .pkcs7Mime(_, let t):
            switch t {
            case "signed-data": return .signed
            case "certs-only": return .unsigned
            // Unlabelled, or labelled enveloped or compressed: a label is no proof, the CMS is.
            default: return .sniff
            }
        case .foreignSigned, .notSMIME: return .container
        }
    }
}

extension SMIMEShape {
    /// Without leading and trailing white space (Zs and tab, as CharacterSet.whitespaces),
    /// and without going through Foundation's NSString bridge for the common case.
    static func trimmed(_ s: String) -> String {
        let utf8 = s.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII, the usual parameter: the space is its only Zs.
            guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
                  let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
            if first == utf8.startIndex && utf8.index(after: last) == utf8.endIndex { return s }
            return String(s[first...last])
        }
        let scalars = s.unicodeScalars
        func white(_ u: Unicode.Scalar) -> Bool { u == "\t" || u.properties.generalCategory == .spaceSeparator }
        guard let first = scalars.firstIndex(where: { !white($0) }), let last = scalars.lastIndex(where: { !white($0) }) else { return "" }
        return String(scalars[first...last])
    }
}

/// The cheap detector: the status a message has from its structure alone, in
/// memory or in a source (a message too large to hold).
public enum StructureDetector {
    /// `nil` (no S/MIME), `.unknown` or `.signed`, without any cryptography.
    public static func status(of message: Message) -> SMIMEStatus? {
        // A message in memory reads nothing from a source: there is nothing to throw.
        try? status(of: Entity(message))
    }

    /// `status(of:)` for a message too large to hold: header structure only.
    public static func status(of large: LargeMessage) throws(StreamingError) -> SMIMEStatus? {
        try status(of: Entity(large))
    }

    static func status(of entity: Entity) throws(StreamingError) -> SMIMEStatus? {
        switch SMIMEShape(entity.part) {
        case .detached, .malformedDetached:
            return .signed
        case .foreignSigned:
            return .unknown
        case .pkcs7Mime(_, let smimeType):
            switch smimeType {
            case "signed-data": return .signed
            case "enveloped-data", "authenveloped-data", "certs-only", "compressed-data": return .unknown
            default: return try entity.looksSigned() ? .signed : .unknown
            }
        case .notSMIME:
            var budget = entity.partBudget
            return try containsSignedPart(entity, depth: 0, budget: &budget) ? .signed : nil
        }
    }

    /// A signed part below the entity, not inside an attached message: a partly signed
    /// message. In a source every multipart level is one scan of its body, its parts
    /// counted against `budget`.
    static func containsSignedPart(_ entity: Entity, depth: Int, budget: inout Int) throws(StreamingError) -> Bool {
        guard depth < 200 else { return false }
        for part in try entity.parts(depth: depth, budget: &budget) {
            let child = try entity.open(part)
            switch SMIMEShape(child.part).signing {
            case .signed: return true
            case .unsigned: continue
            case .sniff:
                if CMSSniffer.looksSigned(head: try child.bodyHead(CMSSniffer.headBytes), transferEncoding: child.part.contentTransferEncoding) { return true }
            case .container:
                if try containsSignedPart(child, depth: depth + 1, budget: &budget) { return true }
            }
        }
        return false
    }
}

/// Recognises CMS SignedData by its leading OID without parsing the rest.
enum CMSSniffer {
    /// 1.2.840.113549.1.7.2 (id-signedData), DER-encoded.
    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    /// Encoded bytes read from the start of a body to sniff it: 32 bytes of DER need 44 of base64,
    /// plus line ends and the odd blank line.
    static let headBytes = 512

    /// `looksSigned` on the start of a body still in its transfer encoding.
    static func looksSigned(head: ArraySlice<UInt8>, transferEncoding: String) -> Bool {
        switch transferEncoding {
        case "base64": return looksSigned(TransferEncoding.decodeBase64(head))
        case "quoted-printable": return looksSigned(TransferEncoding.decodeQuotedPrintable(head))
        default: return looksSigned(Array(head))
        }
    }

    static func looksSigned(_ der: [UInt8]) -> Bool {
        let head = der.prefix(32)
        guard head.count >= signedDataOID.count else { return false }
        for start in head.indices where start + signedDataOID.count <= head.endIndex {
            if Array(head[start..<start + signedDataOID.count]) == signedDataOID { return true }
        }
        return false
    }
}
