// Verdicts through the result store: the part that verify, status, query and
// changes share. A run goes in batches; each batch is read and hashed in
// parallel, looked up in the store in one transaction, verified in parallel
// where the store had nothing, and written back in one transaction.
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

/// What a command wants to know about one message.
public struct VerdictRequest: Sendable {
    public var message: ReadMessage
    /// smimeStatusAtDelivery is wanted too (smimeStatus always is).
    public var delivery = false
    /// The whole VerificationResult is wanted (--details): the store cannot give it.
    public var details = false

    public init(message: ReadMessage, delivery: Bool = false, details: Bool = false) {
        self.message = message
        self.delivery = delivery
        self.details = details
    }
}

/// The RFC 9219 values of one message, from the store or computed now.
public struct Verdict: Sendable {
    public var status: SMIMEStatus?
    public var errors: [String]?
    /// The codes of `errors`, parallel to them.
    public var errorCodes: [ProblemCode]?
    public var verifiedAt: Date?
    public var validUntil: Date?
    public var statusAtDelivery: SMIMEStatus?
    public var receivedAt: Date?
    /// Where receivedAt came from (nil when it came from the store).
    public var receivedAtSource: ReceivedTime.Source?
    /// Set when computed in this run (nil when served from the store).
    public var fresh: VerificationResult? {
        get { freshBox?.result }
        set { freshBox = newValue.map(ResultBox.init) }
    }
    public var freshDelivery: VerificationResult? {
        get { freshDeliveryBox?.result }
        set { freshDeliveryBox = newValue.map(ResultBox.init) }
    }
    // Boxed: a verdict is copied several times on its way through a batch (into
    // the work pool's inputs, its results, the query's matches), and a warm run's
    // verdicts, which never hold a result, paid for copying the inline field
    // (callgrind, 10,000 warm messages: ~45M instructions of copies).
    private var freshBox: ResultBox?
    private var freshDeliveryBox: ResultBox?

    public init() {}

    /// A current verdict from the store; nil when its status is not one of RFC 9219's.
    init?(stored: StoredVerdict) {
        // The status read once (its string switch was half of this initialiser).
        let status = stored.status.map(SMIMEStatus.init(rawValue:))
        if case .some(nil) = status { return nil }
        self.status = status ?? nil
        errors = stored.errors
        errorCodes = stored.errorCodes?.compactMap(ProblemCode.init(rawValue:))
        verifiedAt = stored.verifiedAt
        validUntil = stored.validUntil
    }

    /// A stored status is served only when it is one of RFC 9219's (or none).
    static func readable(_ status: String?) -> Bool {
        status.map { SMIMEStatus(rawValue: $0) != nil } ?? true
    }

    public var properties: SMIMEProperties {
        SMIMEProperties(status: status, statusAtDelivery: statusAtDelivery, errors: errors, verifiedAt: verifiedAt)
    }

    public var isVerified: Bool { status?.isVerified ?? false }
}

/// A verification result shared by the copies of one verdict (never changed: a new one is boxed anew).
private final class ResultBox: Sendable {
    let result: VerificationResult
    init(_ result: VerificationResult) { self.result = result }
}

/// The verifier, the store and the keys verdicts are filed under. One value serves
/// a run of the command line, or a server for its lifetime: every method may be
/// called from several threads at once (the store is itself thread-safe, the
/// writes go through one `StoreWriter`, and the one mutable field is under a lock).
/// The methods block the calling thread while the work pool runs; from async code
/// call them off the cooperative pool (see `VerdictService.detached`).
public final class VerdictService: Sendable {
    public let verifier: MessageVerifier
    /// The store, until it fails in use (then nil for the rest of the service's life).
    public var store: ResultStore? { storeState.withLock { $0 } }
    private let storeState: Locked<ResultStore?>
    /// Current verdicts depend on the anchors; at-delivery ones are filed without
    /// them because the store compares anchor sets itself.
    public let currentOptionsDigest: String
    public let deliveryOptionsDigest: String
    public let anchors: Set<String>
    public let maxAge: TimeInterval
    /// --at: a verdict at another time is not the verdict now, so the store's
    /// current verdicts are neither read nor written (at-delivery ones still are).
    public let at: Date?
    /// --received-at, instead of the time read from each message.
    public let receivedAtOption: Date?
    public let maxBytes: Int
    public let jobs: Int
    /// The stamp rule (see `read`) is not enough for a security decision: on tmpfs a
    /// write through a shared mmap leaves size, mtime, ctime and inode as they were.
    /// When set, every file is read and hashed before a stored verdict is served for
    /// it (verify); query, changes and status keep naming unchanged files by stamp.
    public let hashesEveryFile: Bool
    /// Where a store failure is said (the command line: a warning on standard error).
    private let warn: @Sendable (String) -> Void
    /// Said with the verdict of a bare CMS object, in the caller's words (see `Remedy`).
    private let bareCMSNote: Problem

