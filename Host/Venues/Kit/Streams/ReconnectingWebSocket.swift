import Foundation
import HostCore
import Logging
import NIOCore
import Synchronization
import WSClient

/// Sends frames on the currently open connection; frames are written in order by one writer.
package struct Outbox: Sendable {
    package let continuation: AsyncStream<String>.Continuation
    package init(continuation: AsyncStream<String>.Continuation) { self.continuation = continuation }
    package func send(_ frame: String) { continuation.yield(frame) }
}

/// What a client plugs into ``ReconnectingWebSocket``.
package struct SocketHooks: Sendable {
    /// A connection opened: keep `outbox` for dynamic frames and return the frames that
    /// establish the full subscription, plus how many assets/markets they cover.
    package var opened: @Sendable (_ outbox: Outbox) -> (frames: [String], items: Int)
    /// The connection closed; drop the outbox.
    package var closed: @Sendable () -> Void
    /// Builds the per-connection receiver (it may keep parser state; called on one task only).
    package var makeReceiver: @Sendable () -> (_ text: String, _ receivedNs: Int64) -> Void
    /// Connection life events.
    package var event: @Sendable (ConnectionEvent) -> Void
    /// The venue's application-level keep-alive (text pings and their answers).
    package var keepAlive: KeepAlive

    package init(keepAlive: KeepAlive, opened: @escaping @Sendable (_ outbox: Outbox) -> (frames: [String], items: Int),
                 closed: @escaping @Sendable () -> Void,
                 makeReceiver: @escaping @Sendable () -> (_ text: String, _ receivedNs: Int64) -> Void,
                 event: @escaping @Sendable (ConnectionEvent) -> Void) {
        self.keepAlive = keepAlive
        self.opened = opened
        self.closed = closed
        self.makeReceiver = makeReceiver
        self.event = event
    }
}

/// A venue's application-level keep-alive on a WebSocket: what to send every heartbeat
/// interval, and which inbound text frames are pings to answer or pongs to drop. Protocol-level
/// ping frames are answered by the WebSocket library (echoing the payload) whatever this says.
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
    /// Monotonic ns of the last inbound frame (or of the connect attempt).
    private let lastInboundNs = Atomic<Int64>(0)

    package static let maxMessageSize = 1 << 26

    /// Stops reconnecting to a venue that keeps failing (see ``CircuitBreaker``).
    package let breaker: CircuitBreaker

    package init(url: String, shard: Int, heartbeat: HeartbeatPolicy, backoff: BackoffPolicy, logger: Logger, hooks: SocketHooks,
                 breaker: CircuitBreaker.Policy = .standard) {
        self.breaker = CircuitBreaker(policy: breaker)
        self.url = url
        self.shard = shard
        self.heartbeat = heartbeat
        self.backoff = backoff
        var logger = logger
        logger[metadataKey: "ws.shard"] = "\(shard)"
        self.logger = logger
        // WSClient trace-logs the first bytes of every frame; the user channel's first frame
        // holds the API secret, so the transport never logs below debug.
        var transportLogger = logger
        if transportLogger.logLevel < .debug { transportLogger.logLevel = .debug }
        self.transportLogger = transportLogger
        self.hooks = hooks
    }

    private struct StaleError: Error {}

    /// Per-attempt facts shared between the session and the attempt loop.
    private final class Attempt: Sendable {
        let opened = Atomic<Bool>(false)
        /// Any frame arrived (incl. `PONG`): the connection was healthy, so backoff restarts.
        let receivedData = Atomic<Bool>(false)
    }

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
            let attempt = Attempt()
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

    /// One connection attempt; returns why it ended.
    private func connectOnce(_ attempt: Attempt, reconnect: Bool) async -> String {
        lastInboundNs.store(monotonicNanos(), ordering: .relaxed)
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 24, closeTimeout: .seconds(2))
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let client = WebSocketClient(url: self.url, configuration: configuration, logger: self.transportLogger) { inbound, outbound, _ in
                        try await self.session(inbound: inbound, outbound: outbound, attempt: attempt, reconnect: reconnect)
                    }
                    let close = try await client.run()
                    if let close { throw ClosedByServer(code: "\(close.closeCode)", reason: close.reason ?? "") }
                }
                group.addTask { try await self.watchForSilence() }
                try await group.next()
                group.cancelAll()
            }
            return "closed"
        } catch is StaleError {
            logger.warning("WebSocket stale", metadata: ["ws.stale_after": "\(heartbeat.staleAfter)"])
            if attempt.opened.load(ordering: .relaxed) { hooks.event(.stale(shard: shard)) }
            return "stale"
        } catch let closed as ClosedByServer {
            logger.warning("WebSocket closed by server", metadata: ["ws.close_code": "\(closed.code)", "ws.close_reason": "\(closed.reason)"])
            return "closed by server: \(closed.code) \(closed.reason)"
        } catch {
            if !Task.isCancelled { logger.warning("WebSocket failed", metadata: ["error": "\(error)"]) }
            return "error: \(error)"
        }
    }

    private struct ClosedByServer: Error { let code: String; let reason: String }

    private func watchForSilence() async throws {
        let staleNs = Self.nanoseconds(heartbeat.staleAfter)
        let step = max(min(Self.nanoseconds(heartbeat.interval), staleNs / 4), 5_000_000)
        while true {
            try await Task.sleep(for: .nanoseconds(step))
            if monotonicNanos() - lastInboundNs.load(ordering: .relaxed) > staleNs { throw StaleError() }
        }
    }

    private func session(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, attempt: Attempt, reconnect: Bool) async throws {
        let (frames, continuation) = AsyncStream<String>.makeStream()
        let subscription = hooks.opened(Outbox(continuation: continuation))
        defer {
            continuation.finish()
            hooks.closed()
        }
        attempt.opened.store(true, ordering: .relaxed)
        lastInboundNs.store(monotonicNanos(), ordering: .relaxed)
        for frame in subscription.frames { try await outbound.writeTextMessage(frame) }
        logger.info("WebSocket subscribed", metadata: ["ws.items": "\(subscription.items)", "ws.reconnect": "\(reconnect)"])
        hooks.event(.connected(shard: shard))
        if reconnect { hooks.event(.resubscribed(shard: shard, assets: subscription.items)) }

        let receive = hooks.makeReceiver()
        let interval = heartbeat.interval
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await frame in frames { try await outbound.writeTextMessage(frame) }
            }
            let keepAlive = hooks.keepAlive
            if let ping = keepAlive.ping {
                group.addTask {
                    while true {
                        try await Task.sleep(for: interval)
                        continuation.yield(ping)
                    }
                }
            }
            var iterator = inbound.messages(maxSize: Self.maxMessageSize).makeAsyncIterator()
            while let message = try await iterator.next() {
                lastInboundNs.store(monotonicNanos(), ordering: .relaxed)
                attempt.receivedData.store(true, ordering: .relaxed)
                guard case .text(let text) = message else { continue }
                switch keepAlive.classify(text) {
                case .data: receive(text, Self.wallNanos())
                case .pong: continue
                case .reply(let reply): continuation.yield(reply)
                }
            }
            group.cancelAll()
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
