// Online revocation (`--online`): OCSP from the certificate's AIA, else CRLs
// from its distribution points, and missing issuers from AIA caIssuers, all
// over OpenSSL's own HTTP client. One instance serves a whole run, on every
// verification thread: answers are remembered in memory for the run and, when
// a persistent cache is given, across runs until they expire; a URL that failed
// is not asked again during the run; at most `maxInFlight` requests are open.
import COpenSSLShim
import Foundation
import JMAP

/// Where fetched answers are kept between runs (the result store implements it).
public protocol RevocationAnswerCache: Sendable {
    /// The DER stored for `key`, if it is still valid at `now`.
    func answer(for key: String, now: Date) -> [UInt8]?
    /// Keeps `der` for `key` until `until`.
    func store(_ der: [UInt8], for key: String, url: String, until: Date)
}

/// How the revocation status of one certificate was established (or not).
public struct RevocationStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable { case good, revoked, unknown, notChecked, anchor }
    public var subject: String
    public var state: State
    /// "OCSP", "CRL", or nil.
    public var method: String?
    /// The URL the answer came from; nil for CRLs given by the user or carried in the message.
    public var url: String?
    /// OCSP producedAt, or the CRL's thisUpdate.
    public var produced: Date?
    /// Why the status is not known.
    public var reason: String?
    /// The answer came from the cache (memory or store) rather than the network.
    public var cached = false

    /// `good, OCSP http://..., produced 2026-...`, `revoked (CRL http://...)`, `not checked: offline`.
    public var text: String {
        switch state {
        case .anchor: return "trust anchor"
        case .notChecked: return "not checked: \(reason ?? "offline")"
        case .unknown: return "unknown: \(reason ?? "no answer")"
        case .good:
            var s = "good"
            if let method { s += ", \(method)" + (url.map { " \($0)" } ?? " (given)") }
            if let produced { s += ", produced \(JMAPDate.format(produced))" }
            return s
        case .revoked:
            var s = "revoked"
            if let method { s += " (\(method)" + (url.map { " \($0)" } ?? "") + ")" }
            return s
        }
    }
}


// Safe to share (hence unchecked): the lets never change, everything mutable is
// below `condition` and only touched while it is held, and `slots` (a semaphore)
// is made for threads.
public final class OnlineRevocation: @unchecked Sendable {
    /// Seconds per URL, connecting included.
    public let timeout: Int
    /// Largest answer read from one URL.
    public let maxResponseBytes: Int
    /// How far a responder's clock may be off (thisUpdate, nextUpdate).
    public let clockSkew: Int
    let persistent: RevocationAnswerCache?
    private let slots: DispatchSemaphore

    /// An answer known for the run.
    enum Answer {
        case ocsp(OCSPAnswer, until: Date)
        case crl(RevocationList, until: Date)
        case certificates([Certificate], until: Date)
        var until: Date {
            switch self {
            case .ocsp(_, let u), .crl(_, let u), .certificates(_, let u): return u
            }
        }
    }

    private let condition = NSCondition()  // guards everything below
    private var answers: [String: Answer] = [:]
    private var failedURLs: [String: String] = [:]
    private var pending: Set<String> = []
    private var sent = 0
    /// Requests sent, for tests and the bench.
    public var requestsSent: Int { condition.lock(); defer { condition.unlock() }; return sent }

    /// Answers without a nextUpdate are kept this long at most.
    static let maxAgeWithoutNextUpdate: TimeInterval = 86_400

    public init(timeout: Int = 5, maxResponseBytes: Int = 8 << 20, maxInFlight: Int = 4, clockSkew: Int = 300,
                cache: RevocationAnswerCache? = nil) {
        self.timeout = max(1, timeout)
        self.maxResponseBytes = max(1024, maxResponseBytes)
        self.clockSkew = clockSkew
        self.persistent = cache
        self.slots = DispatchSemaphore(value: max(1, maxInFlight))
    }

    // MARK: URLs

