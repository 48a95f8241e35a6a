import Foundation

/// The RFC 5322 envelope of a fixture message and the MIME entity inside it
/// (the part that gets signed or encrypted).
public struct MessageSpec: Sendable {
    /// Header values; nil leaves the header out.
    public var from: String?
    public var to: String?
    public var subject: String?
    public var date: Date?
    public var messageID: String?
    /// Whole header lines, without line end, written after the others
    /// (e.g. `"Received: from a by b; Tue, 1 Mar 2022 10:00:00 +0000"`, `"Sender: x@y"`).
    public var extraHeaders: [String]
    /// A MIME entity: its own header lines, a blank line, the body.
    public var content: [UInt8]

    public init(
        from: String? = "Alice Example <alice@example.org>", to: String? = "Bob Example <bob@example.org>",
        subject: String? = "S/MIME fixture", date: Date? = .now,
        messageID: String? = "<\(UUID().uuidString.lowercased())@smimekit.test>",
        extraHeaders: [String] = [],
        content: [UInt8] = MessageSpec.textPart("Hello Bob,\r\n\r\nthis message is signed.\r\n")
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageID = messageID
        self.extraHeaders = extraHeaders
        self.content = content
    }

    /// A text/plain entity with CRLF line ends.
    public static func textPart(_ text: String, charset: String = "us-ascii") -> [UInt8] {
        Array("Content-Type: text/plain; charset=\(charset)\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".utf8)
            + SMIMEMessage.crlf(Array(text.utf8))
    }

    /// The RFC 5322 header lines, CRLF-terminated, without MIME-Version and
    /// without the blank line (the entity that follows brings both).
    public var headerBlock: [UInt8] {
        var lines: [String] = []
        if let from { lines.append("From: \(from)") }
        if let to { lines.append("To: \(to)") }
        if let subject { lines.append("Subject: \(subject)") }
        if let date { lines.append("Date: \(Self.rfc5322(date))") }
        if let messageID { lines.append("Message-ID: \(messageID)") }
        lines += extraHeaders
        return Array(lines.map { $0 + "\r\n" }.joined().utf8)
    }

    /// The message unsigned and unencrypted.
    public var unsigned: [UInt8] {
        headerBlock + Array("MIME-Version: 1.0\r\n".utf8) + content
    }

    /// `Tue, 01 Mar 2022 10:00:00 +0000`
    public static func rfc5322(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: date)
    }
}
