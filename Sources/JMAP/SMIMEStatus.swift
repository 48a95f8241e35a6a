// RFC 9219 smimeStatus: data of the JMAP model, shared by the verifier, the
// result store's users and every printer.

/// RFC 9219 smimeStatus values.
public enum SMIMEStatus: String, Sendable, Codable, CaseIterable {
    case unknown
    case signed
    case signedVerified = "signed/verified"
    case signedFailed = "signed/failed"
    case encryptedSignedVerified = "encrypted+signed/verified"
    case encryptedSignedFailed = "encrypted+signed/failed"

    public var isVerified: Bool { self == .signedVerified || self == .encryptedSignedVerified }
    public var isFailed: Bool { self == .signedFailed || self == .encryptedSignedFailed }
}
