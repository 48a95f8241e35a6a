// -l/--paths-only and -0 for verify and status: the paths of the messages that
// pass, for find/xargs pipelines, as grep -l and mblaze's tools print them.
import ArgumentParser
import Foundation

struct PathListOptions: ParsableArguments {
    @Flag(name: [.customShort("l"), .long], help: "Print only the paths of the messages that pass, one a line, like grep -l (verify: verified; status: carries S/MIME).")
    var pathsOnly = false

    @Flag(name: [.customShort("0"), .customLong("null")], help: "Like -l, with each path ended by NUL instead of a newline (for xargs -0).")
    var nullSeparated = false

    var enabled: Bool { pathsOnly || nullSeparated }

    func check(format: OutputFormat?, details: Bool = false) throws {
        guard enabled else { return }
        let flag = nullSeparated ? "-0" : "-l/--paths-only"
        if let format { throw ValidationError("\(flag) prints paths; it does not go with --format \(format.rawValue)") }
        if details { throw ValidationError("\(flag) prints paths; it does not go with --details") }
    }

    func emit(_ path: String) {
        StandardOutput.shared.write(path + (nullSeparated ? "\0" : "\n"))
    }
}

/// verify --out and --signer: what `openssl cms -verify -out/-signer` gives.
struct ExtractOptions: ParsableArguments {
    @Option(name: .customLong("out"), help: ArgumentHelp("Write the signed content (the entity inside the outermost signature, as transmitted; for an encrypted message without a signature, the decrypted content) to this file, or - for standard output (the verdict line then goes to standard error). Written only when the message verified. One message only.", valueName: "file|-"), completion: .file())
    var out: String?

    @Option(name: .customLong("signer"), help: ArgumentHelp("Write the signer's certificates (of the outermost signature) to this file as PEM, whatever the verdict. One message only.", valueName: "file"), completion: .file())
    var signer: String?

    var wanted: Bool { out != nil || signer != nil }

    func check(paths: [String]) throws {
        guard wanted else { return }
        let what = out != nil ? "--out" : "--signer"
        guard paths.count == 1 else {
            throw ValidationError("\(what) writes what one message holds: name a single message (or - for standard input)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: paths[0], isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("\(what) writes what one message holds, and \(paths[0]) is a directory")
        }
        if out == "-" && signer == "-" { throw ValidationError("--out - and --signer - cannot both write to standard output") }
    }
}
