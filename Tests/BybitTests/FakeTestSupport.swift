import Bybit
import BybitFakes
import Foundation
import Logging
import Synchronization
import Testing
import VenueKit

/// A clock the tests move by hand (ms since the epoch).
final class FakeTestClock: Sendable {
    private let value: Atomic<Int64>
    init(_ ms: Int64) { value = Atomic(ms) }
    var ms: Int64 { value.load(ordering: .relaxed) }
    func advance(_ ms: Int64) { value.wrappingAdd(ms, ordering: .relaxed) }
    var closure: @Sendable () -> Int64 { { [self] in ms } }
}

/// A raw WebSocket client for the fake's tests, on the kit's ReconnectingWebSocket with no
/// keep-alive of its own: every text frame is recorded, frames are sent only when asked.
final class FakeWSProbe: Sendable {
    private let received = Mutex<[String]>([])
    private let parsed = Mutex<[JSONValue]>([])
    private let outbox = Mutex<Outbox?>(nil)
    private let eventLog = Mutex<[ConnectionEvent]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Connects to `url`; `initial` frames are sent on every (re)connect.
    init(url: String, initial: [String] = []) {
        var logger = Logger(label: "bybit.test.probe")
        logger.logLevel = .critical
        let hooks = SocketHooks(
            keepAlive: .none,
            opened: { [self] outbox in
                self.outbox.withLock { $0 = outbox }
                return (initial, initial.count)
            },
            closed: { [self] in self.outbox.withLock { $0 = nil } },
            makeReceiver: { [self] in
                { text, _ in
                    // Parsed once on arrival: the tests poll often and must not re-parse.
                    let value = JSONValue.parse(Array(text.utf8)) ?? .null
                    self.received.withLock { $0.append(text) }
                    self.parsed.withLock { $0.append(value) }
                }
            },
            event: { [self] event in self.eventLog.withLock { $0.append(event) } }
        )
        let socket = ReconnectingWebSocket(url: url, shard: 0, heartbeat: HeartbeatPolicy(interval: .seconds(3600), staleAfter: .seconds(3600)),
                                           backoff: BackoffPolicy(base: .seconds(30), max: .seconds(30)), logger: logger, hooks: hooks)
        task.withLock { $0 = Task { await socket.run() } }
    }

    var frames: [String] { received.withLock { $0 } }
    var events: [ConnectionEvent] { eventLog.withLock { $0 } }
    var isConnected: Bool { outbox.withLock { $0 != nil } }

    /// The frames parsed as JSON, in arrival order.
    var objects: [JSONValue] { parsed.withLock { $0 } }

    func send(_ text: String) { outbox.withLock { $0 }?.send(text) }

    func stop() { task.withLock { $0 }?.cancel() }

    /// Waits until `condition` holds (polling every 10 ms, at most `timeout`); returns whether it did.
    @discardableResult
    func wait(timeout: Duration = .seconds(30), until condition: (JSONValue) -> Bool) async -> Bool {
        await FakeWait.until(timeout: timeout) { self.objects.contains(where: condition) }
    }

    /// Waits for the connection to open.
    func waitConnected() async -> Bool { await FakeWait.until { self.isConnected } }
}

enum FakeWait {
    /// Polls `condition` every 10 ms for at most `timeout`.
    static func until(timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

/// Reading the fake's frames through the kit's plain JSON tree (independent of the Bybit parsers).
enum FakeWire {
    static func topic(_ message: JSONValue) -> String? { message["topic"]?.string }

    static func int(_ value: JSONValue?) -> Int64? { value?.int64 }

    /// `data.u` of an order-book message.
    static func updateID(_ message: JSONValue) -> Int64? { message["data"]?["u"]?.int64 }

    /// `[[price, size]]` as string pairs.
    static func levels(_ value: JSONValue?) -> [(String, String)] {
        (value?.array ?? []).compactMap { pair in
            guard let cells = pair.array, cells.count == 2, let price = cells[0].string, let size = cells[1].string else { return nil }
            return (price, size)
        }
    }
}

/// A quiet logger for the tests.
let fakeTestLogger: Logger = {
    var logger = Logger(label: "bybit.test")
    logger.logLevel = .critical
    return logger
}()

/// A fake with a pinned clock and no background movement: markets move only on `step`.
func makeFakeVenue(clock: FakeTestClock? = nil, levels: Int = 100,
                   instruments: [FakeBybitInstrument] = FakeBybitInstrument.defaults) async throws -> FakeBybitVenue {
    var configuration = FakeBybitVenue.Configuration()
    configuration.bookLevels = levels
    configuration.instruments = instruments
    if let clock { configuration.clock = clock.closure }
    let venue = FakeBybitVenue(configuration: configuration, logger: fakeTestLogger)
    try await venue.start()
    return venue
}

/// Runs `body` against a started fake (see ``makeFakeVenue``) and stops the fake afterwards.
func withFakeVenue<T>(clock: FakeTestClock? = nil, levels: Int = 100, instruments: [FakeBybitInstrument] = FakeBybitInstrument.defaults,
                      _ body: (FakeBybitVenue) async throws -> T) async throws -> T {
    let venue = try await makeFakeVenue(clock: clock, levels: levels, instruments: instruments)
    do {
        let result = try await body(venue)
        await venue.stop()
        return result
    } catch {
        await venue.stop()
        throw error
    }
}
