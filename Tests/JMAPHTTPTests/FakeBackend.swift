import Foundation
import JMAPServer

extension JMAPLimits {
    /// The defaults but for one limit.
    static func with(_ limit: WritableKeyPath<JMAPLimits, Int>, _ value: Int) -> JMAPLimits {
        var limits = JMAPLimits()
        limits[keyPath: limit] = value
        return limits
    }
}

/// A backend that echoes: enough JMAP to see what the front carried, and knobs
/// to make a request slow or to push a state change.
final class FakeBackend: JMAPBackend, @unchecked Sendable {
    let limits: JMAPLimits
    /// How long each API call takes (seconds).
    let delay: Double
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<[UInt8]>.Continuation] = [:]
    private var blobs: [String: JMAPBlob] = ["b1": JMAPBlob(bytes: Array("From: a@example.org\r\n\r\nhi\r\n".utf8), type: "message/rfc822")]
    private var inFlight = 0
    private(set) var maxInFlight = 0
    private(set) var apiCalls = 0
    private(set) var finished = 0

    init(limits: JMAPLimits = JMAPLimits(), delay: Double = 0) {
        self.limits = limits
        self.delay = delay
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var subscriberCount: Int { locked { subscribers.count } }
    var current: Int { locked { inFlight } }

    func session(urls: SessionURLs) async -> [UInt8] {
        let object: [String: Any] = [
            "capabilities": ["urn:ietf:params:jmap:core": ["maxSizeRequest": limits.maxSizeRequest]],
            "accounts": ["a1": ["name": "fake", "isPersonal": true, "isReadOnly": true, "accountCapabilities": [:]]],
            "primaryAccounts": ["urn:ietf:params:jmap:mail": "a1"],
            "username": "",
            "apiUrl": urls.apiUrl, "downloadUrl": urls.downloadUrl, "uploadUrl": urls.uploadUrl,
            "eventSourceUrl": urls.eventSourceUrl, "state": "s1",
        ]
        return [UInt8](try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    func api(body: [UInt8]) async -> JMAPReply {
        locked {
            apiCalls += 1
            inFlight += 1
            maxInFlight = max(maxInFlight, inFlight)
        }
        if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1e9)) }
        defer { locked { inFlight -= 1; finished += 1 } }
        guard let request = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            let problem = #"{"type":"urn:ietf:params:jmap:error:notJSON","status":400,"detail":"not JSON"}"#
            return JMAPReply(status: 400, contentType: "application/problem+json", body: Array(problem.utf8))
        }
        let calls = request["methodCalls"] as? [[Any]] ?? []
        let responses = calls.map { call in [call[0], call.count > 1 ? call[1] : [:], call.count > 2 ? call[2] : ""] }
        let response: [String: Any] = ["methodResponses": responses, "sessionState": "s1"]
        return JMAPReply(status: 200, body: [UInt8](try! JSONSerialization.data(withJSONObject: response, options: [.sortedKeys])))
    }

    func download(accountId: String, blobId: String) async -> JMAPBlob? {
        guard accountId == "a1" else { return nil }
        return locked { blobs[blobId] }
    }

    func upload(accountId: String, type: String, bytes: [UInt8]) async -> JMAPReply {
        guard accountId == "a1" else {
            return JMAPReply(status: 404, contentType: "application/problem+json", body: Array(#"{"type":"about:blank","status":404}"#.utf8))
        }
        let id = "u\(bytes.count)-\(UUID().uuidString.prefix(8))"
        locked { blobs[id] = JMAPBlob(bytes: bytes, type: type) }
        let object: [String: Any] = ["accountId": accountId, "blobId": id, "type": type, "size": bytes.count]
        return JMAPReply(status: 201, body: [UInt8](try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
    }

    func stateChanges() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let id = UUID()
        locked { subscribers[id] = continuation }
        continuation.onTermination = { [weak self] _ in self?.locked { _ = self?.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// Pushes a StateChange to every event source.
    func emit(_ changed: [String: [String: String]]) {
        let object: [String: Any] = ["@type": "StateChange", "changed": changed]
        let bytes = [UInt8](try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        for c in locked({ Array(subscribers.values) }) { c.yield(bytes) }
    }
}
