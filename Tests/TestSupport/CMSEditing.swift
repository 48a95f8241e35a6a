import Foundation

/// A DER value as a tree, so that a test can change a CMS structure anywhere
/// and write it out again with every length above the change recomputed.
public indirect enum DERNode: Equatable {
    case primitive(tag: UInt8, content: [UInt8])
    case constructed(tag: UInt8, children: [DERNode])

    public var tag: UInt8 {
        switch self {
        case .primitive(let t, _), .constructed(let t, _): return t
        }
    }

    public var children: [DERNode] {
        if case .constructed(_, let c) = self { return c }
        return []
    }

    public var content: [UInt8] {
        if case .primitive(_, let c) = self { return c }
        return []
    }

    public func withChildren(_ children: [DERNode]) -> DERNode { .constructed(tag: tag, children: children) }
    public func withTag(_ tag: UInt8) -> DERNode {
        switch self {
        case .primitive(_, let c): return .primitive(tag: tag, content: c)
        case .constructed(_, let c): return .constructed(tag: tag, children: c)
        }
    }

    public static func parse(_ bytes: [UInt8]) throws -> DERNode {
        let elements = try DER.elements(bytes, 0..<bytes.count)
        guard elements.count == 1 else { throw FixtureError.malformed("expected one DER value, found \(elements.count)") }
        return try node(bytes, elements[0])
    }

    private static func node(_ bytes: [UInt8], _ e: DER.Element) throws -> DERNode {
        if e.tag & 0x20 != 0 {
            return .constructed(tag: e.tag, children: try DER.elements(bytes, e.contentStart..<e.end).map { try node(bytes, $0) })
        }
        return .primitive(tag: e.tag, content: Array(bytes[e.contentStart..<e.end]))
    }

    public var encoded: [UInt8] {
        switch self {
        case .primitive(let t, let c): return DER.encode(tag: t, c)
        case .constructed(let t, let c): return DER.encode(tag: t, c.flatMap(\.encoded))
        }
    }

    /// An OBJECT IDENTIFIER from its dotted form.
    public static func oid(_ dotted: String) -> DERNode {
        let arcs = dotted.split(separator: ".").map { UInt64($0)! }
        var out: [UInt8] = [UInt8(arcs[0] * 40 + arcs[1])]
        for arc in arcs.dropFirst(2) {
            var chunk: [UInt8] = [UInt8(arc & 0x7F)]
            var v = arc >> 7
            while v > 0 { chunk.insert(UInt8(v & 0x7F) | 0x80, at: 0); v >>= 7 }
            out += chunk
        }
        return .primitive(tag: 0x06, content: out)
    }
}

/// Changes to a SignedData ContentInfo (DER, as `openssl cms -noindef` writes it).
public enum CMSEditing {
    public static let contentTypeOID = "1.2.840.113549.1.9.3"
    public static let messageDigestOID = "1.2.840.113549.1.9.4"

    /// ContentInfo → [0] → SignedData's fields.
    static func signedDataFields(_ ci: DERNode) throws -> [DERNode] {
        guard ci.children.count == 2, let sd = ci.children[1].children.first, sd.tag == 0x30 else {
            throw FixtureError.malformed("not a SignedData ContentInfo")
        }
        return sd.children
    }

    static func rebuild(_ ci: DERNode, fields: [DERNode]) -> DERNode {
        let sd = ci.children[1].children[0].withChildren(fields)
        return ci.withChildren([ci.children[0], ci.children[1].withChildren([sd])])
    }

    /// The eContentType set to `oid`; the signatures are left as they are (they do not cover it).
    public static func settingEContentType(_ oid: String, in der: [UInt8]) throws -> [UInt8] {
        let ci = try DERNode.parse(der)
        var fields = try signedDataFields(ci)
        guard let index = fields.firstIndex(where: { $0.tag == 0x30 }) else { throw FixtureError.malformed("no encapContentInfo") }
        var encap = fields[index].children
        encap[0] = DERNode.oid(oid)
        fields[index] = fields[index].withChildren(encap)
        return rebuild(ci, fields: fields).encoded
    }

    /// The first SignerInfo's signed attributes changed by `edit` (each an Attribute
    /// SEQUENCE), sorted as DER wants a SET OF, and signed again with `key`
    /// (`openssl dgst -sign`, PKCS#1 v1.5 for RSA, ECDSA for EC), so the signature
    /// verifies over the changed attributes.
    public static func resigningAttributes(in der: [UInt8], key: URL, digest: String = "sha256", factory: PKIFactory,
                                           _ edit: (inout [DERNode]) -> Void) throws -> [UInt8] {
        let ci = try DERNode.parse(der)
        var fields = try signedDataFields(ci)
        guard let infosIndex = fields.lastIndex(where: { $0.tag == 0x31 }), var si = fields[infosIndex].children.first?.children,
              let attrsIndex = si.firstIndex(where: { $0.tag == 0xA0 }),
              let sigIndex = si.lastIndex(where: { $0.tag == 0x04 }) else {
            throw FixtureError.malformed("no SignerInfo with signed attributes")
        }
        var attributes = si[attrsIndex].children
        edit(&attributes)
        attributes.sort { a, b in a.encoded.lexicographicallyPrecedes(b.encoded) }
        let signedSet = DERNode.constructed(tag: 0x31, children: attributes)
        let signature = try factory.run(["dgst", "-\(digest)", "-sign", key.path], stdin: signedSet.encoded).stdout
        si[attrsIndex] = signedSet.withTag(0xA0)
        si[sigIndex] = .primitive(tag: 0x04, content: signature)
        var infos = fields[infosIndex].children
        infos[0] = fields[infosIndex].children[0].withChildren(si)
        fields[infosIndex] = fields[infosIndex].withChildren(infos)
        return rebuild(ci, fields: fields).encoded
    }

    /// Attribute SEQUENCE { type, SET { values } }.
    public static func attribute(_ oid: String, values: [DERNode]) -> DERNode {
        .constructed(tag: 0x30, children: [DERNode.oid(oid), .constructed(tag: 0x31, children: values)])
    }

    public static func isAttribute(_ node: DERNode, _ oid: String) -> Bool {
        node.children.first == DERNode.oid(oid)
    }
}

extension SMIMEMessage {
    /// `message` with its CMS block replaced by `der`.
    public static func replacingCMS(in message: [UInt8], with der: [UInt8]) throws -> [UInt8] {
        let range = try cmsBase64Range(in: message)
        return Array(message[..<range.lowerBound]) + base64Lines(der) + Array(message[range.upperBound...])
    }
}
