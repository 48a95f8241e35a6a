// The trust anchors, extra intermediates and CRLs, loaded once and shared by
// every message of a run (loading the system bundle per message would cost
// more than verifying the message).
import MIME
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
    /// Include the default anchors (see `source`); false is the same as `source = .none`.
    public var useSystemTrust = true
    /// Where the default anchors come from.
    public var source: TrustSource = .nssEmail
    /// The NSS trust module to read (default: libnssckbi.so where the system keeps it).
    public var nssModule: String? = nil
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

public final class TrustStore: Sendable {
    private let storeObject: SharedObject
    private var rawStore: OpaquePointer { storeObject.pointer }
    /// The OpenSSL store with every anchor in it. The default anchors are parsed on
    /// first use: a run served from the result cache never pays for it.
    var store: OpaquePointer {
        _ = anchorList
        return rawStore
    }
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
    /// Known without parsing a certificate (it is the hash of the DER).
    public let anchorFingerprints: Set<String>
    /// The default anchor set actually used (nss-email falls back to bundle when NSS is missing).
    public let source: TrustSource
    /// Anchors (by fingerprint) that NSS trusts only for e-mail certificates issued up to a date.
    /// Set once here (settable only so that tests can give a fixture root such a date).
    var emailDistrustAfter: [String: Date] {
        get { distrustDates.withLock { $0 } }
        set { distrustDates.withLock { $0 = newValue } }
    }
    private let distrustDates: Locked<[String: Date]>
    /// Things a person should know about the anchors (a fallback taken): one sentence each.
    public let warnings: [String]

    /// The anchors before and after they are parsed and put into the store (see anchorList).
    private struct Anchors {
        var pending: [(entry: SystemAnchors.Entry, index: Int)]
        var userAnchors: [(anchor: TrustAnchor, index: Int)]
        var loaded: [TrustAnchor]?
    }
    private let anchorState: Locked<Anchors>

    public init(_ config: TrustConfiguration) throws {
        guard let store = X509_STORE_new() else { throw EngineError.invalidOption("cannot create a certificate store") }
        self.storeObject = SharedObject(pointer: store)
        var defaults: [SystemAnchors.Entry] = []
        var warnings: [String] = []
        var source = config.useSystemTrust ? config.source : .none
        if source == .nssEmail, let module = SystemAnchors.modulePath(config.nssModule) {
            switch SystemAnchors.nssRoots(module: module, purpose: .email) {
            case .success(let roots) where !roots.isEmpty:
                defaults = roots
            case .success:
                warnings.append("The NSS root store (\(module)) marks no root as trusted for e-mail; using the system CA bundle instead (choose with --trust-source)")
                source = .bundle
            case .failure(let error):
                warnings.append("The NSS root store is not available (\(error.message)); using the system CA bundle instead: install libnss3, or choose with --trust-source")
                source = .bundle
            }
        }
        if source == .bundle {
            let bundle = config.systemBundle?.path ?? TrustStore.systemBundlePath()
            if let bundle, let data = FileManager.default.contents(atPath: bundle) {
                defaults = SystemAnchors.pemCertificates([UInt8](data), source: TrustSource.bundle.rawValue)
            }
        }
        var user: [TrustAnchor] = []
        for url in config.anchors {
            user += try InputFiles.parseAll(url, Certificate.parseAll, none: EngineError.noCertificates)
                .map { TrustAnchor(certificate: $0, source: url.relativePath) }
        }
        // Each anchor once, defaults first; the index keeps the loading order for anchorList.
        var seen = Set<String>()
        var order = 0
        var pending: [(entry: SystemAnchors.Entry, index: Int)] = []
        for entry in defaults where seen.insert(entry.fingerprint).inserted {
            pending.append((entry, order)); order += 1
        }
        var userAnchors: [(anchor: TrustAnchor, index: Int)] = []
        for anchor in user where seen.insert(anchor.certificate.fingerprint).inserted {
            userAnchors.append((anchor, order)); order += 1
        }
        var extra: [Certificate] = []
        for url in config.extraCertificates {
            extra += try InputFiles.parseAll(url, Certificate.parseAll, none: EngineError.noCertificates)
        }
        var crls: [RevocationList] = []
        for url in config.crls {
            crls += try InputFiles.parseAll(url, RevocationList.parseAll, none: EngineError.noCRLs)
        }
        let crlFingerprints = crls.map(\.fingerprint)
        ERR_clear_error()
        self.extraCertificates = extra
        self.crls = crls
        self.crlFingerprints = crlFingerprints
        self.anchorFingerprints = seen
        var distrust: [String: Date] = [:]
        // A root the user names with --trust is trusted as the user says, without NSS's date.
        let named = Set(user.map(\.certificate.fingerprint))
        for (entry, _) in pending where !named.contains(entry.fingerprint) {
            if let date = entry.emailDistrustAfter { distrust[entry.fingerprint] = date }
        }
        self.distrustDates = Locked(distrust)
        self.anchorState = Locked(Anchors(pending: pending, userAnchors: userAnchors, loaded: nil))
        self.source = source
        self.warnings = warnings
    }

    /// Every anchor once, with where it came from, in loading order (parses the defaults on first use).
    public var anchorList: [TrustAnchor] {
        anchorState.withLock { state in
            if let loaded = state.loaded { return loaded }
            var all: [(TrustAnchor, Int)] = state.userAnchors.map { ($0.anchor, $0.index) }
            for (entry, index) in state.pending {
                // OpenSSL 3.0 takes about half a millisecond per certificate here (the key is decoded).
                guard let certificate = Certificate.fromDER(entry.der) else { continue }
                all.append((TrustAnchor(certificate: certificate, source: entry.source,
                                        emailDistrustAfter: entry.emailDistrustAfter), index))
            }
            let list = all.sorted { $0.1 < $1.1 }.map(\.0)
            for anchor in list { X509_STORE_add_cert(rawStore, anchor.certificate.x509) }
            ERR_clear_error() // duplicates are fine
            state = Anchors(pending: [], userAnchors: [], loaded: list)
            return list
        }
    }

    /// Anchors, for explaining which root was missing.
    var anchors: [Certificate] { anchorList.map(\.certificate) }

    deinit { X509_STORE_free(rawStore) }

    static func systemBundlePath() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["SSL_CERT_FILE"] { candidates.append(env) }
        candidates.append(String(cString: X509_get_default_cert_file()))
        candidates += ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        return candidates.first { FileManager.default.isReadableFile(atPath: $0) }
    }
}
