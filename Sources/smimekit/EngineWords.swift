// The engine's failures and sources in the command line's words: where the
// engine names a remedy, the flag that applies it.
import MailScan

extension InputFailure {
    /// The reason, with the flag named where the engine names a remedy.
    var text: String {
        switch (error, remedy) {
        case (.tooLarge(let size?, let limit), .raiseMessageSizeLimit?):
            return "\(size) bytes, larger than \(Remedy.raiseMessageSizeLimit.flag) \(limit)"
        case (.tooLarge(nil, let limit), .raiseMessageSizeLimit?):
            return "larger than \(Remedy.raiseMessageSizeLimit.flag) \(limit) bytes"
        case (_, .readStandardInput?):
            return reason + ", give \(Remedy.readStandardInput.flag) to read standard input"
        default:
            return reason
        }
    }
}

extension Remedy {
    /// The option (or operand) of the command line that applies it.
    var flag: String {
        switch self {
        case .raiseMessageSizeLimit: return "--max-message-size"
        case .readStandardInput: return "-"
        case .giveSigningKey: return "--key"
        case .giveRecipientCertificates: return "--recipients"
        case .skipSenderCheck: return "--no-sender-check"
        }
    }

    /// What to run with, as Email/set's SetErrors say it.
    var advice: String {
        switch self {
        case .giveSigningKey: return "run with --key or --identities"
        case .giveRecipientCertificates: return "run with --recipients or --recipient-cert"
        case .skipSenderCheck: return "use --no-sender-check to check the signature and certificate path alone"
        default: return "give \(flag)"
        }
    }
}

extension ReceivedTime.Source {
    /// As `--details` says it.
    var text: String {
        switch self {
        case .option: return "--received-at"
        case .receivedHeader: return "Received header"
        case .dateHeader: return "Date header"
        case .signingTime: return "signingTime"
        case .now: return "now: the later of the Date header and signingTime lies in the future"
        case .fileModificationTime: return "file modification time"
        }
    }
}

/// Why query could not search all of a message's text, as its one warning says it.
extension SearchBlind {
    func phrase(_ n: Int) -> String {
        switch self {
        case .encryptedWithoutKey: return "\(n) encrypted (give --decrypt-key to search inside)"
        case .encryptedForSomeoneElse: return "\(n) encrypted for a key not given with --decrypt-key"
        case .unreadable: return "\(n) with S/MIME content that could not be read"
        case .tooLarge: return "\(n) larger than --max-in-memory-size (only its header was searched)"
        }
    }

    /// One warning for a whole run: how many messages, and why.
    static func warning(_ counts: [SearchBlind: Int]) -> String? {
        let total = counts.values.reduce(0, +)
        guard total > 0 else { return nil }
        let why = allCases.compactMap { c in counts[c].map { c.phrase($0) } }.joined(separator: ", ")
        return "\(total == 1 ? "1 message" : "\(total) messages") could not be searched in full for --text, --body or --has-attachment: \(why)"
    }
}
