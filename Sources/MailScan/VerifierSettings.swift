// What a run trusts and how it verifies, as plain values: the command line fills
// it from its flags (verify, status, query, changes, jmap, serve), a server from
// its configuration. Its checks name the settings by their option names, the
// words the config file and every front end share.
import Foundation
import JMAP
import MIME
import SMIME

/// A setting that cannot be used, said as the option it comes from.
public struct SettingError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct VerifierSettings: Sendable {
    /// Certificates trusted besides the default anchors (files or directories).
    public var anchors: [String]
    /// Leave out the default anchors.
    public var noSystemTrust: Bool
    /// Where the default anchors come from (nss-email when nil).
    public var trustSource: TrustSource?
    /// Certificates to build paths with, not trusted.
    public var certificates: [String]
    public var crls: [String]
    /// Revocation, algorithms, key sizes, sender check, limits, online.
    public var options: VerificationOptions
    /// With `options.online`, seconds each URL may take.
    public var onlineTimeout: Int
    /// The verification time and the delivery time, as given (RFC 3339 or a date); nil: now, and the message's own.
    public var at: String?
    public var receivedAt: String?
    /// Keys to open encrypted messages with, and the certificates at the same positions.
    public var decryptKeys: [String]
    public var decryptCertificates: [String]
    /// Password source of the keys (pass:, env:, file:, fd:).
    public var passin: String?

    public init(anchors: [String] = [], noSystemTrust: Bool = false, trustSource: TrustSource? = nil,
                certificates: [String] = [], crls: [String] = [], options: VerificationOptions = VerificationOptions(),
                onlineTimeout: Int = 5, at: String? = nil, receivedAt: String? = nil,
                decryptKeys: [String] = [], decryptCertificates: [String] = [], passin: String? = nil) {
        self.anchors = anchors
        self.noSystemTrust = noSystemTrust
        self.trustSource = trustSource
        self.certificates = certificates
        self.crls = crls
        self.options = options
        self.onlineTimeout = onlineTimeout
        self.at = at
        self.receivedAt = receivedAt
        self.decryptKeys = decryptKeys
        self.decryptCertificates = decryptCertificates
        self.passin = passin
    }

    /// The first setting that cannot be used, if any.
    public func check() throws(SettingError) {
        if let why = TrustConfiguration.contradiction(noSystemTrust: noSystemTrust, source: trustSource) { throw SettingError(why) }
        _ = try verificationTime()
        _ = try deliveryTime()
        if options.maxLayers < 1 || options.maxCertificates < 1 {
            throw SettingError("limits (--max-layers, --max-certificates) must be positive")
        }
        if options.minRSABits < VerificationOptions.lowestMinRSABits {
            throw SettingError("--min-rsa-bits takes \(VerificationOptions.lowestMinRSABits) or more: RSA keys under 1024 bits can be factored and are never accepted")
        }
        if !(1...60).contains(onlineTimeout) {
            throw SettingError("--online-timeout takes 1 to 60 seconds, not \(onlineTimeout)")
        }
        if decryptCertificates.count > decryptKeys.count {
            throw SettingError("each --decrypt-cert goes with a --decrypt-key")
        }
    }

    /// `at` as a date; nil when not given.
    public func verificationTime() throws(SettingError) -> Date? { try Self.time(at, option: "--at") }

    /// `receivedAt` as a date; nil when not given.
    public func deliveryTime() throws(SettingError) -> Date? { try Self.time(receivedAt, option: "--received-at") }

    /// A time setting: RFC 3339 with a zone, or a date meaning 00:00Z.
    public static func time(_ s: String?, option: String) throws(SettingError) -> Date? {
        guard let s else { return nil }
        switch RFC3339.commandLineTime(s) {
        case .success(let d): return d
        case .failure: throw SettingError(RFC3339.commandLineMessage(option: option, value: s))
        }
    }

    /// The anchors, extra certificates and CRLs, loaded; the store's warnings (a fallback taken) go to `warn`.
    public func trustStore(warn: (String) -> Void) throws -> TrustStore {
        try Self.trustStore(anchors: anchors, noSystemTrust: noSystemTrust, source: trustSource,
                            certificates: certificates, crls: crls, warn: warn)
    }

    /// The store of `trust list` and of every verifier: the anchors chosen, the certificates and CRLs besides.
    public static func trustStore(anchors: [String], noSystemTrust: Bool, source: TrustSource?,
                                  certificates: [String] = [], crls: [String] = [], warn: (String) -> Void) throws -> TrustStore {
        var config = TrustConfiguration.choosing(anchors: anchors, noSystemTrust: noSystemTrust, source: source)
        config.extraCertificates = certificates.map { URL(fileURLWithPath: $0) }
        config.crls = crls.map { URL(fileURLWithPath: $0) }
        let store = try TrustStore(config)
        for warning in store.warnings { warn(warning) }
        return store
    }

    public func identities() throws -> [DecryptionIdentity] {
        try DecryptionIdentity.open(keys: decryptKeys, certificates: decryptCertificates, passin: passin)
    }

    /// The verifier of these settings.
    /// - Parameter answers: where online answers are kept between runs (the result store).
    public func verifier(limits: MIMELimits, inMemoryLimit: Int, answers: RevocationAnswerCache? = nil,
                         warn: (String) -> Void) throws -> MessageVerifier {
        let fetcher = options.online ? OnlineRevocation(timeout: onlineTimeout, cache: answers) : nil
        return MessageVerifier(trust: try trustStore(warn: warn), options: options, identities: try identities(),
                               limits: limits, inMemoryLimit: inMemoryLimit, online: fetcher)
    }
}
