// Runs a per-message function over the input stream on several cores and
// hands the results back in input order, holding only one batch in memory.
import Dispatch
import Foundation

struct Scan {
    var jobs: Int
    var progress: Progress?

    /// `work` runs concurrently; `emit` runs on the calling thread, in input order.
    func run<R>(_ items: some Sequence<InputItem>, work: @escaping @Sendable (InputItem) -> R, emit: (InputItem, R) -> Void) {
        var iterator = items.makeIterator()
        let batchSize = max(1, jobs) * 32
        while true {
            var batch: [InputItem] = []
            batch.reserveCapacity(batchSize)
            while batch.count < batchSize, let item = iterator.next() { batch.append(item) }
            if batch.isEmpty { break }
            let results = Self.map(batch, jobs: jobs, work)
            for (item, r) in zip(batch, results) {
                emit(item, r)
                progress?.tick()
            }
        }
        progress?.finish()
    }

    static func map<R>(_ batch: [InputItem], jobs: Int, _ work: @escaping @Sendable (InputItem) -> R) -> [R] {
        if jobs <= 1 || batch.count == 1 { return batch.map(work) }
        let slots = ResultSlots<R>(count: batch.count)
        let items = UncheckedBox(batch)
        DispatchQueue.concurrentPerform(iterations: min(jobs, batch.count)) { worker in
            var i = worker
            while i < items.value.count {
                slots.set(i, work(items.value[i]))
                i += jobs
            }
        }
        return slots.values()
    }
}

/// Each index is written by exactly one worker, then read after all finished.
private final class ResultSlots<R>: @unchecked Sendable {
    private var storage: [R?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: R) { storage[i] = v }
    func values() -> [R] { storage.map { $0! } }
}

private final class UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

/// "1234 messages, 5678/s" on stderr, redrawn at most ten times a second, only on a terminal.
final class Progress {
    private var count = 0
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    static func ifTerminal(enabled: Bool) -> Progress? {
        enabled && isatty(STDERR_FILENO) == 1 ? Progress() : nil
    }

    func tick() {
        count += 1
        let now = Date()
        if now.timeIntervalSince(lastDraw) >= 0.1 {
            lastDraw = now
            draw(now)
        }
    }

    private func draw(_ now: Date) {
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(count) / elapsed
        let line = "\r\u{1B}[K\(count) messages, \(Int(rate))/s, \(Int(elapsed))s"
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
