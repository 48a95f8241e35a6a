// swift-tools-version:6.0
// smimekit: S/MIME verification, search and production for RFC 5322 files, in JMAP terms.
//
// Layers (each depends only on those above it in this list):
//   MIME         byte-exact RFC 5322 / MIME reader and writer
//   JMAP         RFC 8620/8621/9219 data model (EmailAddress, filters, responses)
//   SMIME        the S/MIME engine; the only layer that calls OpenSSL
//   ResultStore  the SQLite result cache
//   MailScan     the run engine: input walk, message reader, cached verifier, query plan, work pool
//   JMAPServer   JMAP requests and methods over mail on disk (Backend.swift: the transport seam)
//   JMAPHTTP     the HTTP front of `smimekit serve` (RFC 8620 over HTTP/1.1, no TLS)
//   smimekit     the command line, a thin table of subcommands
import PackageDescription

let package = Package(
    name: "smimekit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "smimekit", targets: ["smimekit"]),
        // The layers as libraries, for the fuzz and bench packages beside this one.
        .library(name: "MIME", targets: ["MIME"]),
        .library(name: "JMAP", targets: ["JMAP"]),
        .library(name: "SMIME", targets: ["SMIME"]),
        .library(name: "MailScan", targets: ["MailScan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `smimekit serve` (issue 15). Hummingbird rather than bare SwiftNIO: it gives
        // HTTP/1.1 parsing, keep-alive, a router, streamed request bodies that can be
        // refused part-way (the byte limits), streamed responses (the event source) and
        // graceful shutdown through swift-service-lifecycle, all on async/await, so the
        // transport is a few hundred lines of routing and limits rather than channel
        // handlers and hand-made back-pressure. Only the Hummingbird product is used:
        // no HummingbirdTLS, no swift-nio-ssl (TLS is a reverse proxy's job).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // libcrypto only: nothing here speaks TLS, and linking libssl too would
        // cost every start its loading and relocation (issue 17).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // Wrappers for OpenSSL macros (stacks, BIO controls) that Swift cannot import.
        .target(name: "COpenSSLShim", dependencies: ["COpenSSL"]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // IDNA2008 A-labels (libidn2) and UTS #39 confusable skeletons (ICU) for the
        // sender check. ICU symbols carry a version suffix (uspoof_open_72), so they
        // do not clash with the copy Foundation bundles (prefixed swift_).
        // Both are opened with dlopen on first use, not linked: only the sender check
        // needs them, and every start of status or query would pay for loading and
        // relocating them (issue 17). Headers from libidn2-dev and libicu-dev.
        .target(name: "CIDN2", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(name: "CICUShim", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        // The roots NSS's built-in module trusts for e-mail, read through PKCS#11
        // (headers from libp11-kit-dev; the module, libnssckbi.so, from libnss3).
        .target(name: "CNSSTrust", linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),

        .target(name: "MIME"),
        .target(name: "JMAP", dependencies: ["MIME"]),
        .target(name: "SMIME", dependencies: ["MIME", "JMAP", "COpenSSLShim", "CIDN2", "CICUShim", "CNSSTrust"]),
        .target(name: "ResultStore", dependencies: ["CSQLite", "MIME"]),
        // The run engine the command line and a JMAP server share: walking inputs,
        // reading messages, verdicts through the result store, the query plan, the work pool.
        .target(name: "MailScan", dependencies: ["MIME", "JMAP", "SMIME", "ResultStore"]),
        // JMAP over mail on disk (RFC 8620/8621/9219), whatever carries the requests.
        .target(name: "JMAPServer", dependencies: ["JMAP", "MIME", "SMIME", "ResultStore", "MailScan"]),
        // The HTTP transport for a JMAPBackend: routes, bearer auth, byte and concurrency limits.
        .target(name: "JMAPHTTP", dependencies: [
            "JMAPServer",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .executableTarget(
            name: "smimekit",
            dependencies: [
                "MIME", "JMAP", "SMIME", "ResultStore", "MailScan", "JMAPServer", "JMAPHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Start-up (issue 17): with the Swift runtime and Foundation linked in,
            // the dynamic loader binds 9 libraries instead of 23 and status --no-cache
            // of one file starts in about two thirds of the time (bench/run, start-up).
            // Compiled with it too, so that Foundation's static dependencies are linked.
            // Release only: the debug and test builds keep the shared libraries.
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))]
        ),

        // Fixture factory for tests: CAs, certificates, CRLs and messages made
        // with the openssl command line in a temporary directory.
        .target(name: "TestSupport", path: "Tests/TestSupport", exclude: ["revocation_helper.py", "jmap_client_check.py"]),
        .testTarget(name: "MIMETests", dependencies: ["MIME", "TestSupport"]),
        .testTarget(name: "SMIMETests", dependencies: ["SMIME", "MIME", "TestSupport"]),
        .testTarget(name: "JMAPTests", dependencies: ["JMAP", "MIME"]),
        .testTarget(name: "MailScanTests", dependencies: ["MailScan", "MIME", "JMAP", "SMIME", "ResultStore", "TestSupport"]),
        .testTarget(name: "ResultStoreTests", dependencies: ["ResultStore", "MIME", "TestSupport"]),
        .testTarget(name: "JMAPHTTPTests", dependencies: [
            "JMAPHTTP", "JMAPServer", "TestSupport",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "JMAPServerTests", dependencies: ["JMAPServer", "JMAP", "MIME", "SMIME", "MailScan", "ResultStore", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["smimekit", "MIME", "ResultStore", "TestSupport"], exclude: ["Transcripts", "Golden"]),
    ]
)
