// Binds the signature to the sender (semantics.md, checklist item 7): a valid
// signature by somebody else is the classic S/MIME spoof.
import Foundation
import MIME

struct SenderCheck {
    /// The single From mailbox, or the problems that prevent having one.
    static func fromMailbox(of message: Message, header part: MIMEPart, layer: Int) -> (Mailbox?, [Problem]) {
        let fields = part.fields(named: "From")
        if fields.isEmpty {
            return (nil, [Problem(.fromMissing, "The message has no From header, so the signer cannot be matched to a sender", layer: layer)])
        }
        if fields.count > 1 {
            return (nil, [Problem(.fromMultipleFields, "The message has \(fields.count) From headers; a signed message must have exactly one", layer: layer)])
        }
        let entries = message.addresses(fields[0])
        var mailboxes: [Mailbox] = []
        for e in entries {
            switch e {
            case .mailbox(let m): mailboxes.append(m)
            case .group(_, let members): mailboxes += members
            }
        }
        if mailboxes.count > 1 {
            let list = mailboxes.map(\.email).joined(separator: ", ")
            return (nil, [Problem(.fromMultipleMailboxes, "The From header names \(mailboxes.count) senders (\(list)); a signed message must name exactly one", layer: layer)])
        }
        guard let m = mailboxes.first, let parsed = EmailAddress(m.email) else {
            let raw = message.headerText(fields[0])
            return (nil, [Problem(.fromInvalid, "The From header (\(raw.isEmpty ? "empty" : "\"\(raw.prefix(200))\"")) holds no valid address", layer: layer)])
        }
        _ = parsed
        return (m, [])
    }

    /// Checks the From mailbox against a signer's certificate addresses.
    static func check(from mailbox: Mailbox, certificateAddresses: [String], signerName: @autoclosure () -> String, layer: Int) -> [Problem] {
        var problems: [Problem] = []
        guard let from = EmailAddress(mailbox.email) else { return problems }
        if certificateAddresses.isEmpty {
            problems.append(Problem(.certificateWithoutAddress, "The signer certificate (\(signerName())) carries no e-mail address, so it cannot vouch for \(mailbox.email); use --no-sender-check for such corpora", layer: layer))
        } else if !certificateAddresses.contains(where: { EmailAddress($0) == from }) {
            problems.append(Problem(.senderMismatch, "From address \(mailbox.email) does not match the certificate (\(certificateAddresses.joined(separator: ", ")))", layer: layer))
        }
        if let name = mailbox.name, let shown = EmailAddress.embedded(in: name), shown != from {
            problems.append(Problem(.displayNameSpoof, "The From display name shows the address \(shown.original), but the message is from \(mailbox.email)", layer: layer))
        }
        return problems
    }
}

/// An address compared as RFC 5321 says: local part exactly, domain without
/// regard to case, after IDNA (xn--) decoding.
struct EmailAddress: Equatable {
    let local: String
    let domain: String
    let original: String

    init?(_ raw: String) {
        switch Self.ascii(raw) {
        case .some(.some(let address)): self = address; return
        case .some(.none): return nil
        case .none: break
        }
        // CharacterSet.whitespaces is Zs plus tab; trimmed here without Foundation's
        // NSString bridge, which cost more than the rest of the sender check.
        var s = raw.trimmingScalars { $0 == "\t" || $0.properties.generalCategory == .spaceSeparator }
        if s.hasPrefix("<") && s.hasSuffix(">") { s = String(s.dropFirst().dropLast()) }
        guard let at = s.lastIndex(of: "@") else { return nil }
        var local = String(s[..<at])
        let domain = String(s[s.index(after: at)...])
        guard !local.isEmpty, !domain.isEmpty, !domain.contains(" "), !domain.contains("@"),
              !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\u{FFFD}" }) else { return nil }
        // "a\"b"@x and a"b@x name the same mailbox: compare quoted local parts unquoted.
        if local.hasPrefix("\"") && local.hasSuffix("\"") && local.count >= 2 {
            local = String(local.dropFirst().dropLast()).replacingOccurrences(of: "\\", with: "")
        }
        guard let d = Punycode.unicodeDomain(domain) else { return nil }
        self.local = local
        self.domain = d.lowercased()
        self.original = s
    }

    private init(local: String, domain: String, original: String) {
        self.local = local
        self.domain = domain
        self.original = original
    }

