// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "mailsh",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mailsh", targets: ["mailsh"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // OpenSSL (libssl + libcrypto) from Debian's libssl-dev; shims for its macros.
        .systemLibrary(
            name: "COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),

        // The model and its rules: accounts, sections and padlocks, users and rights, personal settings,
        // effective settings, validation, and the protocols the outside worlds implement. Foundation only.
        .target(name: "MailshCore"),

        // Secrets sealed with AES-256-GCM and the key file, over OpenSSL.
        .target(
            name: "MailshCrypto",
            dependencies: ["MailshCore", "COpenSSL"]
        ),

        // The store: SQLite through GRDB, named append-only migrations, optimistic versions, the audit log.
        .target(
            name: "MailshStore",
            dependencies: [
                "MailshCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),

        // The command tree, declared once (dispatch, help, completion), and the output formats.
        .target(
            name: "MailshShell",
            dependencies: [
                "MailshCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The thin executable: builds the concrete store and secret box, runs the root command.
        .executableTarget(
            name: "mailsh",
            dependencies: ["MailshShell", "MailshStore", "MailshCrypto", "MailshCore"]
        ),

        .testTarget(name: "MailshCoreTests", dependencies: ["MailshCore"]),
        .testTarget(name: "MailshCryptoTests", dependencies: ["MailshCrypto", "MailshCore"]),
        .testTarget(name: "MailshStoreTests", dependencies: ["MailshStore", "MailshCrypto", "MailshCore"]),
        .testTarget(name: "MailshEndToEndTests", dependencies: ["MailshCore"]),
    ],
    swiftLanguageModes: [.v6]
)
