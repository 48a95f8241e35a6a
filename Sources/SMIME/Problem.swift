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
    /// The signed content-type attribute names another type than eContentType (RFC 5652 11.1).
    case contentTypeMismatch
    /// eContentType is not id-data although the signed content is a MIME entity.
    case unexpectedContentType
    /// Signed attributes without content-type or message-digest (RFC 5652 5.3).
    case signedAttributeMissing
    /// An RSA, DSA or EC key smaller than RFC 8551 4.1 allows, on the signer or a CA of its path.
    case weakKey
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
    /// A From inside decrypted or signed content names another mailbox than the message's From.
    case innerFromMismatch
    /// The From outside the protection differs from the protected From (RFC 9788, RFC 8551 3.1 wrapping).
    case protectedFromMismatch
    /// The From header is an RFC 5322 group (its name is what many readers show).
    case fromGroup
    /// A bare CR, NUL or other control byte in an address header field.
    case headerControlCharacter
    /// The From display name holds a bidi control or another invisible control.
    case displayNameControl
    /// The From domain is not valid IDNA2008 (a bad A-label, or an unmapped U-label).
    case fromInvalidDomain
    /// A subjectAltName mailbox with an embedded NUL: it vouches for nothing.
    case certificateNameNUL
    /// More subjectAltName entries than are read.
    case certificateTooManyNames
    /// A subjectAltName that cannot be read (malformed, duplicated, bad SmtpUTF8Mailbox).
    case certificateNamesUnreadable
    // Decryption (notes: they never make a status failed on their own)
    case noDecryptionKey
    case decryptionFailed
    case unsupportedProtocol
    case nonCanonicalContent
    /// Part of a message too large to hold in memory could not be checked.
    case messageTooLarge
    /// A protected header field (RFC 9788) differs from the unprotected one outside.
    case protectedHeaderDiffers
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
