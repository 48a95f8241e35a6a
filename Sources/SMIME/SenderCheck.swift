// Binds the signature to the sender (semantics.md, checklist item 7): a valid
// signature by somebody else is the classic S/MIME spoof.
import CICUShim
import CIDN2
import Foundation
import MIME

struct SenderCheck {
    /// Fields that hold addresses a reader shows; a bare CR or NUL in any of them
    /// makes what the reader shows differ from what is checked.
    static let addressFields = ["From", "Sender", "Reply-To", "To", "Cc", "Bcc",
                                "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Bcc"]

    /// The single From mailbox, or the problems that prevent having one.
    static func fromMailbox(of message: Message, header part: MIMEPart, layer: Int) -> (Mailbox?, [Problem]) {
        var problems: [Problem] = []
        var fromHasControl = false
        for field in part.headers {
            guard addressFields.contains(where: { asciiEqual($0, field.name) }), let c = field.strayControl else { continue }
            if asciiEqual(field.name, "From") { fromHasControl = true }
            problems.append(Problem(.headerControlCharacter, "The \(field.name) header holds \(c) at byte \(c.offset) of its value; readers that break the line there show another address than the one checked, so the sender cannot be trusted", layer: layer))
        }
        let fields = part.fields(named: "From")
        if fields.isEmpty {
            return (nil, problems + [Problem(.fromMissing, "The message has no From header, so the signer cannot be matched to a sender", layer: layer)])
        }
        if fields.count > 1 {
            return (nil, problems + [Problem(.fromMultipleFields, "The message has \(fields.count) From headers; a signed message must have exactly one", layer: layer)])
        }
        if fromHasControl { return (nil, problems) }
        let entries = message.addresses(fields[0])
        var mailboxes: [Mailbox] = []
        for e in entries {
            switch e {
            case .mailbox(let m): mailboxes.append(m)
            case .group(let name, let members):
                mailboxes += members
                // Many readers show a group's name as the sender: "alice@example.com: eve@evil.example;".
                let shown = name.flatMap { DisplayName.addressLike(in: DisplayName.readable($0)).first }
                let what = name.map { "\"\($0.prefix(200))\"" } ?? "without a name"
                let list = members.isEmpty ? "no members" : members.map(\.email).joined(separator: ", ")
                problems.append(Problem(.fromGroup, "The From header is a group \(what) (\(list))\(shown.map { ", whose name looks like the address \($0)," } ?? ""); a signed message must name its sender as one mailbox, not a group", layer: layer))
            }
        }
        if mailboxes.count > 1 {
            let list = mailboxes.map(\.email).joined(separator: ", ")
            return (nil, problems + [Problem(.fromMultipleMailboxes, "The From header names \(mailboxes.count) senders (\(list)); a signed message must name exactly one", layer: layer)])
        }
        if problems.contains(where: { $0.code == .fromGroup }) { return (nil, problems) }
        guard let m = mailboxes.first, EmailAddress(m.email) != nil else {
            if let m = mailboxes.first, let why = EmailAddress.idnaProblem(in: m.email) {
                return (nil, problems + [Problem(.fromInvalidDomain, "The From address \(m.email.count > 300 ? m.email.prefix(300) + "..." : m.email) is not valid: \(why); it cannot be matched to the certificate", layer: layer)])
            }
            let raw = message.headerText(fields[0])
            return (nil, problems + [Problem(.fromInvalid, "The From header (\(raw.isEmpty ? "empty" : "\"\(raw.prefix(200))\"")) holds no valid address", layer: layer)])
        }
        // Text a reader shows beside the display name (comments, words after the
        // address) must not show another address either.
        if let from = EmailAddress(m.email) {
            let whole = message.headerText(fields[0])
            let inName = Set(m.name.map { DisplayName.spoofedAddresses(in: $0, from: from) } ?? [])
            if let other = DisplayName.spoofedAddresses(in: whole, from: from).first(where: { !inName.contains($0) }) {
                problems.append(Problem(.displayNameSpoof, "The From header also shows the address \(other.count > 300 ? other.prefix(300) + "..." : other) outside the mailbox (in a comment or after the address), but the message is from \(m.email)", layer: layer))
            }
            if m.name.flatMap(DisplayName.control) == nil, let c = DisplayName.control(in: whole) {
                problems.append(Problem(.displayNameControl, "The From header holds the invisible control character \(DisplayName.codePoint(c)) (\(DisplayName.controlKind(c))), which can make it show a different address than \(m.email)", layer: layer))
            }
        }
        return (m, problems)
    }

    /// Checks the From mailbox against a signer's certificate addresses.
    static func check(from mailbox: Mailbox, certificateAddresses: SignerAddresses, signerName: @autoclosure () -> String, layer: Int) -> [Problem] {
        var problems: [Problem] = []
        guard let from = EmailAddress(mailbox.email) else { return problems }
        for fault in certificateAddresses.faults {
            problems.append(Problem(fault.code, "The signer certificate (\(signerName())) cannot vouch for \(mailbox.email): \(fault.text)", layer: layer))
        }
        let addresses = certificateAddresses.addresses
        if addresses.isEmpty {
            if certificateAddresses.faults.isEmpty {
                problems.append(Problem(.certificateWithoutAddress, "The signer certificate (\(signerName())) carries no e-mail address, so it cannot vouch for \(mailbox.email); use --no-sender-check for such corpora", layer: layer))
            }
        } else if !addresses.contains(where: { EmailAddress($0) == from }) {
            // A shortened name is marked as such: its prefix alone may read as another address.
            let shown = addresses.prefix(20).map { $0.count > 300 ? $0.prefix(300) + "..." : $0 }.joined(separator: ", ")
                + (addresses.count > 20 ? ", and \(addresses.count - 20) more" : "")
            problems.append(Problem(.senderMismatch, "From address \(mailbox.email) does not match the certificate (\(shown))", layer: layer))
        }
        if let name = mailbox.name {
            if let c = DisplayName.control(in: name) {
                problems.append(Problem(.displayNameControl, "The From display name holds the invisible control character \(DisplayName.codePoint(c)) (\(DisplayName.controlKind(c))), which can make it show a different address than \(mailbox.email)", layer: layer))
            }
            if let shown = DisplayName.spoofedAddress(in: name, from: from) {
                problems.append(Problem(.displayNameSpoof, "The From display name shows the address \(shown.count > 300 ? shown.prefix(300) + "..." : shown), but the message is from \(mailbox.email)", layer: layer))
            }
        }
        return problems
    }

    private static func asciiEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { ($0 | 0x20) == ($1 | 0x20) }
    }
}

