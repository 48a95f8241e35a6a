// A batch of messages through the engine, the way verify, status and changes go
// over their inputs: read, then verified (or told from structure), in input order.
import Foundation
import JMAP
import MIME
import ResultStore
import SMIME

extension VerdictService {
    /// Reads and verifies a batch (through the result store), one result an item, in order.
    public func verify(_ batch: [InputItem], delivery: Bool = false, details: Bool = false)
        -> [Result<(message: ReadMessage, verdict: Verdict), InputFailure>] {
        let reads = read(batch)
        let requests = reads.compactMap { r -> VerdictRequest? in
            guard case .success(let m) = r else { return nil }
            return VerdictRequest(message: m, delivery: delivery, details: details)
        }
        var verdicts = resolve(requests).makeIterator()
        return reads.map { read in read.flatMap { m in verdicts.next()!.map { (m, $0) } } }
    }
}

extension StructureRead {
    /// A batch's structural statuses, read in parallel. With `cached`, a current verdict
    /// its store holds for a message wins over the structure, even one of no S/MIME.
    public static func statuses(_ batch: [InputItem], limits: MIMELimits, maxBytes: Int, inMemory: Int, jobs: Int,
                                cached: VerdictService? = nil) -> [Result<StructuralStatus, InputFailure>] {
        var results = WorkPool.map(batch, jobs: jobs) { read($0, limits: limits, maxBytes: maxBytes, inMemory: inMemory) }
        guard let cached else { return results }
        var verdicts = cached.cachedVerdicts(results.compactMap { try? $0.get().digest }).makeIterator()
        for i in results.indices {
            guard case .success(var s) = results[i] else { continue }
            if let verdict = verdicts.next()! { s.status = verdict.status }
            results[i] = .success(s)
        }
        return results
    }
}

extension ChangesScan {
    /// The whole scan: begin, each batch recorded, end. `failed` hears of each message
    /// that could not be read or verified. When the store fails the scan stops, its
    /// marks are dropped and nothing is swept (the error is rethrown).
    public func run(_ items: some IteratorProtocol<InputItem> & Sendable, jobs: Int, progress: (any ScanProgress)? = nil,
                    failed: (InputItem, InputFailure) -> Void) throws {
        var storeError: Error?
        try begin()
        BatchScan(jobs: jobs, progress: progress).run(items) { batch in
            do {
                for (item, f) in try record(batch) { failed(item, f) }
                return true
            } catch {
                storeError = error
                return false
            }
        }
        if let storeError {
            abandon()
            throw storeError
        }
        try end()
    }
}
