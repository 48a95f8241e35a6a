import Foundation
@testable import MailScan
import XCTest

final class WorkPoolTests: XCTestCase {
    func testMapKeepsOrderAndRunsEachInputOnce() {
        let runs = Locked([Int: Int]())
        let inputs = Array(0..<1000)
        let out = WorkPool.map(inputs, jobs: 4) { i -> Int in
            runs.withLock { $0[i, default: 0] += 1 }
            return i * 3
        }
        XCTAssertEqual(out, inputs.map { $0 * 3 })
        XCTAssertEqual(runs.withLock { $0.count }, 1000)
        XCTAssertTrue(runs.withLock { $0.values.allSatisfy { $0 == 1 } })
    }

    func testMapRunsOnSeveralThreads() {
        // Each input waits until two are running at once, so a pool that ran them
        // one after another would never get past the first (it gives up after 10 s).
        let running = Locked(0)
        let sawTwo = Locked(false)
        _ = WorkPool.map(Array(0..<2), jobs: 2) { _ -> Int in
            running.withLock { $0 += 1 }
            let deadline = Date().addingTimeInterval(10)
            while running.withLock({ $0 }) < 2 && Date() < deadline { usleep(1000) }
            if running.withLock({ $0 }) >= 2 { sawTwo.withLock { $0 = true } }
            return 0
        }
        XCTAssertTrue(sawTwo.withLock { $0 })
    }

    func testHeavyMapRunsTheLightOnesHereAndKeepsOrder() {
        let inputs = Array(0..<200)
        let out = WorkPool.map(inputs, jobs: 3, heavy: { $0 % 2 == 0 }) { $0 + 1 }
        XCTAssertEqual(out, inputs.map { $0 + 1 })
        XCTAssertEqual(WorkPool.map([Int](), jobs: 4) { $0 }, [])
        XCTAssertEqual(WorkPool.map([7], jobs: 1) { $0 * 2 }, [14])
    }

    func testLockedCountsEveryIncrement() {
        let counter = Locked(0)
        _ = WorkPool.map(Array(0..<4), jobs: 4) { _ -> Int in
            for _ in 0..<10_000 { counter.withLock { $0 += 1 } }
            return 0
        }
        XCTAssertEqual(counter.withLock { $0 }, 40_000)
    }

    func testPrefetchHandsOverEverythingInOrderAndStaysBounded() {
        let ahead = Locked(0)
        let maxAhead = Locked(0)
        let prefetch = Prefetch<Int>(capacity: 3) { put in
            for i in 0..<100 {
                ahead.withLock { a in
                    a += 1
                    maxAhead.withLock { $0 = max($0, a) }
                }
                guard put(i) else { return }
            }
        }
        var got: [Int] = []
        while let i = prefetch.next() {
            got.append(i)
            ahead.withLock { $0 -= 1 }
            usleep(100)
        }
        XCTAssertEqual(got, Array(0..<100))
        // Three waiting, one made that waits to be put, and one taken that the
        // consumer has not counted off yet; an unbounded hand-over would reach 100.
        XCTAssertLessThanOrEqual(maxAhead.withLock { $0 }, 5)
    }

    func testPrefetchCancelStopsTheProducer() {
        let made = Locked(0)
        let stopped = Locked(false)
        let prefetch = Prefetch<Int>(capacity: 2) { put in
            var i = 0
            while put(i) {
                made.withLock { $0 += 1 }
                i += 1
            }
            stopped.withLock { $0 = true }
        }
        XCTAssertEqual(prefetch.next(), 0)
        prefetch.cancel()
        let deadline = Date().addingTimeInterval(10)
        while !stopped.withLock({ $0 }) && Date() < deadline { usleep(1000) }
        XCTAssertTrue(stopped.withLock { $0 })
        XCTAssertLessThan(made.withLock { $0 }, 10)
    }

    func testSerialWorkRunsInOrderAndDrainWaitsForAll() {
        let work = SerialWork(depth: 2)
        let log = Locked([Int]())
        let pending = Locked(0)
        let maxPending = Locked(0)
        for i in 0..<50 {
            pending.withLock { p in
                p += 1
                maxPending.withLock { $0 = max($0, p) }
            }
            work.submit {
                usleep(200)
                log.withLock { $0.append(i) }
                pending.withLock { $0 -= 1 }
            }
        }
        work.drain()
        XCTAssertEqual(log.withLock { $0 }, Array(0..<50))
        // submit waits while two jobs are waiting or running: a third is at most being submitted.
        XCTAssertLessThanOrEqual(maxPending.withLock { $0 }, 3)
        // After a drain the worker may go; new work starts it again.
        work.submit { log.withLock { $0.append(99) } }
        work.drain()
        XCTAssertEqual(log.withLock { $0.last }, 99)
    }
}