/// What a signer certificate vouches for: its mail addresses, and why it
/// vouches for less than it claims (embedded NUL, too many entries, ...).
public struct SignerAddresses: Sendable, Hashable, ExpressibleByArrayLiteral {
    public struct Fault: Sendable, Hashable {
        public var code: ProblemCode
        /// "its subjectAltName entry ... has an embedded NUL and vouches for nothing"
        public var text: String
    }
    public var addresses: [String]
    public var faults: [Fault]

    public init(addresses: [String], faults: [Fault] = []) {
        self.addresses = addresses
        self.faults = faults
    }
    public init(arrayLiteral elements: String...) { self.init(addresses: elements) }
}

extension Certificate {
    /// subjectAltName rfc822Name / SmtpUTF8Mailbox entries when the extension names
    /// any mailbox (usable or not), else the subject's emailAddress (RFC 8550 3).
    public var mailAddresses: SignerAddresses {
        let san = subjectAltNameMail
        guard san.namesMail else { return SignerAddresses(addresses: subjectEmails) }
        return SignerAddresses(addresses: san.addresses, faults: san.unusable)
    }
}

/// How a reader shows a display name, for the "display name holds another address" check.
enum DisplayName {
    /// Bidi controls reorder what is shown (U+202E makes "moc.live@eve" read backwards);
    /// line and C0/C1 controls end or hide it.
    static func control(in name: String) -> Unicode.Scalar? {
        name.unicodeScalars.first { isBidiControl($0) || isLineOrControl($0) }
    }

