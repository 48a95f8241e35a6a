// A password a key needs and --passin did not give: asked for on the terminal
// (/dev/tty, with echo off), as openssl and gpgsm do. Without a terminal the
// error says to give --passin.
//
// The command line and a server started from a terminal open keys the same way,
// so this is the engine's: the signer of --key or --identities and the keys to
// decrypt with are opened here once for both.
import Foundation
import SMIME

public enum PasswordPrompt {
    /// A password typed earlier in this run, tried first on the next key.
    nonisolated(unsafe) static var typed: String?

    /// The terminal's settings while echo is off, for a signal handler to put back.
    nonisolated(unsafe) static let saved = UnsafeMutablePointer<termios>.allocate(capacity: 1)
    nonisolated(unsafe) static var savedFD: Int32 = -1

    /// Reads one line from /dev/tty with echo off; nil when there is no terminal.
    public static func read(prompt: String) -> String? {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard tcgetattr(fd, saved) == 0 else { return nil }
        var quiet = saved.pointee
        quiet.c_lflag &= ~tcflag_t(ECHO)
        quiet.c_lflag |= tcflag_t(ECHONL)
        savedFD = fd
        // Interrupted at the prompt: echo comes back before the process goes.
        var previous: [(Int32, sighandler_t?)] = []
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            previous.append((sig, signal(sig) { sig in
                if PasswordPrompt.savedFD >= 0 { tcsetattr(PasswordPrompt.savedFD, TCSAFLUSH, PasswordPrompt.saved) }
                signal(sig, SIG_DFL)
                raise(sig)
            }))
        }
        defer {
            tcsetattr(fd, TCSAFLUSH, saved)
            savedFD = -1
            for (sig, handler) in previous { signal(sig, handler) }
        }
        tcsetattr(fd, TCSAFLUSH, &quiet)
        let text = Array(prompt.utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = Foundation.read(fd, &byte, 1)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 || byte == 0x0A { break }
            line.append(byte)
        }
        if line.last == 0x0D { line.removeLast() }
        return String(decoding: line, as: UTF8.self)
    }

    /// KeyLoader.identity with the password from --passin, else one typed on the terminal.
    public static func identity(keyFile: String, certificateFile: String?, passin: String?) throws -> (PrivateKey, Certificate?, [Certificate]) {
        let given = try passin.map(Password.resolve)
        let key = URL(fileURLWithPath: keyFile)
        let cert = certificateFile.map { URL(fileURLWithPath: $0) }
        do {
            return try KeyLoader.identity(keyFile: key, certificateFile: cert, password: given ?? typed)
        } catch EngineError.needsPassword(let path) where given == nil {
            guard let password = read(prompt: "Enter the password of \(path): ") else { throw EngineError.needsPassword(path) }
            typed = password
            return try KeyLoader.identity(keyFile: key, certificateFile: cert, password: password)
        } catch EngineError.badPassword(let path) where given == nil {
            // The password typed for an earlier key is not this one's.
            guard let password = read(prompt: "Enter the password of \(path): ") else { throw EngineError.needsPassword(path) }
            typed = password
            return try KeyLoader.identity(keyFile: key, certificateFile: cert, password: password)
        }
    }

    /// The identities of a directory; its locked keys are opened with a password typed once.
    public static func identities(directory: String, passin: String?, warn: (String) -> Void) throws -> [SigningIdentity] {
        let given = try passin.map(Password.resolve)
        let url = URL(fileURLWithPath: directory)
        var (ids, locked) = try SigningIdentity.loadReporting(directory: url, password: given ?? typed)
        if !locked.isEmpty, given == nil, let password = read(prompt: "Enter the password of the keys in \(directory): ") {
            typed = password
            (ids, locked) = try SigningIdentity.loadReporting(directory: url, password: password)
        }
        for path in locked {
            warn(given == nil && typed == nil
                ? "\(path) needs a password: give --passin or run on a terminal; skipped"
                : "\(path): wrong password; skipped")
        }
        return ids
    }
}

extension SignerSource {
    /// The signer of --key (its certificate from the key file or --cert, --chain sent
    /// along) or else of --identities; nil when neither is given.
    public static func open(key: String?, cert: String?, chain: [String], identities: String?, passin: String?,
                            warn: (String) -> Void) throws -> SignerSource? {
        if let key {
            let (k, c, bundled) = try PasswordPrompt.identity(keyFile: key, certificateFile: cert, passin: passin)
            guard let c else { throw EngineError.invalidOption("\(key) holds no certificate: give it with --cert") }
            var extra = bundled
            for file in chain { extra += try KeyLoader.certificates(URL(fileURLWithPath: file)) }
            return .identity(try SigningIdentity(key: k, certificate: c, chain: extra.filter { $0 != c }))
        }
        if let identities {
            return .directory(try PasswordPrompt.identities(directory: identities, passin: passin, warn: warn), path: identities)
        }
        if cert != nil { throw EngineError.invalidOption("--cert needs the key that goes with it (--key)") }
        return nil
    }
}

extension DecryptionIdentity {
    /// Each key with its certificate: the i-th of `certificates`, else the one the key file holds.
    public static func open(keys: [String], certificates: [String], passin: String?) throws -> [DecryptionIdentity] {
        try keys.enumerated().map { i, key in
            let (k, c, _) = try PasswordPrompt.identity(keyFile: key, certificateFile: i < certificates.count ? certificates[i] : nil, passin: passin)
            return DecryptionIdentity(key: k, certificate: c)
        }
    }
}

extension RecipientBook {
    /// The address book of --recipients and --recipient-cert, checked against --crl.
    public static func load(directories: [String], files: [String], crls: [String]) throws -> RecipientBook {
        try load(directories: directories.map { URL(fileURLWithPath: $0) }, files: files.map { URL(fileURLWithPath: $0) },
                 crlFiles: crls.map { URL(fileURLWithPath: $0) })
    }
}
