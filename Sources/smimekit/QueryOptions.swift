// The words of `smimekit query`: the RFC 8621 / RFC 9219 filter as flags, the
// sort, the window, and the operands.
import ArgumentParser
import Foundation
import JMAP
import MIME

/// RFC 8621 4.4.1 FilterCondition and RFC 9219 4.2 as flags; combined by AND,
/// and with --filter by AND.
struct FilterOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: "Messages with any S/MIME (--has-smime=false: with none). No cryptography needed.")
    var hasSmime: Bool?

    @Flag(inversion: .prefixedNo, help: "Messages whose smimeStatus is signed/verified or encrypted+signed/verified (=false: every other).")
    var hasVerifiedSmime: Bool?

    @Flag(inversion: .prefixedNo, help: "The same on smimeStatusAtDelivery.")
    var hasVerifiedSmimeAtDelivery: Bool?

    // The text conditions of RFC 8621, one a line: a field (or the body) contains the text.
    @Option(help: ArgumentHelp("From contains this text (case-insensitive).", valueName: "text")) var from: String?
    @Option(help: ArgumentHelp("To contains this text.", valueName: "text")) var to: String?
    @Option(help: ArgumentHelp("Cc contains this text.", valueName: "text")) var cc: String?
    @Option(help: ArgumentHelp("Bcc contains this text.", valueName: "text")) var bcc: String?
    @Option(help: ArgumentHelp("Subject contains this text.", valueName: "text")) var subject: String?
    @Option(help: ArgumentHelp("From, To, Cc, Bcc, Subject or a text body part contains this text.", valueName: "text")) var text: String?
    @Option(help: ArgumentHelp("A text body part (not an attachment) contains this text.", valueName: "text")) var body: String?

    @Option(help: ArgumentHelp("The message has this header field, whose value contains VALUE when given (repeatable).", valueName: "name[:value]"))
    var header: [String] = []

    @Option(help: ArgumentHelp("receivedAt is before this time (RFC 3339 with a zone, e.g. 2026-01-31T12:00:00Z, or a date, meaning 00:00Z).", valueName: "time"))
    var before: String?
    @Option(help: ArgumentHelp("receivedAt is at or after this time (RFC 3339 with a zone, or a date).", valueName: "time"))
    var after: String?

    @Option(help: ArgumentHelp("The message is at least this many octets.", valueName: "octets"))
    var minSize: Int?
    @Option(help: ArgumentHelp("The message is smaller than this many octets.", valueName: "octets"))
    var maxSize: Int?

    @Flag(inversion: .prefixedNo, help: "Messages with an attachment (=false: without).")
    var hasAttachment: Bool?

    @Option(help: ArgumentHelp("The message has this keyword ($seen, $flagged, $answered, $draft, $forwarded, from maildir flags; repeatable).", valueName: "keyword"))
    var hasKeyword: [String] = []
    @Option(help: ArgumentHelp("The message does not have this keyword (repeatable).", valueName: "keyword"))
    var notKeyword: [String] = []

    @Option(help: ArgumentHelp("A JMAP FilterCondition or FilterOperator (AND, OR, NOT, nested) as JSON, or @FILE to read it from a file.", valueName: "json"))
    var filter: String?

    /// The whole filter. Typed errors carry the JMAP error type.
    func build() throws(FilterError) -> Filter {
        var f = FilterFlags()
        for (flag, value) in [(\FilterCondition.hasSmime, hasSmime), (\.hasVerifiedSmime, hasVerifiedSmime),
                              (\.hasVerifiedSmimeAtDelivery, hasVerifiedSmimeAtDelivery), (\.hasAttachment, hasAttachment)] {
            f.condition[keyPath: flag] = value
        }
        for (field, value) in [(\FilterCondition.from, from), (\.to, to), (\.cc, cc), (\.bcc, bcc), (\.subject, subject),
                               (\.text, text), (\.body, body)] {
            f.condition[keyPath: field] = value
        }
        (f.condition.minSize, f.condition.maxSize) = (minSize, maxSize)
        (f.header, f.before, f.after, f.hasKeyword, f.notKeyword, f.filter) = (header, before, after, hasKeyword, notKeyword, filter)
        return try f.build()
    }
}

/// `--has-smime=false` style: swift-argument-parser has no flag with an optional
/// attached value (an option with a default value would swallow a following
/// path), so before parsing, `--has-X=true` becomes `--has-X` and `--has-X=false`
/// becomes `--no-has-X`, for query's boolean conditions only.
enum BooleanFlagSpelling {
    static let names = ["has-smime", "has-verified-smime", "has-verified-smime-at-delivery", "has-attachment"]

    static func normalise(_ arguments: [String]) -> [String] {
        guard arguments.first == "query" else { return arguments }
        var out: [String] = []
        var terminated = false
        for argument in arguments {
            if terminated || argument == "--" {
                terminated = true
                out.append(argument)
                continue
            }
            guard argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") else {
                out.append(argument)
                continue
            }
            let name = String(argument[argument.index(argument.startIndex, offsetBy: 2)..<eq])
            let value = argument[argument.index(after: eq)...].lowercased()
            guard names.contains(name) else {
                out.append(argument)
                continue
            }
            switch value {
            case "true", "yes", "1": out.append("--" + name)
            case "false", "no", "0": out.append("--no-" + name)
            default: out.append(argument)  // the parser explains what it expected
            }
        }
        return out
    }
}
