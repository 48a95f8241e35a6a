// The trust anchors, extra intermediates and CRLs, loaded once and shared by
// every message of a run (loading the system bundle per message would cost
// more than verifying the message).
import COpenSSLShim
import Foundation

public enum RevocationMode: String, Sendable, CaseIterable, Codable {
    /// No CRL checks at all.
    case off
    /// Check every CRL we have; a revoked certificate fails, a missing or stale CRL does not.
    case soft
    /// A certificate whose status cannot be established fails.
    case hard
}

/// Where trust and revocation data come from.
public struct TrustConfiguration: Sendable, Hashable {
    /// Files or directories of PEM/DER certificates to trust as anchors.
    public var anchors: [URL] = []
    /// Include the system's CA bundle.
    public var useSystemTrust = true
    /// Files or directories of extra (intermediate or signer) certificates, not trusted.
    public var extraCertificates: [URL] = []
    /// Files or directories of PEM/DER CRLs.
    public var crls: [URL] = []
    /// Overrides the system bundle path (tests, odd systems).
    public var systemBundle: URL? = nil

    public init(anchors: [URL] = [], useSystemTrust: Bool = true, extraCertificates: [URL] = [], crls: [URL] = []) {
        self.anchors = anchors
        self.useSystemTrust = useSystemTrust
        self.extraCertificates = extraCertificates
        self.crls = crls
    }
}

public final class TrustStore: @unchecked Sendable {
    let store: OpaquePointer
    /// Certificates that may help build a path but are not trusted.
    let extraCertificates: [Certificate]
    /// The user's CRLs. They are not put into the OpenSSL store: OpenSSL takes
    /// the first valid CRL it finds (the message's before the store's), while
    /// every path check here offers all of them and lets the newest decide.
    let crls: [RevocationList]
    var crlCount: Int { crls.count }
    /// SHA-256 of each CRL's DER: part of what a cached verdict is filed under.
    let crlFingerprints: [String]
    /// SHA-256 fingerprints of every anchor: identifies the anchor set for smimeStatusAtDelivery.
    public let anchorFingerprints: Set<String>
    /// Anchors by subject, for explaining which root was missing.
    let anchors: [Certificate]

    public init(_ config: TrustConfiguration) throws {
        guard let store = X509_STORE_new() else { throw EngineError.invalidOption("cannot create a certificate store") }
        self.store = store
        var anchors: [Certificate] = []
        if config.useSystemTrust {
            let bundle = config.systemBundle?.path ?? TrustStore.systemBundlePath()
            if let bundle, let data = FileManager.default.contents(atPath: bundle) {
                anchors += Certificate.parseAll([UInt8](data))
            }
        }
        for url in config.anchors {
            var found: [Certificate] = []
            for file in try InputFiles.expand(url) {
                found += Certificate.parseAll(try InputFiles.read(file))
            }
            if found.isEmpty { throw EngineError.noCertificates(url.relativePath) }
            anchors += found
        }
        for a in anchors { X509_STORE_add_cert(store, a.x509) }
        ERR_clear_error() // duplicates are fine
        var extra: [Certificate] = []
        for url in config.extraCertificates {
            var found: [Certificate] = []
            for file in try InputFiles.expand(url) { found += Certificate.parseAll(try InputFiles.read(file)) }
            if found.isEmpty { throw EngineError.noCertificates(url.relativePath) }
            extra += found
        }
        var crls: [RevocationList] = []
        var crlFingerprints: [String] = []
        for url in config.crls {
            var found: [RevocationList] = []
            for file in try InputFiles.expand(url) { found += RevocationList.parseAll(try InputFiles.read(file)) }
            if found.isEmpty { throw EngineError.noCRLs(url.relativePath) }
            crls += found
            crlFingerprints += found.map(\.fingerprint)
        }
        ERR_clear_error()
        self.extraCertificates = extra
        self.crls = crls
        self.crlFingerprints = crlFingerprints
        self.anchors = anchors
        self.anchorFingerprints = Set(anchors.map(\.fingerprint))
    }

    deinit { X509_STORE_free(store) }

    static func systemBundlePath() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SSL_CERT_FILE"] { candidates.append(env) }
        candidates.append(String(cString: X509_get_default_cert_file()))
        candidates += ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        return candidates.first { FileManager.default.isReadableFile(atPath: $0) }
    }
}
