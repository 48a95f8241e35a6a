// One query over a batch of messages: the cheap first pass in parallel, then
// verification of what depends on it (through the result store), then the answer.
import Foundation
import JMAP
import MIME
import SMIME

/// What a query found of one message.
public struct QueryResult: Sendable {
    public var item: InputItem
    /// The limit the MIME reader hit, if a condition needed the parse (a warning).
    public var refusal: String?
    /// Why a text condition could not look at all of it, if one needed to.
    public var blind: SearchBlind?
    /// The match (nil: no match), or why the message could not be read or verified.
    public var outcome: Result<QueryMatch?, InputFailure>
}

public struct QueryMatch: Sendable {
    /// Nil when not asked for (`needsIDs` false), unless the message was read and
    /// hashed anyway (for a verification).
    public var id: String?
    /// One per comparator, for `QueryWindow`.
    public var keys: [SortValue]
    /// Present when verified (the filter asked, or `verdictsForMatches`).
    public var verdict: Verdict?
}

/// A filter, its sort and what must be known of each match, for any list of
/// messages: the command line feeds it a walk's batches, a server the files of a
/// mailbox. Sendable and immutable: one value may serve concurrent requests.
public struct QueryScan: Sendable {
    public let plan: FilterPlan
    public let comparators: [JMAP.Comparator]
    public let limits: MIMELimits
    public let maxBytes: Int
    public let inMemoryLimit: Int
    public let receivedAtOption: Date?
    /// Keys for encrypted content, which the text conditions and receivedAt look into.
    public let identities: [DecryptionIdentity]
    /// Matches are verified too (their RFC 9219 properties are printed or returned).
    public let verdictsForMatches: Bool
    /// smimeStatusAtDelivery is wanted of what is verified.
    public let delivery: Bool
    /// Ids are wanted (they name messages by digest): otherwise, when nothing is
    /// verified either, the bytes are not hashed.
    public let needsIDs: Bool
    public let jobs: Int

    public init(filter: Filter, comparators: [JMAP.Comparator] = [], limits: MIMELimits, maxBytes: Int, inMemoryLimit: Int,
                receivedAt: Date? = nil, identities: [DecryptionIdentity] = [], verdictsForMatches: Bool = false,
                deliveryForMatches: Bool = false, needsIDs: Bool = true, jobs: Int) {
        plan = FilterPlan(filter)
        self.comparators = comparators
        self.limits = limits
        self.maxBytes = maxBytes
        self.inMemoryLimit = inMemoryLimit
        receivedAtOption = receivedAt
        self.identities = identities
        self.verdictsForMatches = verdictsForMatches
        delivery = plan.needsDelivery || (verdictsForMatches && deliveryForMatches)
        self.needsIDs = needsIDs
        self.jobs = jobs
    }

    /// A verifier is needed: the filter asks for a verified status, or matches are verified.
    public var needsVerifier: Bool { plan.needsVerification || verdictsForMatches }

    /// The results for `batch`, parallel to it. `service` is needed when `needsVerifier`.
    public func run(_ batch: [InputItem], service: VerdictService?) -> [QueryResult] {
        // Only verdicts asked for: a message the result cache knows need not be read at all.
        let verdictsOnly = service?.store != nil && needsVerifier && !plan.readsMessage && comparators.isEmpty
        guard verdictsOnly, !delivery, let service else { return runEach(batch, service: service, verdictsOnly: verdictsOnly) }
        // The files whose current verdict their directory's rows hold are answered
        // from it (see `VerdictService.servedVerdicts`), the rest as below.
        let (answer, memo) = plan.firstPassWithoutMessage()
        guard answer == nil || (answer == true && verdictsForMatches) else { return runEach(batch, service: service, verdictsOnly: true) }
        let served = service.servedVerdicts(batch)
        let rest = batch.indices.filter { served[$0] == nil }
        if rest.count == batch.count { return runEach(batch, service: service, verdictsOnly: true) }
        var others = rest.isEmpty ? [] : runEach(rest.map { batch[$0] }, service: service, verdictsOnly: true)[...]
        var results: [QueryResult] = []
        results.reserveCapacity(batch.count)
        for (item, served) in zip(batch, served) {
            guard let (digest, verdict) = served else {
                results.append(others.removeFirst())
                continue
            }
            let matches = answer ?? plan.secondPass(memo, status: verdict.status, statusAtDelivery: verdict.statusAtDelivery)
            // An id only when asked for: making one was a tenth of this loop, for text output that prints none.
            results.append(QueryResult(item: item, outcome: .success(matches ? QueryMatch(id: needsIDs ? digest.emailID : nil, keys: [], verdict: verdict) : nil)))
        }
        return results
    }

    /// `run` for each message through the first pass, `VerdictService.read` and `resolve`.
    private func runEach(_ batch: [InputItem], service: VerdictService?, verdictsOnly: Bool) -> [QueryResult] {
        let needsVerifier = self.needsVerifier
        let screened: [Result<Screening, InputFailure>]
        if verdictsOnly, let reads = service?.read(batch) {
            let (answer, memo) = plan.firstPassWithoutMessage()
            screened = reads.map { $0.map { Screening(read: $0, answer: answer, memo: memo, keys: [], refusal: nil) } }
        } else {
            let scan = self
            let digest = needsIDs || needsVerifier
            screened = WorkPool.map(batch, jobs: jobs) { item in
                Screening.run(item, plan: scan.plan, comparators: scan.comparators, limits: scan.limits, maxBytes: scan.maxBytes,
                              inMemory: scan.inMemoryLimit, receivedAt: scan.receivedAtOption, identities: scan.identities,
                              digest: digest, keepMessage: needsVerifier)
            }
        }
        // A message is hashed whenever it may need a verdict (see `digest` above).
        let verifies = { (s: Screening) in s.read != nil && (s.answer == nil || (s.answer == true && self.verdictsForMatches)) }
        // Verify what the first pass left open, and what is returned with its properties.
        var requests: [VerdictRequest] = []
        for case .success(let s) in screened where verifies(s) {
            requests.append(VerdictRequest(message: s.read!, delivery: delivery))
        }
        let verdicts = service?.resolve(requests) ?? []
        var next = 0
        return zip(batch, screened).map { item, result in
            switch result {
            case .failure(let f):
                return QueryResult(item: item, outcome: .failure(f))
            case .success(let s):
                var out = QueryResult(item: item, refusal: s.refusal, blind: s.blind, outcome: .success(nil))
                var verdict: Verdict?
                if verifies(s) {
                    defer { next += 1 }
                    switch verdicts[next] {
                    case .failure(let f):
                        out.outcome = .failure(f)
                        return out
                    case .success(let v): verdict = v
                    }
                }
                let matches = s.answer ?? plan.secondPass(s.memo, status: verdict?.status, statusAtDelivery: verdict?.statusAtDelivery)
                if matches { out.outcome = .success(QueryMatch(id: s.read?.id, keys: s.keys, verdict: verdict)) }
                return out
            }
        }
    }
}