    public init(verifier: MessageVerifier, store: ResultStore?, maxAge: TimeInterval, at: Date?,
                receivedAt: Date?, maxBytes: Int, jobs: Int, hashesEveryFile: Bool = false,
                warn: @escaping @Sendable (String) -> Void = { _ in },
                advice: @Sendable (Remedy) -> String = { $0.words }) {
        self.verifier = verifier
        storeState = Locked(store)
        let inputs = verifier.verdictInputsDigest()
        // The receivedAt rule is part of what an at-delivery verdict was computed with: verdicts
        // remembered under the older rule (Date before signingTime) are not served.
        deliveryOptionsDigest = Digest.sha256Hex(Array("\(inputs) receivedAt-rule-2".utf8))
        currentOptionsDigest = Digest.sha256Hex(Array("\(inputs) \(verifier.trust.anchorSetDigest)".utf8))
        anchors = verifier.trust.anchorFingerprints
        self.maxAge = maxAge
        self.at = at
        receivedAtOption = receivedAt
        self.maxBytes = maxBytes
        self.jobs = jobs
        self.hashesEveryFile = hashesEveryFile
        self.warn = warn
        bareCMSNote = BareCMS.note(advice: advice(.skipSenderCheck))
    }

    /// Writes go to the store on a queue of their own (see StoreWriter).
    private let writer = StoreWriter()
    /// The store read a directory at a time (see StampPrefetch).
    private let prefetch = Locked(StampPrefetch())

    func loadPrefetch(_ batch: [InputItem], store: ResultStore) throws -> StampPrefetch.BatchView {
        // verify hashes every file anyway: there the directory read cost as much as
        // the verdict lookups it saved (callgrind, 500 warm messages: +1.7%).
        guard !hashesEveryFile else { return StampPrefetch.BatchView() }
        let options = at == nil ? currentOptionsDigest : nil
        return try prefetch.withLock { try $0.load(batch, store: store, optionsDigest: options, maxAge: maxAge) }
    }

    /// A store that failed in use is dropped for the rest of the run: the answers
    /// are still computed, just not remembered. Said once.
    func storeFailed(_ error: Error) {
        let wasOpen = storeState.withLock { store -> Bool in
            defer { store = nil }
            return store != nil
        }
        if wasOpen { warn("\(error); going on without the result cache") }
    }

    /// Drops the store if a queued write failed.
    private func checkWrites() {
        if store != nil, let error = writer.takeFailure() { storeFailed(error) }
    }

    /// Waits for the queued writes: call before reading the store's state, and before exiting.
    public func finish() {
        writer.drain()
        checkWrites()
    }

    /// Only the store's current verdicts (no verification): status's "fresh cached result".
    public func cachedVerdicts(_ digests: [MessageDigest]) -> [Verdict?] {
        guard let store, at == nil, !digests.isEmpty else { return Array(repeating: nil, count: digests.count) }
        do {
            return try store.verdicts(for: digests.map { StoreKey(messageDigest: $0.hex, optionsDigest: currentOptionsDigest) },
                                      now: Date(), maxAge: maxAge).map { $0.flatMap(Verdict.init(stored:)) }
        } catch {
            storeFailed(error)
            return Array(repeating: nil, count: digests.count)
        }
    }

