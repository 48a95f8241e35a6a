// The event source (RFC 8620 7.3): a text/event-stream of `state` events, one
// per StateChange of the types asked for, and `ping` events when nothing else
// was sent for the ping interval. Ends when the backend's stream ends, after one
// state event with closeafter=state, when the client goes away, or when the
// server shuts down gracefully (an open stream would otherwise hold it up).
import Foundation
import Hummingbird
import ServiceLifecycle

/// When the last event went out, for the ping timer.
actor LastEvent {
    private(set) var at = ContinuousClock.now
    func mark() { at = .now }
}

struct EventStream: Sendable {
    let changes: AsyncStream<[UInt8]>
    /// The type names to push, or nil for `*`.
    let wanted: Set<String>?
    let closeAfterState: Bool
    /// 0: no pings.
    let pingSeconds: Int

    enum Event: Sendable {
        case state([UInt8])
        case ping
        case end
    }

    func write(to writer: inout any ResponseBodyWriter) async throws {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let last = LastEvent()
        let changes = self.changes
        let pingSeconds = self.pingSeconds
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in changes { continuation.yield(.state(change)) }
                    continuation.yield(.end)
                }
                if pingSeconds > 0 {
                    group.addTask {
                        let interval = Duration.seconds(pingSeconds)
                        while !Task.isCancelled {
                            let due = await last.at + interval
                            if ContinuousClock.now >= due {
                                continuation.yield(.ping)
                                await last.mark()
                            } else {
                                try await Task.sleep(until: due, clock: .continuous)
                            }
                        }
                    }
                }
                var id = 0
                loop: for await event in events {
                    switch event {
                    case .state(let raw):
                        guard let data = filtered(raw) else { continue }
                        id += 1
                        try await writer.write(ByteBuffer(string: "event: state\nid: \(id)\ndata: \(data)\n\n"))
                        await last.mark()
                        if closeAfterState { break loop }
                    case .ping:
                        // A ping sets no new event id (7.3).
                        try await writer.write(ByteBuffer(string: "event: ping\ndata: {\"interval\":\(pingSeconds)}\n\n"))
                    case .end:
                        break loop
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            continuation.yield(.end)
        }
        continuation.finish()
        try await writer.finish(nil)
    }

    /// The StateChange as one line of JSON, keeping only the wanted types; nil
    /// when none of its changes is wanted (or it is not a StateChange).
    func filtered(_ raw: [UInt8]) -> String? {
        guard let wanted else {
            // Event data may not span lines unless each is prefixed: keep it on one.
            return String(decoding: raw, as: UTF8.self).replacingOccurrences(of: "\n", with: "")
        }
        guard var object = (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any],
              let changed = object["changed"] as? [String: Any] else { return nil }
        var kept: [String: Any] = [:]
        for (account, value) in changed {
            guard let states = value as? [String: Any] else { continue }
            let wantedStates = states.filter { wanted.contains($0.key) }
            if !wantedStates.isEmpty { kept[account] = wantedStates }
        }
        if kept.isEmpty { return nil }
        object["changed"] = kept
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
