import HostCore
import Synchronization

/// Where a venue's market-data client delivers what it receives: events in the order they
/// arrived (book rows of one message end with `.endOfBatch`), and each symbol's book going
/// stale (a gap, a resync, a lost connection — no plugin may trade on it) or fresh again.
/// The host turns both into engine inputs, so they are recorded and replayed.
public struct MarketDataSink: Sendable {
    public var events: @Sendable ([MarketEvent]) -> Void
    public var status: @Sendable (_ symbol: SymbolID, _ stale: Bool, _ reason: String) -> Void

    public init(events: @escaping @Sendable ([MarketEvent]) -> Void,
                status: @escaping @Sendable (_ symbol: SymbolID, _ stale: Bool, _ reason: String) -> Void) {
        self.events = events
        self.status = status
    }
}

/// A venue's market-data counters, readable from any thread (exported on `/metrics` with a
/// `venue` label).
public final class VenueCounters: Sendable {
    public let venue: String
    /// Text frames received.
    public let frames = Atomic<Int64>(0)
    /// Frames that could not be parsed (counted, logged with a sample, never applied).
    public let malformed = Atomic<Int64>(0)
    /// Book updates applied.
    public let applied = Atomic<Int64>(0)
    /// Book updates dropped as older than the snapshot.
    public let stale = Atomic<Int64>(0)
    /// Sequence gaps detected.
    public let gaps = Atomic<Int64>(0)
    /// Book resynchronisations started (after a gap, a reconnect or a reset).
    public let resyncs = Atomic<Int64>(0)
    /// Connections opened, including reconnects and rotations.
    public let connects = Atomic<Int64>(0)
    /// Connections lost or closed by the server.
    public let disconnects = Atomic<Int64>(0)
    /// REST requests sent, and those refused with 429/418/403 or failed.
    public let requests = Atomic<Int64>(0)
    public let requestFailures = Atomic<Int64>(0)
    /// Times the circuit breaker opened.
    public let breakerOpenings = Atomic<Int64>(0)

    public init(venue: String) { self.venue = venue }

    /// Name → value, for exporters and `host feed watch`.
    public var all: [(name: String, value: Int64)] {
        [("frames", frames.load(ordering: .relaxed)), ("malformed", malformed.load(ordering: .relaxed)),
         ("applied", applied.load(ordering: .relaxed)), ("stale", stale.load(ordering: .relaxed)),
         ("gaps", gaps.load(ordering: .relaxed)), ("resyncs", resyncs.load(ordering: .relaxed)),
         ("connects", connects.load(ordering: .relaxed)), ("disconnects", disconnects.load(ordering: .relaxed)),
         ("requests", requests.load(ordering: .relaxed)), ("request_failures", requestFailures.load(ordering: .relaxed)),
         ("breaker_openings", breakerOpenings.load(ordering: .relaxed))]
    }

    /// Adds `n` to `counter`.
    @inline(__always)
    public static func add(_ counter: borrowing Atomic<Int64>, _ n: Int64 = 1) {
        counter.wrappingAdd(n, ordering: .relaxed)
    }
}
