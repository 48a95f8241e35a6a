// swift-tools-version:6.0
// libFuzzer targets for every parser smimekit exposes to strangers' bytes.
// Built only by `fuzz/run` (it adds -sanitize=fuzzer,address and
// -parse-as-library): each target defines LLVMFuzzerTestOneInput and no main,
// so libFuzzer's own main drives it.
import Foundation
import PackageDescription

// SwiftPM names a path dependency by its folder, so the parent package is
// called whatever this clone's folder is called ("main", "smimekit", ...).
let main = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().standardizedFileURL.lastPathComponent

let mime: [Target.Dependency] = [
    .product(name: "MIME", package: main),
]

let package = Package(
    name: "smimekit-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        .executableTarget(name: "FuzzMIME", dependencies: mime),
        .executableTarget(name: "FuzzAddress", dependencies: mime),
        .executableTarget(name: "FuzzEncodedWords", dependencies: mime),
        .executableTarget(name: "FuzzJMAP", dependencies: [
            .product(name: "JMAP", package: main),
            .product(name: "MIME", package: main),
        ]),
        .executableTarget(name: "FuzzVerify", dependencies: [
            .product(name: "SMIME", package: main),
            .product(name: "MIME", package: main),
        ]),
        .executableTarget(name: "FuzzStream", dependencies: [
            .product(name: "SMIME", package: main),
            .product(name: "MIME", package: main),
        ]),
    ]
)
