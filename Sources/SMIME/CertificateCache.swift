// Certificates parsed once per run. Under OpenSSL 3.0 every certificate parse
// decodes its public key through the provider decoder framework, and for a
// typical signed message (leaf and intermediate inside) that was half of all
// the time spent verifying it. A mailbox carries the same few certificates over
// and over, so the SignedData is parsed without its certificates field and the
// certificates, parsed at most once each, are put back into it.
import MIME
import COpenSSLShim
import Foundation

/// Bytes as a dictionary key, hashed in one call rather than byte by byte.
struct ByteKey: Hashable, Sendable {
    let bytes: [UInt8]

    func hash(into hasher: inout Hasher) {
        // The keys are DER certificates, or path keys that start with a leaf and
        // end with a certificate: the first 96 bytes hold a serial number, the
        // last 64 a signature, and with the length they spread keys as well as
        // the whole would, at a fraction of the cost. Equality compares every byte.
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { raw in
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw.prefix(96)))
            hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: raw.suffix(64)))
        }
    }

    static func == (a: ByteKey, b: ByteKey) -> Bool {
        a.bytes.count == b.bytes.count && a.bytes.withUnsafeBytes { x in
            b.bytes.withUnsafeBytes { y in x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 }
        }
    }
}

/// Parsed certificates by their DER.
final class CertificateCache: Sendable {
    /// Plenty for a mailbox's signers and CAs; the whole cache is dropped when full.
    static let capacity = 1024

    private struct State {
        /// By a hash of the DER (see `ByteKey`'s), each bucket compared byte by byte:
        /// a lookup reads the certificate where it lies in the message, without a copy.
        var parsed: [Int: [Certificate]] = [:]
        var count = 0
        /// The same certificates by their X509 object (its address), which CMS_add1_cert
        /// hands on to the SignedData: so the signer found there is the one parsed here,
        /// with its fields already read.
        var byObject: [Int: Certificate] = [:]
    }
    private let state = Locked(State())

    /// The cached certificate whose X509 object this is, if any.
    func known(_ x509: OpaquePointer) -> Certificate? {
        state.withLock { $0.byObject[Int(bitPattern: x509)] }
    }

    static func hash(_ der: UnsafeRawBufferPointer) -> Int {
        var hasher = Hasher()
        hasher.combine(der.count)
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: der.prefix(96)))
        hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: der.suffix(64)))
        return hasher.finalize()
    }

    private static func find(_ bucket: [Certificate]?, _ der: UnsafeRawBufferPointer) -> Certificate? {
        guard let bucket else { return nil }
        for c in bucket {
            let same = c.der.withUnsafeBytes { known in
                known.count == der.count && (der.count == 0 || memcmp(known.baseAddress!, der.baseAddress!, der.count) == 0)
            }
            if same { return c }
        }
        return nil
    }

    /// The certificate with this DER; nil when OpenSSL does not read it.
    func certificate(_ der: ArraySlice<UInt8>) -> Certificate? {
        der.withUnsafeBytes { raw in
            let h = Self.hash(raw)
            if let known = state.withLock({ Self.find($0.parsed[h], raw) }) { return known }
            guard let certificate = Certificate.fromDER(Array(raw)) else { return nil }
            return state.withLock { s in
                if let raced = Self.find(s.parsed[h], raw) { return raced }
                if s.count >= Self.capacity {
                    s.parsed.removeAll(keepingCapacity: true)
                    s.byObject.removeAll(keepingCapacity: true)
                    s.count = 0
                }
                s.parsed[h, default: []].append(certificate)
                s.count += 1
                s.byObject[Int(bitPattern: certificate.x509)] = certificate
                return certificate
            }
        }
    }
}

extension CMSMessage {
    /// Parses `der` like `init(der:)`, taking the SignedData's certificates from
    /// `cache`. Anything unusual (not SignedData, a certificate choice other than a
    /// plain certificate, a certificate OpenSSL refuses, duplicates) takes the
    /// plain path, so the outcome never differs from parsing the bytes as they are.
    static func parse(_ der: [UInt8], certificates cache: CertificateCache?) -> CMSMessage? {
        guard let cache, let split = SignedDataSplit.split(der), !split.certificates.isEmpty else {
            return CMSMessage(der: der)
        }
        var certificates: [Certificate] = []
        for certificateDER in split.certificates {
            guard let c = cache.certificate(certificateDER) else { return CMSMessage(der: der) }
            certificates.append(c)
        }
        guard let cms = CMSMessage(der: split.stripped), cms.kind == .signedData else { return CMSMessage(der: der) }
        for c in certificates where CMS_add1_cert(cms.cms, c.x509) != 1 {
            ERR_clear_error()
            return CMSMessage(der: der)
        }
        return cms
    }
}

