import Foundation

/// NSS's built-in root store, which the default trust anchors come from.
public enum NSSRootStore {
    /// The libnssckbi.so files on this machine, where distributions put them.
    public static func modules() -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        for base in ["/usr/lib", "/lib", "/usr/lib64", "/usr/local/lib"] {
            let subdirs = ((try? fm.contentsOfDirectory(atPath: base)) ?? []).map { "\(base)/\($0)" }
            for dir in [base] + subdirs {
                for path in ["\(dir)/libnssckbi.so", "\(dir)/nss/libnssckbi.so"] where fm.fileExists(atPath: path) {
                    found.append(path)
                }
            }
        }
        return found
    }

    /// Makes sure the module is there: runs scripts/setup (which installs libnss3) when it is not,
    /// so that the trust tests are never skipped for want of it.
    public static func ensureInstalled() throws {
        if !modules().isEmpty { return }
        let setup = Process()
        setup.executableURL = PackageRoot.url.appendingPathComponent("scripts/setup")
        try setup.run()
        setup.waitUntilExit()
        if modules().isEmpty {
            throw FixtureError.unsupported("libnssckbi.so is still missing after scripts/setup (exit \(setup.terminationStatus)); install libnss3")
        }
    }
}
