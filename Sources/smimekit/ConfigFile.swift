// The config file's table of options, from ArgumentParser's own description of the
// tool (the file's rules and the reading of that description are MailScan's ConfigFile),
// and --no-config.
import ArgumentParser
import Foundation
import MailScan

extension ConfigFile {
    /// The long options of every subcommand, from `--experimental-dump-help`.
    static func optionTable() -> OptionTable {
        var json = ""
        do { _ = try SmimeKit.parseAsRoot(["--experimental-dump-help"]) } catch { json = SmimeKit.fullMessage(for: error) }
        return OptionTable(dumpHelp: json)
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
