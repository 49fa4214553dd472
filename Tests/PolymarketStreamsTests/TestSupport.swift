import VenueKit
import Foundation
import HostCore
import Logging
import PolymarketStreams
import Synchronization
import Testing

/// Recorded venue messages, read in place from the steering repo's shared folder.
enum Fixtures {
    /// /work/main/Tests/PolymarketStreamsTests/ → /work/main → ../shared/fixtures/polymarket
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures/polymarket").standardizedFileURL

    static let available = FileManager.default.fileExists(atPath: directory.appendingPathComponent("SOURCES.md").path)

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }
}

/// Fixture-based tests run only where the shared fixtures folder exists.
let fixturesPresent = Testing.ConditionTrait.enabled(if: Fixtures.available, "needs /work/shared/fixtures/polymarket (shared fixtures folder)")

func fx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }
func dec(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

/// Thread-safe list of what callbacks received.
final class Recorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    func append(contentsOf more: [Element]) { items.withLock { $0.append(contentsOf: more) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes (no timing is asserted).
func eventually(timeout: Duration = .seconds(15), _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

/// Short policies so reconnect and stale paths run in milliseconds.
enum TestPolicies {
    static let heartbeat = HeartbeatPolicy(interval: .milliseconds(50), staleAfter: .seconds(3))
    static let staleHeartbeat = HeartbeatPolicy(interval: .milliseconds(50), staleAfter: .milliseconds(300))
    static let backoff = BackoffPolicy(base: .milliseconds(10), max: .milliseconds(100))
}

let testLogger: Logger = {
    var logger = Logger(label: "polymarket.streams.tests")
    logger.logLevel = .critical
    return logger
}()

extension MarketChannelMessage {
    var book: BookMessage? { if case .book(let b) = self { b } else { nil } }
    var priceChange: PriceChangeMessage? { if case .priceChange(let p) = self { p } else { nil } }
}

/// Records every log line (message and metadata, rendered) at any level.
struct CapturingLogHandler: LogHandler {
    let lines: Recorder<String>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}