    /// Reads a batch of messages, in parallel. Where the store has a digest for a
    /// file whose stamp (see `FileStamp`) is unchanged since it was recorded, the
    /// message is named by it without being read: `bytes` and `message` stay nil,
    /// and the file is read (and its digest checked) only if it must be verified.
    /// The digests of files read here are recorded for the next run.
    public func read(_ batch: [InputItem]) -> [Result<ReadMessage, InputFailure>] {
        checkWrites()
        let maxBytes = self.maxBytes
        let streamAbove = verifier.inMemoryLimit
        guard let store else {
            ReadAhead.hint(batch.indices, of: batch, below: streamAbove)
            return WorkPool.map(batch, jobs: jobs) { ReadMessage.read($0, maxBytes: maxBytes, streamAbove: streamAbove) }
        }
        // The walk's stat when it made one; a path read from a list is stat'ed here.
        let stamps = batch.map { item -> FileStamp? in
            guard case .file(let path, let stamp) = item else { return nil }
            return stamp ?? FileStamp(path: path)
        }
        var known = [MessageDigest?](repeating: nil, count: batch.count)
        // The row its directory's read holds for each file (see StampPrefetch), and
        // the verdict of the row that named it by stamp.
        var rows = [KnownFile?](repeating: nil, count: batch.count)
        var prefetched = [PrefetchedVerdict?](repeating: nil, count: batch.count)
        do {
            let view = try loadPrefetch(batch, store: store)
            var lookups: [(path: String, stamp: FileStamp)] = []
            var lookupIndex: [Int] = []
            for (i, (item, stamp)) in zip(batch, stamps).enumerated() {
                guard case .file(let path, _) = item, let stamp else { continue }
                let found = view.lookup(i, path: path, stamp: stamp)
                if case .row(let row) = found { rows[i] = row }
                guard !hashesEveryFile, stamp.size <= Int64(maxBytes) else { continue }
                if case .notCovered = found {} else {
                    if let row = rows[i], row.stamp == stamp {
                        known[i] = MessageDigest(hex: row.digest)
                        if at == nil, row.verdictKnown { prefetched[i] = PrefetchedVerdict(verdict: row.verdict) }
                    }
                    continue
                }
                lookups.append((path, stamp))
                lookupIndex.append(i)
            }
            if !lookups.isEmpty {
                for (i, digest) in zip(lookupIndex, try store.knownDigests(lookups)) { known[i] = digest.map(MessageDigest.init(hex:)) }
            }
        } catch {
            storeFailed(error)
        }
        ReadAhead.hint(batch.indices.filter { known[$0] == nil }, of: batch, below: streamAbove)
        let inputs = batch.indices.map { (batch[$0], known[$0], stamps[$0], prefetched[$0]) }
        var reads = WorkPool.map(inputs, jobs: jobs, heavy: { $0.1 == nil }) { item, digest, stamp, prefetched -> Result<ReadMessage, InputFailure> in
            if let digest, let stamp {
                var m = ReadMessage(item: item, digest: digest, size: Int(stamp.size), bytes: nil)
                m.prefetched = prefetched
                return .success(m)
            }
            return ReadMessage.read(item, maxBytes: maxBytes, streamAbove: streamAbove)
        }
        if at == nil { StampPrefetch.attachVerdicts(rows, to: &reads) }
        var records: [FileRecord] = []
        for i in batch.indices where known[i] == nil {
            guard case .file(let path, _) = batch[i], let stamp = stamps[i], case .success(let m) = reads[i],
                  Int64(m.size) == stamp.size else { continue }
            records.append(FileRecord(path: path, stamp: stamp, digest: m.digest.hex))
        }
        if let store = self.store, !records.isEmpty {
            writer.submit { [records] in try store.recordFiles(records) }
        }
        return reads
    }

