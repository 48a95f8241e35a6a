// Content-Type and Content-Disposition values: RFC 2045 5.1 parameters with
// RFC 2231 continuations and charset/language encoding.

public enum HeaderParameters {
    /// Parses "type/subtype; name=value; ..." (or a disposition "attachment;
    /// filename=..." with an empty subtype). Comments are skipped, quoted
    /// strings unquoted, RFC 2231 pieces joined and decoded. Names are
    /// lowercased; the first occurrence of a parameter wins. nil when there
    /// is no type at all, or a "/" with nothing after it.
    public static func parse(_ raw: String) -> ContentType? {
        var p = Scanner(Array(raw.utf8))
        p.skipCFWS()
        let type = p.token(stopAtSlash: true)
        guard !type.isEmpty else { return nil }
        p.skipCFWS()
        var subtype = ""
        if p.peek == 0x2F {   // "/"
            p.advance()
            p.skipCFWS()
            subtype = p.token(stopAtSlash: false)
            guard !subtype.isEmpty else { return nil }
        }

        var plain: [String: String] = [:]
        // RFC 2231 pieces by base name: section number (nil for "name*"),
        // whether it is %-encoded, and the raw value.
        var pieces: [String: [(index: Int, encoded: Bool, value: [UInt8])]] = [:]

        while !p.atEnd {
            // Skip to the next ";" (tolerating junk where a parameter was expected).
            p.skipCFWS()
            guard !p.atEnd else { break }
            if p.peek != 0x3B {
                p.skipPast(0x3B)
                continue
            }
            p.advance()
            p.skipCFWS()
            let nameBytes = p.attributeName()
            guard !nameBytes.isEmpty else { continue }
            p.skipCFWS()
            guard p.peek == 0x3D else { continue }   // "name" without "=": ignored
            p.advance()
            p.skipCFWS()
            let value = p.value()
            let name = String(decoding: nameBytes, as: UTF8.self).lowercased()

            // A "*" Character needs a "*" byte: most names have none, and are not searched as Characters.
            if nameBytes.contains(0x2A), let star = name.firstIndex(of: "*") {
                let base = String(name[..<star])
                var rest = name[name.index(after: star)...]
                var encoded = false
                if rest.hasSuffix("*") { encoded = true; rest = rest.dropLast() }
                var index = 0
                if rest.isEmpty {
                    // "name*=" is one encoded piece; "name*" alone cannot be "name**".
                    encoded = true
                } else if let n = Int(rest), n >= 0, n < 1000 {
                    index = n
                } else {
                    continue
                }
                guard !base.isEmpty else { continue }
                if pieces[base, default: []].contains(where: { $0.index == index }) { continue }
                pieces[base, default: []].append((index, encoded, value))
            } else if plain[name] == nil {
                plain[name] = Charset.utf8OrLatin1(value[...])
            }
        }

        var params = plain
        for (base, list) in pieces {
            let sorted = list.sorted { $0.index < $1.index }
            // Continuations must run 0, 1, 2...; stop at the first gap.
            var joined = [UInt8]()
            var charset: String?
            for (expected, piece) in sorted.enumerated() {
                guard piece.index == expected else { break }
                var v = piece.value[...]
                if piece.encoded {
                    if expected == 0 {
                        // charset'language'text
                        if let q1 = v.firstIndex(of: 0x27), let q2 = v[(q1 + 1)...].firstIndex(of: 0x27) {
                            charset = String(decoding: v[v.startIndex..<q1], as: UTF8.self)
                            v = v[(q2 + 1)...]
                        }
                    }
                    joined.append(contentsOf: percentDecode(v))
                } else {
                    joined.append(contentsOf: v)
                }
            }
            // The RFC 2231 form wins over a plain fallback of the same name.
            if !sorted.isEmpty, sorted[0].index == 0 {
                params[base] = Charset.decode(joined, charset: (charset?.isEmpty ?? true) ? "utf-8" : charset)
            }
        }
        return ContentType(type: type.lowercased(), subtype: subtype.lowercased(), parameters: params)
    }

    static func percentDecode(_ v: ArraySlice<UInt8>) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(v.count)
        var i = v.startIndex
        while i < v.endIndex {
            if v[i] == 0x25, i + 2 < v.endIndex, let h = hexValue(v[i + 1]), let l = hexValue(v[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(v[i])
                i += 1
            }
        }
        return out
    }

    /// A cursor over header bytes.
    struct Scanner {
        let b: [UInt8]
        var i = 0
        init(_ b: [UInt8]) { self.b = b }

        var atEnd: Bool { i >= b.count }
        var peek: UInt8? { i < b.count ? b[i] : nil }
        mutating func advance() { i += 1 }

        mutating func skipPast(_ c: UInt8) {
            while i < b.count {
                if b[i] == 0x22 { _ = quoted(); continue }
                if b[i] == c { return }   // leave it for the caller
                i += 1
            }
        }

        /// Skips whitespace and (nested) comments.
        mutating func skipCFWS() {
            while i < b.count {
                let c = b[i]
                if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A {
                    i += 1
                } else if c == 0x28 {
                    var depth = 0
                    while i < b.count {
                        let d = b[i]
                        // A quoted pair; a backslash as the last byte must not step past the end.
                        if d == 0x5C { i = min(i + 2, b.count); continue }
                        if d == 0x28 { depth += 1 }
                        if d == 0x29 { depth -= 1; if depth == 0 { i += 1; break } }
                        i += 1
                    }
                } else {
                    return
                }
            }
        }

        /// An RFC 2045 token (tolerating 8-bit bytes), as a String.
        mutating func token(stopAtSlash: Bool) -> String {
            let s = i
            while i < b.count {
                let c = b[i]
                if c <= 0x20 || c == 0x3B || c == 0x28 || c == 0x22 || c == 0x3D || c == 0x2C { break }
                if stopAtSlash && c == 0x2F { break }
                i += 1
            }
            return String(decoding: b[s..<i], as: UTF8.self)
        }

        mutating func attributeName() -> ArraySlice<UInt8> {
            let s = i
            while i < b.count {
                let c = b[i]
                if c <= 0x20 || c == 0x3B || c == 0x3D || c == 0x28 || c == 0x22 { break }
                i += 1
            }
            return b[s..<i]
        }

        /// A quoted string (escapes removed; an unterminated one runs to the
        /// end) or a token running to ";" with trailing whitespace and
        /// comments dropped (unquoted values with spaces are common).
        mutating func value() -> [UInt8] {
            if peek == 0x22 { return quoted() }
            let s = i
            var lastContent = i
            while i < b.count {
                let c = b[i]
                if c == 0x3B { break }
                if c == 0x28 {
                    // A comment ends the value when it follows whitespace or the value.
                    let save = i
                    skipCFWS()
                    if i < b.count && b[i] != 0x3B { i = save + 1; lastContent = i; continue }
                    break
                }
                if c != 0x20 && c != 0x09 && c != 0x0D && c != 0x0A { lastContent = i + 1 }
                i += 1
            }
            return Array(b[s..<lastContent])
        }

        mutating func quoted() -> [UInt8] {
            var out = [UInt8]()
            i += 1   // opening quote
            while i < b.count {
                let c = b[i]
                if c == 0x22 { i += 1; return out }
                if c == 0x5C, i + 1 < b.count {
                    out.append(b[i + 1])
                    i += 2
                    continue
                }
                // Folding inside a quoted string is not part of the value.
                if c != 0x0D && c != 0x0A { out.append(c) }
                i += 1
            }
            return out
        }
    }
}
