public import Logging
import VenueKit
import Synchronization

/// The authenticated CLOB user channel (`/ws/user`): the account's order and trade events.
///
/// The subscribe frame carries the raw API secret (the venue's scheme); it is never logged.
///
/// - Important: callbacks run on the connection task; keep them short.
public final class UserChannelClient: Sendable {
    public let url: String
    public let heartbeat: HeartbeatPolicy
    public let backoff: BackoffPolicy
    private let apiKey: String
    private let secret: String
    private let passphrase: String
    private let logger: Logger
    private let onMessages: @Sendable ([UserChannelMessage], _ receivedNs: Int64) -> Void
    private let onConnection: @Sendable (ConnectionEvent) -> Void

    private struct State {
        var markets: [String]
        var outbox: Outbox?
    }

    private let state: Mutex<State>
    private let lifecycle = SingleSocketLifecycle()

    /// - Parameters:
    ///   - credentials: the L2 API credentials as plain strings.
    ///   - markets: condition ids to follow; empty means all of the account's markets.
    public init(url: String, apiKey: String, secret: String, passphrase: String, markets: [String] = [],
                heartbeat: HeartbeatPolicy = .clob, backoff: BackoffPolicy = .standard, logger: Logger,
                onMessages: @escaping @Sendable ([UserChannelMessage], _ receivedNs: Int64) -> Void,
                onConnection: @escaping @Sendable (ConnectionEvent) -> Void) {
        self.url = url
        self.apiKey = apiKey
        self.secret = secret
        self.passphrase = passphrase
        self.heartbeat = heartbeat
        self.backoff = backoff
        var logger = logger
        logger[metadataKey: "ws.channel"] = "user"
        self.logger = logger
        self.onMessages = onMessages
        self.onConnection = onConnection
        self.state = Mutex(State(markets: markets))
    }

    /// Follows more markets (sent at once when connected, and on every reconnect).
    public func subscribe(markets: [String]) {
        state.withLock { state in
            let new = markets.filter { !state.markets.contains($0) }
            guard !new.isEmpty else { return }
            state.markets += new
            state.outbox?.send("{\"operation\":\"subscribe\",\"markets\":\(JSONText.array(new))}")
        }
    }

    /// Stops following markets.
    public func unsubscribe(markets: [String]) {
        state.withLock { state in
            let gone = markets.filter { state.markets.contains($0) }
            guard !gone.isEmpty else { return }
            state.markets.removeAll { gone.contains($0) }
            state.outbox?.send("{\"operation\":\"unsubscribe\",\"markets\":\(JSONText.array(gone))}")
        }
    }

    /// Runs the connection until `stop()` or cancellation. Call once.
    public func run() async throws {
        await lifecycle.run { makeSocket() }
    }

    /// Closes the connection and ends `run()`.
    public func stop() { lifecycle.stop() }

    /// The subscribe frame; contains the secret, so it must never be logged.
    func initialFrame(markets: [String]) -> String {
        let auth = "{\"apiKey\":\(JSONText.quoted(apiKey)),\"secret\":\(JSONText.quoted(secret)),\"passphrase\":\(JSONText.quoted(passphrase))}"
        if markets.isEmpty { return "{\"type\":\"user\",\"auth\":\(auth)}" }
        return "{\"type\":\"user\",\"auth\":\(auth),\"markets\":\(JSONText.array(markets))}"
    }

    private func makeSocket() -> ReconnectingWebSocket {
        let onMessages = onMessages
        let onConnection = onConnection
        let logger = logger
        let hooks = SocketHooks(
            keepAlive: .polymarket,
            opened: { [self] outbox in
                state.withLock { state in
                    state.outbox = outbox
                    return ([initialFrame(markets: state.markets)], state.markets.count)
                }
            },
            closed: { [self] in state.withLock { $0.outbox = nil } },
            makeReceiver: {
                var parser = UserChannelParser()
                return { text, receivedNs in
                    do throws(StreamParseError) {
                        let messages = try parser.parse(text)
                        if !messages.isEmpty { onMessages(messages, receivedNs) }
                    } catch {
                        logger.frameRejected("User frame rejected", error)
                    }
                }
            },
            event: { event in onConnection(event) }
        )
        return ReconnectingWebSocket(url: url, shard: 0, heartbeat: heartbeat, backoff: backoff, logger: logger, hooks: hooks)
    }
}

