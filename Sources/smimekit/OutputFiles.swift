// Reading a message or request, and writing the result without ever leaving a
// half-written file.
import Foundation
import MailScan
import SMIME

/// Reading a message or request, and writing the result to a file or standard output.
enum MessageFiles {
    static func read(_ path: String?) throws -> [UInt8] {
        let item: InputItem = path.map { $0 == "-" ? .stdin : .file(RawArguments.recover($0)) } ?? .stdin
        switch InputReader.read(item, maxBytes: 256 << 20) {
        case .success(let b): return b
        case .failure(let f): throw EngineError.unreadable(path ?? "-", f.text)
        }
    }

    static func emit(_ bytes: [UInt8], to output: String?) throws {
        if let output {
            try OutputFile.write(bytes, to: output)
        } else {
            StandardOutput.shared.write(bytes: bytes)
            StandardOutput.shared.flush()
        }
    }
}

/// The engine's atomic write, its failure said as the command line says an unwritable path.
enum OutputFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        do { try AtomicFile.write(bytes, to: path) } catch {
            throw EngineError.unreadable(path, error.created ? "cannot write: \(error.why)" : "cannot write here: \(error.why)")
        }
    }
}
