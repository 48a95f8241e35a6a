// Sort keys of RFC 8621 Email/query.
import Foundation
import JMAP
import MIME

/// RFC 8621 4.4.2 sort keys as values that compare.
public enum SortValue: Comparable, Sendable {
    /// Absent (no Date header, no From): sorts before every value.
    case missing
    case number(Double)
    case text(String)

    public static func of(_ property: SortProperty, subject: FileSubject) -> SortValue {
        switch property {
        case .size: return .number(Double(subject.size))
        case .receivedAt: return subject.receivedAt.map { .number($0.timeIntervalSince1970) } ?? .missing
        case .sentAt: return subject.parsed.flatMap(ReceivedTime.sentAt).map { .number($0.timeIntervalSince1970) } ?? .missing
        case .from: return address(subject.parsed, "From")
        case .to: return address(subject.parsed, "To")
        case .subject:
            guard let m = subject.parsed, let field = m.root.fields(named: "Subject").first else { return .missing }
            return .text(baseSubject(m.headerText(field)).lowercased())
        }
    }

    /// RFC 8621: the name, else the email, of the first address in the field.
    private static func address(_ m: Message?, _ name: String) -> SortValue {
        guard let m, let field = m.root.fields(named: name).first else { return .missing }
        for entry in m.addresses(field) {
            let box: Mailbox?
            switch entry {
            case .mailbox(let b): box = b
            case .group(_, let members): box = members.first
            }
            if let box {
                let label = (box.name?.isEmpty == false ? box.name! : box.email)
                return .text(label.lowercased())
            }
        }
        return .text("")
    }

    /// RFC 5256 base subject, the common part of it: leading Re:/Fwd:/Fw: and
    /// [list] tags and a trailing "(fwd)" removed.
    public static func baseSubject(_ s: String) -> String {
        var t = Substring(s)
        var changed = true
        while changed {
            changed = false
            t = t.drop { $0 == " " || $0 == "\t" }
            if t.hasSuffix("(fwd)") || t.hasSuffix("(FWD)") || t.hasSuffix("(Fwd)") {
                t = t.dropLast(5)
                changed = true
            }
            for prefix in ["re:", "fwd:", "fw:"] where t.lowercased().hasPrefix(prefix) {
                t = t.dropFirst(prefix.count)
                changed = true
            }
            if t.hasPrefix("["), let close = t.firstIndex(of: "]"), t.index(after: close) < t.endIndex {
                t = t[t.index(after: close)...]
                changed = true
            }
        }
        return String(t).trimmingCharacters(in: .whitespaces)
    }
}
