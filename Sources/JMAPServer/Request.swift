// The JMAP Request object (RFC 8620 3.3), its request-level errors (3.6.1),
// method-level errors (3.6.2) and result references (3.7).
import JMAP

/// One method call: [name, arguments, callId].
public struct Invocation: Sendable {
    public var name: String
    public var arguments: JSON
    public var callId: String

    public var json: JSON { .array([.string(name), arguments, .string(callId)]) }
}

/// A request that parsed: what it uses, its calls, and the creation ids it brought.
public struct JMAPRequest: Sendable {
    public var using: [String]
    public var methodCalls: [Invocation]
    /// nil when the request had no `createdIds` (then the response has none either).
    public var createdIds: [(String, String)]?

    /// Parses a Request object; the problem is thrown for anything not one.
    public static func parse(_ body: [UInt8], known capabilities: Set<String>, limits: JMAPLimits) throws(RequestProblem) -> JMAPRequest {
        let json: JSON
        do { json = try JSON.parse(body) } catch { throw .notJSON("the request is not JSON: \(error)") }
        guard let pairs = json.objectValue else { throw .notRequest("the request must be a JSON object with \"using\" and \"methodCalls\"") }
        for (key, _) in pairs where !["using", "methodCalls", "createdIds"].contains(key) {
            throw .notRequest("a Request object has no property \"\(key)\" (RFC 8620 3.3: using, methodCalls, createdIds)")
        }
        guard let usingList = json["using"]?.arrayValue else { throw .notRequest("\"using\" must be an array of capability URIs") }
        var using: [String] = []
        for u in usingList {
            guard let s = u.stringValue else { throw .notRequest("\"using\" must hold strings, not \(u.serialized())") }
            using.append(s)
        }
        guard let callList = json["methodCalls"]?.arrayValue else { throw .notRequest("\"methodCalls\" must be an array of Invocations") }
        var calls: [Invocation] = []
        for (i, c) in callList.enumerated() {
            guard let inv = c.arrayValue, inv.count == 3, let name = inv[0].stringValue, case .object = inv[1],
                  let callId = inv[2].stringValue else {
                throw .notRequest("methodCalls[\(i)] must be [name, {arguments}, callId]")
            }
            calls.append(Invocation(name: name, arguments: inv[1], callId: callId))
        }
        var created: [(String, String)]?
        if let c = json["createdIds"] {
            guard let pairs = c.objectValue else { throw .notRequest("\"createdIds\" must be an object of creation id to id") }
            var out: [(String, String)] = []
            for (k, v) in pairs {
                guard let id = v.stringValue else { throw .notRequest("\"createdIds\" values must be ids (strings)") }
                out.append((k, id))
            }
            created = out
        }
        let unknown = using.filter { !capabilities.contains($0) }
        if !unknown.isEmpty { throw .unknownCapability(unknown) }
        if calls.count > limits.maxCallsInRequest {
            throw .limit("maxCallsInRequest", "the request makes \(calls.count) method calls; at most \(limits.maxCallsInRequest) are allowed")
        }
        return JMAPRequest(using: using, methodCalls: calls, createdIds: created)
    }
}

/// A request-level error (RFC 8620 3.6.1), answered as an RFC 7807 problem document with status 400.
public enum RequestProblem: Error, Sendable, Equatable, CustomStringConvertible {
    case notJSON(String)
    case notRequest(String)
    case unknownCapability([String])
    /// The limit's name (as in the core capability) and why.
    case limit(String, String)

    public var type: String {
        switch self {
        case .notJSON: return "urn:ietf:params:jmap:error:notJSON"
        case .notRequest: return "urn:ietf:params:jmap:error:notRequest"
        case .unknownCapability: return "urn:ietf:params:jmap:error:unknownCapability"
        case .limit: return "urn:ietf:params:jmap:error:limit"
        }
    }

