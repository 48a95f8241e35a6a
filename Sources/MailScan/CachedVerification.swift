// Verdicts through the result store: the part that verify, status, query and
// changes share. A run goes in batches; each batch is read and hashed in
// parallel, looked up in the store in one transaction, verified in parallel
// where the store had nothing, and written back in one transaction.
import Dispatch
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

/// One message read from its input and named by its digest.
public struct ReadMessage: Sendable {
    public let item: InputItem
    /// Hex SHA-256 of the bytes: the cache key's first half, and the id.
    public let digest: String
    public let size: Int
    /// Kept only for small messages, so a batch of large ones does not pile up in
    /// memory; a dropped one is read again when it must be verified.
    public var bytes: [UInt8]?
    /// Set when the caller already parsed it (query does, for its filter).
    public var message: Message?
    /// Set for a message above the in-memory limit: it is streamed from this open file,
    /// never read whole, and must not change before it is verified.
    public var source: FileSource? = nil

    public init(item: InputItem, digest: String, size: Int, bytes: [UInt8]?, message: Message? = nil, source: FileSource? = nil) {
        self.item = item
        self.digest = digest
        self.size = size
        self.bytes = bytes
        self.message = message
        self.source = source
    }

    public var id: String { EmailID.make(digestHex: digest) }

    /// Bytes up to this size stay in memory between the phases of a batch.
    public static let keepLimit = 256 << 10

