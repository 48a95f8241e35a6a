// Header lines are split at LF only, so a CR that is not part of a CRLF line end
// stays inside the field's raw bytes. A CR-aware reader ends the line there and
// shows something else as the field; the byte-exact raw value lets a check see it.

/// A byte in a field body that no header may hold and that some readers treat
/// as the end of the line or of the string.
public struct HeaderControl: Sendable, Hashable, CustomStringConvertible {
    /// Offset in `HeaderField.rawValue`.
    public let offset: Int
    public let byte: UInt8

    public var description: String {
        switch byte {
        case 0x0D: return "a bare CR (a carriage return that does not end a line)"
        case 0x00: return "a NUL byte"
        default: return "the control character U+\(String(byte, radix: 16, uppercase: true).leftPadded(to: 4))"
        }
    }
}

extension HeaderField {
    /// The first bare CR, NUL or other C0 control (tab excepted) in the raw body;
    /// the CRLF (or LF) of a folded line is not one. nil when there is none.
    public var strayControl: HeaderControl? {
        let raw = rawValue
        var i = 0
        while i < raw.count {
            let b = raw[i]
            if b == 0x0D {
                if i + 1 < raw.count && raw[i + 1] == 0x0A { i += 2; continue }
                return HeaderControl(offset: i, byte: b)
            }
            if b < 0x20 && b != 0x09 && b != 0x0A { return HeaderControl(offset: i, byte: b) }
            i += 1
        }
        return nil
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: "0", count: n - count) + self
    }
}
