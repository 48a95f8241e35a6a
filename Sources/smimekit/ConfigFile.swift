// The config file's table of options, read from ArgumentParser's own description
// of the tool (the file's rules are MailScan's ConfigFile), and --no-config.
import ArgumentParser
import Foundation
import MailScan

extension ConfigFile {
    /// The long options of every subcommand, from `--experimental-dump-help`.
    static func optionTable() -> OptionTable {
        var json = ""
        do { _ = try SmimeKit.parseAsRoot(["--experimental-dump-help"]) } catch { json = SmimeKit.fullMessage(for: error) }
        var table = OptionTable()
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let command = root["command"] as? [String: Any],
              let subcommands = command["subcommands"] as? [[String: Any]] else { return table }
        for sub in subcommands {
            guard let name = sub["commandName"] as? String else { continue }
            var options: [String: Bool] = [:]
            for argument in sub["arguments"] as? [[String: Any]] ?? [] {
                let kind = argument["kind"] as? String
                guard kind == "option" || kind == "flag" else { continue }
                for n in argument["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    if let long = n["name"] as? String, !reserved.contains(long) { options[long] = kind == "option" }
                }
            }
            table.commands[name] = options
        }
        return table
    }

    /// The arguments with the config file's options placed right after the subcommand name.
    static func apply(to arguments: [String]) throws -> [String] {
        try apply(to: arguments, env: lookupEnvironment, table: optionTable)
    }

    /// The variables the config file's lookup reads (ConfigFile.location and
    /// expandTilde): the whole environment as a dictionary costs every start.
    static var lookupEnvironment: [String: String] {
        var env: [String: String] = [:]
        for name in ["SMIMEKIT_CONFIG", "XDG_CONFIG_HOME", "HOME"] {
            if let value = getenv(name) { env[name] = String(cString: value) }
        }
        return env
    }
}

/// `--no-config`, on every subcommand; main reads it before parsing.
struct ConfigOptions: ParsableArguments {
    @Flag(help: "Ignore the config file ($SMIMEKIT_CONFIG, else $XDG_CONFIG_HOME/smimekit/config, else ~/.config/smimekit/config).")
    var noConfig = false
}
