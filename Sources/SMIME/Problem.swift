// Problems are values that accumulate: one message can be both expired and
// sent from the wrong address, and the user needs to see both.

/// A stable, machine-readable name for each kind of problem.
public enum ProblemCode: String, Sendable, Codable, CaseIterable {
    // Structure
    case partialSignature
    case malformedMultipartSigned
    case unreadableSignature
    case notSignedData
    case noSignerInfos
    case detachedWithContent
    case missingContent
    case nestingTooDeep
    case tooManyCertificates
    case unreadableMessage
    // Signature
    case signatureInvalid
    case contentAltered
    case signerCertificateMissing
    case weakDigest
    case signingTimeInFuture
    // Certificate path
    case certificateExpired
    case certificateNotYetValid
    case issuerNotFound
    case untrustedRoot
    case certificateRevoked
    case revocationUnknown
    case crlInvalid
    case notCertificateAuthority
    case pathLengthExceeded
    case nameConstraintsViolated
    case policyViolation
    case certificateSignatureInvalid
    case weakCertificateSignature
    case keyUsage
    case extendedKeyUsage
    case certificatePathInvalid
    // Sender
    case fromMissing
    case fromMultipleFields
    case fromMultipleMailboxes
    case fromInvalid
    case senderMismatch
    case displayNameSpoof
    case certificateWithoutAddress
    // Decryption (notes: they never make a status failed on their own)
    case noDecryptionKey
    case decryptionFailed
    case unsupportedProtocol
    case nonCanonicalContent
    /// Part of a message too large to hold in memory could not be checked.
    case messageTooLarge
    /// The file is a CMS object (.p7m), read as the S/MIME entity of a message with no From.
    case bareCMSObject
}

/// One problem found while checking a message.
public struct Problem: Sendable, Hashable, Codable, CustomStringConvertible {
    public var code: ProblemCode
    /// A plain English sentence a person can act on.
    public var message: String
    /// 0 for the outermost S/MIME layer, 1 for the next one in, ...
    public var layer: Int

    public init(_ code: ProblemCode, _ message: String, layer: Int = 0) {
        self.code = code
        self.message = message
        self.layer = layer
    }

    public var description: String { message }
}
