// swift-tools-version:6.0
import PackageDescription

// No Swift package dependencies by design: the toolchain plus Debian's C libraries.
let package = Package(
    name: "Chat",
    products: [
        .executable(name: "ChatAPI", targets: ["ChatAPI"]),
        .executable(name: "ChatRelay", targets: ["ChatRelay"]),
        .library(name: "Shared", targets: ["Shared"]),
    ],
    targets: [
        .systemLibrary(name: "CMariaDB", pkgConfig: "mysqlclient",
                       providers: [.apt(["default-libmysqlclient-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis",
                       providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "CLinux"),
        .target(name: "Shared", dependencies: ["CLinux", "CHiredis", "COpenSSL"]),
        .executableTarget(name: "ChatAPI", dependencies: ["Shared", "CMariaDB"]),
        .executableTarget(name: "ChatRelay", dependencies: ["Shared"]),
        // The server kit alone behind a trivial route, for `make bench` against nginx.
        .executableTarget(name: "KitBench", dependencies: ["Shared"]),
        .target(name: "TestSupport", dependencies: ["Shared"], path: "Tests/TestSupport"),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "TestSupport"]),
        .testTarget(name: "ChatAPITests", dependencies: ["ChatAPI", "Shared", "TestSupport"]),
        .testTarget(name: "ChatRelayTests", dependencies: ["ChatRelay", "Shared", "TestSupport"]),
        // The Python clients are run from the source tree, not built or bundled.
        .testTarget(name: "EndToEndTests", dependencies: ["Shared", "TestSupport"],
                    exclude: ["Accounts/clients", "Relay/clients"]),
    ],
    swiftLanguageModes: [.v6]
)