    public static func read(_ item: InputItem, maxBytes: Int, streamAbove: Int) -> Result<ReadMessage, InputFailure> {
        switch LargeFile.open(item, above: streamAbove, maxBytes: maxBytes) {
        case nil: break
        case .failure(let f)?: return .failure(f)
        case .success(.large(let source))?:
            return LargeFile.digest(source).map { digest in
                ReadMessage(item: item, digest: digest, size: source.count, bytes: nil, source: source)
            }
        case .success(.bytes(let bytes))?:
            // Standard input cannot be read twice: its bytes are always kept.
            return .success(ReadMessage(item: item, digest: Digest.sha256Hex(bytes), size: bytes.count, bytes: bytes))
        }
        return FileBytes.read(item, maxBytes: maxBytes).map { bytes in
            ReadMessage(item: item, digest: Digest.sha256Hex(bytes), size: bytes.count,
                        bytes: bytes.count <= keepLimit ? bytes : nil)
        }
    }
}

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
    public var status: String?
    public var errors: [String]?
    public var errorCodes: [String]?
    public var verifiedAt: Date?
    public var validUntil: Date?
    public var statusAtDelivery: String?
    public var receivedAt: Date?
    /// Where receivedAt came from (nil when it came from the store).
    public var receivedAtSource: ReceivedTime.Source?
    /// Set when computed in this run (nil when served from the store).
    public var fresh: VerificationResult?
    public var freshDelivery: VerificationResult?

    public init() {}

    public var properties: SMIMEProperties {
        SMIMEProperties(status: status, statusAtDelivery: statusAtDelivery, errors: errors, verifiedAt: verifiedAt)
    }

    public var isVerified: Bool { status.flatMap(SMIMEStatus.init(rawValue:))?.isVerified ?? false }
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

    public init(verifier: MessageVerifier, store: ResultStore?, maxAge: TimeInterval, at: Date?,
                receivedAt: Date?, maxBytes: Int, jobs: Int, hashesEveryFile: Bool = false,
                warn: @escaping @Sendable (String) -> Void = { _ in }) {
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
    }

    /// Writes go to the store on a queue of their own (see StoreWriter).
    private let writer = StoreWriter()

    /// A store that failed in use is dropped for the rest of the run: the answers
    /// are still computed, just not remembered. Said once.
    private func storeFailed(_ error: Error) {
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
    public func cachedVerdicts(_ digests: [String]) -> [StoredVerdict?] {
        guard let store, at == nil, !digests.isEmpty else { return Array(repeating: nil, count: digests.count) }
        do {
            return try store.verdicts(for: digests.map { StoreKey(messageDigest: $0, optionsDigest: currentOptionsDigest) },
                                      now: Date(), maxAge: maxAge)
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
            return Parallel.map(batch, jobs: jobs) { ReadMessage.read($0, maxBytes: maxBytes, streamAbove: streamAbove) }
        }
        // The walk's stat when it made one; a path read from a list is stat'ed here.
        let stamps = batch.map { item -> FileStamp? in
            guard case .file(let path, let stamp) = item else { return nil }
            return stamp ?? FileStamp(path: path)
        }
        var lookups: [(path: String, stamp: FileStamp)] = []
        var lookupIndex: [Int] = []
        for (i, (item, stamp)) in zip(batch, stamps).enumerated() where !hashesEveryFile {
            guard case .file(let path, _) = item, let stamp, stamp.size <= Int64(maxBytes) else { continue }
            lookups.append((path, stamp))
            lookupIndex.append(i)
        }
        var known = [String?](repeating: nil, count: batch.count)
        do {
            if !lookups.isEmpty {
                for (i, digest) in zip(lookupIndex, try store.knownDigests(lookups)) { known[i] = digest }
            }
        } catch {
            storeFailed(error)
        }
        ReadAhead.hint(batch.indices.filter { known[$0] == nil }, of: batch, below: streamAbove)
        let inputs = batch.indices.map { (batch[$0], known[$0], stamps[$0]) }
        let reads = Parallel.map(inputs, jobs: jobs, heavy: { $0.1 == nil }) { item, digest, stamp -> Result<ReadMessage, InputFailure> in
            if let digest, let stamp {
                return .success(ReadMessage(item: item, digest: digest, size: Int(stamp.size), bytes: nil))
            }
            return ReadMessage.read(item, maxBytes: maxBytes, streamAbove: streamAbove)
        }
        var records: [FileRecord] = []
        for i in batch.indices where known[i] == nil {
            guard case .file(let path, _) = batch[i], let stamp = stamps[i], case .success(let m) = reads[i],
                  Int64(m.size) == stamp.size else { continue }
            records.append(FileRecord(path: path, stamp: stamp, digest: m.digest))
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
        var current = [StoredVerdict?](repeating: nil, count: requests.count)
        var delivered = [DeliveryVerdict?](repeating: nil, count: requests.count)
        if let store {
            let lookups = requests.indices.filter { !requests[$0].details }
            do {
                if at == nil, !lookups.isEmpty {
                    let keys = lookups.map { StoreKey(messageDigest: requests[$0].message.digest, optionsDigest: currentOptionsDigest) }
                    for (i, v) in zip(lookups, try store.verdicts(for: keys, now: Date(), maxAge: maxAge)) { current[i] = v }
                }
                let wanted = lookups.filter { requests[$0].delivery }
                if !wanted.isEmpty {
                    let keys = wanted.map { StoreKey(messageDigest: requests[$0].message.digest, optionsDigest: deliveryOptionsDigest) }
                    // Without --received-at the time comes from the bytes (or the file), so it
                    // is the same for the same key: no need to read every message for it.
                    let times = receivedAtOption.map { t in wanted.map { _ in Optional(t) } }
                    let found = try store.deliveryVerdicts(for: keys, currentAnchors: anchors, receivedAt: times)
                    for (i, v) in zip(wanted, found) { delivered[i] = v }
                }
            } catch {
                storeFailed(error)
                current = Array(repeating: nil, count: requests.count)
                delivered = Array(repeating: nil, count: requests.count)
            }
        }

        let work = VerdictWork(verifier: verifier, at: at, receivedAtOption: receivedAtOption, maxBytes: maxBytes)
        let inputs = requests.indices.map { (requests[$0], current[$0], delivered[$0]) }
        // Served from the store, a verdict is a few copies: not worth waking a thread for.
        let results = Parallel.map(inputs, jobs: jobs, heavy: { $0.1 == nil || $0.0.details || ($0.0.delivery && $0.2 == nil) }) {
            work.run($0.0, cached: $0.1, delivered: $0.2)
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
            let digest = request.message.digest
            if at == nil, v.fresh != nil, (v.validUntil.map { $0 > now } ?? true) {
                let path: String? = if case .file(let p, _) = request.message.item { p } else { nil }
                verdicts.append((StoreKey(messageDigest: digest, optionsDigest: currentOptionsDigest),
                                 StoredVerdict(status: v.status, errors: v.errors, errorCodes: v.errorCodes,
                                               verifiedAt: v.verifiedAt, validUntil: v.validUntil), path))
            }
            if v.freshDelivery != nil, let receivedAt = v.receivedAt {
                deliveries.append((StoreKey(messageDigest: digest, optionsDigest: deliveryOptionsDigest),
                                   DeliveryVerdict(status: v.statusAtDelivery, receivedAt: receivedAt, anchorSet: anchorList)))
            }
        }
        guard !verdicts.isEmpty || !deliveries.isEmpty else { return }
        writer.submit { [verdicts, deliveries] in
            try store.record(batch: verdicts)
            try store.recordDelivery(batch: deliveries)
        }
    }
}

/// The store writes of a run, made in order on a queue of their own so that the
/// next batch is read and verified meanwhile (inline, a cold run's writes left
/// every worker idle for a tenth of the time). At most two batches' writes wait;
/// after a failure the rest are dropped and the failure is handed back once.
final class StoreWriter: @unchecked Sendable {
    private let queue = DispatchQueue(label: "smimekit.store-writes")
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: Error?     // under `lock`
    private var failed = false      // under `lock`

    public func submit(_ write: @escaping @Sendable () throws -> Void) {
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            lock.lock()
            let skip = failed
            lock.unlock()
            guard !skip else { return }
            do {
                try write()
            } catch {
                lock.lock()
                failed = true
                failure = error
                lock.unlock()
            }
        }
    }

    public func drain() { queue.sync {} }

    public func takeFailure() -> Error? {
        lock.lock()
        defer { lock.unlock() }
        let f = failure
        failure = nil
        return f
    }
}