    /// Verdicts for a batch, parallel to `requests`.
    public func resolve(_ requests: [VerdictRequest]) -> [Result<Verdict, InputFailure>] {
        checkWrites()
        guard !requests.isEmpty else { return [] }
        var current = [Verdict?](repeating: nil, count: requests.count)
        var delivered = [DeliveryVerdict?](repeating: nil, count: requests.count)
        if let store {
            let lookups = requests.indices.filter { !requests[$0].details }
            do {
                if at == nil, !lookups.isEmpty {
                    let now = Date()
                    // Read with their directory (see StampPrefetch), or looked up here.
                    var rest: [Int] = []
                    for i in lookups {
                        if let prefetched = requests[i].message.prefetched {
                            current[i] = prefetched.servable(now: now, maxAge: maxAge)
                        } else {
                            rest.append(i)
                        }
                    }
                    let keys = rest.map { StoreKey(messageDigest: requests[$0].message.digest.hex, optionsDigest: currentOptionsDigest) }
                    if !keys.isEmpty {
                        for (i, v) in zip(rest, try store.verdicts(for: keys, now: now, maxAge: maxAge)) {
                            current[i] = v.flatMap(Verdict.init(stored:))
                        }
                    }
                }
                let wanted = lookups.filter { requests[$0].delivery }
                if !wanted.isEmpty {
                    let keys = wanted.map { StoreKey(messageDigest: requests[$0].message.digest.hex, optionsDigest: deliveryOptionsDigest) }
                    // Without --received-at the time comes from the bytes (or the file), so it
                    // is the same for the same key: no need to read every message for it.
                    let times = receivedAtOption.map { t in wanted.map { _ in Optional(t) } }
                    let found = try store.deliveryVerdicts(for: keys, currentAnchors: anchors, receivedAt: times)
                    for (i, v) in zip(wanted, found) where Verdict.readable(v?.status) { delivered[i] = v }
                }
            } catch {
                storeFailed(error)
                current = Array(repeating: nil, count: requests.count)
                delivered = Array(repeating: nil, count: requests.count)
            }
        }

        let work = VerdictWork(verifier: verifier, at: at, receivedAtOption: receivedAtOption, maxBytes: maxBytes, bareCMSNote: bareCMSNote)
        // Served from the store, a verdict is a few copies: not worth waking a thread for.
        // The pool is handed indices: tuples of the three copied every request twice.
        let heavy = requests.indices.map { current[$0] == nil || requests[$0].details || (requests[$0].delivery && delivered[$0] == nil) }
        let results = WorkPool.map(Array(requests.indices), jobs: jobs, heavy: { heavy[$0] }) { [current, delivered] i in
            work.run(requests[i], cached: current[i], delivered: delivered[i])
        }
        if store != nil { remember(requests, results) }
        return results
    }

    /// Writes what was computed in this batch, in one transaction per table.
    private func remember(_ requests: [VerdictRequest], _ results: [Result<Verdict, InputFailure>]) {
        guard let store else { return }
        var verdicts: [(StoreKey, StoredVerdict, String?)] = []
        var deliveries: [(StoreKey, DeliveryVerdict)] = []
        let now = Date()
        let anchorList = Array(anchors)
        for (request, result) in zip(requests, results) {
            guard case .success(let v) = result else { continue }
            let digest = request.message.digest.hex
            if at == nil, v.fresh != nil, (v.validUntil.map { $0 > now } ?? true) {
                let path: String? = if case .file(let p, _) = request.message.item { p } else { nil }
                verdicts.append((StoreKey(messageDigest: digest, optionsDigest: currentOptionsDigest),
                                 StoredVerdict(status: v.status?.rawValue, errors: v.errors, errorCodes: v.errorCodes?.map(\.rawValue),
                                               verifiedAt: v.verifiedAt, validUntil: v.validUntil), path))
            }
            if v.freshDelivery != nil, let receivedAt = v.receivedAt {
                deliveries.append((StoreKey(messageDigest: digest, optionsDigest: deliveryOptionsDigest),
                                   DeliveryVerdict(status: v.statusAtDelivery?.rawValue, receivedAt: receivedAt, anchorSet: anchorList)))
            }
        }
        guard !verdicts.isEmpty || !deliveries.isEmpty else { return }
        writer.submit { [verdicts, deliveries] in
            try store.record(batch: verdicts)
            try store.recordDelivery(batch: deliveries)
        }
    }
}

/// The store writes of a run, made in order in the background so that the next
/// batch is read and verified meanwhile (inline, a cold run's writes left every
/// worker idle for a tenth of the time). At most two batches' writes wait; after
/// a failure the rest are dropped and the failure is handed back once.
final class StoreWriter: Sendable {
    private struct State: Sendable {
        var failure: Error?
        var failed = false
    }
    private let work = SerialWork(depth: 2)
    private let state = Locked(State())

    func submit(_ write: @escaping @Sendable () throws -> Void) {
        let state = self.state
        work.submit {
            guard !state.withLock({ $0.failed }) else { return }
            do {
                try write()
            } catch {
                state.withLock { s in
                    s.failed = true
                    s.failure = error
                }
            }
        }
    }

    func drain() { work.drain() }

    func takeFailure() -> Error? {
        state.withLock { s in
            defer { s.failure = nil }
            return s.failure
        }
    }
}

/// The per-message part of `VerdictService.resolve`, run on the worker threads.
private struct VerdictWork: Sendable {
    let verifier: MessageVerifier
    let at: Date?
    let receivedAtOption: Date?
    let maxBytes: Int
    let bareCMSNote: Problem

