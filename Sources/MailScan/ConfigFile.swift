// Defaults from a configuration file, gpg style: one long option name (without
// the dashes) a line, then its value. The file is turned into `--name=value`
// arguments placed before the user's own, so the caller's parser checks them like
// any others and a flag given later on the command line wins. Which options a
// subcommand has is the caller's table (the command line reads it from
// ArgumentParser), so no option is listed here by hand. The command line and a
// server started from it read the same file by the same rules.
import Foundation

public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

public enum ConfigFile {
    public struct Entry: Equatable, Sendable {
        public var line: Int
        public var name: String
        public var value: String?
        public init(line: Int, name: String, value: String?) { (self.line, self.name, self.value) = (line, name, value) }
    }

    /// What the file may name: long options of each subcommand, flag or not.
    public struct OptionTable: Sendable {
        /// subcommand -> option name -> takes a value
        public var commands: [String: [String: Bool]]
        public init(commands: [String: [String: Bool]] = [:]) { self.commands = commands }
        public var allNames: Set<String> { Set(commands.values.flatMap(\.keys)) }
    }

    /// Names that belong to the command line itself, never to a file.
    public static let reserved: Set<String> = ["help", "version", "no-config", "experimental-dump-help", "generate-completion-script"]

    /// The file to read: SMIMEKIT_CONFIG (empty: none), else $XDG_CONFIG_HOME/smimekit/config,
    /// else ~/.config/smimekit/config. `explicit`: named by SMIMEKIT_CONFIG, so it must exist.
    public static func location(_ env: [String: String]) -> (path: String, explicit: Bool)? {
        if let named = env["SMIMEKIT_CONFIG"] {
            return named.isEmpty ? nil : (expandTilde(named, env), true)
        }
        // The XDG spec: a relative XDG_CONFIG_HOME is invalid and ignored.
        if let xdg = env["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return (xdg + "/smimekit/config", false) }
        guard let home = env["HOME"], !home.isEmpty else { return nil }
        return (home + "/.config/smimekit/config", false)
    }

    public static func expandTilde(_ s: String, _ env: [String: String]) -> String {
        guard s == "~" || s.hasPrefix("~/"), let home = env["HOME"], !home.isEmpty else { return s }
        return home + s.dropFirst()
    }

    /// The entries of a file's text; `#` starts a comment line, blank lines are skipped.
    /// Lines end in LF or CRLF (Swift counts CRLF as one Character, so both are named).
    public static func parse(_ text: String, path: String, env: [String: String]) throws(ConfigError) -> [Entry] {
        var out: [Entry] = []
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            var name = String(line.prefix { !$0.isWhitespace })
            var value = line.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
            // "--trust x" is what people paste from a command line: accept it.
            while name.hasPrefix("-") { name.removeFirst() }
            if name.isEmpty { throw ConfigError(description: "\(path) line \(i + 1): no option name") }
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            out.append(Entry(line: i + 1, name: name, value: value.isEmpty ? nil : expandTilde(value, env)))
        }
        return out
    }

    /// The arguments with the config file's options placed right after the subcommand name.
    /// - Parameter table: the long options of every subcommand, asked for only when the file names some.
    public static func apply(to arguments: [String], env: [String: String], table optionTable: () -> OptionTable) throws(ConfigError) -> [String] {
        guard let subcommand = arguments.first, !subcommand.hasPrefix("-"), subcommand != "help" else { return arguments }
        if arguments.prefix(while: { $0 != "--" }).contains("--no-config") { return arguments }
        guard let (path, explicit) = location(env) else { return arguments }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            if explicit { throw ConfigError(description: "\(path) (named by SMIMEKIT_CONFIG): no such file") }
            return arguments
        }
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path),
              let data = try? handle.readToEnd() ?? Data() else {
            throw ConfigError(description: "\(path): cannot read the config file (run with --no-config to do without it)")
        }
        let entries = try parse(String(decoding: data, as: UTF8.self), path: path, env: env)
        if entries.isEmpty { return arguments }
        let table = optionTable()
        // A newer ArgumentParser that describes the tool otherwise must not make the file silently void.
        guard !table.commands.isEmpty else {
            throw ConfigError(description: "\(path): cannot tell which options the subcommands take (the --experimental-dump-help output was not understood); run with --no-config")
        }
        guard let options = table.commands[subcommand] else { return arguments }
        let known = table.allNames
        var injected: [String] = []
        for e in entries {
            if reserved.contains(e.name) {
                throw ConfigError(description: "\(path) line \(e.line): --\(e.name) cannot be set in the config file")
            }
            guard known.contains(e.name) else {
                throw ConfigError(description: "\(path) line \(e.line): no smimekit command has an option --\(e.name)")
            }
            // An option this subcommand does not have is for the others.
            guard let takesValue = options[e.name] else { continue }
            switch (takesValue, e.value) {
            case (true, let value?): injected.append("--\(e.name)=\(value)")
            case (true, nil): throw ConfigError(description: "\(path) line \(e.line): --\(e.name) needs a value (write it after the name: \(e.name) VALUE)")
            case (false, nil): injected.append("--\(e.name)")
            case (false, let value?): throw ConfigError(description: "\(path) line \(e.line): --\(e.name) is a flag and takes no value, not '\(value)'")
            }
        }
        return [subcommand] + injected + arguments.dropFirst()
    }
}
