// The engine's concurrency, all of it in this file: a parallel map over a
// bounded number of workers, a bounded hand-over from a producer thread, and
// serial background work, all built on MIME's Locked (the one lock type).
// Everything else in the engine (and the command line above it) is sequential
// code that calls these.
import Dispatch
import Foundation
import MIME
// Clients of the engine share state through the same lock type.
@_exported import class MIME.Locked

/// Messages in parallel, in order.
public enum WorkPool {
    /// `body` over `inputs` on up to `jobs` workers (the calling thread among
    /// them); the results keep the order of the input. Each worker takes the next
    /// index when it is free: a 1 MB message among small ones then holds up one
    /// worker, not every worker's share.
    public static func map<T: Sendable, R: Sendable>(_ inputs: [T], jobs: Int, _ body: @escaping @Sendable (T) -> R) -> [R] {
        if jobs <= 1 || inputs.count <= 1 { return inputs.map(body) }
        let next = Locked(0)
        // Each worker keeps its results and hands them over once, when it is done.
        let done = Locked([(Int, R)]())
        DispatchQueue.concurrentPerform(iterations: min(jobs, inputs.count)) { _ in
            var mine: [(Int, R)] = []
            while true {
                let i = next.withLock { n -> Int in
                    defer { n += 1 }
                    return n
                }
                guard i < inputs.count else { break }
                mine.append((i, body(inputs[i])))
            }
            done.withLock { $0 += mine }
        }
        // concurrentPerform returns when every worker has: `done` holds every index once.
        var results = [R?](repeating: nil, count: inputs.count)
        for (i, r) in done.withLock({ $0 }) { results[i] = r }
        return results.map { $0! }
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

    /// Runs `body` on a thread of its own (a walk that counts, a producer).
    public static func detach(_ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread(body)
    }
}

/// The old name of `WorkPool` (the first MailScan commit).
public typealias Parallel = WorkPool

/// Elements made on a producer thread a few ahead of the consumer, at most
/// `capacity` of them waiting. The producer is handed `put`, which returns false
/// once the consumer has cancelled (the producer should then return).
public final class Prefetch<Element: Sendable>: Sendable {
    private struct State: Sendable {
        var ready: [Element] = []
        var finished = false
        var cancelled = false
    }
    private let state = Locked(State())

    public init(capacity: Int, produce: @escaping @Sendable (_ put: (Element) -> Bool) -> Void) {
        let state = self.state
        WorkPool.detach {
            produce { element in
                state.withLock(when: { $0.ready.count < capacity || $0.cancelled }) { s in
                    if !s.cancelled { s.ready.append(element) }
                    return !s.cancelled
                }
            }
            state.withLock { $0.finished = true }
        }
    }

    /// The next element, waiting for the producer; nil once it has finished and all were taken.
    public func next() -> Element? {
        state.withLock(when: { !$0.ready.isEmpty || $0.finished }) { s in
            s.ready.isEmpty ? nil : s.ready.removeFirst()
        }
    }

    /// Stops the producer at its next `put` (a query whose --limit is met).
    public func cancel() {
        state.withLock { $0.cancelled = true }
    }
}

/// Jobs run one after another, in the order submitted, on a thread that exists
/// while there is work; `submit` waits while `depth` jobs are waiting or running.
public final class SerialWork: Sendable {
    private struct State: Sendable {
        var queue: [@Sendable () -> Void] = []
        /// Submitted and not yet finished (waiting or running).
        var pending = 0
        var running = false
    }
    private let state = Locked(State())
    private let depth: Int

    public init(depth: Int) { self.depth = max(1, depth) }

    public func submit(_ job: @escaping @Sendable () -> Void) {
        let depth = self.depth
        let start = state.withLock(when: { $0.pending < depth }) { s -> Bool in
            s.queue.append(job)
            s.pending += 1
            defer { s.running = true }
            return !s.running
        }
        guard start else { return }
        let state = self.state
        WorkPool.detach {
            while let job = state.withLock({ s -> (@Sendable () -> Void)? in
                guard !s.queue.isEmpty else {
                    s.running = false
                    return nil
                }
                return s.queue.removeFirst()
            }) {
                job()
                state.withLock { $0.pending -= 1 }
            }
        }
    }

    /// Waits until every job submitted so far has run.
    public func drain() {
        state.withLock(when: { $0.pending == 0 }) { _ in }
    }
}