/// RTDS crypto prices (`wss://ws-live-data.polymarket.com`) for the oracle guard and the price to beat.
///
/// - Important: `onPrice` runs on the connection task; keep it short. History snapshots
///   (`type: "subscribe"`) are delivered point by point, oldest first.
public final class RTDSClient: Sendable {
    public let url: String
    public let heartbeat: HeartbeatPolicy
    public let backoff: BackoffPolicy
    private let logger: Logger
    private let onPrice: @Sendable (CryptoPrice) -> Void
    private let onConnection: @Sendable (ConnectionEvent) -> Void

    private struct Subscription: Hashable { var topic: RTDSTopic; var symbol: String }
    private struct State {
        var subscriptions: [Subscription]
        var outbox: Outbox?
    }

    private let state: Mutex<State>
    private let lifecycle = SingleSocketLifecycle()

    /// - Parameter subscriptions: topic and symbol pairs, e.g. `(.chainlink, symbol: "btc/usd")`.
    public init(url: String, subscriptions: [(RTDSTopic, symbol: String)], heartbeat: HeartbeatPolicy = .rtds,
                backoff: BackoffPolicy = .standard, logger: Logger,
                onPrice: @escaping @Sendable (CryptoPrice) -> Void,
                onConnection: @escaping @Sendable (ConnectionEvent) -> Void) {
        self.url = url
        self.heartbeat = heartbeat
        self.backoff = backoff
        var logger = logger
        logger[metadataKey: "ws.channel"] = "rtds"
        self.logger = logger
        self.onPrice = onPrice
        self.onConnection = onConnection
        self.state = Mutex(State(subscriptions: subscriptions.map { Subscription(topic: $0.0, symbol: $0.symbol) }))
    }

    /// Adds a topic/symbol (sent at once when connected, and on every reconnect).
    public func subscribe(_ topic: RTDSTopic, symbol: String) {
        state.withLock { state in
            let sub = Subscription(topic: topic, symbol: symbol)
            guard !state.subscriptions.contains(sub) else { return }
            state.subscriptions.append(sub)
            state.outbox?.send(Self.frame(action: "subscribe", [sub]))
        }
    }

    /// Runs the connection until `stop()` or cancellation. Call once.
    public func run() async throws {
        await lifecycle.run { makeSocket() }
    }

    /// Closes the connection and ends `run()`.
    public func stop() { lifecycle.stop() }

    /// `{"action":…,"subscriptions":[{"topic":…,"type":"*","filters":"{\"symbol\":\"btc/usd\"}"}]}`:
    /// `filters` is a JSON string holding JSON; `*` also returns the recent-history snapshot.
    private static func frame(action: String, _ subscriptions: [Subscription]) -> String {
        let items = subscriptions.map { sub in
            let filter = "{\"symbol\":\(JSONText.quoted(sub.symbol))}"
            return "{\"topic\":\(JSONText.quoted(sub.topic.rawValue)),\"type\":\"*\",\"filters\":\(JSONText.quoted(filter))}"
        }
        return "{\"action\":\(JSONText.quoted(action)),\"subscriptions\":[\(items.joined(separator: ","))]}"
    }

    static func subscribeFrame(_ subscriptions: [(RTDSTopic, symbol: String)]) -> String {
        frame(action: "subscribe", subscriptions.map { Subscription(topic: $0.0, symbol: $0.symbol) })
    }

    private func makeSocket() -> ReconnectingWebSocket {
        let onPrice = onPrice
        let onConnection = onConnection
        let logger = logger
        let hooks = SocketHooks(
            keepAlive: .polymarket,
            opened: { [self] outbox in
                state.withLock { state in
                    state.outbox = outbox
                    return ([Self.frame(action: "subscribe", state.subscriptions)], state.subscriptions.count)
                }
            },
            closed: { [self] in state.withLock { $0.outbox = nil } },
            makeReceiver: {
                var parser = RTDSParser()
                return { text, _ in
                    do throws(StreamParseError) {
                        let messages = try parser.parse(text)
                        for message in messages {
                            switch message {
                            case .price(let price): onPrice(price)
                            case .history(_, _, let points): points.sorted { $0.timestampMs < $1.timestampMs }.forEach(onPrice)
                            case .unknown: break
                            }
                        }
                    } catch {
                        logger.frameRejected("RTDS frame rejected", error)
                    }
                }
            },
            event: { event in onConnection(event) }
        )
        return ReconnectingWebSocket(url: url, shard: 0, heartbeat: heartbeat, backoff: backoff, logger: logger, hooks: hooks)
    }
}
