import Foundation

/// The package's root directory, found from this file's location at build time.
public enum PackageRoot {
    public static var url: URL {
        // .../Tests/TestSupport/Interop.swift -> three levels up.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }
}

/// One row of `interop/thunderbird/expected.tsv`.
public struct InteropRow: Sendable, Hashable {
    /// Relative to `Interop.thunderbirdDirectory`, e.g. `smime/alice.dsig.SHA256.multipart.eml`.
    public let file: String
    public let url: URL
    /// Acceptable statuses with only the test CA trusted (`a|b` in the table is two members).
    public let status: Set<String>
    /// The same, with Bob's key given for decryption.
    public let statusWithBobKey: Set<String>
    public let note: String
}

/// The shared interoperability corpus (`../shared` beside the package, or `$SMIMEKIT_SHARED`).
public enum Interop {
    public static var sharedDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["SMIMEKIT_SHARED"], !override.isEmpty {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        return PackageRoot.url.deletingLastPathComponent().appendingPathComponent("shared", isDirectory: true)
    }

    public static var thunderbirdDirectory: URL {
        sharedDirectory.appendingPathComponent("interop/thunderbird", isDirectory: true)
    }

    /// The only trust anchor the expected statuses assume.
    public static var thunderbirdTrustAnchor: URL {
        thunderbirdDirectory.appendingPathComponent("smime/TestCA.pem")
    }

    /// Bob's key and certificate, the recipient of every encrypted message.
    public static var bobPKCS12: URL { thunderbirdDirectory.appendingPathComponent("smime/Bob.p12") }
    public static let pkcs12Password = "nss"

    /// False when the corpus is not checked out next to the package; tests skip then.
    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: thunderbirdDirectory.appendingPathComponent("expected.tsv").path)
    }

    public static func expectedRows() throws -> [InteropRow] {
        let tsv = thunderbirdDirectory.appendingPathComponent("expected.tsv")
        let text = String(decoding: try Data(contentsOf: tsv), as: UTF8.self)
        var rows: [InteropRow] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() where number > 0 {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard columns.count >= 3 else {
                throw FixtureError.malformed("expected.tsv line \(number + 1): \(columns.count) columns")
            }
            func statuses(_ cell: String) -> Set<String> {
                Set(cell.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) })
            }
            rows.append(InteropRow(
                file: columns[0], url: thunderbirdDirectory.appendingPathComponent(columns[0]),
                status: statuses(columns[1]), statusWithBobKey: statuses(columns[2]),
                note: columns.count > 3 ? columns[3...].joined(separator: "\t") : ""))
        }
        return rows
    }
}
