// Entry points for a caller that holds a list of messages rather than a walk
// (a JMAP server's Email/get and Email/query over a mailbox's files).
//
// The engine in short (what the command line and a JMAP server share):
// - InputWalk (operands: files, directories, maildirs, `-`, a list of paths) and
//   InputItem; BatchScan runs a walk in batches with the walk a few ahead.
// - VerdictService: one Sendable value for a run or a server's lifetime; read
//   (digests, by file stamp where the store knows them), resolve (Verdict: the
//   four RFC 9219 properties, from the store or computed), cachedVerdicts,
//   verdicts(for:) over a list of items, finish (waits for the store writes).
// - QueryScan (a Filter through JMAP's FilterPlan, sort keys, what is verified)
//   with run/results(for:) giving QueryResult/QueryMatch; QueryWindow cuts the
//   RFC 8620 window (position, anchor, anchorOffset, limit, total).
// - ChangesScan for Email/changes over a scope (ScanScope.key of the operands).
// - StructureRead (status without cryptography), ContentExtraction (verify --out),
//   EmailCreation (Email/set create with smimeSign / smimeEncrypt).
// - Failures are InputFailure (a typed InputError, with a Remedy the caller words).
// - WorkPool.map, Prefetch, SerialWork and MIME's Locked are all the concurrency.
import Dispatch
import Foundation

extension VerdictService {
    /// The batch size of a scan: enough to keep every core busy, few enough to
    /// hold in memory, and one store transaction each.
    public var batchSize: Int { max(1, jobs) * 32 }

    /// Verdicts for `items`, parallel to them, in batches as a scan makes them.
    public func verdicts(for items: [InputItem], delivery: Bool = false, details: Bool = false) -> [Result<Verdict, InputFailure>] {
        var out: [Result<Verdict, InputFailure>] = []
        out.reserveCapacity(items.count)
        for start in stride(from: 0, to: items.count, by: batchSize) {
            let batch = Array(items[start..<min(start + batchSize, items.count)])
            out += verify(batch, delivery: delivery, details: details).map { $0.map(\.verdict) }
        }
        return out
    }

    /// Runs blocking engine work (verification, a scan) on a thread outside Swift's
    /// cooperative pool and awaits its result, so an async server does not starve
    /// its executors while the work pool runs.
    public static func detached<R: Sendable>(_ body: @escaping @Sendable () -> R) async -> R {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: body()) }
        }
    }
}

extension QueryScan {
    /// The results for `items`, parallel to them, in batches as a scan makes them.
    public func results(for items: [InputItem], service: VerdictService?) -> [QueryResult] {
        let size = max(1, jobs) * 32
        return stride(from: 0, to: items.count, by: size).flatMap { start in
            run(Array(items[start..<min(start + size, items.count)]), service: service)
        }
    }
}
