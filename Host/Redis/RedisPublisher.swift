import DequeModule
import Foundation
import Logging
import Synchronization

/// Writes hashes and publishes messages to Redis from a thread of its own, so callers (the
/// engine thread, feed handlers) never wait on the network.
///
/// - Hash fields are coalesced: a field set twice before a flush is written once, with the
///   newer value, so while Redis is away the pending state is bounded by the number of keys
///   and fields, not by time, and on return the newest state is written.
/// - Messages (`PUBLISH`) queue up to `maxQueuedMessages`; beyond that the oldest are dropped
///   and counted (a subscriber that missed them reads the snapshot hash).
/// - Everything pending is written in one pipeline per flush (every `flushInterval`).
/// - A failed connection is counted, logged once per outage, and retried with backoff
///   (0.25 s doubling to 5 s); nothing the caller does waits for it.
public final class RedisPublisher: Sendable {
    public struct Counters: Sendable, Codable, Equatable {
        public var connected = false
        /// Hash field sets written (after coalescing) and `PUBLISH`es sent.
        public var hashWrites = 0
        public var published = 0
        /// Flushes that failed (connection lost or refused), and connections opened.
        public var failures = 0
        public var connects = 0
        /// Messages dropped because the queue was full while Redis was away.
        public var dropped = 0
        /// Error replies from the server (a command refused: wrong type, OOM, …).
        public var serverErrors = 0
        public var pendingKeys = 0
        public var pendingMessages = 0
        public var lastError: String?
        public init() {}
    }

    private struct PendingHash {
        var fields: [String: String] = [:]
        var order: [String] = []
        var ttlSeconds: Int?
        mutating func set(_ name: String, _ value: String) {
            if fields.updateValue(value, forKey: name) == nil { order.append(name) }
        }
    }

    private struct State {
        var hashes: [String: PendingHash] = [:]
        var keyOrder: [String] = []
        var messages = Deque<(channel: String, message: String)>()
        var counters = Counters()
        var stopping = false
        var flushRequested = false
    }

    public let url: RedisURL
    public let maxQueuedMessages: Int
    public let flushInterval: Duration
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let logger: Logger

    public init(url: RedisURL, flushInterval: Duration = .milliseconds(100), maxQueuedMessages: Int = 100_000,
                connectTimeout: Duration = .seconds(2), logger: Logger = Logger(label: "tsh.redis")) {
        self.url = url
        self.flushInterval = flushInterval
        self.maxQueuedMessages = maxQueuedMessages
        self.logger = logger
        let thread = Thread { [self] in self.loop(connectTimeout: connectTimeout) }
        thread.name = "tsh-redis"
        thread.start()
    }

    public var counters: Counters {
        state.withLock { s in
            var c = s.counters
            c.pendingKeys = s.hashes.count
            c.pendingMessages = s.messages.count
            return c
        }
    }

    /// Sets fields of a hash (coalesced with pending sets of the same key); `ttlSeconds` re-arms
    /// the key's expiry with every write.
    public func setHash(_ key: String, fields: [(String, String)], ttlSeconds: Int? = nil) {
        state.withLock { s in
            if s.hashes[key] == nil { s.keyOrder.append(key) }
            var pending = s.hashes[key] ?? PendingHash()
            for (name, value) in fields { pending.set(name, value) }
            pending.ttlSeconds = ttlSeconds
            s.hashes[key] = pending
        }
    }

    /// Queues a `PUBLISH channel message`.
    public func publish(_ channel: String, _ message: String) {
        state.withLock { s in
            s.messages.append((channel, message))
            while s.messages.count > maxQueuedMessages {
                s.messages.removeFirst()
                s.counters.dropped += 1
            }
        }
    }

    /// Asks for a flush now rather than at the next interval.
    public func flushSoon() {
        state.withLock { $0.flushRequested = true }
        wake.signal()
    }