/// The per-message part of `VerdictService.resolve`, run on the worker threads.
private struct VerdictWork: Sendable {
    let verifier: MessageVerifier
    let at: Date?
    let receivedAtOption: Date?
    let maxBytes: Int

    func run(_ request: VerdictRequest, cached: StoredVerdict?, delivered: DeliveryVerdict?) -> Result<Verdict, InputFailure> {
        let m = request.message
        if let source = m.source {
            // The verdict is filed under the digest read earlier: the file must not have changed since.
            do throws(SourceError) { try source.checkUnchanged() } catch { return .failure(InputFailure(error.description)) }
            var subject = StreamedSubject(source: source, verifier: verifier, item: m.item, receivedAtOption: receivedAtOption)
            return decide(request, cached: cached, delivered: delivered, subject: &subject)
        }
        // A large message read without keeping its source (its digest came from elsewhere):
        // open it now, so that it is still never read whole.
        if m.bytes == nil, m.message == nil, m.size > verifier.inMemoryLimit, case .file(let path, _) = m.item {
            let source: FileSource
            do throws(SourceError) { source = try FileSource(path: path) } catch { return .failure(InputFailure(error.description)) }
            guard source.count == m.size else { return .failure(InputFailure(SourceError.changed.description)) }
            var subject = StreamedSubject(source: source, verifier: verifier, item: m.item, receivedAtOption: receivedAtOption)
            return decide(request, cached: cached, delivered: delivered, subject: &subject)
        }
        var subject = InMemorySubject(loaded: Loaded(read: m, verifier: verifier, maxBytes: maxBytes), verifier: verifier,
                                      item: m.item, receivedAtOption: receivedAtOption)
        return decide(request, cached: cached, delivered: delivered, subject: &subject)
    }

    /// The four properties from the store where it has them, computed through `subject` where not.
    private func decide(_ request: VerdictRequest, cached: StoredVerdict?, delivered: DeliveryVerdict?,
                        subject: inout some VerdictSubject) -> Result<Verdict, InputFailure> {
        var verdict = Verdict()
        var computedAt: Date?
        // A verification made only to learn the signingTimes, which the one at delivery may reuse.
        var reusable: VerificationResult?
        if let cached {
            verdict.status = cached.status
            verdict.errors = cached.errors
            verdict.errorCodes = cached.errorCodes
            verdict.verifiedAt = cached.verifiedAt
            verdict.validUntil = cached.validUntil
        } else {
            let now = at ?? Date()
            computedAt = now
            let result: VerificationResult
            switch subject.verify(at: now) {
            case .failure(let f): return .failure(f)
            case .success(let r): result = r
            }
            verdict.status = result.status?.rawValue
            verdict.errors = result.smimeErrors
            verdict.errorCodes = result.smimeErrors == nil ? nil : result.problems.map(\.code.rawValue)
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
                verdict.statusAtDelivery = delivered.status
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
                    verdict.statusAtDelivery = result.status?.rawValue
                    verdict.freshDelivery = result
                } else {
                    verdict.statusAtDelivery = verdict.status
                }
            }
        }
        return .success(verdict)
    }
}

