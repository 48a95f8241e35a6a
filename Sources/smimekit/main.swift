import ArgumentParser
import Foundation
import MailScan
import SMIME

// Like SmimeKit.main(), but every message starts "smimekit: ", and a bad option or
// argument exits 2 (grep's "trouble"), not ArgumentParser's 64, so scripts see one
// code for every operational error.
InterruptCleanup.install()
do {
    // query's --has-X=BOOL spellings become flags ArgumentParser understands.
    var arguments = BooleanFlagSpelling.normalise(Array(CommandLine.arguments.dropFirst()))
    try ErrorStyle.checkCommandName(arguments)
    arguments = try ConfigFile.apply(to: arguments)
    var command = try SmimeKit.parseAsRoot(arguments)
    do {
        if let asyncCommand = command as? AsyncParsableCommand {
            try await run(asyncCommand)
        } else {
            // On the main thread, here: a call through an async function would
            // start a thread of the concurrency pool to run it on (start-up).
            try command.run()
        }
    } catch let e as ValidationError {
        // Thrown by run(), after parsing: ArgumentParser would show the top-level usage.
        throw UsageError(description: e.message, usage: ErrorStyle.usage(of: arguments.first))
    }
    StandardOutput.shared.flush()
} catch {
    ErrorStyle.exit(with: error)
}

/// serve is the one asynchronous command (its server runs on NIO's event loops);
/// in an async function, `run()` of an AsyncParsableCommand is the async one.
func run(_ command: sending AsyncParsableCommand) async throws {
    var command = command
    try await command.run()
}
