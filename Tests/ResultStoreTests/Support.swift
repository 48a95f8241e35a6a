import Foundation
import XCTest
@testable import ResultStore

/// A fresh temporary directory per test, removed afterwards.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("resultstore-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
    }
}

/// Collects warnings and errors from several threads.
final class Collected<Element: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Element] = []

    func append(_ item: Element) {
        lock.lock()
        items.append(item)
        lock.unlock()
    }

    var all: [Element] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

func key(_ n: Int, options: String = "opts-a") -> StoreKey {
    StoreKey(messageDigest: String(format: "%064x", n), optionsDigest: options)
}

/// 2020-03-01T12:11:19Z, a whole second.
let t0 = Date(timeIntervalSince1970: 1_583_064_679)

let verified = StoredVerdict(status: "signed/verified", errors: nil, errorCodes: nil,
                             verifiedAt: t0, validUntil: t0.addingTimeInterval(365 * 86_400))
