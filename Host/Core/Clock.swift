import Foundation
import Synchronization

/// The engine's notion of now, in ns since the Unix epoch.
///
/// In replay and backtests time is the events' (`SimulatedClock`); live it is the wall
/// clock. Plugins see only this, so the same code path decides in both.
public protocol EngineClock: AnyObject, Sendable {
    /// Current time in ns since the Unix epoch.
    func now() -> Int64
    /// Whether time is driven by events (replay, backtest) rather than the wall.
    var isSimulated: Bool { get }
    /// Moves simulated time forward to `time` (never backwards); a no-op live.
    func advance(to time: Int64)
}

/// Wall-clock time (optionally shifted by a fixed offset: integration tests run a live
/// session "at" a chosen moment, e.g. seconds before a market window ends).
public final class WallClock: EngineClock {
    private let offset: Atomic<Int64>
    public init(offsetNs: Int64 = 0) { offset = Atomic(offsetNs) }
    /// The shift from the real wall clock, ns.
    public var offsetNs: Int64 { offset.load(ordering: .relaxed) }
    /// Moves this clock forward (tests: jump to just before a window ends).
    public func shift(byNs delta: Int64) { offset.add(delta, ordering: .relaxed) }
    public func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec) + offset.load(ordering: .relaxed)
    }
    public var isSimulated: Bool { false }
    public func advance(to time: Int64) {}
}

/// Time driven by the events themselves; monotonic.
public final class SimulatedClock: EngineClock {
    @usableFromInline let current: Atomic64

    public init(start: Int64 = 0) { current = Atomic64(start) }
    public func now() -> Int64 { current.load() }
    public var isSimulated: Bool { true }
    public func advance(to time: Int64) { current.max(time) }
    /// Sets the time; for the engine, the clock's only writer, which never moves it back.
    @inlinable public func set(_ time: Int64) { current.store(time) }
}

/// Monotonic ns for measuring durations (not a timestamp).
@inlinable public func monotonicNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// CPU time of the calling thread in ns (benchmarks on a shared machine: unlike the wall
/// clock, it does not count time the thread waited for a core).
public func threadCPUNanos() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

extension Duration {
    /// The duration in seconds as a `Double` (reports, rates, backoff arithmetic).
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
