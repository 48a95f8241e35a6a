// Email/changes over a set of paths: each message verified (through the result
// store) and noted as seen at its path; what a scan did not see is destroyed.
import Foundation
import MIME
import ResultStore
import SMIME

/// One scan of a scope for Email/changes. The store's marks of present paths are
/// one set per store: run one scan at a time on a store (a server serialises them).
public struct ChangesScan: Sendable {
    public let store: ResultStore
    /// `ScanScope.key` of the operands.
    public let scope: String
    public let service: VerdictService

    public init(store: ResultStore, scope: String, service: VerdictService) {
        (self.store, self.scope, self.service) = (store, scope, service)
    }

    /// Before the first batch.
    public func begin() throws {
        // Every path seen, readable or not: a file that is there is not destroyed.
        // Noted in the store batch by batch, so memory does not grow with the scan.
        try store.clearPresent()
    }

    /// Verifies and records one batch; returns the messages that could not be read or
    /// verified, in input order. Throws when the store fails (the scan must stop).
    public func record(_ batch: [InputItem]) throws -> [(item: InputItem, failure: InputFailure)] {
        let verified = service.verify(batch)
        var seen: [ResultStore.SeenMessage] = []
        var present: [String] = []
        var failures: [(item: InputItem, failure: InputFailure)] = []
        for (item, result) in zip(batch, verified) {
            var st = stat()
            if case .file(let path, _) = item, PathCalls.stat(path, &st) == 0 { present.append(ScanScope.absolute(path)) }
            switch result {
            case .failure(let f):
                failures.append((item, f))
            case .success(let (m, v)):
                // A message from standard input has no path to be found at again.
                guard case .file(let path, _) = item else { continue }
                seen.append((id: m.id, path: ScanScope.absolute(path), status: v.status?.rawValue, errors: v.errors))
            }
        }
        try store.recordSeen(batch: seen, scope: scope)
        try store.markPresent(present)
        return failures
    }

    /// After the last batch: everything the scope holds was found under its operands
    /// (or in its list); what this scan did not see is gone, a file named that no
    /// longer exists included.
    public func end() throws {
        service.finish()
        defer { try? store.clearPresent() }
        try store.sweepUnmarked(scope: scope)
    }

    /// After a failed batch: the marks are dropped, nothing is swept.
    public func abandon() {
        service.finish()
        try? store.clearPresent()
    }
}