/// A message as `VerdictWork.decide` needs it: verified, at some time, and dated.
private protocol VerdictSubject {
    mutating func verify(at time: Date) -> Result<VerificationResult, InputFailure>
    /// The verdict at `time` (reusing `earlier`, checked at `checkedAt`, when nothing
    /// could tell the times apart); nil when the message cannot be checked again.
    mutating func verify(at time: Date, reusing earlier: VerificationResult?, checkedAt: Date?) -> Result<VerificationResult?, InputFailure>
    /// What the message tells of its arrival (see `ReceivedTime`).
    mutating func receivedEvidence() -> Result<ReceivedTime.Evidence, InputFailure>
}

/// A message held in memory, parsed at most once.
private struct InMemorySubject: VerdictSubject {
    var loaded: Loaded
    let verifier: MessageVerifier
    let item: InputItem
    let receivedAtOption: Date?

    mutating func verify(at time: Date) -> Result<VerificationResult, InputFailure> {
        switch loaded.message() {
        case .failure(let f): return .failure(f)
        case .success(.some(let message)): return .success(Self.noted(verifier.verify(message, at: time), message))
        case .success(.none): return .success(verifier.verify(bytes: loaded.bytes ?? [], at: time))
        }
    }

    /// A bare CMS object's verdict says what it was read as.
    private static func noted(_ result: VerificationResult, _ message: Message) -> VerificationResult {
        guard BareCMS.isWrapped(message) else { return result }
        var result = result
        result.notes.append(BareCMS.note)
        return result
    }

    mutating func verify(at time: Date, reusing earlier: VerificationResult?, checkedAt: Date?) -> Result<VerificationResult?, InputFailure> {
        guard case .success(.some(let message)) = loaded.message() else { return .success(nil) }
        if let earlier, let checkedAt { return .success(verifier.verify(message, at: time, reusing: earlier, checkedAt: checkedAt)) }
        return .success(verifier.verify(message, at: time))
    }

    mutating func receivedEvidence() -> Result<ReceivedTime.Evidence, InputFailure> {
        if let receivedAtOption { return .success(ReceivedTime.Evidence(option: receivedAtOption)) }
        return loaded.message().map { ReceivedTime.evidence($0, item: item, option: nil) }
    }
}

/// A message above --max-in-memory-size, streamed by the engine from its open file.
private struct StreamedSubject: VerdictSubject {
    let source: FileSource
    let verifier: MessageVerifier
    let item: InputItem
    let receivedAtOption: Date?

    mutating func verify(at time: Date) -> Result<VerificationResult, InputFailure> {
        verifier.verify(source: source, at: time).mapError { InputFailure($0.description) }
    }

    mutating func verify(at time: Date, reusing earlier: VerificationResult?, checkedAt: Date?) -> Result<VerificationResult?, InputFailure> {
        let outcome = if let earlier, let checkedAt {
            verifier.verify(source: source, at: time, reusing: earlier, checkedAt: checkedAt)
        } else {
            verifier.verify(source: source, at: time)
        }
        return outcome.map { Optional($0) }.mapError { InputFailure($0.description) }
    }

    mutating func receivedEvidence() -> Result<ReceivedTime.Evidence, InputFailure> {
        if let receivedAtOption { return .success(ReceivedTime.Evidence(option: receivedAtOption)) }
        let header = try? LargeMessage.open(source, limits: verifier.limits).header.message
        return .success(ReceivedTime.evidence(header, item: item, option: nil))
    }
}

/// Messages above --max-in-memory-size: never read whole, but streamed by the engine.
public enum LargeFile {
    public enum Input {
        /// Standard input that fitted in memory (it cannot be read again).
        case bytes([UInt8])
        case large(FileSource)
    }

    /// A regular file of more than `limit` bytes as a source, and standard input
    /// either in memory or, when larger than `limit`, spooled to an unlinked
    /// temporary file; nil for a file that is read whole as before.
    public static func open(_ item: InputItem, above limit: Int, maxBytes: Int) -> Result<Input, InputFailure>? {
        switch item {
        case .stdin: return spoolStandardInput(above: limit, maxBytes: maxBytes)
        case .bad: return nil
        case .file: return source(item, above: limit, maxBytes: maxBytes).map { $0.map(Input.large) }
        }
    }