    /// The same reading as `init?` for the common case of a plain ASCII address
    /// with no A-label, on bytes: nil when that case does not apply, .some(nil)
    /// when it applies and the address is invalid.
    private static func ascii(_ raw: String) -> EmailAddress?? {
        var raw = raw
        return raw.withUTF8 { all -> EmailAddress?? in
            guard all.allSatisfy({ $0 < 0x80 }) else { return nil }
            var lo = 0, hi = all.count
            while lo < hi && (all[lo] == 0x20 || all[lo] == 0x09) { lo += 1 }
            while hi > lo && (all[hi - 1] == 0x20 || all[hi - 1] == 0x09) { hi -= 1 }
            if hi - lo >= 2 && all[lo] == UInt8(ascii: "<") && all[hi - 1] == UInt8(ascii: ">") { lo += 1; hi -= 1 }
            let s = UnsafeBufferPointer(rebasing: all[lo..<hi])
            guard let at = s.lastIndex(of: UInt8(ascii: "@")) else { return .some(nil) }
            let local = UnsafeBufferPointer(rebasing: s[..<at])
            let domain = UnsafeBufferPointer(rebasing: s[(at + 1)...])
            guard !local.isEmpty, !domain.isEmpty, !domain.contains(0x20),
                  !s.contains(where: { $0 < 0x20 }) else { return .some(nil) }
            // An A-label anywhere: the general path decodes it.
            var labelStart = true
            for (i, c) in domain.enumerated() {
                if labelStart && (c | 0x20) == UInt8(ascii: "x") && i + 3 < domain.count
                    && (domain[i + 1] | 0x20) == UInt8(ascii: "n") && domain[i + 2] == UInt8(ascii: "-")
                    && domain[i + 3] == UInt8(ascii: "-") { return nil }
                labelStart = c == UInt8(ascii: ".")
            }
            var localBytes = Array(local)
            // "a\"b"@x and a"b@x name the same mailbox: compare quoted local parts unquoted.
            if localBytes.count >= 2 && localBytes.first == UInt8(ascii: "\"") && localBytes.last == UInt8(ascii: "\"") {
                localBytes = localBytes.dropFirst().dropLast().filter { $0 != UInt8(ascii: "\\") }
            }
            let lowerDomain = domain.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            return .some(EmailAddress(local: String(decoding: localBytes, as: UTF8.self),
                                      domain: String(decoding: lowerDomain, as: UTF8.self),
                                      original: String(decoding: s, as: UTF8.self)))
        }
    }

    static func == (a: EmailAddress, b: EmailAddress) -> Bool {
        // Unicode scalars, not grapheme equivalence: a look-alike is another address.
        a.local.unicodeScalars.elementsEqual(b.local.unicodeScalars)
            && a.domain.unicodeScalars.elementsEqual(b.domain.unicodeScalars)
    }

    /// An address-looking token inside a display name ("alice@bank.example" <eve@evil.example>).
    static func embedded(in name: String) -> EmailAddress? {
        guard name.utf8.contains(UInt8(ascii: "@")) else { return nil }
        let separators: Set<Unicode.Scalar> = [" ", "\t", "<", ">", "(", ")", "[", "]", "\"", "'", ",", ";", ":"]
        for token in name.unicodeScalars.split(omittingEmptySubsequences: false, whereSeparator: separators.contains)
        where token.contains("@") {
            let trimmed = String(String.UnicodeScalarView(token)).trimmingScalars { $0 == "." || $0 == "!" || $0 == "?" }
            if let a = EmailAddress(trimmed), a.domain.contains(".") || a.domain == "localhost" { return a }
        }
        return nil
    }
}

/// RFC 3492 Punycode, just enough to read IDNA A-labels (xn--...) as Unicode.
enum Punycode {
    /// The domain with every A-label decoded; nil when a label is not valid Punycode.
    static func unicodeDomain(_ domain: String) -> String? {
        var labels: [String] = []
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            if label.lowercased().hasPrefix("xn--") {
                guard let u = decode(String(label.dropFirst(4))) else { return nil }
                labels.append(u)
            } else {
                labels.append(String(label))
            }
        }
        return labels.joined(separator: ".")
    }

    static func decode(_ input: String) -> String? {
        let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
        var n = 128, i = 0, bias = 72
        var output: [UnicodeScalar] = []
        var rest = Substring(input)
        if let dash = input.lastIndex(of: "-") {
            for ch in input[..<dash].unicodeScalars {
                guard ch.isASCII else { return nil }
                output.append(ch)
            }
            rest = input[input.index(after: dash)...]
        }
        var scalars = rest.unicodeScalars.makeIterator()
        func digit(_ c: UnicodeScalar) -> Int? {
            switch c.value {
            case 0x30...0x39: return Int(c.value) - 22
            case 0x41...0x5A: return Int(c.value) - 0x41
            case 0x61...0x7A: return Int(c.value) - 0x61
            default: return nil
            }
        }
        func adapt(_ delta: Int, _ count: Int, _ first: Bool) -> Int {
            var delta = first ? delta / damp : delta / 2
            delta += delta / count
            var k = 0
            while delta > ((base - tMin) * tMax) / 2 {
                delta /= base - tMin
                k += base
            }
            return k + (base - tMin + 1) * delta / (delta + skew)
        }
        while let first = scalars.next() {
            let oldI = i
            var w = 1
            var k = base
            var c: UnicodeScalar? = first
            while true {
                guard let ch = c, let d = digit(ch) else { return nil }
                let (m, o1) = d.multipliedReportingOverflow(by: w)
                let (s, o2) = i.addingReportingOverflow(m)
                guard !o1, !o2 else { return nil }
                i = s
                let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                if d < t { break }
                let (w2, o3) = w.multipliedReportingOverflow(by: base - t)
                guard !o3 else { return nil }
                w = w2
                k += base
                c = scalars.next()
            }
            bias = adapt(i - oldI, output.count + 1, oldI == 0)
            let (n2, o4) = n.addingReportingOverflow(i / (output.count + 1))
            guard !o4 else { return nil }
            n = n2
            i %= output.count + 1
            guard let scalar = UnicodeScalar(UInt32(clamping: n)), n <= 0x10FFFF else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }
        var s = ""
        s.unicodeScalars.append(contentsOf: output)
        return s
    }
}

extension String {
    /// The string without leading and trailing scalars that `drop` accepts
    /// (what `trimmingCharacters(in:)` does, without the Foundation bridge).
    fileprivate func trimmingScalars(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }),
              let last = scalars.lastIndex(where: { !drop($0) }) else { return "" }
        return String(scalars[first...last])
    }
}
