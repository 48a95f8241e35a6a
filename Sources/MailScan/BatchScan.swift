// A scan in batches, the walk running ahead of the work on a thread of its own.
import Foundation

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
    public func run(_ items: some IteratorProtocol<InputItem> & Sendable, _ body: ([InputItem]) -> Bool) {
        let batchSize = max(1, jobs) * 32
        // The first batch is walked here, as the work would wait for it anyway: a
        // run over fewer files than a batch (a command line naming a few) starts
        // no walk thread at all (start-up, issue 17).
        var walk = items
        var first: [InputItem] = []
        first.reserveCapacity(batchSize)
        while first.count < batchSize, let item = walk.next() { first.append(item) }
        guard first.count == batchSize else {
            if !first.isEmpty {
                _ = body(first)
                for _ in first { progress?.tick() }
            }
            progress?.finish()
            return
        }
        let rest = walk
        let batches = Prefetch<[InputItem]>(capacity: 4) { put in
            var walk = rest
            while true {
                var batch: [InputItem] = []
                batch.reserveCapacity(batchSize)
                while batch.count < batchSize, let item = walk.next() { batch.append(item) }
                guard !batch.isEmpty, put(batch), batch.count == batchSize else { return }
            }
        }
        defer { batches.cancel() }
        var goOn = body(first)
        for _ in first { progress?.tick() }
        while goOn, let batch = batches.next() {
            goOn = body(batch)
            for _ in batch { progress?.tick() }
        }
        progress?.finish()
    }
}