    /// http:// URLs of the kind (SMK_URL_*), in the certificate's order; LDAP and others are skipped.
    static func urls(_ cert: Certificate, kind: Int32) -> [String] {
        var buffer = [CChar](repeating: 0, count: 8192)
        let n = smk_x509_urls(cert.x509, kind, &buffer, buffer.count)
        guard n > 0 else { return [] }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter { $0.lowercased().hasPrefix("http://") }
    }

    // MARK: Fetching, once per key and URL

    /// The answer for `key`: from memory, the persistent cache, or `url` (once per
    /// run: a URL that failed is not tried again). `decode` turns fetched or stored
    /// DER into an answer, or says why it cannot be used.
    func answer(key: String, url: String, now: Date, post: (body: [UInt8], type: String)?,
                decode: ([UInt8]) -> Result<Answer, FetchFailure>) -> Result<(Answer, Bool), FetchFailure> {
        condition.lock()
        while pending.contains(key) { condition.wait() }
        if let known = answers[key], known.until > now {
            condition.unlock()
            return .success((known, true))
        }
        if let failure = failedURLs[url] {
            condition.unlock()
            return .failure(FetchFailure(failure))
        }
        pending.insert(key)
        condition.unlock()

        var result: Result<(Answer, Bool), FetchFailure>
        if let stored = persistent?.answer(for: key, now: now), case .success(let a) = decode(stored), a.until > now {
            result = .success((a, true))
        } else {
            result = fetch(url, post: post).flatMap { der in
                decode(der).map { a in
                    persistent?.store(der, for: key, url: url, until: a.until)
                    return (a, false)
                }
            }
        }

        condition.lock()
        pending.remove(key)
        switch result {
        case .success(let (a, _)): answers[key] = a
        case .failure(let f): failedURLs[url] = f.reason
        }
        condition.broadcast()
        condition.unlock()
        return result
    }

