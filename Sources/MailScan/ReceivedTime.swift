// When a message was received, as semantics.md "Times" reckons it.
import Foundation
import MIME
import SMIME

/// receivedAt as semantics.md "Times" defines it: a value the user gave
/// (--received-at), else the date of the topmost Received header, else the later
/// of the Date header and the signingTime (the sender writes Date before it signs,
/// so mail cannot have arrived before it was signed), never after now, else the
/// file's modification time. The modification time of a file in a maildir's new/
/// or cur/ is a delivery stamp too, but semantics.md orders it last, and so do we.
public enum ReceivedTime {
    /// Where a receivedAt came from, as `--details` says it.
    public enum Source: String, Sendable {
        case option = "receivedAtOption"
        case receivedHeader
        case dateHeader
        case signingTime
        /// The Date header and the signingTime both lie in the future.
        case now
        case fileModificationTime
    }

    public struct Value: Sendable {
        public var date: Date
        public var source: Source
    }

    /// What a message tells of its arrival before anything is verified.
    public struct Evidence: Sendable {
        public var option: Date?
        public var receivedHeader: Date?
        public var dateHeader: Date?
        public var modified: Date?

        /// The signingTime is wanted only when neither the user nor a Received header gave the time.
        public var needsSigningTime: Bool { option == nil && receivedHeader == nil }
    }

    public static func evidence(_ message: Message?, item: InputItem, option: Date?) -> Evidence {
        if let option { return Evidence(option: option) }
        let received = message?.root.receivedDate
        return Evidence(receivedHeader: received,
                        dateHeader: received == nil ? message.flatMap(sentAt) : nil,
                        modified: received == nil ? InputReader.modificationDate(item) : nil)
    }

    /// The rule, given the signingTimes found in the message (empty when unsigned).
    public static func resolve(_ e: Evidence, signingTimes: [Date], now: Date = Date()) -> Value? {
        if let t = e.option { return Value(date: t, source: .option) }
        if let t = e.receivedHeader { return Value(date: t, source: .receivedHeader) }
        let signed = signingTimes.max()
        var best: Value?
        if let d = e.dateHeader { best = Value(date: d, source: .dateHeader) }
        if let s = signed, best.map({ s > $0.date }) ?? true { best = Value(date: s, source: .signingTime) }
        if let b = best { return b.date > now ? Value(date: now, source: .now) : b }
        return e.modified.map { Value(date: $0, source: .fileModificationTime) }
    }

    /// Without verifying (query's --before, --after and sort): the rule with the
    /// signingTime left out. Only a message with no Received header can differ.
    public static func of(_ message: Message?, item: InputItem) -> Date? {
        resolve(evidence(message, item: item, option: nil), signingTimes: [])?.date
    }

    /// The Date header (RFC 8621 sentAt).
    public static func sentAt(_ message: Message) -> Date? {
        message.root.firstValue(named: "Date").flatMap(MailDate.parse)
    }

    /// Every signingTime in a verification result (of every signer, at every layer).
    public static func signingTimes(_ result: VerificationResult?) -> [Date] {
        result?.signers.compactMap(\.signingTime) ?? []
    }
}
