// swift-tools-version:6.1
//
// The strategy host: a host executable that owns feeds, execution, risk and
// persistence, and plugins (.so, loaded through the C ABI in SDK/) that decide.
// Layout: SDK/ (the contract), Host/ (one folder per subsystem), Plugins/, Tests/.

import Foundation
import PackageDescription

// MARK: - Dependencies

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let dequeModule = Target.Dependency.product(name: "DequeModule", package: "swift-collections")
let heapModule = Target.Dependency.product(name: "HeapModule", package: "swift-collections")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let grdb = Target.Dependency.product(name: "GRDB", package: "GRDB.swift")
let grdbSQLite = Target.Dependency.product(name: "GRDBSQLite", package: "GRDB.swift")
let postgres = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let histogram = Target.Dependency.product(name: "Histogram", package: "hdrhistogram-swift")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let hummingbirdWebSocket = Target.Dependency.product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioWebSocket = Target.Dependency.product(name: "NIOWebSocket", package: "swift-nio")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")

// MARK: - Swift settings applied to every Swift target

/// Strict in one loop, so no target drifts.
var strictSettings: [SwiftSetting] = [
    // `any P` spelled out: existential cost is visible at the use site.
    .enableUpcomingFeature("ExistentialAny"),
    // A file sees members only of modules it imports itself.
    .enableUpcomingFeature("MemberImportVisibility"),
    // nonisolated async functions run on the caller's executor (Swift 6.2 semantics).
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]
// Only for our own CI runs: never inherited by SDK consumers building plugins.
if ProcessInfo.processInfo.environment["TSH_STRICT_SENDABLE"] == "1" {
    strictSettings.append(.unsafeFlags(["-require-explicit-sendable"]))
}

// MARK: - Package

