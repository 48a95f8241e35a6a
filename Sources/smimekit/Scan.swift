// The progress line of long runs.
import Foundation
import MIME
import MailScan

/// "1234/10000 messages, 5678/s, 3s, ETA 2s" on stderr, redrawn at most ten
/// times a second, only on a terminal. The input is streamed, so the total is
/// counted by a second, cheaper walk over the same operands on a thread of its
/// own; until it is known the line has no total and no ETA.
final class Progress: ScanProgress, Sendable {
    private struct State: Sendable {
        var count = 0
        var lastDraw = Date.distantPast
        var drawn = false
        /// Set by the counting walk when it is done.
        var total: Int?
    }
    private let start = Date()
    private let state = Locked(State())

    /// Counting walks every operand; a list of paths on standard input cannot be walked twice.
    static func ifTerminal(enabled: Bool, operands: [String]) -> Progress? {
        guard enabled && isatty(STDERR_FILENO) == 1 else { return nil }
        let progress = Progress()
        if !operands.isEmpty {
            WorkPool.detach { [operands] in
                var walk = InputWalk(operands: operands, stdinIsTerminal: true)
                var n = 0
                while walk.next() != nil { n += 1 }
                progress.state.withLock { $0.total = n }
            }
        }
        return progress
    }

    func tick() {
        let now = Date()
        let line = state.withLock { s -> String? in
            s.count += 1
            guard now.timeIntervalSince(s.lastDraw) >= 0.1 else { return nil }
            s.lastDraw = now
            s.drawn = true
            return Self.line(count: s.count, total: s.total, elapsed: now.timeIntervalSince(start))
        }
        if let line { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
    }

    /// The text of the line: count (of total), rate, time so far, and the time left
    /// at the rate so far once the total is known.
    static func line(count: Int, total: Int?, elapsed: TimeInterval) -> String {
        let elapsed = max(elapsed, 0.001)
        let rate = Double(count) / elapsed
        var line = total.map { "\(count)/\(max($0, count)) messages" } ?? "\(count) messages"
        line += ", \(Int(rate))/s, \(duration(elapsed))"
        if let total, rate > 0 {
            line += ", ETA " + duration(Double(max(total - count, 0)) / rate)
        }
        return line
    }

    /// 42s, 3m07s, 2h05m.
    static func duration(_ t: TimeInterval) -> String {
        let s = Int(t.rounded(.up))
        if s < 60 { return "\(s)s" }
        let m = s / 60
        if m < 60 { return "\(m)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s" }
        return "\(m / 60)h" + (m % 60 < 10 ? "0" : "") + "\(m % 60)m"
    }

    func finish() {
        if state.withLock({ $0.drawn }) { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
