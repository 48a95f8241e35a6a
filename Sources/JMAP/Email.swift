// The JMAP shapes smimekit answers in: Email/get (RFC 8621 4.2) with the
// RFC 9219 properties, and the ids that name messages.
import Foundation

/// The RFC 9219 Email properties.
public enum SMIMEProperty: String, Sendable, CaseIterable {
    case smimeStatus
    case smimeStatusAtDelivery
    case smimeErrors
    case smimeVerifiedAt

    /// Parses a comma-separated list; unknown names are reported back.
    public static func list(_ s: String) -> (properties: [SMIMEProperty], unknown: [String]) {
        var props: [SMIMEProperty] = []
        var unknown: [String] = []
        for name in s.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            if let p = SMIMEProperty(rawValue: name) { if !props.contains(p) { props.append(p) } } else { unknown.append(name) }
        }
        return (props, unknown)
    }
}

/// The four RFC 9219 values of one message.
public struct SMIMEProperties: Sendable, Equatable {
    public var status: SMIMEStatus?
    public var statusAtDelivery: SMIMEStatus?
    public var errors: [String]?
    public var verifiedAt: Date?

    public init(status: SMIMEStatus?, statusAtDelivery: SMIMEStatus? = nil, errors: [String]? = nil, verifiedAt: Date? = nil) {
        self.status = status
        self.statusAtDelivery = statusAtDelivery
        self.errors = errors
        self.verifiedAt = verifiedAt
    }

    public func value(_ p: SMIMEProperty) -> JSON {
        switch p {
        case .smimeStatus: return .optional(status?.rawValue)
        case .smimeStatusAtDelivery: return .optional(statusAtDelivery?.rawValue)
        case .smimeErrors: return .strings(errors)
        case .smimeVerifiedAt: return .optional(verifiedAt.map(JMAPDate.format))
        }
    }
}

/// JMAP UTCDate: RFC 3339 with "Z" and no fractional seconds.
public enum JMAPDate {
    public static func format(_ d: Date) -> String {
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        // Digits written by hand: String(format:) went through Foundation's
        // formatter, and every message of a verify run prints a date.
        let year = Int(tm.tm_year) + 1900
        guard (0...9999).contains(year) else {
            return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", year, Int(tm.tm_mon) + 1,
                          Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
        }
        var b: [UInt8] = Array("0000-00-00T00:00:00Z".utf8)
        func put(_ v: Int, at i: Int, digits: Int) {
            var v = v
            for k in stride(from: i + digits - 1, through: i, by: -1) {
                b[k] = UInt8(0x30 + v % 10)
                v /= 10
            }
        }
        put(year, at: 0, digits: 4)
        put(Int(tm.tm_mon) + 1, at: 5, digits: 2)
        put(Int(tm.tm_mday), at: 8, digits: 2)
        put(Int(tm.tm_hour), at: 11, digits: 2)
        put(Int(tm.tm_min), at: 14, digits: 2)
        put(Int(tm.tm_sec), at: 17, digits: 2)
        return String(decoding: b, as: UTF8.self)
    }

    /// A command-line time (see `RFC3339.commandLineTime`): RFC 3339 with Z or an
    /// offset (fractional seconds allowed), or a bare date (midnight UTC); nil for anything else.
    public static func parse(_ s: String) -> Date? {
        try? RFC3339.commandLineTime(s).get()
    }
}

/// RFC 8620 Id derived from message bytes: stable across runs and machines.
public enum EmailID {
    /// `digestHex` is the hex SHA-256 of the message bytes.
    public static func make(digestHex: String) -> String {
        // Hex is ASCII: 24 bytes are the 24 characters (checked one further, where a
        // combining scalar or the LF of a CR LF would join the 24th), without
        // String's grapheme walk, which cost most of a warm query's per-match work.
        var hex = digestHex
        return hex.withUTF8 { u -> String in
            let n = min(24, u.count)
            for i in 0..<min(25, u.count) where u[i] >= 0x80 || u[i] == 0x0D { return "M" + digestHex.prefix(24) }
            return String(unsafeUninitializedCapacity: n + 1) { out in
                out[0] = UInt8(ascii: "M")
                for i in 0..<n { out[i + 1] = u[i] }
                return n + 1
            }
        }
    }
}

/// An Email/get response (RFC 8620 5.1). `list` items name their files (`path`,
/// and `paths` for every file with those bytes); `notFound` holds ids (RFC 8620),
/// so files that could not be read go in `notFoundPaths` beside it.
public struct EmailGetResponse: Sendable {
    public var accountId: String
    public var state: String
    public var list: [JSON] = []
    public var notFound: [String] = []
    public var notFoundPaths: [String] = []

    public init(accountId: String = "local", state: String) {
        self.accountId = accountId
        self.state = state
    }

    public var arguments: JSON {
        .object([
            ("accountId", .string(accountId)),
            ("state", .string(state)),
            ("list", .array(list)),
            ("notFound", .array(notFound.map { .string($0) })),
            ("notFoundPaths", .array(notFoundPaths.map { .string($0) })),
        ])
    }

    /// The whole RFC 8620 Response.
    public func json(callId: String = "0") -> JSON {
        JMAPResponse.envelope([JMAPResponse.invocation("Email/get", arguments, callId: callId)])
    }
}

/// RFC 8621 4.4.2 sort properties that make sense for files.
public enum SortProperty: String, Sendable, CaseIterable {
    case receivedAt, sentAt, size, from, to, subject
}

public struct Comparator: Sendable, Equatable {
    public var property: SortProperty
    public var isAscending: Bool

    /// "receivedAt", "size:desc", "from:asc".
    public init?(_ spec: String) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let first = parts.first, let p = SortProperty(rawValue: first) else { return nil }
        property = p
        if parts.count == 2 {
            switch parts[1].lowercased() {
            case "asc": isAscending = true
            case "desc": isAscending = false
            default: return nil
            }
        } else {
            isAscending = true
        }
    }
}

/// An Email/query response (RFC 8620 5.5), with `paths` (id to the files with
/// those bytes) so that ids can be mapped back to files.
public struct EmailQueryResponse: Sendable {
    public var accountId = "local"
    public var queryState: String
    public var position: Int
    public var ids: [String]
    public var total: Int
    public var paths: [(String, [String])] = []

    public init(queryState: String, position: Int, ids: [String], total: Int, paths: [(String, [String])] = []) {
        self.queryState = queryState
        self.position = position
        self.ids = ids
        self.total = total
        self.paths = paths
    }

    public var arguments: JSON {
        .object([
            ("accountId", .string(accountId)),
            ("queryState", .string(queryState)),
            ("canCalculateChanges", .bool(false)),
            ("position", .number(Double(position))),
            ("ids", .array(ids.map { .string($0) })),
            ("total", .number(Double(total))),
            ("paths", .object(paths.map { ($0.0, .array($0.1.map { .string($0) })) })),
        ])
    }

    public func json(callId: String = "0") -> JSON {
        JMAPResponse.envelope([JMAPResponse.invocation("Email/query", arguments, callId: callId)])
    }
}
