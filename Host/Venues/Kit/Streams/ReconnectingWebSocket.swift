import Foundation
import HostCore
import Logging
import NIOCore
import Synchronization

/// Sends text frames on the currently open connection, in the order they were sent (after the
/// subscription); frames sent after the connection closed are dropped.
package struct Outbox: Sendable {
    private let write: @Sendable (String) -> Void
    package init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }
    package init(continuation: AsyncStream<String>.Continuation) { self.write = { continuation.yield($0) } }
    package func send(_ frame: String) { write(frame) }
}

/// What a client plugs into ``ReconnectingWebSocket``.
package struct SocketHooks: Sendable {
    /// A connection opened: keep `outbox` for dynamic frames and return the frames that
    /// establish the full subscription, plus how many assets/markets they cover.
    package var opened: @Sendable (_ outbox: Outbox) -> (frames: [String], items: Int)
    /// The connection closed; drop the outbox.
    package var closed: @Sendable () -> Void
    /// Builds the per-connection receiver (it may keep parser state). The receiver runs on the
    /// connection's NIO event loop, one text message at a time.
    package var makeReceiver: @Sendable () -> (_ text: String, _ receivedNs: Int64) -> Void
    /// The end of one socket read that delivered at least one data message to the receiver (and
    /// once more when the connection closes): hand what the receiver gathered on as one batch.
    package var readComplete: @Sendable () -> Void
    /// Connection life events.
    package var event: @Sendable (ConnectionEvent) -> Void
    /// The venue's application-level keep-alive (text pings and their answers).
    package var keepAlive: KeepAlive

    package init(keepAlive: KeepAlive, opened: @escaping @Sendable (_ outbox: Outbox) -> (frames: [String], items: Int),
                 closed: @escaping @Sendable () -> Void,
                 makeReceiver: @escaping @Sendable () -> (_ text: String, _ receivedNs: Int64) -> Void,
                 event: @escaping @Sendable (ConnectionEvent) -> Void,
                readComplete: @escaping @Sendable () -> Void = {}) {
        self.keepAlive = keepAlive
        self.readComplete = readComplete
        self.opened = opened
        self.closed = closed
        self.makeReceiver = makeReceiver
        self.event = event
    }
}

/// A venue's application-level keep-alive on a WebSocket: what to send every heartbeat
/// interval, and which inbound text frames are pings to answer or pongs to drop. Protocol-level
/// ping frames are answered by ``WebSocketSessionHandler`` (echoing the payload) whatever this says.
package struct KeepAlive: Sendable {
    /// What an inbound text frame is to the keep-alive.
    package enum Inbound: Sendable, Equatable {
        /// Market data: hand it to the receiver.
        case data
        /// A pong (or any other keep-alive answer): life only.
        case pong
        /// A ping from the venue: send this reply.
        case reply(String)
    }

    /// Sent every heartbeat interval; nil sends nothing (the server pings at protocol level).
    package var ping: String?
    package var classify: @Sendable (String) -> Inbound

    package init(ping: String?, classify: @escaping @Sendable (String) -> Inbound) {
        self.ping = ping
        self.classify = classify
    }

    /// No application-level keep-alive: every text frame is data.
    package static let none = KeepAlive(ping: nil, classify: { _ in .data })
}

/// Run-once and stop of a client that keeps one ``ReconnectingWebSocket`` open.
package final class SingleSocketLifecycle: Sendable {
    package init() {}
    private struct State {
        var running = false
        var stopped = false
        var stopSignal: AsyncStream<Void>.Continuation?
    }
    private let state = Mutex(State())

    /// Runs the socket `make` builds until `stop()`; returns at once when already running or stopped.
    package func run(_ make: () -> ReconnectingWebSocket) async {
        let (stopped, continuation) = AsyncStream<Void>.makeStream()
        let start = state.withLock { state -> Bool in
            guard !state.running, !state.stopped else { return false }
            state.running = true
            state.stopSignal = continuation
            return true
        }
        guard start else { return }
        let socket = make()
        await withDiscardingTaskGroup { group in
            group.addTask { await socket.run() }
            for await _ in stopped {}
            group.cancelAll()
        }
        state.withLock { $0.running = false }
    }

    /// Closes the connection and ends `run()`.
    package func stop() {
        state.withLock { state in
            state.stopped = true
            state.stopSignal?.finish()
        }
    }
}

extension Logger {
    /// Logs a frame the parser refused (the connection stays up).
    package func frameRejected(_ message: Logger.Message, _ error: StreamParseError) {
        warning(message, metadata: [
            "error.code": "\(error.code)", "error.offset": "\(error.offset)", "error.expected": "\(error.expected)",
        ])
    }
}

