// One style for every error: "smimekit: what is wrong", then, for a bad option,
// the usage of the subcommand it was given to. Exit 2 for all trouble.
import ArgumentParser
import Foundation
import MailScan
import SMIME

struct UsageError: Error, CustomStringConvertible {
    let description: String
    /// Printed after the message: the usage to follow.
    var usage: String = ErrorStyle.rootUsage
}

enum ErrorStyle {
    static var subcommandNames: [String] { SmimeKit.configuration.subcommands.map { $0._commandName } }

    static let rootUsage = "Usage: smimekit <subcommand> [<options>]\n  See 'smimekit --help' for the subcommands."

    /// No arguments at all, or a first word that names no subcommand.
    static func checkCommandName(_ arguments: [String]) throws {
        guard let first = arguments.first else {
            throw UsageError(description: "no subcommand given; the subcommands are \(subcommandNames.joined(separator: ", "))")
        }
        if first.hasPrefix("-") || first == "help" || subcommandNames.contains(first) { return }
        // ArgumentParser's own completion entry point.
        if first.hasPrefix("---") { return }
        if let near = Spelling.nearest(first, in: subcommandNames) {
            throw UsageError(description: "no subcommand '\(first)'; did you mean '\(near)'?")
        }
        throw UsageError(description: "no subcommand '\(first)'; the subcommands are \(subcommandNames.joined(separator: ", "))")
    }

    /// The usage lines ArgumentParser prints for a bad option of `subcommand`.
    static func usage(of subcommand: String?) -> String {
        guard let subcommand, subcommandNames.contains(subcommand) else { return rootUsage }
        do {
            _ = try SmimeKit.parseAsRoot([subcommand, "--\u{1}"])
        } catch {
            let lines = SmimeKit.fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false)
            if let start = lines.firstIndex(where: { $0.hasPrefix("Usage: ") }) { return lines[start...].joined(separator: "\n") }
        }
        return rootUsage
    }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    static func exit(with error: Error) -> Never {
        StandardOutput.shared.flush()
        switch error {
        case let e as EngineError:
            // The user's files or keys: say what is wrong, without the usage text.
            write("smimekit: \(e)")
            Foundation.exit(ExitStatus.trouble)
        case let e as ConfigError:
            write("smimekit: \(e)")
            Foundation.exit(ExitStatus.trouble)
        case let e as UsageError:
            write("smimekit: \(e)\n\(e.usage)")
            Foundation.exit(ExitStatus.trouble)
        case let e as ExitCode:
            // How every command ends: ArgumentParser has no message for it and would
            // exit with its code, after runtime type lookups that cost start-up time.
            Foundation.exit(e.rawValue)
        default:
            break
        }
        let code = SmimeKit.exitCode(for: error)
        // Help, --version and completion scripts go to standard output, exit 0.
        if code == .success { SmimeKit.exit(withError: error) }
        let message = SmimeKit.fullMessage(for: error)
        // A command's own ExitCode (1: no match, 2: trouble already reported) says nothing more.
        if message.isEmpty { Foundation.exit(code.rawValue) }
        write(restyle(message))
        Foundation.exit(ExitStatus.trouble)
    }

    /// ArgumentParser writes "Error: ..."; ours start "smimekit: ...".
    static func restyle(_ message: String) -> String {
        var lines = message.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let first = lines.first {
            var text = first
            if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
            lines[0] = "smimekit: " + text
        }
        return lines.joined(separator: "\n")
    }
}
