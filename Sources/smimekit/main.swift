import ArgumentParser
import Foundation
import SMIME

// Like SmimeKit.main(), but a bad option or argument exits 2 (grep's "trouble"),
// not ArgumentParser's 64, so scripts see one code for every operational error.
InterruptCleanup.install()
do {
    // query's --has-X=BOOL spellings become flags ArgumentParser understands.
    var command = try SmimeKit.parseAsRoot(BooleanFlagSpelling.normalise(Array(CommandLine.arguments.dropFirst())))
    try command.run()
    StandardOutput.shared.flush()
} catch {
    StandardOutput.shared.flush()
    if let trouble = error as? EngineError {
        // The user's files or keys: say what is wrong, without the usage text.
        FileHandle.standardError.write(Data("smimekit: \(trouble)\n".utf8))
        exit(ExitStatus.trouble)
    }
    let code = SmimeKit.exitCode(for: error)
    if code == .validationFailure {
        FileHandle.standardError.write(Data((SmimeKit.fullMessage(for: error) + "\n").utf8))
        exit(ExitStatus.trouble)
    }
    SmimeKit.exit(withError: error)
}
