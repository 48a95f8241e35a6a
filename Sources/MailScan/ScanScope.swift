// The set of paths a run scans, as the result cache keys Email/changes state.
import Foundation
import MIME
import SMIME

/// The set of paths a run scans, as the result cache keys Email/changes state:
/// a digest of the canonical operand list (absolute, standardised, sorted, each
/// once; `-` left out, as standard input has no path), or a fixed key for a list of
/// paths read from standard input.
public enum ScanScope {
    public static func key(operands: [String]) -> String {
        let paths = Set(operands.filter { $0 != "-" }.map(ScanScope.absolute)).sorted()
        let canonical = paths.isEmpty ? "\u{1}paths from standard input" : paths.joined(separator: "\0")
        return String(Digest.sha256Hex(Array(canonical.utf8)).prefix(16))
    }

    /// Paths are remembered absolute, so that `changes ~/Maildir` and `cd ~; changes Maildir` agree.
    public static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
