import Foundation
import XCTest
@testable import ResultStore
#if canImport(Glibc)
import Glibc
#endif

private enum Child {
    static let database = "RESULTSTORE_CHILD_DB"
    static let tag = "RESULTSTORE_CHILD_TAG"
    static let rounds = "RESULTSTORE_CHILD_ROUNDS"
    static let batch = 100

    /// One round: a batch of verdicts and a batch of seen messages, each one transaction.
    static func writeRound(_ store: ResultStore, tag: Int, round: Int) throws {
        let base = tag * 1_000_000 + round * batch
        try store.record(batch: (0..<batch).map { (key(base + $0), verified, "/p/\(base + $0)") })
        try store.recordSeen(batch: (0..<batch).map { (id: "M\(base + $0)", path: "/p/\(base + $0)", status: "signed/verified", errors: nil) })
    }
}

/// Entry point for child processes started by `ConcurrencyTests`; does nothing in a normal run.
final class ChildProcessWriter: XCTestCase {
    func testChildWriter() throws {
        let environment = ProcessInfo.processInfo.environment
        guard let path = environment[Child.database], let tag = environment[Child.tag].flatMap(Int.init),
              let rounds = environment[Child.rounds].flatMap(Int.init) else { return }
        let store = try ResultStore(url: URL(fileURLWithPath: path))
        var round = 0
        while rounds == 0 || round < rounds {  // 0: until killed
            try Child.writeRound(store, tag: tag, round: round)
            round += 1
        }
    }
}

final class ConcurrencyTests: XCTestCase {
    func testTwoConnectionsFromManyThreads() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let stores = [try ResultStore(url: url), try ResultStore(url: url)]
        let failures = Collected<String>()
        let workers = 8
        let perWorker = 300

        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let store = stores[worker % 2]
            do {
                for n in 0..<perWorker {
                    let k = key(worker * 10_000 + n)
                    try store.record(verified, for: k, path: "/w\(worker)/\(n)")
                    if try store.verdict(for: k, now: t0, maxAge: 60) != verified { failures.append("lost \(k)") }
                    try store.recordSeen(id: "W\(worker)-\(n)", path: "/w\(worker)/\(n)", status: "signed/verified", errors: nil)
                    // Everyone also fights over the same few keys and messages.
                    try store.record(verified, for: key(n % 10, options: "shared"), path: nil)
                    try store.recordSeen(id: "shared-\(n % 10)", path: "/shared/\(n % 10)",
                                         status: worker.isMultiple(of: 2) ? "signed/verified" : "signed/failed",
                                         errors: nil)
                }
                try store.record(batch: (0..<50).map { (key(worker * 10_000 + 5_000 + $0), verified, nil) })
                _ = try store.verdicts(for: (0..<perWorker).map { key(worker * 10_000 + $0) }, now: t0, maxAge: 60)
            } catch {
                failures.append("worker \(worker): \(error)")
            }
        }
        XCTAssertEqual(failures.all, [])

        let stats = try stores[0].statistics()
        XCTAssertEqual(stats.verdicts, workers * (perWorker + 50) + 10)
        XCTAssertEqual(stats.messages, workers * perWorker + 10)
        // Every step of the state was logged exactly once, whichever connection took it.
        XCTAssertEqual(try stores[1].changes(since: "\(try stores[1].state.split(separator: "-")[0])-0").created.count,
                       workers * perWorker + 10)
        XCTAssertEqual(Int(try stores[0].state.split(separator: "-")[1]), stats.changeLogEntries)
        XCTAssertEqual(try stores[0].checkIntegrity(), ["ok"])
    }

    func testManyConnectionsCreatingTheCacheAtOnce() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("new/results.sqlite")
        let failures = Collected<String>()
        let warnings = Collected<String>()
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            do {
                let store = try ResultStore(url: url, warn: { warnings.append($0) })
                try store.record(verified, for: key(worker), path: nil)
                try store.recordSeen(id: "M\(worker)", path: "/m/\(worker)", status: nil, errors: nil)
            } catch {
                failures.append("worker \(worker): \(error)")
            }
        }
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(warnings.all, [], "a cache being created by another connection is not corrupt")
        let stats = try ResultStore(url: url).statistics()
        XCTAssertEqual(stats.verdicts, 6)
        XCTAssertEqual(stats.messages, 6)
    }

    #if os(Linux)
    private func spawnChild(database: URL, tag: Int, rounds: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["ResultStoreTests.ChildProcessWriter/testChildWriter"]
        var environment = ProcessInfo.processInfo.environment
        environment[Child.database] = database.path
        environment[Child.tag] = String(tag)
        environment[Child.rounds] = String(rounds)
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testTwoProcessesWritingAtOnce() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let store = try ResultStore(url: url)
        let rounds = 30
        let children = try [1, 2].map { try spawnChild(database: url, tag: $0, rounds: rounds) }
        for round in 0..<rounds { try Child.writeRound(store, tag: 0, round: round) }
        for child in children {
            child.waitUntilExit()
            XCTAssertEqual(child.terminationStatus, 0, "child writer failed")
        }
        let expected = 3 * rounds * Child.batch
        let stats = try store.statistics()
        XCTAssertEqual(stats.verdicts, expected)
        XCTAssertEqual(stats.messages, expected)
        XCTAssertEqual(stats.changeLogEntries, expected)
        XCTAssertEqual(try store.checkIntegrity(), ["ok"])
    }

    func testProcessKilledMidWriteLeavesAWorkingStore() throws {
        let dir = try TemporaryDirectory()
        let url = dir.file("results.sqlite")
        let watcher = try ResultStore(url: url)
        let child = try spawnChild(database: url, tag: 1, rounds: 0)
        let deadline = Date().addingTimeInterval(60)
        while try watcher.statistics().verdicts < 2_000, Date() < deadline { usleep(20_000) }
        usleep(UInt32.random(in: 0..<50_000))
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)

        let warnings = Collected<String>()
        let store = try ResultStore(url: url, warn: { warnings.append($0) })
        XCTAssertEqual(warnings.all, [], "the store survived the kill")
        XCTAssertEqual(try store.checkIntegrity(), ["ok"])
        let stats = try store.statistics()
        print("killed writer left \(stats.verdicts) verdicts and \(stats.messages) messages")
        XCTAssertGreaterThanOrEqual(stats.verdicts, 2_000)
        XCTAssertEqual(stats.verdicts % Child.batch, 0, "batches are all or nothing")
        XCTAssertEqual(stats.messages % Child.batch, 0, "batches are all or nothing")
        XCTAssertEqual(stats.changeLogEntries, stats.messages)
        try store.record(verified, for: key(-1), path: nil)
        XCTAssertNotNil(try store.verdict(for: key(-1), now: t0, maxAge: 60))
    }
    #endif
}
