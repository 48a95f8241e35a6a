import Foundation

/// What a cached verdict is filed under.
public struct StoreKey: Hashable, Sendable {
    /// Hex SHA-256 of the message bytes (computed by the caller).
    public var messageDigest: String
    /// Digest of the verification options that change a verdict (computed by the caller).
    /// For at-delivery verdicts leave the trust anchor set out of it: the store
    /// tracks the anchor set itself (see `ResultStore.deliveryVerdict`).
    public var optionsDigest: String

    public init(messageDigest: String, optionsDigest: String) {
        self.messageDigest = messageDigest
        self.optionsDigest = optionsDigest
    }
}

/// The current verdict: RFC 9219 `smimeStatus`, `smimeErrors` and `smimeVerifiedAt`.
public struct StoredVerdict: Sendable, Equatable {
    /// `smimeStatus`, e.g. "signed/verified"; nil when the message has no S/MIME.
    public var status: String?
    /// `smimeErrors`.
    public var errors: [String]?
    /// Stable codes parallel to `errors` (for `--details`).
    public var errorCodes: [String]?
    /// `smimeVerifiedAt`. Stored in whole seconds (rounded down). Nil when no
    /// signature was checked; such a verdict depends only on the message bytes
    /// and the options, so the age limit does not apply to it (`validUntil` still does).
    public var verifiedAt: Date?
    /// The earliest notAfter of a certificate in the path: the verdict is never
    /// served at or after it. Stored in whole seconds (rounded down, so never later).
    public var validUntil: Date?

    public init(status: String?, errors: [String]? = nil, errorCodes: [String]? = nil,
                verifiedAt: Date?, validUntil: Date? = nil) {
        self.status = status
        self.errors = errors
        self.errorCodes = errorCodes
        self.verifiedAt = verifiedAt
        self.validUntil = validUntil
    }
}

/// The at-delivery verdict: RFC 9219 `smimeStatusAtDelivery`, with what it was computed from.
public struct DeliveryVerdict: Sendable, Equatable {
    /// `smimeStatusAtDelivery`.
    public var status: String?
    /// The `receivedAt` it was computed at. Stored in whole seconds (rounded down),
    /// like an RFC 8621 UTCDate.
    public var receivedAt: Date
    /// Fingerprints (hex SHA-256) of the trust anchors it was computed with.
    /// Compared case-insensitively, ignoring ':' separators and spaces.
    public var anchorSet: [String]

    public init(status: String?, receivedAt: Date, anchorSet: [String]) {
        self.status = status
        self.receivedAt = receivedAt
        self.anchorSet = anchorSet
    }
}

public enum ResultStoreError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// RFC 8620 /changes: the state given is not one this store can compute changes from
    /// (malformed, from another store, in the future, or older than the kept history).
    /// The client has to refetch everything.
    case cannotCalculateChanges(since: String, reason: String)
    /// RFC 8620 invalidArguments, e.g. maxChanges of zero or less, or a non-finite date.
    case invalidArguments(String)
    /// The database could not be opened, read or written.
    case database(String)
    /// The database went bad while in use (SQLite reported corruption).
    /// Reopening the store moves the file aside and starts a new one.
    case corrupt(String)

    /// The RFC 8620 error type name, for JMAP-shaped output.
    public var jmapType: String {
        switch self {
        case .cannotCalculateChanges: "cannotCalculateChanges"
        case .invalidArguments: "invalidArguments"
        case .database, .corrupt: "serverFail"
        }
    }

    public var description: String {
        switch self {
        case let .cannotCalculateChanges(since, reason):
            "cannotCalculateChanges: cannot calculate changes since state \"\(since)\" (\(reason)); fetch all messages again"
        case let .invalidArguments(message): "invalidArguments: \(message)"
        case let .database(message): "result cache error: \(message)"
        case let .corrupt(message): "result cache is corrupt: \(message); it will be moved aside and rebuilt the next time it is opened"
        }
    }

    public var errorDescription: String? { description }
}
