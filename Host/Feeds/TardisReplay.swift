import Dispatch
import Foundation
import HostCore
import Synchronization

/// The merge behind both replay sources, behind a lock so the sources stay `Sendable`; the
/// lock is taken once per batch of events, never per event.
final class TardisMerger: Sendable {
    private let state: Mutex<TardisMergeState>
    private let pool: TardisParsePool?

    /// - Parameter parseThreads: threads that parse the streams' next blocks ahead of the
    ///   merge; 0 parses on the merging thread.
    init(streams plans: [TardisStreamPlan], options: TardisOptions, inflateAhead: Bool, parseThreads: Int = 0) {
        let pool = parseThreads > 0 && !plans.isEmpty ? TardisParsePool(threads: min(parseThreads, plans.count)) : nil
        self.pool = pool
        let streams = plans.enumerated().map {
            TardisStream(rank: $0.offset, files: $0.element.files, options: options, inflateAhead: inflateAhead, pool: pool)
        }
        state = Mutex(TardisMergeState(streams: streams))
    }

    deinit { pool?.stop() }

    func fill(_ out: inout [MarketEvent], limit: Int) throws(TardisError) {
        try state.withLock { (merge: inout sending TardisMergeState) throws(TardisError) in
            try merge.fill(&out, limit: limit)
        }
    }

    func peekTime() -> Int64? { state.withLock { $0.peekTime() } }

    var statistics: TardisStatistics { state.withLock { $0.statistics } }
}

/// Replays a ``TardisDataSet`` on the consumer's thread: `next()` parses as it goes.
///
/// On an error (a malformed row without `skipMalformed`, a timestamp going back, an I/O
/// failure) the events merged before it are delivered, then `next()` returns nil and
/// ``failure`` holds the error; ``nextEvent()`` throws it instead.
///
/// - Important: Copies share the files' read position; consume one copy.
public struct TardisReplay: MarketEventSource {
    static let batchSize = 1_024

    private let merger: TardisMerger
    private var batch: [MarketEvent] = []
    private var index = 0
    private var lastTime: Int64
    /// Why the replay ended early; nil while it runs or after a clean end.
    public private(set) var failure: TardisError?

    init(merger: TardisMerger, startTime: Int64) {
        self.merger = merger
        self.lastTime = startTime
    }

    /// The next event, or nil at the end of the data or on an error (see ``failure``).
    public mutating func next() -> MarketEvent? {
        if index < batch.count {
            index += 1
            return batch[index - 1]
        }
        return nextBatch()
    }

    private mutating func nextBatch() -> MarketEvent? {
        guard failure == nil else { return nil }
        lastTime = batch.last?.tsRecv ?? lastTime
        batch.removeAll(keepingCapacity: true)
        index = 0
        do {
            try merger.fill(&batch, limit: Self.batchSize)
        } catch {
            failure = error
        }
        guard !batch.isEmpty else { return nil }
        index = 1
        return batch[0]
    }

    /// The next event, nil at the end; throws the error that ended the replay.
    public mutating func nextEvent() throws(TardisError) -> MarketEvent? {
        if let event = next() { return event }
        if let failure { throw failure }
        return nil
    }

    /// tsRecv of the next event; at the end, the last event's.
    public var time: Int64 {
        if index < batch.count { return batch[index].tsRecv }
        return merger.peekTime() ?? batch.last?.tsRecv ?? lastTime
    }

    /// Rows read, skipped and filtered so far, per file.
    public var statistics: TardisStatistics { merger.statistics }
}

/// Replays a ``TardisDataSet`` with reading and parsing on a background thread, so they
/// overlap with the consumer (the engine).
///
/// The producer fills reusable batches of events and hands them over through a bounded
/// queue: at most `buffers` batches exist, so memory stays bounded and a slow consumer
/// pauses the producer. The events, their order and the error behaviour are exactly those
/// of ``TardisReplay``. Dropping the source stops the thread after its current batch.
///
/// - Important: One consumer: copies share the hand-off; consume one copy.
public struct TardisThreadedReplay: MarketEventSource {
    private let producer: TardisProducer
    private var batch: [MarketEvent] = []
    private var index = 0
    private var lastTime: Int64
    private var ended = false
    /// Why the replay ended early; nil while it runs or after a clean end.
    public private(set) var failure: TardisError?

    init(merger: TardisMerger, batchSize: Int, buffers: Int, startTime: Int64) {
        producer = TardisProducer(merger: merger, batchSize: max(1, batchSize), buffers: max(2, buffers))
        lastTime = startTime
    }

    /// The next event, or nil at the end of the data or on an error (see ``failure``).
    public mutating func next() -> MarketEvent? {
        if index < batch.count {
            index += 1
            return batch[index - 1]
        }
        return nextBatch()
    }

    private mutating func nextBatch() -> MarketEvent? {
        guard takeBatch() else { return nil }
        index = 1
        return batch[0]
    }

    /// Replaces the spent batch with the producer's next one; false at the end or on an error.
    private mutating func takeBatch() -> Bool {
        guard !ended else { return false }
        lastTime = batch.last?.tsRecv ?? lastTime
        index = 0
        guard producer.handoff.take(&batch) else {
            ended = true
            failure = producer.handoff.failure
            batch.removeAll()
            return false
        }
        return true
    }

