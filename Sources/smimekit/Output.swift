// Buffered standard output and standard error, and the shared output formats.
import ArgumentParser
import Foundation
import JMAP
import MailScan
import MIME

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, ndjson, json

    // The raw values, as ArgumentParser's defaults give them, but without their
    // generic key path and string interpolation (runtime type lookups) at every start-up.
    static var allValueStrings: [String] { allCases.map { $0.rawValue } }
    var defaultValueDescription: String { rawValue }

    /// text on a terminal, ndjson in a pipe.
    static func resolve(_ f: OutputFormat?) -> OutputFormat {
        f ?? (isatty(STDOUT_FILENO) == 1 ? .text : .ndjson)
    }
}

/// Writes standard output in large blocks; the per-line write(2) would dominate fast scans.
/// Its state is under one lock, so a line written from any thread arrives whole.
final class StandardOutput: Sendable {
    static let shared = StandardOutput()

    private struct State: Sendable {
        var buffer: [UInt8] = []
        var discarding = false
        var descriptor: Int32 = STDOUT_FILENO
    }
    private let state = Locked(State())

    /// query -q: nothing reaches standard output.
    var discarding: Bool {
        get { state.withLock { $0.discarding } }
        set { state.withLock { $0.discarding = newValue } }
    }

    /// verify --out -: the records go to standard error, the content to standard output.
    var descriptor: Int32 {
        get { state.withLock { $0.descriptor } }
        set { state.withLock { $0.descriptor = newValue } }
    }

    /// Text; a path's raw bytes (see PathBytes) go out as the bytes they are.
    func write(_ s: String) {
        state.withLock { st in
            if st.discarding { return }
            if s.utf8.contains(0xF4) { st.buffer += PathBytes.bytes(s) } else { st.buffer += s.utf8 }
            if st.buffer.count >= 1 << 16 { Self.flush(&st) }
        }
    }

    func write(bytes: [UInt8]) {
        state.withLock { st in
            if st.discarding { return }
            st.buffer += bytes
            if st.buffer.count >= 1 << 16 { Self.flush(&st) }
        }
    }

    func flush() {
        state.withLock { Self.flush(&$0) }
    }

    private static func flush(_ st: inout State) {
        var offset = 0
        while offset < st.buffer.count {
            let n = st.buffer[offset...].withUnsafeBytes { Foundation.write(st.descriptor, $0.baseAddress, $0.count) }
            if n <= 0 {
                if errno == EINTR { continue }
                // The reader went away (head, a closed pipe): stop quietly like other Unix tools.
                exit(errno == EPIPE ? 0 : 2)
            }
            offset += n
        }
        st.buffer.removeAll(keepingCapacity: true)
    }
}

enum Diagnostics {
    /// "smimekit: PATH: reason" on standard error.
    static func error(_ message: String) {
        StandardOutput.shared.flush()
        FileHandle.standardError.write(Data(PathBytes.bytes("smimekit: \(message)\n")))
    }

    static func warning(_ message: String) {
        StandardOutput.shared.flush()
        FileHandle.standardError.write(Data(PathBytes.bytes("smimekit: warning: \(message)\n")))
    }
}

extension Diagnostics {
    /// A JMAP method error: `message` on standard error and, `asResponse`, the
    /// error as a whole JMAP Response on standard output.
    static func jmapError(_ message: String, type: String, description: String, asResponse: Bool) {
        error(message)
        guard asResponse else { return }
        StandardOutput.shared.write(JMAPResponse.error(type: type, description: description).serialized() + "\n")
        StandardOutput.shared.flush()
    }
}

/// Pads text columns for a person reading a terminal.
enum TextColumns {
    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

/// Exit statuses shared by every command (grep-like).
enum ExitStatus {
    static let success: Int32 = 0
    static let noMatch: Int32 = 1
    static let trouble: Int32 = 2
}

/// Tracks the exit status of a run: 2 wins over 1, 1 over 0.
struct RunOutcome {
    var sawError = false
    var sawMismatch = false
    var count = 0

    var exitCode: Int32 {
        sawError ? ExitStatus.trouble : (sawMismatch ? ExitStatus.noMatch : ExitStatus.success)
    }
}