    public var description: String {
        switch self {
        case .notJSON(let s), .notRequest(let s), .limit(_, let s): return s
        case .unknownCapability(let names):
            return "the server does not know the capabilit\(names.count == 1 ? "y" : "ies") \(names.map { "\"\($0)\"" }.joined(separator: ", "))"
        }
    }

    public var status: Int { 400 }

    public var json: JSON {
        var pairs: [(String, JSON)] = [("type", .string(type)), ("status", .number(Double(status)))]
        if case .limit(let name, _) = self { pairs.append(("limit", .string(name))) }
        pairs.append(("detail", .string(description)))
        return .object(pairs)
    }

    public var reply: JMAPReply {
        JMAPReply(status: status, contentType: "application/problem+json", body: Array(json.serialized().utf8))
    }
}

/// A method-level error (RFC 8620 3.6.2): the response is ["error", {type, description}, callId].
public struct MethodError: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var description: String
    /// Further arguments some errors carry (for example `limit` on requestTooLarge).
    public var extra: [(String, JSON)] = []

    public init(_ type: String, _ description: String, extra: [(String, JSON)] = []) {
        self.type = type
        self.description = description
        self.extra = extra
    }

    public static func == (a: MethodError, b: MethodError) -> Bool {
        a.type == b.type && a.description == b.description
    }

    public static func invalidArguments(_ s: String) -> MethodError { MethodError("invalidArguments", s) }

    public var json: JSON { .object([("type", .string(type))] + extra + [("description", .string(description))]) }
}

/// JSON Pointer (RFC 6901) as RFC 8620 3.7 extends it: `*` maps over an array,
/// and arrays the mapped pointer yields are flattened into one.
public enum JSONPointer {
    public static func evaluate(_ path: String, in value: JSON) throws(MethodError) -> JSON {
        if path.isEmpty { return value }
        guard path.hasPrefix("/") else {
            throw MethodError("invalidResultReference", "the path \"\(path)\" is not a JSON Pointer (it must be empty or start with /)")
        }
        let tokens = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        return try walk(tokens[...], value, path: path)
    }

    private static func walk(_ tokens: ArraySlice<String>, _ value: JSON, path: String) throws(MethodError) -> JSON {
        guard let token = tokens.first else { return value }
        let rest = tokens.dropFirst()
        func fail(_ why: String) -> MethodError { MethodError("invalidResultReference", "the path \"\(path)\" \(why)") }
        switch value {
        case .object:
            guard let next = value[token] else { throw fail("names \"\(token)\", which the result does not have") }
            return try walk(rest, next, path: path)
        case .array(let items):
            if token == "*" {
                var out: [JSON] = []
                for item in items {
                    let v = try walk(rest, item, path: path)
                    if case .array(let inner) = v { out += inner } else { out.append(v) }
                }
                return .array(out)
            }
            guard let i = Int(token), i >= 0, String(i) == token, i < items.count else {
                throw fail("indexes an array of \(items.count) with \"\(token)\"")
            }
            return try walk(rest, items[i], path: path)
        default:
            throw fail("goes past a value that is neither an object nor an array (at \"\(token)\")")
        }
    }
}

enum ResultReferences {
    /// Replaces every `#name` argument with the value its ResultReference points at
    /// (RFC 8620 3.7), looking in the responses made so far.
    static func resolve(_ arguments: JSON, responses: [Invocation]) throws(MethodError) -> JSON {
        guard let pairs = arguments.objectValue else { return arguments }
        var out: [(String, JSON)] = []
        let plain = Set(pairs.map(\.0).filter { !$0.hasPrefix("#") })
        for (key, value) in pairs {
            guard key.hasPrefix("#") else { out.append((key, value)); continue }
            let name = String(key.dropFirst())
            if plain.contains(name) {
                throw .invalidArguments("both \"\(name)\" and \"#\(name)\" are given")
            }
            guard let resultOf = value["resultOf"]?.stringValue, let method = value["name"]?.stringValue,
                  let path = value["path"]?.stringValue, value.objectValue?.count == 3 else {
                throw MethodError("invalidResultReference", "\"#\(name)\" must be a ResultReference {resultOf, name, path}")
            }
            guard let source = responses.first(where: { $0.callId == resultOf }) else {
                throw MethodError("invalidResultReference", "no earlier method call has the id \"\(resultOf)\"")
            }
            guard source.name == method else {
                throw MethodError("invalidResultReference", "the response to \"\(resultOf)\" is \(source.name), not \(method)")
            }
            out.append((name, try JSONPointer.evaluate(path, in: source.arguments)))
        }
        return .object(out)
    }
}