    func run(_ request: VerdictRequest, cached: Verdict?, delivered: DeliveryVerdict?) -> Result<Verdict, InputFailure> {
        let m = request.message
        if let source = m.source {
            // The verdict is filed under the digest read earlier: the file must not have changed since.
            do throws(SourceError) { try source.checkUnchanged() } catch { return .failure(InputFailure(.source(error))) }
            var subject = VerdictSubject(body: .streamed(source), verifier: verifier, item: m.item, receivedAtOption: receivedAtOption, bareCMSNote: bareCMSNote)
            return decide(request, cached: cached, delivered: delivered, subject: &subject)
        }
        // A large message read without keeping its source (its digest came from elsewhere):
        // open it now, so that it is still never read whole.
        if m.bytes == nil, m.message == nil, m.size > verifier.inMemoryLimit, case .file(let path, _) = m.item {
            let source: FileSource
            do throws(SourceError) { source = try FileSource(path: path) } catch { return .failure(InputFailure(.source(error))) }
            guard source.count == m.size else { return .failure(InputFailure(.source(.changed))) }
            var subject = VerdictSubject(body: .streamed(source), verifier: verifier, item: m.item, receivedAtOption: receivedAtOption, bareCMSNote: bareCMSNote)
            return decide(request, cached: cached, delivered: delivered, subject: &subject)
        }
        // From the store, with nothing more asked of it: what `decide` gives, without a subject.
        if let cached, !request.details, !(request.delivery && cached.status != nil) { return .success(cached) }
        var subject = VerdictSubject(body: .memory(Loaded(read: m, verifier: verifier, maxBytes: maxBytes)), verifier: verifier,
                                     item: m.item, receivedAtOption: receivedAtOption, bareCMSNote: bareCMSNote)
        return decide(request, cached: cached, delivered: delivered, subject: &subject)
    }

    /// The four properties from the store where it has them, computed through `subject` where not.
    private func decide(_ request: VerdictRequest, cached: Verdict?, delivered: DeliveryVerdict?,
                        subject: inout VerdictSubject) -> Result<Verdict, InputFailure> {
        var verdict = Verdict()
        var computedAt: Date?
        // A verification made only to learn the signingTimes, which the one at delivery may reuse.
        var reusable: VerificationResult?
        if let cached {
            verdict = cached
        } else {
            let now = at ?? Date()
            computedAt = now
            let result: VerificationResult
            switch subject.verify(at: now) {
            case .failure(let f): return .failure(f)
            case .success(let r): result = r
            }
            verdict.status = result.status
            verdict.errors = result.smimeErrors
            verdict.errorCodes = result.smimeErrors == nil ? nil : result.problems.map(\.code)
            // semantics.md: null when there is no signature or none was checked.
            verdict.verifiedAt = (result.status == nil || result.status == .unknown) ? nil : now
            verdict.validUntil = result.validUntil
            verdict.fresh = result
        }

        if request.details || (request.delivery && verdict.status != nil && delivered == nil) {
            let evidence: ReceivedTime.Evidence
            switch subject.receivedEvidence() {
            case .failure(let f): return .failure(f)
            case .success(let e): evidence = e
            }
            var signed = verdict.fresh
            if evidence.needsSigningTime, signed == nil, verdict.status != nil {
                // The current verdict came from the store: its signingTimes did not.
                let now = at ?? Date()
                switch subject.verify(at: now) {
                case .failure(let f): return .failure(f)
                case .success(let r):
                    signed = r
                    computedAt = now
                }
            }
            let value = ReceivedTime.resolve(evidence, signingTimes: ReceivedTime.signingTimes(signed))
            verdict.receivedAt = value?.date
            verdict.receivedAtSource = value?.source
            if verdict.fresh == nil { reusable = signed }
        }
        if request.delivery && verdict.status != nil {
            if let delivered {
                verdict.statusAtDelivery = delivered.status.flatMap(SMIMEStatus.init(rawValue:))
                verdict.receivedAt = verdict.receivedAt ?? delivered.receivedAt
            } else {
                // Without a time or a readable message, the answer now is the best there is.
                var result = verdict.fresh
                if let receivedAt = verdict.receivedAt {
                    switch subject.verify(at: receivedAt, reusing: verdict.fresh ?? reusable, checkedAt: computedAt) {
                    case .failure(let f): return .failure(f)
                    case .success(let r?): result = r
                    case .success(nil): break
                    }
                }
                if let result {
                    verdict.statusAtDelivery = result.status
                    verdict.freshDelivery = result
                } else {
                    verdict.statusAtDelivery = verdict.status
                }
            }
        }
        return .success(verdict)
    }
}