    /// Writes what is pending (one last attempt if Redis is away) and stops the thread; returns
    /// the final counters. Waits at most `timeout`.
    @discardableResult
    public func stop(timeout: Duration = .seconds(5)) -> Counters {
        let first = state.withLock { s -> Bool in
            defer { s.stopping = true }
            return !s.stopping
        }
        if first {
            wake.signal()
            let (seconds, attoseconds) = timeout.components
            _ = finished.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
        }
        return counters
    }

    // MARK: - The writer thread

    private func loop(connectTimeout: Duration) {
        var connection: RedisConnection?
        var backoff: Duration = .zero
        var outage = false
        while true {
            let (stopping, idle) = state.withLock { s in
                (s.stopping, s.hashes.isEmpty && s.messages.isEmpty)
            }
            if stopping && idle { break }
            if !stopping {
                let wait = backoff > flushInterval ? backoff : flushInterval
                let (seconds, attoseconds) = wait.components
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)))
                state.withLock { $0.flushRequested = false }
            }
            let (hashes, order, messages) = state.withLock { s in
                defer { s.hashes = [:]; s.keyOrder = []; s.messages.removeAll(keepingCapacity: true) }
                return (s.hashes, s.keyOrder, Array(s.messages))
            }
            if hashes.isEmpty && messages.isEmpty { continue }
            do {
                if connection == nil {
                    connection = try RedisConnection(url: url, timeout: connectTimeout)
                    state.withLock { $0.counters.connects += 1; $0.counters.connected = true }
                }
                var commands = RedisCommandBuffer(capacity: 256 * (order.count + messages.count))
                for key in order {
                    guard let hash = hashes[key] else { continue }
                    commands.hset(key, hash.order.map { ($0, hash.fields[$0]!) })
                    if let ttl = hash.ttlSeconds { commands.append(["EXPIRE", key, String(ttl)]) }
                }
                for m in messages { commands.append(["PUBLISH", m.channel, m.message]) }
                try connection!.send(commands)
                let errors = try connection!.readReplies(commands.count)
                if !errors.isEmpty {
                    logger.warning("Redis refused \(errors.count) of \(commands.count) commands", metadata: ["first": "\(errors[0])", "redis": "\(url)"])
                }
                state.withLock { s in
                    s.counters.hashWrites += hashes.count
                    s.counters.published += messages.count
                    s.counters.serverErrors += errors.count
                }
                if outage {
                    logger.notice("Redis reachable again; pending cache and state written", metadata: ["redis": "\(url)", "keys": "\(hashes.count)"])
                    outage = false
                }
                backoff = .zero
            } catch {
                connection?.close()
                connection = nil
                // Put back what was not written, behind anything newer set meanwhile.
                state.withLock { s in
                    for key in order {
                        guard let old = hashes[key] else { continue }
                        if var newer = s.hashes[key] {
                            for name in old.order where newer.fields[name] == nil { newer.set(name, old.fields[name]!) }
                            s.hashes[key] = newer
                        } else {
                            s.hashes[key] = old
                            s.keyOrder.append(key)
                        }
                    }
                    for m in messages.reversed() { s.messages.prepend(m) }
                    while s.messages.count > maxQueuedMessages { s.messages.removeFirst(); s.counters.dropped += 1 }
                    s.counters.failures += 1
                    s.counters.connected = false
                    s.counters.lastError = "\(error)"
                }
                if !outage {
                    logger.warning("Redis unreachable: the ticker cache and published state are not updated until it returns (trading is not affected); retrying",
                                   metadata: ["redis": "\(url)", "error": "\(error)"])
                    outage = true
                }
                if state.withLock({ $0.stopping }) { break }  // one last attempt was made
                backoff = backoff == .zero ? .milliseconds(250) : min(backoff * 2, .seconds(5))
            }
        }
        connection?.close()
        state.withLock { $0.counters.connected = false }
        finished.signal()
    }
}
