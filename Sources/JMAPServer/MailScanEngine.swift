// The JMAP methods' engine is MailScan, the run engine the CLI's verify, query
// and changes use: the same cached verifier, result store, receivedAt rule and
// Email/changes journal, so the server and the CLI give the same answer for a file.
import Foundation
import JMAP
import MailScan
import MIME
import ResultStore
import SMIME

/// The run engine (MailScan) as the JMAP methods ask for it: verdicts through the
/// VerdictService (cached verifier and result store) verify, query and changes use,
/// receivedAt by MailScan's ReceivedTime rule, and the Email/changes journal of the
/// result store that `changes` keeps.
public final class MailScanEngine: MailEngine, Sendable {
    /// The store's marks of present paths are one set per store: one scan at a time.
    private let scanLock = NSLock()
    public let service: VerdictService
    private let identities: [DecryptionIdentity]
    private let limits: MIMELimits

    public init(service: VerdictService) {
        self.service = service
        identities = service.verifier.identities
        limits = service.verifier.limits
    }

    private var store: ResultStore? { service.store }
    private var receivedAtOption: Date? { service.receivedAtOption }

    public func verdicts(_ messages: [ReadMessage], delivery: Bool) -> [Result<SMIMEProperties, MethodError>] {
        var out: [Result<SMIMEProperties, MethodError>] = []
        out.reserveCapacity(messages.count)
        var start = 0
        while start < messages.count {
            let batch = messages[start..<min(messages.count, start + service.batchSize)]
            start += batch.count
            let requests = batch.map { VerdictRequest(message: $0, delivery: delivery) }
            for r in service.resolve(requests) { out.append(r.map(\.properties).mapError(Self.failure)) }
        }
        // Written before answering: a one-shot run must not exit with verdicts unsaved.
        service.finish()
        return out
    }

    public func identify(_ files: [(path: String, stamp: FileStamp)], maxBytes: Int) -> [Result<ReadMessage, MethodError>] {
        var out: [Result<ReadMessage, MethodError>] = []
        out.reserveCapacity(files.count)
        for start in stride(from: 0, to: files.count, by: service.batchSize) {
            let batch = files[start..<min(files.count, start + service.batchSize)].map { InputItem.file($0.path, stamp: $0.stamp) }
            for r in service.read(batch) {
                // Not streamed later: a large file's open source is let go now, not
                // held (a descriptor a file) until the whole listing is named.
                out.append(r.map { m in
                    var m = m
                    m.source = nil
                    return m
                }.mapError(Self.failure))
            }
        }
        return out
    }

    private static func failure(_ f: InputFailure) -> MethodError { MethodError("serverFail", f.reason) }

    private func parse(_ m: ReadMessage, _ parsed: Message?) -> Message? {
        if let parsed { return parsed }
        guard let bytes = m.bytes else { return nil }
        return try? BareCMS.parse(bytes, limits: limits)
    }

    public func receivedAt(_ message: ReadMessage, parsed: Message?) -> Date? {
        if let receivedAtOption { return receivedAtOption }
        let m = parse(message, parsed)
        let evidence = ReceivedTime.evidence(m, item: message.item, option: nil)
        let times = evidence.needsSigningTime ? m.map { ContentLayers.open($0, identities: identities, limits: limits).signingTimes } ?? [] : []
        return ReceivedTime.resolve(evidence, signingTimes: times)?.date
    }

    public func detectedStatus(_ message: ReadMessage, parsed: Message?) -> SMIMEStatus? {
        guard let m = parse(message, parsed) else { return .unknown }
        return StructureDetector.status(of: m)
    }

    public func innerMessages(_ message: ReadMessage, parsed: Message) -> [Message] {
        ContentLayers.open(parsed, identities: identities, limits: limits).inner
    }

    public func recordScan(_ seen: [ResultStore.SeenMessage], present: [String], scope: String) throws(MethodError) -> String {
        guard let store else { throw MethodError("cannotCalculateChanges", "no result cache") }
        scanLock.lock()
        defer { scanLock.unlock() }
        do {
            try store.clearPresent()
            defer { try? store.clearPresent() }
            try store.recordSeen(batch: seen, scope: scope)
            try store.markPresent(present)
            _ = try store.sweepUnmarked(scope: scope)
            return try store.state(scope: scope)
        } catch let e as ResultStoreError {
            throw MethodError(e.jmapType, e.description)
        } catch {
            throw MethodError("serverFail", "\(error)")
        }
    }

    public func changes(since state: String, maxChanges: Int?, scope: String) throws(MethodError) -> EmailChangeSet {
        guard let store else { throw MethodError("cannotCalculateChanges", "no result cache") }
        do {
            let c = try store.changes(since: state, maxChanges: maxChanges, scope: scope)
            return EmailChangeSet(oldState: c.oldState, newState: c.newState, hasMoreChanges: c.hasMoreChanges,
                                  created: c.created, updated: c.updated, destroyed: c.destroyed)
        } catch let e as ResultStoreError {
            throw MethodError(e.jmapType, e.description)
        } catch {
            throw MethodError("serverFail", "\(error)")
        }
    }
}