/// Cuts the `certificates [0] IMPLICIT` field out of a BER ContentInfo holding
/// SignedData (RFC 5652 5.1). Containers keep their length form: a definite
/// length is recomputed, an indefinite one (streamed S/MIME) stays indefinite.
enum SignedDataSplit {
    struct Element {
        let tag: UInt8
        let start: Int        // first byte of the tag
        let contentStart: Int
        let contentEnd: Int   // before the end-of-contents octets, if any
        let end: Int          // after the whole element
        let indefinite: Bool
    }

    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    /// The stripped ContentInfo and each certificate's DER; nil when the input is not that shape.
    static func split(_ der: [UInt8]) -> (stripped: [UInt8], certificates: [ArraySlice<UInt8>])? {
        guard let contentInfo = element(der, at: 0, limit: der.count, depth: 0), contentInfo.tag == 0x30,
              let outer = children(der, of: contentInfo), outer.count == 2,
              der[outer[0].start..<outer[0].end].elementsEqual(signedDataOID),
              outer[1].tag == 0xA0,
              let explicit = children(der, of: outer[1]), explicit.count == 1, explicit[0].tag == 0x30,
              let fields = children(der, of: explicit[0])
        else { return nil }
        let signedData = explicit[0]
        guard let certificatesIndex = fields.firstIndex(where: { $0.tag == 0xA0 }),
              let certificateElements = children(der, of: fields[certificatesIndex])
        else { return nil }
        // Only plain, definite-length Certificates: other CertificateChoices go the plain way.
        guard certificateElements.allSatisfy({ $0.tag == 0x30 && !$0.indefinite }) else { return nil }

        // The stripped ContentInfo written once into a buffer of its final size: the
        // three containers around the remaining SignedData fields, then what followed.
        let oid = der[outer[0].start..<outer[0].end]
        var signedLength = 0
        for (i, field) in fields.enumerated() where i != certificatesIndex { signedLength += field.end - field.start }
        let signedTotal = encodedSize(signedData, content: signedLength)
        let explicitTotal = encodedSize(outer[1], content: signedTotal)
        let infoContent = oid.count + explicitTotal
        var stripped: [UInt8] = []
        stripped.reserveCapacity(encodedSize(contentInfo, content: infoContent) + (der.count - contentInfo.end))
        appendHeader(contentInfo, content: infoContent, to: &stripped)
        stripped += oid
        appendHeader(outer[1], content: signedTotal, to: &stripped)
        appendHeader(signedData, content: signedLength, to: &stripped)
        for (i, field) in fields.enumerated() where i != certificatesIndex { stripped += der[field.start..<field.end] }
        for e in [signedData, outer[1], contentInfo] where e.indefinite { stripped += [0x00, 0x00] }
        stripped += der[contentInfo.end...]
        return (stripped, certificateElements.map { der[$0.start..<$0.end] })
    }

    /// The bytes `e`'s container takes around `content` bytes: header, and end-of-contents when indefinite.
    static func encodedSize(_ e: Element, content: Int) -> Int {
        e.indefinite ? content + 4 : 1 + lengthSize(content) + content
    }

    static func lengthSize(_ n: Int) -> Int {
        if n < 0x80 { return 1 }
        var count = 0
        var v = n
        while v > 0 { count += 1; v >>= 8 }
        return 1 + count
    }

    /// `e`'s tag and length (the same length form) for `content` bytes.
    static func appendHeader(_ e: Element, content: Int, to out: inout [UInt8]) {
        out.append(e.tag)
        if e.indefinite {
            out.append(0x80)
        } else if content < 0x80 {
            out.append(UInt8(content))
        } else {
            let count = lengthSize(content) - 1
            out.append(0x80 | UInt8(count))
            for k in stride(from: count - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: content >> (8 * k))) }
        }
    }

    /// The elements inside a constructed element.
    static func children(_ der: [UInt8], of e: Element) -> [Element]? {
        guard e.tag & 0x20 != 0 else { return nil }
        var out: [Element] = []
        var i = e.contentStart
        while i < e.contentEnd {
            guard out.count < 4096, let child = element(der, at: i, limit: e.contentEnd, depth: 1) else { return nil }
            out.append(child)
            i = child.end
        }
        return out
    }

    /// One element at `i`, not reaching past `limit`. Low tag numbers only (all
    /// that CMS uses here); an indefinite length is followed to its end-of-contents.
    static func element(_ der: [UInt8], at i: Int, limit: Int, depth: Int) -> Element? {
        guard depth < 32, i + 2 <= limit else { return nil }
        let tag = der[i]
        guard tag & 0x1F != 0x1F, !(tag == 0 && der[i + 1] == 0) else { return nil }
        let first = der[i + 1]
        var contentStart = i + 2
        if first == 0x80 {
            // Indefinite: constructed only; children until the end-of-contents octets.
            guard tag & 0x20 != 0 else { return nil }
            var j = contentStart
            while true {
                guard j + 2 <= limit else { return nil }
                if der[j] == 0 && der[j + 1] == 0 {
                    return Element(tag: tag, start: i, contentStart: contentStart, contentEnd: j, end: j + 2, indefinite: true)
                }
                guard let child = element(der, at: j, limit: limit, depth: depth + 1) else { return nil }
                j = child.end
            }
        }
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            let count = Int(first & 0x7F)
            guard count >= 1, count <= 4, contentStart + count <= limit else { return nil }
            for k in 0..<count { length = length << 8 | Int(der[contentStart + k]) }
            contentStart += count
        }
        guard length <= limit - contentStart else { return nil }
        return Element(tag: tag, start: i, contentStart: contentStart, contentEnd: contentStart + length,
                       end: contentStart + length, indefinite: false)
    }
}
