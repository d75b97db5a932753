// swift-tools-version:6.0
import PackageDescription

// Test-only switches (the Lua live-object counter, the monitor's crash point) exist only in debug builds, which the
// tests run; the release build that scripts/mailsh ships has none of them in its paths.
let testHooks: [SwiftSetting] = [.define("MAILSH_TEST_HOOKS", .when(configuration: .debug))]

// The package's own modules reach the metadata of concrete types (`Set<Right>`, `[String]`, an optional of a
// protocol) through the types' accessor functions, with the witness tables they need handed in by the compiler, not
// by a mangled name the Swift runtime decodes at the first use: the decoder looks up each generic requirement's
// conformance, the first look-up of a pair scanning every conformance record of the program (about 370,000
// instructions; bench/RESULTS.md, Start-up). Release only: what scripts/mailsh ships.
let directMetadata: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release)),
]

// Both programs (mailsh, mailsh-full) link in release with LLVM's lld (shipped with the Swift toolchain; GNU gold, the
// default, cannot) and pack their relative relocations (DT_RELR, glibc 2.36 and later): 143,400 relocation entries of
// 24 bytes become a 26 KB bitmap, so the dynamic loader reads and walks less before main. They export none of their own
// symbols (the static Swift runtime's link line asks for -export-dynamic): 43,000 dynamic symbols made every dladdr,
// such as the runtime's backtracer set-up at start, a scan of all of them. The symbol table stays (scripts/mailsh
// keeps it), so perf, gdb and crash backtraces still name functions (bench/RESULTS.md, Start-up).
// GCC's C++ library (which the Swift runtime and Foundation's ICU need) is linked in from its archive: the folder
// scripts/static-libstdc++ holds only libstdc++.a (a link to Debian 12's libstdc++-12-dev), so the linker finds it
// before libstdc++.so for the runtime's own -lstdc++. Relocating and initialising the shared one cost every
// process 1.8 M instructions; where the link dangles (another GCC) the shared library is linked as before.
// The functions and data that one-shot commands touch come first in their sections, in the order they are
// first touched (--symbol-ordering-file: bench/startup/symbol-order.txt, written by order-symbols.sh beside it
// from a Valgrind trace of the start-up benchmark's commands), so starting takes fewer pages of code and zeroed
// data. A symbol renamed since is skipped (no warning), which costs pages, never correctness; relink after
// regenerating it, since SwiftPM does not see the file change.
let programLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
                  "-Xlinker", "--no-export-dynamic",
                  "-Xlinker", "--symbol-ordering-file=" + Context.packageDirectory + "/bench/startup/symbol-order.txt",
                  "-Xlinker", "--no-warn-symbol-ordering",
                  "-L", Context.packageDirectory + "/scripts/static-libstdc++"],
                 .when(configuration: .release)),
]