    /// The next event, nil at the end; throws the error that ended the replay.
    public mutating func nextEvent() throws(TardisError) -> MarketEvent? {
        if let event = next() { return event }
        if let failure { throw failure }
        return nil
    }

    /// Hands the rest of the current batch, or the next whole batch, to `body` in place (no
    /// copy per event); false at the end of the data or on an error (see ``failure``).
    public mutating func nextBatch(_ body: (UnsafeBufferPointer<MarketEvent>) throws -> Void) rethrows -> Bool {
        if index >= batch.count, !takeBatch() { return false }
        let start = index
        index = batch.count
        try batch.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start...])) }
        return true
    }

    /// tsRecv of the next event (waits for the producer when the current batch is spent);
    /// at the end, the last event's.
    public var time: Int64 {
        if index < batch.count { return batch[index].tsRecv }
        if ended { return batch.last?.tsRecv ?? lastTime }
        return producer.handoff.peekTime() ?? batch.last?.tsRecv ?? lastTime
    }

    /// Rows read, skipped and filtered so far, as of the last batch produced.
    public var statistics: TardisStatistics { producer.handoff.statistics }
}

/// Owns the producer thread; releasing it cancels the thread.
final class TardisProducer: Sendable {
    let handoff: TardisHandoff

    init(merger: TardisMerger, batchSize: Int, buffers: Int) {
        let handoff = TardisHandoff(buffers: buffers, statistics: merger.statistics)
        self.handoff = handoff
        let thread = Thread {
            handoff.produce(merger: merger, batchSize: batchSize)
        }
        thread.name = "tsh.feed.tardis"
        thread.start()
    }

    deinit { handoff.cancel() }
}

/// The bounded queue between the producer thread and the consumer: full batches one way,
/// spent ones back for reuse. Semaphores count the batches ready (`filled`) and the
/// buffers the producer may fill (`freed`).
final class TardisHandoff: Sendable {
    private struct State {
        var full: [[MarketEvent]] = []
        var free: [[MarketEvent]] = []
        var finished = false
        var failure: TardisError?
        var statistics: TardisStatistics
        var cancelled = false
        /// A `filled` signal the consumer took while peeking and has not used yet.
        var credit = 0
        /// The consumer took the end signal: never wait again.
        var endSeen = false
    }

    private let state: Mutex<State>
    private let filled = DispatchSemaphore(value: 0)
    private let freed = DispatchSemaphore(value: 0)

    init(buffers: Int, statistics: TardisStatistics) {
        state = Mutex(State(statistics: statistics))
        // The consumer always holds one buffer; the producer may fill the others. Signalled
        // rather than given as the initial value: libdispatch traps when a semaphore is
        // released below its initial value, which a cancelled producer leaves it at.
        for _ in 1..<buffers { freed.signal() }
    }

    // MARK: Producer side

    func produce(merger: TardisMerger, batchSize: Int) {
        while true {
            freed.wait()
            let reused = state.withLock { state -> [MarketEvent]? in
                state.cancelled ? nil : (state.free.popLast() ?? [])
            }
            guard var buffer = reused else { return }
            buffer.removeAll(keepingCapacity: true)
            buffer.reserveCapacity(batchSize)
            var failure: TardisError?
            do {
                try merger.fill(&buffer, limit: batchSize)
            } catch {
                failure = error
            }
            // fill stops short of the limit only at the end of the data or on an error.
            let finished = failure != nil || buffer.count < batchSize
            let hasEvents = !buffer.isEmpty
            let statistics = merger.statistics
            let ready = buffer
            state.withLock { state in
                if hasEvents && !state.cancelled { state.full.append(ready) }
                state.statistics = statistics
                if finished {
                    state.finished = true
                    state.failure = failure
                }
            }
            if hasEvents { filled.signal() }
            if finished {
                filled.signal()
                return
            }
        }
    }

    func cancel() {
        state.withLock { state in
            state.cancelled = true
            state.full.removeAll()
            state.free.removeAll()
        }
        freed.signal()
    }

    // MARK: Consumer side

    /// Replaces the consumer's spent `batch` with the next full one; false at the end.
    func take(_ batch: inout [MarketEvent]) -> Bool {
        let mustWait = state.withLock { state -> Bool in
            if state.endSeen { return false }
            if state.credit > 0 {
                state.credit -= 1
                return false
            }
            return true
        }
        if mustWait { filled.wait() }
        let spent = batch
        batch = []
        let next = state.withLock { state -> [MarketEvent]? in
            guard !state.full.isEmpty else {
                state.endSeen = true
                return nil
            }
            state.free.append(spent)
            return state.full.removeFirst()
        }
        guard let next else { return false }
        batch = next
        freed.signal()
        return true
    }

    /// tsRecv of the first event of the next batch, waiting for it; nil at the end.
    func peekTime() -> Int64? {
        let mustWait = state.withLock { !$0.endSeen && $0.credit == 0 }
        if mustWait {
            filled.wait()
            state.withLock { $0.credit += 1 }
        }
        return state.withLock { $0.full.first?.first?.tsRecv }
    }

    var failure: TardisError? { state.withLock { $0.failure } }
    var statistics: TardisStatistics { state.withLock { $0.statistics } }
}