    struct FetchFailure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    func fetch(_ url: String, post: (body: [UInt8], type: String)?) -> Result<[UInt8], FetchFailure> {
        slots.wait()
        defer { slots.signal() }
        condition.lock(); sent += 1; condition.unlock()
        var out: UnsafeMutablePointer<UInt8>?
        var length = 0
        var error = [CChar](repeating: 0, count: 256)
        let rc: Int32
        if let post {
            rc = post.body.withUnsafeBufferPointer { body in
                smk_http_fetch(url, body.baseAddress, body.count, post.type, Int32(timeout), maxResponseBytes, &out, &length, &error, error.count)
            }
        } else {
            rc = smk_http_fetch(url, nil, 0, nil, Int32(timeout), maxResponseBytes, &out, &length, &error, error.count)
        }
        guard rc == 0, let out else {
            let text = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return .failure(FetchFailure(text))
        }
        defer { CRYPTO_free(out, #file, #line) }
        return .success(Array(UnsafeBufferPointer(start: out, count: length)))
    }

    // MARK: The three questions

    struct OCSPAnswer {
        var state: RevocationStatus.State
        var produced: Date?
        var revokedAt: Date?
    }

    /// Asks the certificate's OCSP responders in turn; nil with the reasons when none answered usably.
    func ocsp(_ cert: Certificate, issuer: Certificate, untrusted: CertificateStack, store: OpaquePointer, now: Date)
        -> (found: (answer: OCSPAnswer, url: String, cached: Bool)?, reasons: [String]) {
        var reasons: [String] = []
        let urls = Self.urls(cert, kind: SMK_URL_OCSP)
        guard !urls.isEmpty else { return (nil, []) }
        var derPointer: UnsafeMutablePointer<UInt8>?
        let n = smk_ocsp_request(cert.x509, issuer.x509, &derPointer)
        guard n > 0, let derPointer else { return (nil, ["no OCSP request could be made"]) }
        let request = Array(UnsafeBufferPointer(start: derPointer, count: Int(n)))
        CRYPTO_free(derPointer, #file, #line)
        let key = "ocsp \(issuer.fingerprint) \(cert.serialHex)"
        for url in urls {
            let result = answer(key: key + " " + url, url: url, now: now, post: (request, "application/ocsp-request")) { der in
                var r = smk_ocsp_result()
                let rc = der.withUnsafeBufferPointer { smk_ocsp_check($0.baseAddress, $0.count, cert.x509, issuer.x509, untrusted.stack, store, clockSkew, &r) }
                guard rc == 0 else {
                    let message = withUnsafeBytes(of: r.error) { raw in String(cString: raw.bindMemory(to: CChar.self).baseAddress!) }
                    return .failure(FetchFailure(message))
                }
                guard r.status == 0 || r.status == 1 else { return .failure(FetchFailure("the responder does not know the certificate")) }
                var until = Date().addingTimeInterval(Self.maxAgeWithoutNextUpdate)
                if r.has_next_update != 0 { until = min(until, Date(timeIntervalSince1970: TimeInterval(r.next_update + Int64(clockSkew)))) }
                let parsed = OCSPAnswer(state: r.status == 1 ? .revoked : .good,
                                        produced: Date(timeIntervalSince1970: TimeInterval(r.produced_at)),
                                        revokedAt: r.status == 1 ? Date(timeIntervalSince1970: TimeInterval(r.revoked_at)) : nil)
                return .success(.ocsp(parsed, until: until))
            }
            if let found = Self.usable(result, "OCSP", url, &reasons, { if case .ocsp(let parsed, _) = $0 { parsed } else { nil } }) {
                return ((found.0, url, found.cached), reasons)
            }
        }
        return (nil, reasons)
    }

    /// The first CRL from the certificate's distribution points that parses and
    /// names the expected issuer; OpenSSL then checks it with the others.
    func crl(for cert: Certificate, now: Date) -> (found: (crl: RevocationList, url: String, cached: Bool)?, reasons: [String]) {
        var reasons: [String] = []
        for url in Self.urls(cert, kind: SMK_URL_CRL_DP) {
            let result = answer(key: "crl " + url, url: url, now: now, post: nil) { der in
                guard let list = RevocationList.parseAll(der).first else { return .failure(FetchFailure("the answer is not a CRL")) }
                var until = Date().addingTimeInterval(Self.maxAgeWithoutNextUpdate)
                if let next = Certificate.date(X509_CRL_get0_nextUpdate(list.crl)) {
                    guard next > now.addingTimeInterval(-TimeInterval(clockSkew)) else { return .failure(FetchFailure("the CRL is out of date")) }
                    until = min(until, next)
                }
                return .success(.crl(list, until: until))
            }
            if let found = Self.usable(result, "CRL", url, &reasons, { if case .crl(let list, _) = $0 { list } else { nil } }) {
                return ((found.0, url, found.cached), reasons)
            }
        }
        return (nil, reasons)
    }

    /// What `take` finds in the answer from `url`, and whether it was cached; nil
    /// when there is none, with the reason (after `method` and the URL) when it failed.
    static func usable<Found>(_ result: Result<(Answer, Bool), FetchFailure>, _ method: String, _ url: String,
                              _ reasons: inout [String], _ take: (Answer) -> Found?) -> (Found, cached: Bool)? {
        switch result {
        case .success(let (a, cached)):
            return take(a).map { ($0, cached) }
        case .failure(let f):
            reasons.append("\(method) \(url): \(f.reason)")
            return nil
        }
    }

    /// Certificates named by caIssuers (DER or PKCS#7 certs-only).
    func issuers(of cert: Certificate, now: Date) -> [Certificate] {
        for url in Self.urls(cert, kind: SMK_URL_CA_ISSUERS) {
            let result = answer(key: "ca " + url, url: url, now: now, post: nil) { der in
                var certs = der.withUnsafeBufferPointer { raw -> [Certificate] in
                    guard let stack = smk_certs_from_der(raw.baseAddress, raw.count) else { return [] }
                    defer { smk_x509_stack_free_all(stack) }
                    return CertificateStack.certificates(of: stack)
                }
                if certs.isEmpty { certs = Certificate.parseAll(der) }
                guard !certs.isEmpty else { return .failure(FetchFailure("the answer holds no certificate")) }
                return .success(.certificates(certs, until: Date().addingTimeInterval(Self.maxAgeWithoutNextUpdate)))
            }
            if case .success(let (a, _)) = result, case .certificates(let certs, _) = a { return certs }
        }
        return []
    }
}
