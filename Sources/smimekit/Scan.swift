// The progress line of long runs.
import Dispatch
import Foundation

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