let package = Package(
    name: "strategy-host",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "host", targets: ["Host"]),
        .library(name: "StrategySDK", targets: ["StrategySDK"]),
        .library(name: "HostTesting", targets: ["HostTesting"]),
        // Plugins: each builds to lib<name>.so next to the host binary.
        .library(name: "price_move_trigger", type: .dynamic, targets: ["PriceMoveTrigger"]),
        .library(name: "signal_follower", type: .dynamic, targets: ["SignalFollower"]),
        .library(name: "ema_bench", type: .dynamic, targets: ["EMABench"]),
        .library(name: "last_second", type: .dynamic, targets: ["LastSecond"]),
        .library(name: "triggers", type: .dynamic, targets: ["Triggers"]),
        .library(name: "qde", type: .dynamic, targets: ["QDE"]),
        .library(name: "iceberg", type: .dynamic, targets: ["Iceberg"]),
        .library(name: "orderflow", type: .dynamic, targets: ["OrderFlow"]),
        .library(name: "signal_trader", type: .dynamic, targets: ["SignalTrader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // MARK: SDK — the C header is the contract; the Swift wrapper is a convenience.
        .target(name: "CStrategyHostSDK", path: "SDK/C"),
        .target(name: "StrategySDK", dependencies: ["CStrategyHostSDK"], path: "SDK/Swift"),

        // MARK: Host subsystems
        .target(name: "HostCore", dependencies: [logging], path: "Host/Core"),
        .target(name: "HostConfig", dependencies: ["HostCore", yams], path: "Host/Config"),
        // StrategySDK for `SwiftToolchain`: the host refuses Swift plugins built by another compiler.
        .target(name: "HostPlugins", dependencies: ["HostCore", "CStrategyHostSDK", "StrategySDK", logging], path: "Host/Plugins"),
        .target(name: "HostRisk", dependencies: ["HostCore"], path: "Host/Risk"),
        .target(name: "HostExecution", dependencies: ["HostCore"], path: "Host/Execution"),
        .target(name: "CSQLiteTuning", path: "Host/SQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(name: "HostPersistence", dependencies: ["HostCore", "CSQLiteTuning", "CZlib", grdb, grdbSQLite, logging], path: "Host/Persistence"),
        // The collector's market-data store: SQLite by default, PostgreSQL/TimescaleDB when configured.
        .target(name: "HostStore", dependencies: ["HostCore", grdb, postgres, nioCore, logging, histogram], path: "Host/Store"),
        // Redis through hiredis (Debian: libhiredis-dev, installed by scripts/setup.sh): the ticker cache and the published asset state.
        .systemLibrary(name: "CHiredis", path: "Host/CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "HostRedis", dependencies: ["HostCore", "CHiredis", dequeModule, logging], path: "Host/Redis"),
        // zlib for .csv.gz market data (Debian: zlib1g-dev, installed by scripts/setup.sh).
        .systemLibrary(name: "CZlib", path: "Host/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // xxHash for fingerprints of the data files a backtest reads (Debian: libxxhash-dev, installed by scripts/setup.sh).
        .systemLibrary(name: "CXXHash", path: "Host/CXXHash", pkgConfig: "libxxhash", providers: [.apt(["libxxhash-dev"])]),
        .target(name: "HostFeeds", dependencies: ["HostCore", "CZlib", "CXXHash"], path: "Host/Feeds"),
        .target(
            name: "HostEngine",
            dependencies: ["HostCore", "HostPlugins", "HostRisk", "HostExecution", "CStrategyHostSDK", dequeModule, heapModule, logging, metrics, histogram],
            path: "Host/Engine",
            // The engine's state is confined to one thread; dynamic exclusivity checks on
            // its class properties cost more than the dispatch itself (measured with perf).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // MARK: Venues — the venue-neutral kit, then one folder per venue (streams, REST, fakes, live)
        .target(
            name: "VenueKit",
            dependencies: ["HostCore", asyncHTTPClient, nioCore, nioPosix, nioHTTP1, nioWebSocket, nioSSL, logging],
            path: "Host/Venues/Kit", exclude: ["Fakes"]
        ),
        .target(
            name: "VenueFakes",
            dependencies: ["HostCore", hummingbird, hummingbirdWebSocket, nioCore, nioWebSocket, logging, serviceLifecycle, httpTypes],
            path: "Host/Venues/Kit/Fakes"
        ),
        // Binance spot and Bybit v5: streams, REST and live in one module each, fakes beside.
        .target(name: "Binance", dependencies: ["HostCore", "VenueKit", asyncHTTPClient, nioCore, nioHTTP1, logging],
                path: "Host/Venues/Binance", exclude: ["Fakes"]),
        .target(
            name: "BinanceFakes",
            dependencies: ["HostCore", "VenueKit", "VenueFakes", "Binance", hummingbird, hummingbirdWebSocket, nioCore, nioWebSocket, logging, httpTypes],
            path: "Host/Venues/Binance/Fakes"
        ),
        .target(name: "Bybit", dependencies: ["HostCore", "VenueKit", asyncHTTPClient, nioCore, nioHTTP1, logging],
                path: "Host/Venues/Bybit", exclude: ["Fakes"]),
        .target(
            name: "BybitFakes",
            dependencies: ["HostCore", "VenueKit", "VenueFakes", "Bybit", hummingbird, hummingbirdWebSocket, nioCore, nioWebSocket, logging, httpTypes],
            path: "Host/Venues/Bybit/Fakes"
        ),
        // Polymarket (CLOB V2 signing, market/user/RTDS streams, REST, Gamma, live venue)
        // libsecp256k1 for EIP-712 order signatures (Debian: libsecp256k1-dev, installed by scripts/setup.sh).
        .systemLibrary(name: "CSecp256k1", path: "Host/CSecp256k1", pkgConfig: "libsecp256k1", providers: [.apt(["libsecp256k1-dev"])]),
        .target(name: "PolymarketSigning", dependencies: ["HostCore", "VenueKit", "CSecp256k1", crypto], path: "Host/Venues/Polymarket/Signing"),
        .target(name: "PolymarketStreams", dependencies: ["HostCore", "VenueKit", nioCore, nioPosix, logging], path: "Host/Venues/Polymarket/Streams"),
        .target(name: "PolymarketREST", dependencies: ["HostCore", "VenueKit", "PolymarketSigning", asyncHTTPClient, nioCore, nioHTTP1, logging], path: "Host/Venues/Polymarket/REST"),
        .target(
            name: "PolymarketFakes",
            dependencies: ["HostCore", "HostFeeds", "VenueKit", "VenueFakes", "PolymarketSigning", hummingbird, hummingbirdWebSocket, crypto, nioCore, nioWebSocket, logging, serviceLifecycle, httpTypes],
            path: "Host/Venues/Polymarket/Fakes"
        ),
        .target(
            name: "HostPolymarket",
            dependencies: ["HostCore", "HostExecution", "HostFeeds", "VenueKit", "PolymarketSigning", "PolymarketStreams", "PolymarketREST", logging],
            path: "Host/Venues/Polymarket/Live"
        ),
        .target(name: "HostMetrics", dependencies: ["HostCore", hummingbird, prometheus, metrics, logging, serviceLifecycle, nioCore], path: "Host/Metrics"),
        // The live web dashboard (screener, trading, charts, health) and the report's shared charts and trade statistics.
        .target(name: "HostDashboard", dependencies: ["HostCore", "HostPersistence", hummingbird, httpTypes, nioCore, logging], path: "Host/Dashboard"),
        .target(
            name: "HostCLI",
            dependencies: [
                "HostCore", "HostConfig", "HostPlugins", "HostRisk", "HostExecution", "HostPersistence",
                "HostFeeds", "HostEngine", "HostMetrics", "HostDashboard", "HostPolymarket", "PolymarketSigning", "PolymarketStreams",
                "PolymarketREST", "PolymarketFakes", "VenueKit", "VenueFakes", "Binance", "BinanceFakes", "Bybit", "BybitFakes", "HostStore", "HostRedis",
                "HostTesting", asyncHTTPClient, metrics, argumentParser, logging, serviceLifecycle, histogram,
            ],
            path: "Host/CLI"
        ),
        .executableTarget(name: "Host", dependencies: ["HostCLI"], path: "Host/Main"),
        // Test support for our tests and plugin authors': the journal, market scripts, PluginHarness.
        .target(name: "HostTesting", dependencies: ["HostCore", "HostEngine", "HostPlugins", "CStrategyHostSDK", logging], path: "Host/Testing"),

        // MARK: Plugins
        .target(
            name: "PriceMoveTrigger", dependencies: ["CStrategyHostSDK"], path: "Plugins/Examples/PriceMoveTrigger",
            cSettings: [.unsafeFlags(["-fvisibility=hidden"])],  // export tsh_plugin_entry only
            linkerSettings: [.linkedLibrary("m")]
        ),
        .target(name: "SignalFollower", dependencies: ["StrategySDK"], path: "Plugins/Examples/SignalFollower"),
        .target(name: "EMABench", dependencies: ["StrategySDK"], path: "Plugins/Examples/EMABench"),
        .target(name: "LastSecond", dependencies: ["StrategySDK"], path: "Plugins/LastSecond"),
        .target(name: "Triggers", dependencies: ["StrategySDK"], path: "Plugins/Triggers"),
        .target(name: "QDE", dependencies: ["StrategySDK"], path: "Plugins/QDE"),
        .target(name: "Iceberg", dependencies: ["StrategySDK"], path: "Plugins/Iceberg"),
        .target(name: "OrderFlow", dependencies: ["StrategySDK"], path: "Plugins/OrderFlow"),
        .target(name: "SignalTrader", dependencies: ["StrategySDK"], path: "Plugins/SignalTrader"),

        // MARK: Tests (one target per subsystem)
        .testTarget(name: "TriggerTests", dependencies: ["HostCore", "HostEngine", "HostPlugins", "HostTesting", logging],
                    path: "Tests/TriggerTests"),
        .testTarget(name: "SDKTests", dependencies: ["StrategySDK", "CStrategyHostSDK"], path: "Tests/SDKTests", exclude: ["Reference"]),
        .testTarget(name: "CoreTests", dependencies: ["HostCore"], path: "Tests/CoreTests"),
        .testTarget(name: "PluginLoaderTests", dependencies: ["HostPlugins", "HostCore"], path: "Tests/PluginLoaderTests",
                    exclude: ["Fixtures"]),
        .testTarget(name: "ConfigTests", dependencies: ["HostConfig", "HostCore"], path: "Tests/ConfigTests"),
        .testTarget(name: "TradingTests", dependencies: ["HostRisk", "HostExecution", "HostCore"], path: "Tests/TradingTests"),
        .testTarget(
            name: "EngineTests",
            dependencies: ["HostEngine", "HostPlugins", "HostCore", "HostTesting", "HostFeeds", "HostRisk", "HostExecution", "HostPersistence", "StrategySDK"],
            path: "Tests/EngineTests"
        ),
        .testTarget(name: "RedisTests", dependencies: ["HostRedis", "HostCore", logging], path: "Tests/RedisTests"),
        .testTarget(name: "StoreTests", dependencies: ["HostStore", "HostCore", logging, nioCore], path: "Tests/StoreTests"),
        .testTarget(name: "CLITests", dependencies: ["HostCLI", "HostDashboard", "HostCore", "HostPersistence", "HostStore", "HostRedis", "PolymarketSigning", "VenueKit", "BinanceFakes", "BybitFakes", logging, grdb, argumentParser], path: "Tests/CLITests",
                    exclude: ["Data"]),
        .testTarget(
            name: "LastSecondTests",
            dependencies: ["HostEngine", "HostPlugins", "HostCore", "HostTesting", "HostExecution", "HostRisk"],
            path: "Tests/LastSecondTests"
        ),
        .testTarget(name: "FeedTests", dependencies: ["HostFeeds", "HostCore"], path: "Tests/FeedTests"),
        .testTarget(name: "TardisTests", dependencies: ["HostFeeds", "HostCore", "CZlib"], path: "Tests/TardisTests"),
        .testTarget(name: "PolymarketSigningTests", dependencies: ["PolymarketSigning", "VenueKit", "HostCore"], path: "Tests/PolymarketSigningTests",
                    exclude: ["Vectors"]),
        .testTarget(name: "PolymarketStreamsTests", dependencies: ["PolymarketStreams", "PolymarketFakes", "VenueKit", "VenueFakes", "HostCore", nioCore, nioPosix, logging],
                    path: "Tests/PolymarketStreamsTests"),
        .testTarget(name: "PolymarketRESTTests", dependencies: ["PolymarketREST", "PolymarketSigning", "PolymarketFakes", "VenueKit", "VenueFakes", "HostCore"],
                    path: "Tests/PolymarketRESTTests"),
        .testTarget(
            name: "PolymarketLiveTests",
            dependencies: ["HostPolymarket", "PolymarketFakes", "PolymarketSigning", "PolymarketStreams", "PolymarketREST", "VenueKit", "VenueFakes", "HostEngine",
                           "HostCore", "HostPlugins", "HostTesting", "HostCLI"],
            path: "Tests/PolymarketLiveTests"
        ),
        .testTarget(name: "VenueKitTests", dependencies: ["VenueKit", "VenueFakes", "HostCore", logging, nioCore, nioPosix, nioHTTP1, nioWebSocket],
                    path: "Tests/VenueKitTests"),
        .testTarget(name: "BinanceTests", dependencies: ["Binance", "BinanceFakes", "VenueKit", "VenueFakes", "HostCore", asyncHTTPClient, logging],
                    path: "Tests/BinanceTests"),
        .testTarget(name: "BybitTests", dependencies: ["Bybit", "BybitFakes", "VenueKit", "VenueFakes", "HostCore", asyncHTTPClient, logging],
                    path: "Tests/BybitTests"),
        .testTarget(name: "DashboardTests", dependencies: ["HostDashboard", "HostCore", "HostPersistence", hummingbird, hummingbirdTesting, httpTypes, nioCore],
                    path: "Tests/DashboardTests"),
        .testTarget(name: "PersistenceTests", dependencies: ["HostPersistence", "HostCore"], path: "Tests/PersistenceTests"),
    ]
)

/// Targets written in C: the strict Swift settings do not apply to them (and only to them).
let cTargets: Set<String> = ["CStrategyHostSDK", "CSQLiteTuning", "PriceMoveTrigger"]
for target in package.targets where target.type != .system && !cTargets.contains(target.name) {
    target.swiftSettings = (target.swiftSettings ?? []) + strictSettings
}