    public static func spoolStandardInput(above limit: Int, maxBytes: Int) -> Result<Input, InputFailure> {
        let tooLarge = InputFailure(.tooLarge(size: nil, limit: maxBytes))
        // What was read to tell a message from a list of paths comes first.
        var kept = StandardInputPushback.take()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        func next() -> Int {
            while true {
                let n = chunk.withUnsafeMutableBytes { Foundation.read(STDIN_FILENO, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                return n
            }
        }
        while kept.count <= limit {
            let n = next()
            if n < 0 { return .failure(InputFailure(.unreadable(errno: errno))) }
            if n == 0 { return kept.count > maxBytes ? .failure(tooLarge) : .success(.bytes(kept)) }
            kept += chunk[0..<n]
        }
        // Too large for memory: everything goes to a file that only this process can reach.
        var template = Array((NSTemporaryDirectory() + "/smimekit-stdin-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return .failure(InputFailure(.cannotSpool(errno: errno))) }
        // Unlinked at once: the open file stays readable, and goes with the process.
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        defer { close(fd) }
        func write(_ bytes: ArraySlice<UInt8>) -> Bool {
            var offset = bytes.startIndex
            while offset < bytes.endIndex {
                let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + (offset - bytes.startIndex), bytes.endIndex - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        var total = kept.count
        guard total <= maxBytes else { return .failure(tooLarge) }
        guard write(kept[...]) else { return .failure(InputFailure(.cannotSpool(errno: errno))) }
        kept = []
        while true {
            let n = next()
            if n < 0 { return .failure(InputFailure(.unreadable(errno: errno))) }
            if n == 0 { break }
            total += n
            if total > maxBytes { return .failure(tooLarge) }
            guard write(chunk[0..<n]) else { return .failure(InputFailure(.cannotSpool(errno: errno))) }
        }
        do throws(SourceError) {
            return .success(.large(try FileSource(duplicating: fd, name: "-")))
        } catch {
            return .failure(InputFailure(error.description))
        }
    }

    /// The file behind `item` when it is a regular file of more than `limit` bytes;
    /// nil for anything that is read whole.
    public static func source(_ item: InputItem, above limit: Int, maxBytes: Int) -> Result<FileSource, InputFailure>? {
        guard case .file(let path, _) = item else { return nil }
        var st = stat()
        guard PathCalls.stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, Int(st.st_size) > limit else { return nil }
        let source: FileSource
        do throws(SourceError) { source = try FileSource(path: path) } catch { return .failure(InputFailure(error.description)) }
        // Shrank since the stat: read whole, as any small file.
        guard source.count > limit else { return nil }
        if source.count > maxBytes {
            return .failure(InputFailure(.tooLarge(size: source.count, limit: maxBytes)))
        }
        return .success(source)
    }

    /// The id digest (SHA-256 of every byte), read a chunk at a time.
    public static func digest(_ source: FileSource) -> Result<String, InputFailure> {
        do throws(SourceError) {
            return .success(try Digest.sha256Hex(source: source))
        } catch {
            return .failure(InputFailure(error.description))
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
                    guard b.count == read.size, Digest.sha256Hex(b) == read.digest else {
                        let f = InputFailure("changed while being read; run again")
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

/// receivedAt as semantics.md "Times" defines it: a value the user gave
/// (--received-at), else the date of the topmost Received header, else the later
/// of the Date header and the signingTime (the sender writes Date before it signs,
/// so mail cannot have arrived before it was signed), never after now, else the
/// file's modification time. The modification time of a file in a maildir's new/
/// or cur/ is a delivery stamp too, but semantics.md orders it last, and so do we.
public enum ReceivedTime {
    /// Where a receivedAt came from, as `--details` says it.
    public enum Source: String, Sendable {
        case option = "receivedAtOption"
        case receivedHeader
        case dateHeader
        case signingTime
        /// The Date header and the signingTime both lie in the future.
        case now
        case fileModificationTime

        public var text: String {
            switch self {
            case .option: return "--received-at"
            case .receivedHeader: return "Received header"
            case .dateHeader: return "Date header"
            case .signingTime: return "signingTime"
            case .now: return "now: the later of the Date header and signingTime lies in the future"
            case .fileModificationTime: return "file modification time"
            }
        }
    }

    public struct Value: Sendable {
        public var date: Date
        public var source: Source
    }

    /// What a message tells of its arrival before anything is verified.
    public struct Evidence: Sendable {
        public var option: Date?
        public var receivedHeader: Date?
        public var dateHeader: Date?
        public var modified: Date?

        /// The signingTime is wanted only when neither the user nor a Received header gave the time.
        public var needsSigningTime: Bool { option == nil && receivedHeader == nil }
    }

    public static func evidence(_ message: Message?, item: InputItem, option: Date?) -> Evidence {
        if let option { return Evidence(option: option) }
        let received = message?.root.receivedDate
        return Evidence(receivedHeader: received,
                        dateHeader: received == nil ? message.flatMap(sentAt) : nil,
                        modified: received == nil ? InputReader.modificationDate(item) : nil)
    }

    /// The rule, given the signingTimes found in the message (empty when unsigned).
    public static func resolve(_ e: Evidence, signingTimes: [Date], now: Date = Date()) -> Value? {
        if let t = e.option { return Value(date: t, source: .option) }
        if let t = e.receivedHeader { return Value(date: t, source: .receivedHeader) }
        let signed = signingTimes.max()
        var best: Value?
        if let d = e.dateHeader { best = Value(date: d, source: .dateHeader) }
        if let s = signed, best.map({ s > $0.date }) ?? true { best = Value(date: s, source: .signingTime) }
        if let b = best { return b.date > now ? Value(date: now, source: .now) : b }
        return e.modified.map { Value(date: $0, source: .fileModificationTime) }
    }

    /// Without verifying (query's --before, --after and sort): the rule with the
    /// signingTime left out. Only a message with no Received header can differ.
    public static func of(_ message: Message?, item: InputItem) -> Date? {
        resolve(evidence(message, item: item, option: nil), signingTimes: [])?.date
    }

    /// The Date header (RFC 8621 sentAt).
    public static func sentAt(_ message: Message) -> Date? {
        message.root.firstValue(named: "Date").flatMap(MailDate.parse)
    }

    /// Every signingTime in a verification result (of every signer, at every layer).
    public static func signingTimes(_ result: VerificationResult?) -> [Date] {
        result?.signers.compactMap(\.signingTime) ?? []
    }
}

/// A parallel map that keeps the order of its input.
public enum Parallel {
    public static func map<T: Sendable, R: Sendable>(_ inputs: [T], jobs: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
        if jobs <= 1 || inputs.count <= 1 { return inputs.map(body) }
        let slots = Slots<R>(count: inputs.count)
        let workers = min(jobs, inputs.count)
        // Each worker takes the next index when it is free: a 1 MB message among
        // small ones then holds up one worker, not every worker's share.
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let i = next.take()
                guard i < inputs.count else { return }
                slots.set(i, body(inputs[i]))
            }
        }
        return slots.values()
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func take() -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += 1
            return value - 1
        }
    }

    /// The same, but only the inputs `heavy` picks are spread over the workers;
    /// the others, too cheap to be worth a thread's wake-up, run on this one.
    public static func map<T: Sendable, R: Sendable>(_ inputs: [T], jobs: Int, heavy: (T) -> Bool,
                                              _ body: @escaping @Sendable (T) -> R) -> [R] {
        let spread = inputs.indices.filter { heavy(inputs[$0]) }
        if jobs <= 1 || spread.count <= 1 { return inputs.map(body) }
        var results = [R?](repeating: nil, count: inputs.count)
        for (i, r) in zip(spread, map(spread.map { inputs[$0] }, jobs: jobs, body)) { results[i] = r }
        for i in inputs.indices where !heavy(inputs[i]) { results[i] = body(inputs[i]) }
        return results.map { $0! }
    }

    /// Each index is written by exactly one worker, and read only after all are done.
    private final class Slots<R>: @unchecked Sendable {
        private var storage: [R?]
        init(count: Int) { storage = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ value: R) { storage[i] = value }
        func values() -> [R] { storage.map { $0! } }
    }
}

/// Told of each message a scan has done (the command line draws a progress line).
public protocol ScanProgress: AnyObject {
    func tick()
    func finish()
}

/// Input in batches of `jobs` × 32 items: enough to keep every core busy, few
/// enough to hold in memory, and one store transaction each. The walk runs on a
/// thread of its own a few batches ahead, so that its readdir and stat calls
/// overlap the work on the batches before (on a warm run they were a quarter of it).
public struct BatchScan {
    public var jobs: Int
    public var progress: (any ScanProgress)?

    public init(jobs: Int, progress: (any ScanProgress)? = nil) {
        self.jobs = jobs
        self.progress = progress
    }

    /// `body` gets each batch in input order; returning false stops the scan.
    public func run(_ items: InputWalk, _ body: ([InputItem]) -> Bool) {
        let batches = Prefetch(items, batchSize: max(1, jobs) * 32)
        defer { batches.cancel() }
        while let batch = batches.next() {
            let goOn = body(batch)
            for _ in batch { progress?.tick() }
            if !goOn { break }
        }
        progress?.finish()
    }

    /// Batches made on a producer thread, at most `capacity` of them waiting.
    private final class Prefetch: @unchecked Sendable {
        private let condition = NSCondition()
        private var ready: [[InputItem]] = []   // under `condition`
        private var finished = false            // under `condition`
        private var cancelled = false           // under `condition`
        private let capacity = 4

        init(_ items: InputWalk, batchSize: Int) {
            let source = HandedOver(walk: items)
            Thread.detachNewThread { [self] in
                var iterator = source.walk
                while true {
                    var batch: [InputItem] = []
                    batch.reserveCapacity(batchSize)
                    while batch.count < batchSize, let item = iterator.next() { batch.append(item) }
                    condition.lock()
                    while ready.count >= capacity && !cancelled { condition.wait() }
                    if !batch.isEmpty && !cancelled { ready.append(batch) }
                    let done = batch.count < batchSize || cancelled
                    if done { finished = true }
                    condition.broadcast()
                    condition.unlock()
                    if done { return }
                }
            }
        }

        func next() -> [InputItem]? {
            condition.lock()
            defer { condition.unlock() }
            while ready.isEmpty && !finished { condition.wait() }
            guard !ready.isEmpty else { return nil }
            condition.broadcast()
            return ready.removeFirst()
        }

        /// Stops the producer at its next batch (a query whose --limit is met).
        func cancel() {
            condition.lock()
            cancelled = true
            condition.broadcast()
            condition.unlock()
        }
    }

    /// The walk is used by the producer thread alone, after the hand-over.
    private struct HandedOver: @unchecked Sendable {
        let walk: InputWalk
    }
}

/// Asks the kernel to start reading a batch's files before the workers read them
/// one by one: on a cold page cache (a maildir scanned for the first time) the
/// reads then overlap each other and the verification, instead of each worker
/// waiting on the disk in turn. Only files the walk saw as small enough to be
/// read whole are hinted.
public enum ReadAhead {
    public static func hint(_ indices: some Sequence<Int>, of batch: [InputItem], below limit: Int) {
        #if os(Linux)
        for i in indices {
            guard case .file(let path, let stamp?) = batch[i], stamp.size > 0, stamp.size <= Int64(limit) else { continue }
            let fd = PathCalls.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, off_t(stamp.size), POSIX_FADV_WILLNEED)
            close(fd)
        }
        #endif
    }
}

/// Reads a regular file with one allocation of its size and one read call,
/// which matters when a warm run does little else per message; anything else
/// (standard input, a file that changes size while read) goes to InputReader.
public enum FileBytes {
    public static func read(_ item: InputItem, maxBytes: Int) -> Result<[UInt8], InputFailure> {
        guard case .file(let path, _) = item else { return InputReader.read(item, maxBytes: maxBytes) }
        let (fd, st): (Int32, stat)
        switch InputFile.openRegular(path) {
        case .failure(let e): return .failure(InputFailure(e))
        case .success(let opened): (fd, st) = opened
        }
        defer { close(fd) }
        guard Int(st.st_size) <= maxBytes else {
            return .failure(InputFailure(.tooLarge(size: Int(st.st_size), limit: maxBytes)))
        }
        let size = Int(st.st_size)
        var complete = false
        // One byte more than the size, to notice a file that grew.
        let bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count <= size {
                let n = Foundation.read(fd, buffer.baseAddress! + count, size + 1 - count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    complete = n == 0 && count == size
                    return
                }
                count += n
            }
        }
        return complete ? .success(bytes) : InputReader.read(item, maxBytes: maxBytes)
    }
}
