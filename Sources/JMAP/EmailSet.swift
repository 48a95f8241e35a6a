// Email/set (RFC 8620 5.3, RFC 8621 4.6) as smimekit speaks it: requests in,
// a response with created / notCreated out. Only creation makes sense for a
// tool that writes files, so update and destroy are answered as refused.
import Foundation

/// RFC 8620 5.3 SetError.
public struct SetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var description: String
    /// For invalidProperties: the properties at fault (paths for nested ones, e.g. "attachments/0/blobId").
    public var properties: [String]?
    /// For blobNotFound (RFC 8621 4.6): the blob ids that could not be found.
    public var notFound: [String]?

    public init(type: String, description: String, properties: [String]? = nil, notFound: [String]? = nil) {
        self.type = type
        self.description = description
        self.properties = properties
        self.notFound = notFound
    }

    public static func invalidProperties(_ properties: [String], _ description: String) -> SetError {
        SetError(type: "invalidProperties", description: description, properties: properties)
    }

    public var json: JSON {
        var pairs: [(String, JSON)] = [("type", .string(type))]
        if let properties { pairs.append(("properties", .array(properties.map { .string($0) }))) }
        if let notFound { pairs.append(("notFound", .array(notFound.map { .string($0) }))) }
        pairs.append(("description", .string(description)))
        return .object(pairs)
    }
}

/// Capability names this tool understands.
public enum JMAPCapability {
    public static let core = "urn:ietf:params:jmap:core"
    public static let mail = "urn:ietf:params:jmap:mail"
    public static let smimeAdvanced = "urn:ietf:params:jmap:smime-advanced"
}

/// One method call of the request.
public struct MethodCall: Sendable {
    public var name: String
    public var arguments: JSON
    public var callId: String
}

/// What `--jmap` read: a whole Request (RFC 8620 3.3) or the bare Email/set arguments.
public struct EmailSetInput: Sendable {
    /// nil for bare arguments, which have no `using`.
    public var using: [String]?
    public var calls: [MethodCall]

    public var isFullRequest: Bool { using != nil }

    public static func parse(_ bytes: [UInt8]) throws -> EmailSetInput {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw RequestError.notJSON("\(error)") }
        guard case .object = json else { throw RequestError.notRequest("the JMAP input must be a JSON object") }
        if let calls = json["methodCalls"] {
            guard let using = json["using"]?.arrayValue?.compactMap(\.stringValue) else {
                throw RequestError.notRequest("a JMAP request needs a \"using\" array of capabilities (RFC 8620 3.3)")
            }
            guard let list = calls.arrayValue else { throw RequestError.notRequest("\"methodCalls\" must be an array") }
            var out: [MethodCall] = []
            for (i, c) in list.enumerated() {
                guard let inv = c.arrayValue, inv.count == 3, let name = inv[0].stringValue, case .object = inv[1],
                      let id = inv[2].stringValue else {
                    throw RequestError.notRequest("methodCalls[\(i)] must be [name, {arguments}, callId]")
                }
                out.append(MethodCall(name: name, arguments: inv[1], callId: id))
            }
            return EmailSetInput(using: using, calls: out)
        }
        return EmailSetInput(using: nil, calls: [MethodCall(name: "Email/set", arguments: json, callId: "c0")])
    }
}

/// A request that cannot be processed at all (RFC 8620 3.6.1 request-level errors).
public enum RequestError: Error, CustomStringConvertible, Sendable {
    case notJSON(String)
    case notRequest(String)

    public var type: String { "urn:ietf:params:jmap:error:notRequest" }
    public var description: String {
        switch self {
        case .notJSON(let s): return "the JMAP input is not JSON: \(s)"
        case .notRequest(let s): return s
        }
    }
    /// RFC 7807 problem details, as RFC 8620 3.6.1 wants.
    public var json: JSON {
        .object([("type", .string(type)), ("status", .number(400)), ("detail", .string(description))])
    }
}

/// The Email/set arguments smimekit acts on.
public struct EmailSetArguments: Sendable {
    public var accountId: String
    /// Creation ids and their Email objects, in request order.
    public var create: [(String, JSON)]
    public var update: [String]
    public var destroy: [String]

    /// nil and a method-level error when the arguments are unusable (RFC 8620 3.6.2).
    public static func parse(_ args: JSON) -> (EmailSetArguments?, JSON?) {
        let accountId = args["accountId"]?.stringValue ?? "local"
        var create: [(String, JSON)] = []
        if let c = args["create"], c != .null {
            guard let pairs = c.objectValue else { return (nil, methodError("invalidArguments", "\"create\" must be an object of creation id to Email")) }
            create = pairs
        }
        let update = args["update"]?.objectValue?.map(\.0) ?? []
        let destroy = args["destroy"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return (EmailSetArguments(accountId: accountId, create: create, update: update, destroy: destroy), nil)
    }
}

public func methodError(_ type: String, _ description: String) -> JSON {
    .object([("type", .string(type)), ("description", .string(description))])
}

/// An Email/set response (RFC 8620 5.3).
public struct EmailSetResponse: Sendable {
    public var accountId: String
    public var created: [(String, JSON)] = []
    public var notCreated: [(String, SetError)] = []
    public var notUpdated: [(String, SetError)] = []
    public var notDestroyed: [(String, SetError)] = []

    public init(accountId: String) { self.accountId = accountId }

    /// The entry of `created` for one message: id and blobId from its bytes, its
    /// threadId (RFC 8621 4.6 requires it; see `ThreadID`) and its size.
    public static func createdEntry(digestHex: String, size: Int, threadId: String) -> JSON {
        .object([
            ("id", .string(EmailID.make(digestHex: digestHex))),
            ("blobId", .string("G" + digestHex.prefix(40))),
            ("threadId", .string(threadId)),
            ("size", .number(Double(size))),
        ])
    }

    public var json: JSON {
        func errors(_ list: [(String, SetError)]) -> JSON {
            list.isEmpty ? .null : .object(list.map { ($0.0, $0.1.json) })
        }
        return .object([
            ("accountId", .string(accountId)),
            ("oldState", .null),
            ("newState", .string("0")),
            ("created", created.isEmpty ? .null : .object(created)),
            ("updated", .null),
            ("destroyed", .null),
            ("notCreated", errors(notCreated)),
            ("notUpdated", errors(notUpdated)),
            ("notDestroyed", errors(notDestroyed)),
        ])
    }
}