    static func isBidiControl(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: return true
        default: return false
        }
    }

    static func isLineOrControl(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x00...0x08, 0x0A...0x1F, 0x7F...0x9F, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// "U+202E"
    static func codePoint(_ c: Unicode.Scalar) -> String {
        let hex = String(c.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    static func controlKind(_ c: Unicode.Scalar) -> String {
        isBidiControl(c) ? "a bidirectional text control" : "a line break or control character"
    }

    /// An address shown in `name` that is not `from`; nil when none is.
    ///
    /// ASCII names are read as they are. Other names are read as a reader may show
    /// them: NFKC (fullwidth and small @ become @), IDNA label separators (U+3002,
    /// U+FF0E, U+FF61) as dots, and then their UTS #39 confusable skeletons, which
    /// are compared with the skeleton of the From address.
    static func spoofedAddress(in name: String, from: EmailAddress) -> String? {
        spoofedAddresses(in: name, from: from).first
    }

    /// Every token of `name` that shows an address other than `from`, as it reads (NFKC).
    static func spoofedAddresses(in name: String, from: EmailAddress) -> [String] {
        if name.utf8.allSatisfy({ $0 < 0x80 }) {
            guard name.utf8.contains(UInt8(ascii: "@")) else { return [] }
            return atTokens(in: name).filter { isAddressShaped($0) && EmailAddress($0) != from }
        }
        var fromSkeleton: EmailAddress??
        return atTokens(in: readable(name)).filter { token in
            if isAddressShaped(token) { return EmailAddress(token) != from }
            // Not an address as written, but its look-alike skeleton may be one ("bankꓸexample").
            guard let sk = UnicodeSkeleton.skeleton(token).map(mapSeparators),
                  let shown = atTokens(in: sk).first(where: isAddressShaped) else { return false }
            if fromSkeleton == nil {
                fromSkeleton = .some(UnicodeSkeleton.skeleton(readable(from.original)).flatMap { EmailAddress(mapSeparators($0)) })
            }
            guard let f = fromSkeleton ?? nil else { return true }
            return EmailAddress(shown) != f
        }
    }

    /// NFKC with IDNA label separators as ASCII dots.
    static func readable(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        return mapSeparators(UnicodeSkeleton.nfkc(text) ?? text)
    }

    /// UTS #46 label separators: U+3002 ideographic, U+FF0E fullwidth, U+FF61 halfwidth ideographic full stop.
    static func mapSeparators(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "\u{3002}" || $0 == "\u{FF0E}" || $0 == "\u{FF61}" }) else { return text }
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            out.append(c == "\u{3002}" || c == "\u{FF0E}" || c == "\u{FF61}" ? "." : c)
        }
        return String(out)
    }

    /// Tokens of `text` shaped like an address: something@domain with a dot in the
    /// domain (or "localhost"), whether or not they are valid addresses.
    static func addressLike(in text: String) -> [String] {
        atTokens(in: text).filter(isAddressShaped)
    }

    /// The whitespace- and punctuation-separated tokens of `text` that hold an @.
    static func atTokens(in text: String) -> [String] {
        guard text.utf8.contains(UInt8(ascii: "@")) else { return [] }
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiAtTokens(Array(text.utf8)) }
        let separators: Set<Unicode.Scalar> = [" ", "\t", "<", ">", "(", ")", "[", "]", "\"", "'", ",", ";", ":"]
        return text.unicodeScalars.split(whereSeparator: { separators.contains($0) || $0.properties.isWhitespace })
            .filter { $0.contains("@") }
            .map { String(String.UnicodeScalarView($0)).trimmingScalars { $0 == "." || $0 == "!" || $0 == "?" } }
    }

    /// `atTokens` on bytes, for the usual all-ASCII header (the same separators).
    private static func asciiAtTokens(_ b: [UInt8]) -> [String] {
        func separates(_ c: UInt8) -> Bool {
            switch c {
            case 0x09...0x0D, 0x20, 0x3C, 0x3E, 0x28, 0x29, 0x5B, 0x5D, 0x22, 0x27, 0x2C, 0x3B, 0x3A: return true
            default: return false
            }
        }
        var out: [String] = []
        var start = 0
        for i in 0...b.count where i == b.count || separates(b[i]) {
            var lo = start, hi = i
            start = i + 1
            while lo < hi, b[lo] == 0x2E || b[lo] == 0x21 || b[lo] == 0x3F { lo += 1 }
            while hi > lo, b[hi - 1] == 0x2E || b[hi - 1] == 0x21 || b[hi - 1] == 0x3F { hi -= 1 }
            if hi > lo, b[lo..<hi].contains(0x40) { out.append(String(decoding: b[lo..<hi], as: UTF8.self)) }
        }
        return out
    }

    static func isAddressShaped(_ token: String) -> Bool {
        let scalars = token.unicodeScalars
        guard let at = scalars.lastIndex(of: "@"), at != scalars.startIndex else { return false }
        let domain = scalars[scalars.index(after: at)...]
        guard !domain.isEmpty else { return false }
        return domain.contains(".") || String(domain).lowercased() == "localhost"
    }
}

/// NFKC and UTS #39 skeletons from the system ICU.
enum UnicodeSkeleton {
    static func nfkc(_ text: String) -> String? { call(text, smk_icu_nfkc) }
    static func skeleton(_ text: String) -> String? { call(text, smk_icu_skeleton) }

