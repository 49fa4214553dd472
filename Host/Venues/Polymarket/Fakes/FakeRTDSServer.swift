import VenueFakes
import VenueKit
import Foundation
public import Logging
import Synchronization

/// One `subscriptions[]` entry an RTDS client sent.
public struct FakeRTDSSubscriptionEntry: Sendable, Hashable {
    public var topic: String
    /// `update` or `*`.
    public var type: String
    /// The raw `filters` value if it was a JSON string (as the venue requires), else nil.
    public var filters: String?
    /// `symbol` from inside `filters`.
    public var symbol: String?
}

/// What one RTDS connection sent.
public struct FakeRTDSSubscription: Sendable, Hashable {
    public var connectionID: Int
    /// Current subscriptions (subscribes − unsubscribes).
    public var entries: [FakeRTDSSubscriptionEntry]
    /// Every text frame except `PING`.
    public var frames: [String]
    public var isOpen: Bool
}

/// A loopback stand-in for `wss://ws-live-data.polymarket.com` (any path): records
/// `{"action":"subscribe",…}` frames, answers `PING` with `PONG`, sends the configured
/// history as a `type:"subscribe"` message for `*` subscriptions, and publishes `update`
/// ticks to the connections whose topic and `filters` symbol match.
public final class FakeRTDSServer: Sendable {
    private struct State {
        var subs: [Int: FakeRTDSSubscription] = [:]
        var order: [Int] = []
        var history: [String: [(Int64, String)]] = [:]
    }

    private let state = Mutex(State())
    private let host: Mutex<FakeStreamHost?> = Mutex(nil)
    private let logger: Logger

    public init(logger: Logger = Logger(label: "polymarket.fake.rtds")) {
        self.logger = logger
    }

    @discardableResult
    public func start() async throws -> Int {
        let route = FakeStreamHost.Route(received: { [self] c, text in frame(c, text) },
                                         closed: { [self] c in state.withLock { $0.subs[c.id]?.isOpen = false } })
        let host = FakeStreamHost(routes: [:], fallback: route, keepAliveReply: { $0 == "PING" ? "PONG" : nil }, logger: logger)
        self.host.withLock { $0 = host }
        return try await host.start()
    }

    public func stop() async { await host.withLock { $0 }?.stop() }

    public var port: Int { host.withLock { $0 }?.port ?? 0 }
    public var url: String { "ws://127.0.0.1:\(port)/" }
    public var connectionCount: Int { host.withLock { $0 }?.connectionCount ?? 0 }

    /// Connections in accept order, open or closed.
    public var subscriptions: [FakeRTDSSubscription] { state.withLock { s in s.order.compactMap { s.subs[$0] } } }

    /// Values sent as the `type:"subscribe"` snapshot when a client subscribes to `topic`/`symbol` with `*`.
    public func setHistory(topic: String, symbol: String, points: [(timestampMs: Int64, value: String)]) {
        state.withLock { $0.history[topic + "|" + symbol] = points.map { ($0.timestampMs, $0.value) } }
    }

    /// Publishes an `update` (value a decimal text, sent as a JSON number) to subscribers of
    /// `topic` whose filter symbol is `symbol` (or who gave none). `wireTopic` overrides the
    /// `topic` written in the frame (RTDS sometimes mislabels Chainlink ticks). Returns how many got it.
    @discardableResult
    public func publishPrice(topic: String, symbol: String, timestampMs: Int64, value: String, fullAccuracyValue: String? = nil,
                             wireTopic: String? = nil) -> Int {
        var payload = "{\"symbol\":\(FakeJSON.quoted(symbol)),\"timestamp\":\(timestampMs),\"value\":\(value)"
        if let fullAccuracyValue { payload += ",\"full_accuracy_value\":\(FakeJSON.quoted(fullAccuracyValue))" }
        payload += "}"
        let json = "{\"topic\":\(FakeJSON.quoted(wireTopic ?? topic)),\"type\":\"update\",\"timestamp\":\(timestampMs + 100),\"payload\":\(payload)}"
        let targets = state.withLock { s in
            Set(s.subs.values.filter { sub in
                sub.isOpen && sub.entries.contains { $0.topic == topic && ($0.symbol == nil || $0.symbol == symbol) }
            }.map(\.connectionID))
        }
        return deliver(json, to: targets)
    }

    /// Sends `json` to every open connection; returns how many.
    @discardableResult
    public func broadcast(_ json: String) -> Int {
        deliver(json, to: Set(state.withLock { s in s.subs.values.filter(\.isOpen).map(\.connectionID) }))
    }

    public func dropAllConnections() { host.withLock { $0 }?.dropAll() }
    public func goSilent(_ on: Bool) { host.withLock { $0 }?.setSilent(on) }

    private func deliver(_ json: String, to ids: Set<Int>) -> Int {
        guard let host = host.withLock({ $0 }) else { return 0 }
        var count = 0
        for connection in host.openConnections where ids.contains(connection.id) {
            connection.send(json)
            count += 1
        }
        return count
    }

    private func frame(_ connection: FakeStreamConnection, _ text: String) {
        let object = FakeJSON.object(text)
        let replies: [String] = state.withLock { s in
            if s.subs[connection.id] == nil {
                s.subs[connection.id] = FakeRTDSSubscription(connectionID: connection.id, entries: [], frames: [], isOpen: true)
                s.order.append(connection.id)
            }
            s.subs[connection.id]!.frames.append(text)
            guard let object, let action = object["action"] as? String,
                  let list = object["subscriptions"] as? [[String: Any]] else { return [] }
            let entries = list.map { item -> FakeRTDSSubscriptionEntry in
                let filters = item["filters"] as? String
                let symbol = filters.flatMap { FakeJSON.object($0)?["symbol"] as? String }
                return FakeRTDSSubscriptionEntry(topic: item["topic"] as? String ?? "", type: item["type"] as? String ?? "",
                                                 filters: filters, symbol: symbol)
            }
            var replies: [String] = []
            if action == "subscribe" {
                for entry in entries where !s.subs[connection.id]!.entries.contains(entry) {
                    s.subs[connection.id]!.entries.append(entry)
                    if entry.type == "*", let symbol = entry.symbol, let points = s.history[entry.topic + "|" + symbol] {
                        let data = points.map { "{\"timestamp\":\($0.0),\"value\":\($0.1)}" }.joined(separator: ",")
                        replies.append("{\"topic\":\(FakeJSON.quoted(entry.topic)),\"type\":\"subscribe\",\"timestamp\":\((points.last?.0 ?? 0) + 100),"
                                       + "\"payload\":{\"symbol\":\(FakeJSON.quoted(symbol)),\"data\":[\(data)]}}")
                    }
                }
            } else if action == "unsubscribe" {
                s.subs[connection.id]!.entries.removeAll { e in entries.contains { $0.topic == e.topic && $0.symbol == e.symbol } }
            }
            return replies
        }
        for reply in replies { connection.send(reply) }
    }
}
