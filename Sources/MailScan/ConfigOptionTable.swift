// The config file's table of options, read from the description of a command-line
// tool that swift-argument-parser prints with --experimental-dump-help.
import Foundation

extension ConfigFile.OptionTable {
    /// The long options of each subcommand in `json` (the dump's `command.subcommands`),
    /// true for an option that takes a value, false for a flag; the names in
    /// `ConfigFile.reserved` are left out. Empty when `json` is not such a description.
    public init(dumpHelp json: String) {
        self.init()
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let command = root["command"] as? [String: Any],
              let subcommands = command["subcommands"] as? [[String: Any]] else { return }
        for sub in subcommands {
            guard let name = sub["commandName"] as? String else { continue }
            var options: [String: Bool] = [:]
            for argument in sub["arguments"] as? [[String: Any]] ?? [] {
                let kind = argument["kind"] as? String
                guard kind == "option" || kind == "flag" else { continue }
                for n in argument["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    if let long = n["name"] as? String, !ConfigFile.reserved.contains(long) { options[long] = kind == "option" }
                }
            }
            commands[name] = options
        }
    }
}
