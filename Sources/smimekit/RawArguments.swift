// Command-line operands with the bytes the kernel gave them.
import Foundation
import MIME

/// Operands as the kernel gave them. CommandLine.arguments, and so ArgumentParser,
/// decode argv as UTF-8 and put U+FFFD for bytes that are not; an operand holding
/// U+FFFD is matched back to the argv entry it came from, whose bytes it then
/// carries (as PathBytes), so `smimekit verify $'caf\xe9.eml'` opens that file.
enum RawArguments {
    static func recover(_ operands: [String]) -> [String] {
        guard operands.contains(where: { $0.unicodeScalars.contains("\u{FFFD}") }) else { return operands }
        let raw: [[UInt8]] = (1..<Int(CommandLine.argc)).compactMap { i in
            CommandLine.unsafeArgv[i].map { Array(UnsafeBufferPointer(start: UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self), count: strlen($0))) }
        }
        var used = Set<Int>()
        return operands.map { op in
            guard op.unicodeScalars.contains("\u{FFFD}") else { return op }
            for (i, r) in raw.enumerated() where !used.contains(i) && String(decoding: r, as: UTF8.self) == op {
                used.insert(i)
                return PathBytes.string(r)
            }
            return op
        }
    }

    static func recover(_ operand: String) -> String { recover([operand])[0] }
}