/// One logical stream connection kept open: the venue's keep-alive (``KeepAlive``) every
/// heartbeat interval, any frame counts as life, silence past `staleAfter` closes and reopens, reconnects back
/// off exponentially with jitter (reset after a connection that delivered data), and every
/// (re)connect sends the full subscription again.
///
/// - Important: `run()` is the connection's lifetime; cancel its task to close.
package final class ReconnectingWebSocket: Sendable {
    package let url: String
    package let shard: Int
    package let heartbeat: HeartbeatPolicy
    package let backoff: BackoffPolicy
    package let logger: Logger
    private let transportLogger: Logger
    package let hooks: SocketHooks
    package static let maxMessageSize = 1 << 26
    /// The largest single frame accepted (a message may be several frames, up to `maxMessageSize`).
    package static let maxFrameSize = 1 << 24

    /// Stops reconnecting to a venue that keeps failing (see ``CircuitBreaker``).
    package let breaker: CircuitBreaker
    private let maxMessageSize: Int

    package init(url: String, shard: Int, heartbeat: HeartbeatPolicy, backoff: BackoffPolicy, logger: Logger, hooks: SocketHooks,
                 breaker: CircuitBreaker.Policy = .standard, maxMessageSize: Int = ReconnectingWebSocket.maxMessageSize) {
        self.breaker = CircuitBreaker(policy: breaker)
        self.url = url
        self.shard = shard
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.maxMessageSize = maxMessageSize
        var logger = logger
        logger[metadataKey: "ws.shard"] = "\(shard)"
        self.logger = logger
        // The session handler never logs frame bytes, and the transport never logs below debug:
        // the Polymarket user channel's first frame holds the API secret.
        var transportLogger = logger
        if transportLogger.logLevel < .debug { transportLogger.logLevel = .debug }
        self.transportLogger = transportLogger
        self.hooks = hooks
    }

    private struct StaleError: Error {}

    /// Connects, and reconnects until cancelled.
    package func run() async {
        var failures = 0
        var everOpened = false
        while !Task.isCancelled {
            if case .wait(let ns) = breaker.request(now: monotonicNanos()) {
                logger.warning("WebSocket circuit open: not reconnecting yet", metadata: [
                    "ws.url": "\(url)", "ws.retry_in_ms": "\(ns / 1_000_000)", "ws.breaker_openings": "\(breaker.openings)",
                ])
                do { try await Task.sleep(for: .nanoseconds(ns)) } catch { return }
                continue
            }
            let attempt = WebSocketSessionHandler.Life()
            let reason = await connectOnce(attempt, reconnect: everOpened)
            let opened = attempt.opened.load(ordering: .relaxed)
            if Task.isCancelled {
                if opened { hooks.event(.disconnected(shard: shard, reason: "stopped")) }
                return
            }
            if opened {
                everOpened = true
                hooks.event(.disconnected(shard: shard, reason: reason))
            }
            if attempt.receivedData.load(ordering: .relaxed) {
                failures = 0
                breaker.succeeded()
            } else {
                breaker.failed(now: monotonicNanos())
            }
            let delay = backoff.delay(attempt: failures)
            failures += 1
            logger.info("WebSocket reconnecting", metadata: [
                "ws.reason": "\(reason)", "ws.delay_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)",
            ])
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// One connection attempt (connect, upgrade, session on the event loop); returns why it ended.
    private func connectOnce(_ attempt: WebSocketSessionHandler.Life, reconnect: Bool) async -> String {
        attempt.lastInboundNs.store(monotonicNanos(), ordering: .relaxed)
        let slot = WebSocketConnector.ChannelSlot()
        let hooks = self.hooks, shard = self.shard, heartbeat = self.heartbeat, maxMessageSize = self.maxMessageSize
        let logger = self.transportLogger
        do {
            let end: WebSocketEnd? = try await withThrowingTaskGroup(of: WebSocketEnd?.self) { group in
                group.addTask {
                    try await withTaskCancellationHandler {
                        let ended = try await WebSocketConnector.connect(
                            url: self.url, slot: slot,
                            makeHandler: { channel in
                                WebSocketSessionHandler(eventLoop: channel.eventLoop, hooks: hooks, shard: shard, reconnect: reconnect,
                                                        heartbeat: heartbeat, maxMessageSize: maxMessageSize, logger: logger, life: attempt)
                            },
                            maxFrameSize: Self.maxFrameSize, maxMessageSize: maxMessageSize)
                        return try await ended.get()
                    } onCancel: {
                        slot.close()
                    }
                }
                group.addTask { try await self.watchForSilence(attempt); return nil }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            switch end {
            case .closedByServer(let code, let reason):
                logger.warning("WebSocket closed by server", metadata: ["ws.close_code": "\(code)", "ws.close_reason": "\(reason)"])
                return "closed by server: \(code) \(reason)"
            case .tooLarge(let limit):
                return "message larger than \(limit) bytes"
            case .failed(let error):
                if !Task.isCancelled { logger.warning("WebSocket failed", metadata: ["error": "\(error)"]) }
                return "error: \(error)"
            case .closed, nil:
                return "closed"
            }
        } catch is StaleError {
            logger.warning("WebSocket stale", metadata: ["ws.stale_after": "\(heartbeat.staleAfter)"])
            if attempt.opened.load(ordering: .relaxed) { hooks.event(.stale(shard: shard)) }
            return "stale"
        } catch {
            if !Task.isCancelled { logger.warning("WebSocket failed", metadata: ["error": "\(error)"]) }
            return "error: \(error)"
        }
    }

    private func watchForSilence(_ attempt: WebSocketSessionHandler.Life) async throws {
        let staleNs = Self.nanoseconds(heartbeat.staleAfter)
        let step = max(min(Self.nanoseconds(heartbeat.interval), staleNs / 4), 5_000_000)
        while true {
            try await Task.sleep(for: .nanoseconds(step))
            // Until the session opened (connect, TLS, upgrade on busy event loops) allow at least 10 s.
            let limit = attempt.opened.load(ordering: .relaxed) ? staleNs : max(staleNs, 10_000_000_000)
            if monotonicNanos() - attempt.lastInboundNs.load(ordering: .relaxed) > limit { throw StaleError() }
        }
    }

    package static func nanoseconds(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }

    package static func wallNanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// JSON frame building (compact, keys in the order the official SDK sends them).
package enum JSONText {
    /// `s` as a JSON string literal.
    package static func quoted(_ s: String) -> String { JSONString.quoted(s) }

    package static func array(_ items: [String]) -> String {
        "[" + items.map(quoted).joined(separator: ",") + "]"
    }
}