/// A message as `VerdictWork.decide` needs it: verified, at some time, and dated;
/// held in memory (read and parsed at most once) or, above --max-in-memory-size,
/// streamed by the engine from its open file.
private struct VerdictSubject {
    enum Body {
        case memory(Loaded)
        case streamed(FileSource)
    }
    var body: Body
    let verifier: MessageVerifier
    let item: InputItem
    let receivedAtOption: Date?
    let bareCMSNote: Problem

    mutating func verify(at time: Date) -> Result<VerificationResult, InputFailure> {
        switch body {
        case .streamed(let source):
            return verifier.verify(source: source, at: time).mapError { InputFailure(.source($0)) }
        case .memory(var loaded):
            defer { body = .memory(loaded) }
            switch loaded.message() {
            case .failure(let f): return .failure(f)
            case .success(.some(let message)): return .success(noted(verifier.verify(message, at: time), message))
            case .success(.none): return .success(verifier.verify(bytes: loaded.bytes ?? [], at: time))
            }
        }
    }

    /// A bare CMS object's verdict says what it was read as.
    private func noted(_ result: VerificationResult, _ message: Message) -> VerificationResult {
        guard BareCMS.isWrapped(message) else { return result }
        var result = result
        result.notes.append(bareCMSNote)
        return result
    }

    /// The verdict at `time` (reusing `earlier`, checked at `checkedAt`, when nothing
    /// could tell the times apart); nil when the message cannot be checked again.
    mutating func verify(at time: Date, reusing earlier: VerificationResult?, checkedAt: Date?) -> Result<VerificationResult?, InputFailure> {
        switch body {
        case .streamed(let source):
            let outcome = if let earlier, let checkedAt {
                verifier.verify(source: source, at: time, reusing: earlier, checkedAt: checkedAt)
            } else {
                verifier.verify(source: source, at: time)
            }
            return outcome.map { Optional($0) }.mapError { InputFailure(.source($0)) }
        case .memory(var loaded):
            defer { body = .memory(loaded) }
            guard case .success(.some(let message)) = loaded.message() else { return .success(nil) }
            if let earlier, let checkedAt { return .success(verifier.verify(message, at: time, reusing: earlier, checkedAt: checkedAt)) }
            return .success(verifier.verify(message, at: time))
        }
    }

    /// What the message tells of its arrival (see `ReceivedTime`).
    mutating func receivedEvidence() -> Result<ReceivedTime.Evidence, InputFailure> {
        if let receivedAtOption { return .success(ReceivedTime.Evidence(option: receivedAtOption)) }
        switch body {
        case .streamed(let source):
            let header = try? LargeMessage.open(source, limits: verifier.limits).header.message
            return .success(ReceivedTime.evidence(header, item: item, option: nil))
        case .memory(var loaded):
            defer { body = .memory(loaded) }
            return loaded.message().map { ReceivedTime.evidence($0, item: item, option: nil) }
        }
    }
}

/// A message's bytes and parse, obtained at most once, on demand.
private struct Loaded {
    let read: ReadMessage
    let verifier: MessageVerifier
    let maxBytes: Int
    private var cached: Result<Message?, InputFailure>?
    private(set) var bytes: [UInt8]?

    init(read: ReadMessage, verifier: MessageVerifier, maxBytes: Int) {
        self.read = read
        self.verifier = verifier
        self.maxBytes = maxBytes
        bytes = read.bytes
    }

    /// The parsed message; nil inside success when the MIME reader refuses it.
    mutating func message() -> Result<Message?, InputFailure> {
        if let cached { return cached }
        let result: Result<Message?, InputFailure>
        if let message = read.message {
            result = .success(message)
        } else {
            if bytes == nil {
                switch FileBytes.read(read.item, maxBytes: maxBytes) {
                case .failure(let f):
                    cached = .failure(f)
                    return .failure(f)
                case .success(let b):
                    // The file changed between reading and verifying: its verdict would be filed
                    // under the wrong digest.
                    guard b.count == read.size, MessageDigest.of(b) == read.digest else {
                        let f = InputFailure(.changed)
                        cached = .failure(f)
                        return .failure(f)
                    }
                    bytes = b
                }
            }
            result = .success(try? BareCMS.parse(bytes ?? [], limits: verifier.limits))
        }
        cached = result
        return result
    }
}

