// The RFC 9219 verdict for a whole message (the walk over its layers is in
// LayerWalk.swift).
import Foundation
import JMAP
import MIME

/// Everything learnt about one message.
public struct VerificationResult: Sendable {
    public var status: SMIMEStatus?
    /// Every problem found, outermost layer first. Non-empty exactly when the status is */failed.
    public var problems: [Problem] = []
    /// Things worth telling a person that do not make the message fail (no key to decrypt, ...).
    public var notes: [Problem] = []
    public var signers: [SignerDetails] = []
    /// The S/MIME layers from the outside in, e.g. ["signed (multipart/signed)", "enveloped"].
    public var layers: [String] = []
    /// The earliest notAfter in a certificate path: a cached verdict must not outlive it.
    public var validUntil: Date?
    /// The latest notBefore in a certificate path.
    public var validFrom: Date?
    /// A CRL took part: revocation data has validity periods of its own.
    public var usedCRLs = false
    /// The protected header fields, when the message has header protection (RFC 9788, RFC 8551 3.1).
    public var headerProtection: HeaderProtection?
    /// Only with `keepingContent`: the content of the outermost signed layer (the
    /// entity that was signed, as transmitted), or with no signature the decrypted
    /// content; and the certificates of that layer's signers.
    public var content: [UInt8]?
    public var signerCertificates: [Certificate] = []

    /// smimeErrors: non-null only for */failed.
    public var smimeErrors: [String]? {
        guard let status, status.isFailed else { return nil }
        return problems.map(\.message)
    }
}

/// A private key (and its certificate, when known) for opening enveloped data.
public struct DecryptionIdentity: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate?
    public init(key: PrivateKey, certificate: Certificate?) {
        self.key = key
        self.certificate = certificate
    }
}

public final class MessageVerifier: Sendable {
    public let trust: TrustStore
    public let options: VerificationOptions
    public let identities: [DecryptionIdentity]
    public let limits: MIMELimits
    /// Online revocation (used when options.online is set), shared by every message of the run.
    public let online: OnlineRevocation?
    /// Certificate paths validated for earlier messages: most mail comes from few signers.
    let pathCache = PathCache()
    /// Certificates parsed for earlier messages (see CertificateCache).
    let certificateCache = CertificateCache()

    /// Messages up to this size are read whole and checked in memory; larger ones
    /// are streamed (see LargeMessage.swift).
    public let inMemoryLimit: Int
    /// The largest signature part a streamed multipart/signed may have.
    public let maxSignatureSize: Int

    public static let defaultInMemoryLimit = 32 << 20
    public static let defaultMaxSignatureSize = 16 << 20

    public init(trust: TrustStore, options: VerificationOptions = VerificationOptions(),
                identities: [DecryptionIdentity] = [], limits: MIMELimits = .default,
                inMemoryLimit: Int = MessageVerifier.defaultInMemoryLimit,
                maxSignatureSize: Int = MessageVerifier.defaultMaxSignatureSize,
                online: OnlineRevocation? = nil) {
        self.online = online
        self.trust = trust
        self.options = options
        self.identities = identities
        self.limits = limits
        self.inMemoryLimit = inMemoryLimit
        self.maxSignatureSize = maxSignatureSize
    }

    /// Verifies raw message bytes; a message the MIME reader refuses is `unknown` with a note,
    /// unless its structure already showed a signature (then `signed/failed`).
    public func verify(bytes: [UInt8], at time: Date) -> VerificationResult {
        do {
            let message = try Message(bytes: bytes, limits: limits)
            return verify(message, at: time)
        } catch {
            return Self.unreadable(error)
        }
    }

    /// The verdict on a message the MIME reader refuses.
    static func unreadable(_ error: MIMEError) -> VerificationResult {
        var r = VerificationResult()
        r.status = .unknown
        r.notes.append(Problem(.unreadableMessage(error), layer: 0))
        return r
    }

    public func verify(_ message: Message, at time: Date) -> VerificationResult {
        verify(message, at: time, keepingContent: false)
    }

    /// `keepingContent`: also hand back the signed (or decrypted) content and the
    /// signer certificates, for writing them out; nothing is kept otherwise.
    public func verify(_ message: Message, at time: Date, keepingContent: Bool) -> VerificationResult {
        var walk = LayerWalk(verifier: self, root: Entity(message), time: time)
        walk.keepContent = keepingContent
        walk.run()
        return walk.result
    }

    /// The verdict at `time`, reusing `earlier` (the same message checked at
    /// `earlierTime`) when no check could tell the two times apart: both inside
    /// every path certificate's validity, no CRL involved, and no signingTime
    /// after either time. smimeStatusAtDelivery usually is such a case, and
    /// verifying twice would double the cost of a cold run.
    public func verify(_ message: Message, at time: Date, reusing earlier: VerificationResult, checkedAt earlierTime: Date) -> VerificationResult {
        if earlier.holds(at: time, as: earlierTime, skew: options.clockSkew) { return earlier }
        return verify(message, at: time)
    }
}

extension VerificationResult {
    /// Whether a check at `time` must give this result, computed at `checkedAt`.
    func holds(at time: Date, as checkedAt: Date, skew: TimeInterval) -> Bool {
        if time == checkedAt { return true }
        // Nothing time-dependent was checked: no signature, or none whose path was built.
        guard !signers.isEmpty else { return status == nil || status == .unknown }
        guard !usedCRLs, let from = validFrom, let until = validUntil else { return false }
        guard signers.allSatisfy({ !$0.subject.isEmpty }) else { return false }
        for t in [time, checkedAt] where t < from || t >= until { return false }
        for s in signers {
            if let st = s.signingTime, st > time.addingTimeInterval(skew) || st > checkedAt.addingTimeInterval(skew) { return false }
        }
        return true
    }
}
