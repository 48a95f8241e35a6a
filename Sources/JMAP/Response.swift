// The RFC 8620 3.4 Response object every JSON answer is wrapped in, and the
// threadId smimekit gives the messages it makes.
import Foundation
import MIME

public enum JMAPResponse {
    /// There is no Session object whose state could change: always "0".
    public static let sessionState = "0"

    /// `{"methodResponses": [...], "sessionState": "0"}`.
    public static func envelope(_ methodResponses: [JSON]) -> JSON {
        .object([("methodResponses", .array(methodResponses)), ("sessionState", .string(sessionState))])
    }

    /// One Invocation: `[name, arguments, callId]`.
    public static func invocation(_ name: String, _ arguments: JSON, callId: String = "0") -> JSON {
        .array([.string(name), arguments, .string(callId)])
    }

    /// An Email/changes response (RFC 8620 5.2) as a whole Response.
    public static func emailChanges(oldState: String, newState: String, hasMoreChanges: Bool,
                                    created: [String], updated: [String], destroyed: [String]) -> JSON {
        let ids = { (list: [String]) in JSON.array(list.map { .string($0) }) }
        return envelope([invocation("Email/changes", .object([
            ("accountId", .string("local")), ("oldState", .string(oldState)), ("newState", .string(newState)),
            ("hasMoreChanges", .bool(hasMoreChanges)), ("created", ids(created)), ("updated", ids(updated)), ("destroyed", ids(destroyed)),
        ]))])
    }

    /// A method-level error (RFC 8620 3.6.2) as a whole Response.
    public static func error(type: String, description: String, callId: String = "0") -> JSON {
        envelope([invocation("error", .object([("type", .string(type)), ("description", .string(description))]), callId: callId)])
    }
}

/// RFC 8621 threadId for a message smimekit makes: messages share a thread when
/// they share the root of their reply chain. The root is the first msg-id in
/// References, else the first in In-Reply-To, else the message's own Message-ID;
/// the threadId is "T" and 24 hex digits of its SHA-256. A message with none of
/// these fields is a thread of its own, named from its bytes like its id.
public enum ThreadID {
    public static func make(_ message: Message, digestHex: String, hash: ([UInt8]) -> String) -> String {
        for name in ["References", "In-Reply-To", "Message-ID"] {
            if let value = message.root.firstValue(named: name), let root = messageIDs(value).first {
                return "T" + hash(Array(root.utf8)).prefix(24)
            }
        }
        return "T" + digestHex.prefix(24)
    }

    /// The msg-ids of a field value, without their angle brackets.
    static func messageIDs(_ value: String) -> [String] {
        var out: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { break }
            let id = rest[rest.index(after: open)..<close].filter { !$0.isWhitespace }
            if !id.isEmpty { out.append(String(id)) }
            rest = rest[rest.index(after: close)...]
        }
        return out
    }
}
