// Key sizes of RFC 8551 4.1: a signature is no stronger than the smallest key
// on its path, so the signer's key and every CA key above it are measured.
import COpenSSLShim

/// The public key of a certificate, as far as its strength goes.
struct PublicKeyStrength: Equatable {
    enum Family: Equatable { case rsa, dsa, ec, other }
    let family: Family
    /// Modulus size (RSA, DSA) or group order size (EC).
    let bits: Int
    /// The EC curve's name, when it has one.
    let curve: String?

    var description: String {
        switch family {
        case .rsa: return "an RSA key of \(bits) bits"
        case .dsa: return "a DSA key of \(bits) bits"
        case .ec: return "an EC key on \(curve ?? "an unnamed curve") (\(bits) bits)"
        case .other: return "a key of \(bits) bits"
        }
    }
}

extension Certificate {
    var publicKeyStrength: PublicKeyStrength? {
        guard let pkey = X509_get0_pubkey(x509) else { return nil }
        let bits = Int(EVP_PKEY_get_bits(pkey))
        switch EVP_PKEY_get_base_id(pkey) {
        case NID_rsaEncryption, NID_rsassaPss:
            return PublicKeyStrength(family: .rsa, bits: bits, curve: nil)
        case NID_dsa:
            return PublicKeyStrength(family: .dsa, bits: bits, curve: nil)
        case NID_X9_62_id_ecPublicKey:
            var name = [CChar](repeating: 0, count: 80)
            var length = 0
            let curve = EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1 ? String(cString: name) : nil
            return PublicKeyStrength(family: .ec, bits: bits, curve: curve)
        default:
            // Ed25519 and Ed448 have fixed, sufficient sizes.
            return PublicKeyStrength(family: .other, bits: bits, curve: nil)
        }
    }
}

extension VerificationOptions {
    /// The least RSA modulus accepted by default (RFC 8551 4.1), and the floor of --min-rsa-bits.
    public static let defaultMinRSABits = 2048
    public static let lowestMinRSABits = 1024
    /// DSA and EC have no option: no archive worth keeping needs a weaker one.
    static let minDSABits = 2048
    static let minECBits = 256

    /// Nil when the key is strong enough, else what is missing.
    func weakness(of key: PublicKeyStrength) -> (needed: Int, remedy: String?)? {
        switch key.family {
        case .rsa:
            let floor = max(minRSABits, Self.lowestMinRSABits)
            guard key.bits < floor else { return nil }
            let remedy = key.bits >= Self.lowestMinRSABits ? "pass --min-rsa-bits \(key.bits) to accept it for old archives" : nil
            return (floor, remedy)
        case .dsa:
            return key.bits < Self.minDSABits ? (Self.minDSABits, nil) : nil
        case .ec:
            return key.bits < Self.minECBits ? (Self.minECBits, nil) : nil
        case .other:
            return nil
        }
    }
}
