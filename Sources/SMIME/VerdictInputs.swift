// What besides the message, the time and the trust anchors decides a verdict,
// condensed to one digest so that a cache can file verdicts under it.
import COpenSSLShim
import Foundation

extension MessageVerifier {
    /// Hex SHA-256 over the verification options, the MIME limits, the extra
    /// certificates, the CRLs and the decryption keys: two verifiers with the same
    /// digest (and the same anchors) give the same verdict for the same bytes at
    /// the same time. The anchor set is left out on purpose: at-delivery verdicts
    /// track it separately (see `TrustStore.anchorFingerprints`).
    public func verdictInputsDigest() -> String {
        // String(describing:) lists every stored property, so a field added to the
        // options later changes the digest without anyone remembering to add it here.
        // The number names the verification rules: raised when a message checked under the old
        // ones could get another verdict now (2: the From across layers, signed message/rfc822,
        // every S/MIME label in the partial-signing check, RFC 9788), so a stored verdict is not served.
        var text = "smimekit verdict inputs 2\n"
        text += "options \(String(describing: options))\n"
        text += "limits \(String(describing: limits))\n"
        // Above the in-memory limit some shapes are not checked (messageTooLarge). Only a
        // limit other than the default is written, so existing cache entries stay valid.
        if inMemoryLimit != Self.defaultInMemoryLimit || maxSignatureSize != Self.defaultMaxSignatureSize {
            text += "streaming \(inMemoryLimit) \(maxSignatureSize)\n"
        }
        for fingerprint in trust.extraCertificates.map(\.fingerprint).sorted() { text += "cert \(fingerprint)\n" }
        for fingerprint in trust.crlFingerprints.sorted() { text += "crl \(fingerprint)\n" }
        for identity in identities {
            text += "key \(identity.key.publicKeyFingerprint) \(identity.certificate?.fingerprint ?? "-")\n"
        }
        return Digest.sha256Hex(Array(text.utf8))
    }
}

extension TrustStore {
    /// Hex SHA-256 naming the anchor set as a whole (sorted fingerprints).
    public var anchorSetDigest: String {
        Digest.sha256Hex(Array(anchorFingerprints.sorted().joined(separator: "\n").utf8))
    }
}

extension RevocationList {
    /// Hex SHA-256 of the DER encoding.
    var fingerprint: String { Digest.sha256Hex(derEncoding { i2d_X509_CRL(crl, $0) }) }
}

extension PrivateKey {
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo: names the key without revealing it.
    var publicKeyFingerprint: String { Digest.sha256Hex(derEncoding { i2d_PUBKEY(pkey, $0) }) }
}