let package = Package(
    name: "mailsh",
    products: [
        .executable(name: "mailsh", targets: ["mailsh"]),
        .executable(name: "mailsh-full", targets: ["mailsh-full"]),
        .executable(name: "mailsh-bench", targets: ["mailsh-bench"]),
        .executable(name: "mailsh-match-bench", targets: ["mailsh-match-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // OpenSSL (libcrypto) from Debian's libssl-dev; shims for its macros. Not linked: COpenSSLLoader opens
        // libcrypto.so.3 at the first call, so commands that seal, open and digest nothing never load it.
        .systemLibrary(
            name: "COpenSSL",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "COpenSSLLoader", dependencies: ["CLazyLibrary"]),

        // A shared library opened at the first call into it (dlopen), for the loaders of libcurl, OpenSSL and c-ares.
        .target(name: "CLazyLibrary"),

        // Lua 5.4 from Debian's liblua5.4-dev (headers in /usr/include/lua5.4). Not linked: CLuaLoader opens
        // liblua5.4.so.0 at the first call, so only commands that run Lua load it.
        .systemLibrary(
            name: "CLua",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        .target(name: "CLuaLoader", dependencies: ["CLazyLibrary"]),

        // A few lines of C between Lua and Swift: Lua errors are raised here so no longjmp crosses a Swift frame.
        .target(
            name: "CLuaBridge",
            dependencies: ["CLua"]
        ),

        // libedit (BSD editline) from Debian's libedit-dev, for the interactive shell. Not linked: CEditLineLoader opens
        // libedit.so.2 at the first call, so one-shot commands never load it (nor libtinfo and libbsd behind it).
        .systemLibrary(
            name: "CEditLine",
            providers: [.apt(["libedit-dev"])]
        ),
        .target(name: "CEditLineLoader", dependencies: ["CLazyLibrary"]),

        // libcurl (OpenSSL flavour) from Debian's libcurl4-openssl-dev; typed shims for its variadic setters. Not
        // linked: loader.c opens libcurl.so.4 at the first call, so commands that reach no server never load it.
        .target(name: "CCurl", dependencies: ["CLazyLibrary"]),

        // c-ares from Debian's libc-ares-dev: the DNS resolver of discovery (SRV, MX, TXT), pointed at any server.
        // Not linked: CCaresLoader opens libcares.so.2 at the first call.
        .systemLibrary(
            name: "CCares",
            providers: [.apt(["libc-ares-dev"])]
        ),
        .target(name: "CCaresLoader", dependencies: ["CLazyLibrary"]),

        // glibc's iconv (part of libc): MailshMessage converts every charset mail names to UTF-8 through it.
        .systemLibrary(name: "CIconv"),

        // sqlite3_config, variadic in C, for MailshStore (SQLite itself is linked through GRDBSQLite).
        .target(name: "CSQLiteConfig"),

        // prctl for the process that holds secrets (not dumpable); a header of typed shims, nothing to link.
        .systemLibrary(name: "CProcessGuard"),

        // The model and its rules: accounts, sections and padlocks, users and rights, personal settings,
        // effective settings, validation, and the protocols the outside worlds implement. Foundation only.
        .target(name: "MailshCore", swiftSettings: directMetadata),

        // Mail parsing (headers, MIME, encodings, HTML to text), the conversation-ID scanner and the reply matcher.
        .target(name: "MailshMessage", dependencies: ["MailshCore", "CIconv"], swiftSettings: directMetadata),

        // The mail monitor: polls a mailbox, files each message through the matcher, then removes it from the server.
        // Its counters and timers go through swift-metrics' API, to a factory handed in (none unless --metrics).
        .target(name: "MailshMonitor", dependencies: ["MailshCore", "MailshMessage",
                                                      .product(name: "CoreMetrics", package: "swift-metrics")]),

        // The monitor's metrics for Prometheus: swift-prometheus's registry served on a loopback address by a small
        // NIO HTTP/1 handler. Only the executable links it, and only `monitor --metrics` starts it.
        .target(
            name: "MailshMetrics",
            dependencies: [
                "MailshCore",
                "MailshMonitor",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // Secrets sealed with AES-256-GCM and the key file, over OpenSSL; the process that holds them kept undumpable.
        .target(
            name: "MailshCrypto",
            dependencies: ["MailshCore", "COpenSSL", "COpenSSLLoader", "CProcessGuard"],
            swiftSettings: directMetadata
        ),

        // The store: SQLite through GRDB, the SQL layer both engines share (dialects, rows, named append-only
        // migrations, optimistic versions, the audit log) and PostgreSQL store locations.
        .target(
            name: "MailshStore",
            dependencies: [
                "MailshCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for binding typed values to the INSERTs a bulk script repeats.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                // SQLite's process-wide settings, made before its first connection (SQLiteReader).
                "CSQLiteConfig",
            ],
            swiftSettings: directMetadata
        ),

        // libpq from Debian's libpq-dev (its header; libpq5 at run time). Not linked: CPQLoader opens libpq.so.5 at the
        // first call, so only a process that opens a PostgreSQL store loads it (and the libraries behind it).
        .target(name: "CPQLoader", dependencies: ["CLazyLibrary"]),

        // The PostgreSQL engine over libpq (CPQLoader) in pipeline mode, used on the caller's own thread, on the SQL
        // layer of MailshStore. Only mailsh-full links it (see the mailsh target).
        .target(
            name: "MailshPostgres",
            dependencies: ["MailshCore", "MailshStore", "CPQLoader"]
        ),

        // The Lua 5.4 scripting host: the sandbox, budgets, and the `mail` module over the core's Desk.
        .target(
            name: "MailshLua",
            dependencies: ["MailshCore", "MailshMessage", "CLua", "CLuaBridge", "CLuaLoader"],
            swiftSettings: testHooks + directMetadata
        ),

        // Connection tests, test mail and mailbox reading over libcurl (easy and multi interfaces).
        .target(
            name: "MailshTransport",
            dependencies: ["MailshCore", "CCurl"],
            swiftSettings: directMetadata
        ),

        // The command tree, declared once (dispatch, help, completion), and the output formats.
        .target(
            name: "MailshShell",
            dependencies: [
                "MailshCore",
                "MailshMessage",
                "MailshMonitor",
                "CEditLine",
                "CEditLineLoader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The monitor's log: a Logger with mailsh's own handler (text or JSON lines on standard error).
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: testHooks + directMetadata
        ),

        // libxml2 (from Debian's libxml2-dev) through its SAX2 push parser, set up as Foundation's XMLParser sets it up.
        // Not linked: loader.c opens libxml2.so.2 at the first parse, so FoundationXML, libxml2 and the ICU, liblzma and
        // zlib behind it are neither loaded nor relocated by any other command. The headers are in their own folder.
        .target(name: "CXML2Loader", dependencies: ["CLazyLibrary"],
                cSettings: [.unsafeFlags(["-I/usr/include/libxml2"])]),

        // Discovery's outside worlds: DNS over c-ares, Thunderbird autoconfig documents read with libxml2 (CXML2Loader).
        .target(name: "MailshDiscovery", dependencies: ["MailshCore", "CCares", "CCaresLoader", "CXML2Loader"],
                swiftSettings: directMetadata),

        // Doubles of the core's protocols for unit tests (the scripted OAuth token client).
        .target(name: "MailshTesting", dependencies: ["MailshCore"]),

        // The wiring both programs share: the concrete SQLite store, secret box, Lua host, transport and discovery
        // handed to the command tree; each program adds what it alone links.
        .target(
            name: "MailshProgram",
            dependencies: ["MailshShell", "MailshStore", "MailshCrypto", "MailshLua", "MailshTransport",
                           "MailshDiscovery", "MailshMonitor", "MailshCore"],
            swiftSettings: directMetadata
        ),

        // The installed program: everything but the PostgreSQL engine and the metrics endpoint (NIO, Prometheus),
        // whose Swift metadata every process would otherwise relocate and
        // copy at start (bench/RESULTS.md, Start-up). At the top of main it asks ProgramChoice whether it serves the
        // command line; anything else it hands over, before reading any input, to mailsh-full beside it (execv: the
        // same arguments, environment and open files).
        .executableTarget(
            name: "mailsh",
            dependencies: ["MailshProgram", "MailshShell", "MailshCore"],
            swiftSettings: directMetadata,
            linkerSettings: programLinkerSettings
        ),

        // The full program: the same wiring with PostgreSQL stores and `monitor --metrics`; it serves the shell,
        // `store`, `monitor`, every PostgreSQL store and whatever else mailsh hands over.
        .executableTarget(
            name: "mailsh-full",
            dependencies: ["MailshProgram", "MailshPostgres", "MailshMetrics", "MailshShell", "MailshStore",
                           "MailshCore"],
            linkerSettings: programLinkerSettings
        ),

        // Benchmarks that measure mailsh's own code in the process (bench/); scripts in bench/ compare with peers.
        .executableTarget(
            name: "mailsh-bench",
            dependencies: ["MailshShell", "MailshStore", "MailshCrypto", "MailshCore"],
            path: "bench/Sources/mailsh-bench"
        ),

        // The matcher benchmark: parses and matches a directory of messages; bench/match/run.sh runs Python beside it.
        .executableTarget(
            name: "mailsh-match-bench",
            dependencies: ["MailshMessage", "MailshCore"],
            path: "bench/Sources/mailsh-match-bench"
        ),

        .testTarget(name: "MailshCoreTests", dependencies: ["MailshCore", "MailshTesting"]),
        .testTarget(name: "MailshMessageTests", dependencies: ["MailshMessage", "MailshCore"],
                    exclude: ["make-corpus.py", "fetch-real-corpus.sh", "real-corpus-peer.py"], resources: [.copy("Corpus")]),
        .testTarget(name: "MailshCryptoTests", dependencies: ["MailshCrypto", "MailshCore"]),
        .testTarget(name: "MailshStoreTests", dependencies: ["MailshStore", "MailshPostgres", "MailshCrypto", "MailshCore", "MailshTesting"],
                    exclude: ["Schema"]),
        .testTarget(name: "MailshLuaTests", dependencies: ["MailshLua", "MailshShell", "MailshStore", "MailshCrypto", "MailshTransport", "MailshCore",
                                                         "MailshTesting"],
                    resources: [.copy("Scripts")]),
        // The monitor's decisions against a SQLite store and a scripted mailbox (MailshTesting), without the mail lab.
        .testTarget(name: "MailshMonitorTests",
                    dependencies: ["MailshMonitor", "MailshStore", "MailshCrypto", "MailshCore", "MailshTesting"]),
        .testTarget(name: "MailshTransportTests",
                    dependencies: ["MailshTransport", "MailshShell", "MailshMonitor", "MailshStore", "MailshPostgres", "MailshCrypto",
                                   "MailshDiscovery",
                                   "MailshCore", "MailshTesting"]),
        .testTarget(name: "MailshShellTests", dependencies: ["MailshShell", "MailshStore", "MailshPostgres", "MailshCrypto",
                                                           "MailshCore",
                                                           "MailshTesting"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "MailshDiscoveryTests", dependencies: ["MailshDiscovery", "MailshCore"]),
        .testTarget(name: "MailshEndToEndTests", dependencies: ["MailshCore", "MailshTesting"]),
    ],
    swiftLanguageModes: [.v6]
)