    private static func call(_ text: String, _ f: (UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<CChar>?, Int32) -> Int32) -> String? {
        let input = Array(text.utf8)
        guard input.count < Int32.max / 32 else { return nil }
        var cap = input.count * 3 + 16
        for _ in 0..<2 {
            var out = [UInt8](repeating: 0, count: cap)
            let n = input.withUnsafeBytes { i in
                out.withUnsafeMutableBytes { o in
                    f(i.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(i.count),
                      o.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(o.count))
                }
            }
            if n < 0 { return nil }
            if Int(n) <= cap { return String(decoding: out.prefix(Int(n)), as: UTF8.self) }
            cap = Int(n) + 1
        }
        return nil
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
              !s.unicodeScalars.contains(where: { $0 == "\u{FFFD}" || DisplayName.control(in: String($0)) != nil })
        else { return nil }
        // "a\"b"@x and a"b@x name the same mailbox: compare quoted local parts unquoted.
        if local.hasPrefix("\"") && local.hasSuffix("\"") && local.count >= 2 {
            local = String(local.dropFirst().dropLast()).replacingOccurrences(of: "\\", with: "")
        }
        guard case .success(let d) = IDNA.unicodeDomain(domain) else { return nil }
        self.local = local
        self.domain = d
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
            // "a\"b"@x and a"b@x name the same mailbox: compare quoted local parts unquoted.
            let localText: String
            if local.count >= 2 && local.first == UInt8(ascii: "\"") && local.last == UInt8(ascii: "\"") {
                localText = String(decoding: local.dropFirst().dropLast().filter { $0 != UInt8(ascii: "\\") }, as: UTF8.self)
            } else {
                localText = String(decoding: local, as: UTF8.self)
            }
            let domainText = domain.contains(where: { $0 >= 0x41 && $0 <= 0x5A })
                ? String(decoding: domain.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
                : String(decoding: domain, as: UTF8.self)
            return .some(EmailAddress(local: localText, domain: domainText, original: String(decoding: s, as: UTF8.self)))
        }
    }

    static func == (a: EmailAddress, b: EmailAddress) -> Bool {
        // Unicode scalars, not grapheme equivalence: a look-alike is another address.
        a.local.unicodeScalars.elementsEqual(b.local.unicodeScalars)
            && a.domain.unicodeScalars.elementsEqual(b.domain.unicodeScalars)
    }

}

extension EmailAddress {
    /// Why the domain of `raw` is not valid IDNA2008, when that is why it is no address.
    static func idnaProblem(in raw: String) -> String? {
        guard let at = raw.lastIndex(of: "@") else { return nil }
        var domain = String(raw[raw.index(after: at)...])
        if domain.hasSuffix(">") { domain.removeLast() }
        if case .failure(let why) = IDNA.unicodeDomain(domain.trimmingScalars { $0 == " " || $0 == "\t" }) { return why.text }
        return nil
    }
}

/// IDNA2008 through libidn2: A-labels are read as U-labels only when they are
/// valid (decoding and encoding again gives the same A-label, ignoring case),
/// and U-labels only when they are already in the form IDNA2008 looks up
/// (lowercase, NFC, no characters that UTS #46 would map to others).
enum IDNA {
    struct Invalid: Error { let text: String }

    /// The domain with every label in lowercase U-label form.
    static func unicodeDomain(_ domain: String) -> Result<String, Invalid> {
        var labels: [String] = []
        for label in domain.split(separator: ".", omittingEmptySubsequences: false) {
            let label = String(label)
            if label.utf8.allSatisfy({ $0 < 0x80 }) {
                let lower = String(decoding: label.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
                guard lower.hasPrefix("xn--") else { labels.append(lower); continue }
                guard let u = toUnicode(lower), !u.isEmpty, let back = toASCII(u), back == lower else {
                    return .failure(Invalid(text: "\(label.prefix(80)) is not a valid IDNA2008 A-label"))
                }
                labels.append(u)
            } else {
                let wanted = label.lowercased().precomposedStringWithCanonicalMapping
                guard let ace = toASCII(label), let u = toUnicode(ace), u == wanted else {
                    return .failure(Invalid(text: "the domain label \(label.prefix(80)) is not a valid IDNA2008 U-label"))
                }
                labels.append(u)
            }
        }
        return .success(labels.joined(separator: "."))
    }

    private static func toUnicode(_ ace: String) -> String? {
        var out: UnsafeMutablePointer<CChar>?
        guard smk_idn2_to_unicode_8z8z(ace, &out, 0) == Int32(IDN2_OK.rawValue), let out else { return nil }
        defer { smk_idn2_free(out) }
        return String(validatingCString: out)
    }

    private static func toASCII(_ label: String) -> String? {
        var out: UnsafeMutablePointer<UInt8>?
        let flags = Int32(IDN2_NONTRANSITIONAL.rawValue | IDN2_NFC_INPUT.rawValue)
        let rc = label.withCString { p in
            p.withMemoryRebound(to: UInt8.self, capacity: label.utf8.count + 1) { smk_idn2_lookup_u8($0, &out, flags) }
        }
        guard rc == Int32(IDN2_OK.rawValue), let out else { return nil }
        defer { smk_idn2_free(out) }
        return String(cString: out)
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
