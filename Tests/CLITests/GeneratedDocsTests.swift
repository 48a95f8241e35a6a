// man/ and completions/ are generated from the ArgumentParser definitions by
// scripts/gen-docs and committed. These tests fail when the committed files no
// longer match what the built smimekit prints, and check that bash, zsh, fish
// and man accept them. The fix for a failure here is nearly always
// `scripts/gen-docs`, then commit man/ and completions/.
import Foundation
import TestSupport
import XCTest

final class GeneratedDocsTests: XCTestCase {
    // MARK: completions are current

    func testBashCompletionIsCurrent() throws {
        try assertCompletionCurrent(shell: "bash", file: "completions/smimekit.bash")
    }

    func testZshCompletionIsCurrent() throws {
        try assertCompletionCurrent(shell: "zsh", file: "completions/_smimekit")
    }

    func testFishCompletionIsCurrent() throws {
        try assertCompletionCurrent(shell: "fish", file: "completions/smimekit.fish")
    }

    // MARK: the man page covers the command set

    func testManPageMentionsEverySubcommand() throws {
        let page = try String(contentsOf: Self.repo("man/smimekit.1"), encoding: .utf8)
        let subcommands = try Self.subcommands()
        XCTAssertFalse(subcommands.isEmpty, "smimekit --help lists no subcommands; the parsing of its SUBCOMMANDS section is out of date")
        let references = Set(page.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix(".Xr smimekit-") ? String(line.dropFirst(".Xr smimekit-".count).prefix { $0 != " " }) : nil
        })
        for name in subcommands {
            XCTAssertTrue(references.contains(name), "man/smimekit.1 does not refer to smimekit-\(name)(1) in SEE ALSO: run scripts/gen-docs")
        }
    }

    // MARK: a page a subcommand, current with the command definitions

    func testEverySubcommandHasACurrentPageWithExitStatusEnvironmentAndFiles() throws {
        let tool = try Self.dumpHelp()
        let subcommands = try Self.subcommands()
        for name in subcommands {
            let file = "man/smimekit-\(name).1"
            guard let page = try? String(contentsOf: Self.repo(file), encoding: .utf8) else {
                XCTFail("\(file) is missing: run scripts/gen-docs and commit man/")
                continue
            }
            XCTAssertTrue(page.contains("\n.Dt SMIMEKIT-\(name.uppercased()) 1\n"), "\(file): its title is not SMIMEKIT-\(name.uppercased())")
            for section in ["DESCRIPTION", "\"ENVIRONMENT\"", "\"FILES\"", "\"EXIT STATUS\"", "\"SEE ALSO\""] {
                XCTAssertTrue(page.contains("\n.Sh \(section)\n"), "\(file) has no \(section) section: run scripts/gen-docs")
            }
            XCTAssertFalse(page.contains(".Ex -std"), "\(file): EXIT STATUS must say what 0, 1 and 2 mean for \(name), not \"0 on success, >0 if an error occurs\"")
            let exit = page.components(separatedBy: "\n.Sh \"EXIT STATUS\"\n").last ?? ""
            XCTAssertTrue(exit.contains("\n.It 0\n") && exit.contains("\n.It 2\n"), "\(file): EXIT STATUS lists no 0 and 2")
            for variable in ["XDG_CONFIG_HOME", "SMIMEKIT_CONFIG", "XDG_CACHE_HOME", "HOME"] {
                XCTAssertTrue(page.contains(".It Ev \(variable)\n"), "\(file): ENVIRONMENT does not name \(variable)")
            }
            XCTAssertTrue(page.contains(".It Pa $XDG_CONFIG_HOME/smimekit/config\n"), "\(file): FILES does not name the config file")
            // Current: every option the built command has is on its page, with its default.
            let command = try XCTUnwrap(tool.subcommands.first { $0.name == name }, "no \(name) in --experimental-dump-help")
            for option in command.options {
                guard let at = page.range(of: "\n.It Fl " + (option.short.map { "\($0) , " } ?? "") + "-\(option.long)") else {
                    XCTFail("\(file) does not describe --\(option.long): run scripts/gen-docs and commit man/")
                    continue
                }
                if option.hasDefault {
                    let description = page[at.upperBound...].split(separator: "\n").dropFirst().first ?? ""
                    XCTAssertTrue(description.lowercased().contains("default"), "\(file): --\(option.long) does not show its default: \(description)")
                }
            }
        }
        // No page for a subcommand that is gone.
        for page in try FileManager.default.contentsOfDirectory(atPath: Self.repo("man").path) where page.hasPrefix("smimekit-") {
            let name = String(page.dropFirst("smimekit-".count).dropLast(2))
            // A nested subcommand's page (trust-list) belongs to its parent (trust).
            XCTAssertTrue(subcommands.contains(name) || subcommands.contains { name.hasPrefix($0 + "-") }, "man/\(page) describes no subcommand of the built smimekit: run scripts/gen-docs")
        }
    }

    func testCompletionsOfferTheValuesOfOptionsThatHaveThem() throws {
        let fish = try String(contentsOf: Self.repo("completions/smimekit.fish"), encoding: .utf8)
        let expected = ["digest": "sha256", "cipher": "aes-256-gcm", "sort": "receivedAt:desc", "properties": "smimeStatusAtDelivery",
                        "format": "ndjson", "revocation": "hard"]
        for (option, value) in expected {
            let lines = fish.split(separator: "\n").filter { $0.contains(" -l '\(option)' ") }
            XCTAssertFalse(lines.isEmpty, "completions/smimekit.fish does not know --\(option)")
            for line in lines {
                XCTAssertTrue(line.contains("-rfka '") && line.contains(value), "fish offers no values for --\(option): \(line)")
            }
        }
    }

    func testManPageRenders() throws {
        let pages = try FileManager.default.contentsOfDirectory(atPath: Self.repo("man").path).filter { $0.hasSuffix(".1") }.sorted()
        XCTAssertGreaterThan(pages.count, 1, "man/ holds one page; scripts/gen-docs makes one a subcommand")
        for name in pages { try assertRenders("man/" + name) }
    }

    private func assertRenders(_ file: String) throws {
        let page = Self.repo(file).path
        var checked = false
        if let r = try Self.tool("mandoc", ["-T", "lint", "-W", "error", page]) {
            checked = true
            XCTAssertEqual(r.status, 0, "mandoc -T lint \(file):\n\(r.text)\(r.stderr)")
        }
        // -ww turns on every warning; the generated page must draw none.
        if let r = try Self.tool("groff", ["-mandoc", "-Tutf8", "-ww", page]) {
            checked = true
            XCTAssertEqual(r.status, 0, "groff failed on \(file):\n\(r.stderr)")
            XCTAssertEqual(r.stderr, "", "groff warns about \(file)")
            let title = (file as NSString).lastPathComponent.dropLast(2).uppercased() + "(1)"
            XCTAssertTrue(r.text.contains(title), "groff rendered no \(title) page:\n\(r.text.prefix(500))")
        } else if let r = try Self.tool("man", ["-l", page], environment: ["MANPAGER": "cat", "PAGER": "cat", "MANWIDTH": "80"]) {
            checked = true
            XCTAssertEqual(r.status, 0, "man -l \(file) failed:\n\(r.stderr)")
        }
        if !checked {
            throw XCTSkip("neither groff, man nor mandoc is installed, so \(file) is not rendered (scripts/setup --for-tests installs groff-base)")
        }
    }

    // MARK: each shell accepts its completion script

    func testBashCompletionLoadsAndOffersSubcommands() throws {
        let file = Self.repo("completions/smimekit.bash").path
        guard let syntax = try Self.tool("bash", ["-n", file]) else { throw XCTSkip("bash is not installed") }
        XCTAssertEqual(syntax.status, 0, "bash -n completions/smimekit.bash:\n\(syntax.stderr)")
        // Ask the completion function what follows "smimekit ", as bash would on TAB.
        let script = """
            source "$1" || exit 3
            COMP_WORDS=(smimekit ""); COMP_CWORD=1; COMP_LINE="smimekit "; COMP_POINT=9
            _smimekit smimekit "" smimekit
            printf '%s\\n' "${COMPREPLY[@]}"
            """
        let r = try XCTUnwrap(Self.tool("bash", ["--norc", "--noprofile", "-c", script, "bash", file]))
        XCTAssertEqual(r.status, 0, "sourcing completions/smimekit.bash failed:\n\(r.stderr)")
        let offered = Set(r.lines)
        for name in try Self.subcommands() {
            XCTAssertTrue(offered.contains(name), "bash completion does not offer '\(name)' after 'smimekit ' (offered: \(offered.sorted())); if the completion script is out of date, run scripts/gen-docs")
        }
    }

    func testZshCompletionLoads() throws {
        let file = Self.repo("completions/_smimekit").path
        guard let syntax = try Self.tool("zsh", ["-n", file]) else {
            throw XCTSkip("zsh is not installed, so completions/_smimekit is not checked (scripts/setup --for-tests installs it)")
        }
        XCTAssertEqual(syntax.status, 0, "zsh -n completions/_smimekit:\n\(syntax.stderr)")
        // Sourced outside completion, the script registers itself with compdef.
        let r = try XCTUnwrap(Self.tool("zsh", ["-f", "-c", "autoload -Uz compinit && compinit -u -D && source \"$1\" && print -r -- ${_comps[smimekit]}", "zsh", file]))
        XCTAssertEqual(r.status, 0, "loading completions/_smimekit in zsh failed:\n\(r.stderr)")
        XCTAssertEqual(r.text.trimmingCharacters(in: .whitespacesAndNewlines), "_smimekit", "zsh did not register _smimekit for smimekit:\n\(r.stderr)")
    }

    func testFishCompletionLoadsAndOffersSubcommands() throws {
        let file = Self.repo("completions/smimekit.fish").path
        guard let syntax = try Self.tool("fish", ["--no-execute", file]) else {
            throw XCTSkip("fish is not installed, so completions/smimekit.fish is not checked (scripts/setup --for-tests installs it)")
        }
        XCTAssertEqual(syntax.status, 0, "fish -n completions/smimekit.fish:\n\(syntax.stderr)")
        let r = try XCTUnwrap(Self.tool("fish", ["--no-config", "-c", "source $argv[1]; and complete -C'smimekit '", file]))
        XCTAssertEqual(r.status, 0, "loading completions/smimekit.fish in fish failed:\n\(r.stderr)")
        let offered = Set(r.lines.map { String($0.prefix { $0 != "\t" }) })
        for name in try Self.subcommands() {
            XCTAssertTrue(offered.contains(name), "fish completion does not offer '\(name)' after 'smimekit ' (offered: \(offered.sorted())); if the completion script is out of date, run scripts/gen-docs")
        }
    }

    // MARK: helpers

    struct DumpedOption { var long: String; var short: String?; var hasDefault: Bool }
    struct DumpedCommand { var name: String; var options: [DumpedOption] }
    struct DumpedTool { var subcommands: [DumpedCommand] }

    /// The options of each subcommand, from ArgumentParser's own description of the built tool.
    static func dumpHelp() throws -> DumpedTool {
        let r = try CLI.run(["--experimental-dump-help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
        let command = try XCTUnwrap(root["command"] as? [String: Any])
        var out: [DumpedCommand] = []
        for sub in command["subcommands"] as? [[String: Any]] ?? [] {
            var options: [DumpedOption] = []
            for argument in sub["arguments"] as? [[String: Any]] ?? [] where ["option", "flag"].contains(argument["kind"] as? String) {
                let names = argument["names"] as? [[String: Any]] ?? []
                guard let long = names.first(where: { $0["kind"] as? String == "long" })?["name"] as? String,
                      !["help", "version"].contains(long) else { continue }
                let short = names.first(where: { $0["kind"] as? String == "short" })?["name"] as? String
                let value = argument["defaultValue"] as? String
                options.append(DumpedOption(long: long, short: short, hasDefault: argument["kind"] as? String == "option" && !(value ?? "").isEmpty))
            }
            out.append(DumpedCommand(name: sub["commandName"] as? String ?? "", options: options))
        }
        return DumpedTool(subcommands: out)
    }

    private func assertCompletionCurrent(shell: String, file: String) throws {
        let generated = try CLI.run(["--generate-completion-script", shell])
        XCTAssertEqual(generated.status, 0, "smimekit --generate-completion-script \(shell) failed:\n\(generated.stderr)")
        let committed = try String(contentsOf: Self.repo(file), encoding: .utf8)
        if generated.text != committed {
            XCTFail("\(file) does not match `smimekit --generate-completion-script \(shell)`: run scripts/gen-docs and commit completions/ (first difference at line \(Self.firstDifferentLine(committed, generated.text)))")
        }
    }

    /// Subcommand names from the SUBCOMMANDS section of `smimekit --help`.
    static func subcommands() throws -> [String] {
        let r = try CLI.run(["--help"], environment: ["COLUMNS": "200"])
        XCTAssertEqual(r.status, 0, "smimekit --help failed:\n\(r.stderr)")
        var names: [String] = []
        var inSection = false
        for line in r.text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("SUBCOMMANDS:") { inSection = true; continue }
            guard inSection else { continue }
            if line.isEmpty || !line.hasPrefix("  ") { break }
            // "  status                  Tell from ..."; a deeper indent continues a description.
            if line.hasPrefix("   ") { continue }
            if let word = line.split(separator: " ").first { names.append(String(word)) }
        }
        return names
    }

    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func repo(_ path: String) -> URL { repoRoot.appendingPathComponent(path) }

    /// The built binary. StoreTestSupport.swift calls this; new code should call CLI.binary().
    static func smimekit() throws -> URL { try CLI.binary() }

    /// Runs `tool arguments...` through bash (quoted as positional parameters),
    /// or returns nil when the tool is not installed.
    static func tool(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CLI.Run? {
        guard try CLI.run(["command -v \"$1\" >/dev/null", "bash", tool], shell: true).status == 0 else { return nil }
        return try CLI.run(["exec \"$@\"", "bash", tool] + arguments, environment: environment, shell: true)
    }

    static func firstDifferentLine(_ a: String, _ b: String) -> Int {
        let la = a.split(separator: "\n", omittingEmptySubsequences: false)
        let lb = b.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<min(la.count, lb.count) where la[i] != lb[i] { return i + 1 }
        return min(la.count, lb.count) + 1
    }
}
