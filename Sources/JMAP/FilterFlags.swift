// A JMAP filter from the values of flags (the command line's query options, a
// server's or a test's): a plain builder its caller fills, one field per flag.
import Foundation

/// RFC 8621 4.4.1 FilterCondition and RFC 9219 4.2 as flag values, combined by AND,
/// and with `filter` (JSON, or @FILE) by AND.
public struct FilterFlags: Sendable, Equatable {
    /// The flags that are one field of a FilterCondition each (hasSmime, from, minSize, ...).
    public var condition = FilterCondition()
    /// NAME or NAME:VALUE, one condition each.
    public var header: [String] = []
    /// RFC 3339 with a zone, or a date (00:00Z).
    public var before: String?
    public var after: String?
    public var hasKeyword: [String] = []
    public var notKeyword: [String] = []
    /// A FilterCondition or FilterOperator as JSON, or @FILE to read it from a file.
    public var filter: String?

    public init() {}

    /// The whole filter. Typed errors carry the JMAP error type; they name the flags.
    public func build() throws(FilterError) -> Filter {
        var c = condition
        c.before = try before.map { s throws(FilterError) in try Self.date(s, "--before") }
        c.after = try after.map { s throws(FilterError) in try Self.date(s, "--after") }
        for (name, value) in [("--min-size", c.minSize), ("--max-size", c.maxSize)] {
            if let value, value < 0 { throw .invalidArguments("\(name) takes a number of octets, not \(value)") }
        }
        var parts: [Filter] = [.condition(c)]
        // FilterCondition holds one of each; more become further conditions under the AND.
        for spec in header {
            let pieces = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pieces[0].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw .invalidArguments("--header takes NAME or NAME:VALUE, not '\(spec)'") }
            var h = FilterCondition()
            h.header = pieces.count == 2 ? [name, pieces[1].trimmingCharacters(in: .whitespaces)] : [name]
            parts.append(.condition(h))
        }
        for (field, keywords) in [(\FilterCondition.hasKeyword, hasKeyword), (\.notKeyword, notKeyword)] {
            for k in keywords {
                var h = FilterCondition()
                h[keyPath: field] = k
                parts.append(.condition(h))
            }
        }
        if let filter {
            let text: [UInt8]
            if filter.hasPrefix("@") {
                guard let data = FileManager.default.contents(atPath: String(filter.dropFirst())) else {
                    throw .invalidArguments("--filter \(filter): the file cannot be read")
                }
                text = [UInt8](data)
            } else {
                text = Array(filter.utf8)
            }
            let json: JSON
            do {
                json = try JSON.parse(text)
            } catch {
                throw .invalidArguments("--filter is not JSON: \(error)")
            }
            parts.append(try Filter.parse(json))
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    public static func date(_ s: String, _ option: String) throws(FilterError) -> Date {
        switch RFC3339.commandLineTime(s) {
        case .success(let d): return d
        case .failure: throw .invalidArguments(RFC3339.commandLineMessage(option: option, value: s))
        }
    }
}
