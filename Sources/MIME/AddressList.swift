// RFC 5322 3.4 address lists, including the obsolete forms (routes, missing
// commas, CFWS around dots) and common breakage. The parser never fails: it
// returns what a person reading the header would take the addresses to be.

public enum AddressList {
    public static func parse(_ raw: String) -> [AddressListEntry] {
        if let one = raw.utf8.withContiguousStorageIfAvailable(singleMailbox), let one { return one }
        return parseGeneral(raw)
    }

    /// The header most mail carries, one mailbox as `Name <local@domain>`, `<local@domain>`
    /// or `local@domain`, read on bytes: what `parseGeneral` gives for it, without its
    /// tokens. nil for anything else (non-ASCII, quotes, comments, encoded words, groups,
    /// lists, domain literals, a bare address with spaces or a leading dot, ...), which the
    /// general parser reads.
    static func singleMailbox(_ b: UnsafeBufferPointer<UInt8>) -> [AddressListEntry]? {
        @inline(__always) func space(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }
        // Printable ASCII that is an atom byte, "." or "@" (never "<" or ">", which are placed below).
        @inline(__always) func plain(_ c: UInt8) -> Bool {
            switch c {
            case 0x22, 0x28, 0x29, 0x2C, 0x3A, 0x3B, 0x3C, 0x3E, 0x5B, 0x5C, 0x5D: return false
            default: return c > 0x20 && c < 0x7F
            }
        }
        var lo = 0, hi = b.count
        while lo < hi && space(b[lo]) { lo += 1 }
        while hi > lo && space(b[hi - 1]) { hi -= 1 }
        if lo == hi { return nil }
        var prev: UInt8 = 0
        for i in lo..<hi {   // an encoded word may hide specials: the general parser reads it
            if prev == 0x3D && b[i] == 0x3F { return nil }
            prev = b[i]
        }
        if b[hi - 1] == 0x3E {
            var lt = hi - 2
            while lt >= lo && b[lt] != 0x3C { lt -= 1 }
            guard lt >= lo else { return nil }
            for i in (lt + 1)..<(hi - 1) where !plain(b[i]) { return nil }
            // The display name: its words joined by one space each, as `phrase` joins them.
            var name: [UInt8] = []
            var gap = false
            for i in lo..<lt {
                let c = b[i]
                if space(c) { gap = true; continue }
                guard plain(c) else { return nil }
                if gap && !name.isEmpty { name.append(0x20) }
                gap = false
                name.append(c)
            }
            let email = String(decoding: UnsafeBufferPointer(rebasing: b[(lt + 1)..<(hi - 1)]), as: UTF8.self)
            return [.mailbox(Mailbox(name: name.isEmpty ? nil : String(decoding: name, as: UTF8.self), email: email))]
        }
        // A bare addr-spec: one "@", no spaces, not starting with a dot.
        guard b[lo] != 0x2E else { return nil }
        var ats = 0
        for i in lo..<hi {
            guard plain(b[i]) else { return nil }
            if b[i] == 0x40 { ats += 1 }
        }
        guard ats == 1 else { return nil }
        return [.mailbox(Mailbox(name: nil, email: String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)))]
    }

    /// RFC 5322 3.4 in full, on tokens.
    static func parseGeneral(_ raw: String) -> [AddressListEntry] {
        let tokens = tokenize(Array(raw.utf8))
        var entries: [AddressListEntry] = []
        var groupName: String??   // .some when inside a group
        var groupMembers: [Mailbox] = []
        var pending: [Token] = []
        var angle: String?
        var comment: String?

        func finishMailbox() {
            defer { pending.removeAll(); angle = nil; comment = nil }
            let mailbox: Mailbox?
            if let a = angle {
                mailbox = Mailbox(name: phrase(pending[...]), email: a)
            } else if !pending.isEmpty {
                mailbox = bareMailbox(pending, comment: comment)
            } else {
                mailbox = nil
            }
            guard let mailbox else { return }
            if groupName != nil { groupMembers.append(mailbox) } else { entries.append(.mailbox(mailbox)) }
        }

        var i = 0
        while i < tokens.count {
            let t = tokens[i]
            switch t.kind {
            case .special(0x3C):   // "<"
                var inner: [Token] = []
                i += 1
                while i < tokens.count, tokens[i].kind != .special(0x3E) {
                    inner.append(tokens[i])
                    i += 1
                }
                // Another "<...>" in the same mailbox: keep the first.
                if angle == nil { angle = angleAddress(inner) }
            case .special(0x3A) where angle == nil && groupName == nil:   // ":" starts a group
                groupName = .some(phrase(pending[...]))
                pending.removeAll()
                comment = nil
            case .special(0x2C):   // ","
                finishMailbox()
            case .special(0x3B):   // ";"
                finishMailbox()
                if let name = groupName {
                    entries.append(.group(name: name, members: groupMembers))
                    groupName = nil
                    groupMembers = []
                }
            case .comment(let text):
                comment = text
            default:
                if angle != nil {
                    // Text after "<addr>" (obsolete trailing junk) is ignored.
                } else {
                    pending.append(t)
                }
            }
            i += 1
        }
        finishMailbox()
        if let name = groupName {
            entries.append(.group(name: name, members: groupMembers))
        }
        return entries
    }

    // MARK: Pieces

    /// The address inside angle brackets, without an obsolete route
    /// ("@a,@b:") and without whitespace or comments.
    static func angleAddress(_ inner: [Token]) -> String {
        var start = 0
        if let colon = inner.lastIndex(where: { $0.kind == .special(0x3A) }) { start = colon + 1 }
        var s = ""
        for t in inner[start...] {
            switch t.kind {
            case .comment: continue
            case .special(0x2C): continue   // stray commas from a broken route
            default: s += t.text
            }
        }
        return s
    }

    /// A mailbox without angle brackets: an addr-spec, possibly preceded by
    /// words that were meant as a display name.
    static func bareMailbox(_ tokens: [Token], comment: String?) -> Mailbox {
        guard let at = tokens.lastIndex(where: { $0.kind == .special(0x40) }) else {
            // No "@": a lone word is a local address ("root"); several words,
            // or a quoted one, are a name whose address is missing.
            if tokens.count == 1, case .atom = tokens[0].kind {
                return Mailbox(name: nil, email: tokens[0].text)
            }
            return Mailbox(name: phrase(tokens[...]), email: "")
        }
        // The local part: the word before "@" and any words joined to it by dots.
        var start = at
        if start > 0 {
            start -= 1
            while start > 0 {
                let joinedByDot = tokens[start].kind == .special(0x2E) || tokens[start - 1].kind == .special(0x2E)
                if !joinedByDot { break }
                start -= 1
            }
            if tokens[start].kind == .special(0x2E) && start + 1 < at { start += 1 }
        }
        var email = ""
        for t in tokens[start...] { email += t.text }
        let name = start > 0 ? phrase(tokens[..<start]) : nil
        var display = name ?? comment.map { EncodedWords.decode($0).trimmingWhitespace() }
        if display?.isEmpty ?? false { display = nil }
        return Mailbox(name: display, email: email)
    }

    /// A display name: words joined by single spaces where the input had
    /// whitespace, quotes removed, RFC 2047 decoded. nil when empty.
    static func phrase(_ tokens: ArraySlice<Token>) -> String? {
        var s = ""
        for t in tokens {
            if case .comment = t.kind { continue }
            if !s.isEmpty && t.spaceBefore { s += " " }
            s += t.kind == .quoted ? t.value : t.text
        }
        let decoded = EncodedWords.decode(s).trimmingWhitespace()
        return decoded.isEmpty ? nil : decoded
    }

    // MARK: Tokens

    struct Token {
        enum Kind: Equatable {
            case atom, quoted, domainLiteral
            case special(UInt8)
            case comment(String)
        }
        var kind: Kind
        /// As written (quoted strings keep their quotes, for addr-specs).
        var text: String
        /// Quoted strings without quotes and escapes.
        var value: String
        var spaceBefore: Bool
    }

    static func tokenize(_ b: [UInt8]) -> [Token] {
        var tokens: [Token] = []
        var i = 0
        var space = false
        func str(_ r: Range<Int>) -> String { Charset.utf8OrLatin1(b[r]) }

        while i < b.count {
            let c = b[i]
            switch c {
            case 0x20, 0x09, 0x0D, 0x0A:
                space = true
                i += 1
                continue
            case 0x22:   // quoted string
                let s = i
                var value = [UInt8]()
                i += 1
                while i < b.count, b[i] != 0x22 {
                    if b[i] == 0x5C, i + 1 < b.count {
                        value.append(b[i + 1])
                        i += 2
                        continue
                    }
                    if b[i] != 0x0D && b[i] != 0x0A { value.append(b[i]) }
                    i += 1
                }
                i = min(i + 1, b.count)
                tokens.append(Token(kind: .quoted, text: str(s..<i), value: Charset.utf8OrLatin1(value[...]), spaceBefore: space))
            case 0x28:   // comment, nested
                var depth = 0
                var text = [UInt8]()
                while i < b.count {
                    let d = b[i]
                    if d == 0x5C, i + 1 < b.count {
                        text.append(b[i + 1])
                        i += 2
                        continue
                    }
                    if d == 0x28 { depth += 1; if depth == 1 { i += 1; continue } }
                    if d == 0x29 { depth -= 1; if depth == 0 { i += 1; break } }
                    text.append(d)
                    i += 1
                }
                tokens.append(Token(kind: .comment(Charset.utf8OrLatin1(text[...])), text: "", value: "", spaceBefore: space))
                space = true   // a comment separates words like whitespace
                continue
            case 0x5B:   // domain literal
                let s = i
                while i < b.count, b[i] != 0x5D { i += 1 }
                i = min(i + 1, b.count)
                tokens.append(Token(kind: .domainLiteral, text: str(s..<i), value: "", spaceBefore: space))
            case 0x3C, 0x3E, 0x40, 0x2C, 0x3B, 0x3A, 0x2E, 0x5D, 0x29, 0x5C:
                tokens.append(Token(kind: .special(c), text: String(UnicodeScalar(c)), value: "", spaceBefore: space))
                i += 1
            default:
                let s = i
                // An encoded word is one atom even if a sloppy encoder put
                // specials inside it.
                if c == 0x3D, i + 1 < b.count, b[i + 1] == 0x3F, let w = EncodedWords.parseWord(b, at: i) {
                    i = w.end
                }
                while i < b.count {
                    let d = b[i]
                    if d <= 0x20 || d == 0x22 || d == 0x28 || d == 0x29 || d == 0x3C || d == 0x3E || d == 0x40 ||
                        d == 0x2C || d == 0x3B || d == 0x3A || d == 0x2E || d == 0x5B || d == 0x5D || d == 0x5C { break }
                    if d == 0x3D, i + 1 < b.count, b[i + 1] == 0x3F, let w = EncodedWords.parseWord(b, at: i) {
                        i = w.end
                        continue
                    }
                    i += 1
                }
                if i == s { i += 1 }   // cannot happen, but never loop forever
                tokens.append(Token(kind: .atom, text: str(s..<i), value: "", spaceBefore: space))
            }
            space = false
        }
        return tokens
    }
}
