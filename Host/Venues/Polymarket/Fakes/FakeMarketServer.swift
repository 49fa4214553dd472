import VenueFakes
import VenueKit
import Foundation
import NIOWebSocket
public import Logging
import Synchronization

/// A book the fake market channel sends as the `book` snapshot of one token.
public struct FakeBook: Sendable, Hashable {
    public var market: String
    /// (price, size) decimal strings; sent ascending by price, as the venue does.
    public var bids: [FakeLevel]
    /// (price, size) decimal strings; sent descending by price (best last), as the venue does.
    public var asks: [FakeLevel]
    public var tickSize: String
    public var hash: String
    public var timestampMs: Int64

    public init(market: String, bids: [FakeLevel], asks: [FakeLevel], tickSize: String = "0.01",
                hash: String = "0000000000000000000000000000000000000000", timestampMs: Int64 = 0) {
        self.market = market; self.bids = bids; self.asks = asks; self.tickSize = tickSize; self.hash = hash
        self.timestampMs = timestampMs
    }
}

/// One level of a ``FakeBook``.
public struct FakeLevel: Sendable, Hashable {
    public var price: String
    public var size: String
    public init(_ price: String, _ size: String) { self.price = price; self.size = size }
}

/// What one market-channel connection asked for.
public struct FakeMarketSubscription: Sendable, Hashable {
    public var connectionID: Int
    /// `assets_ids` of the initial `{"type":"market",…}` frame.
    public var initialAssets: [String]
    public var customFeatureEnabled: Bool?
    /// Assets currently subscribed (initial + dynamic subscribes − unsubscribes), in order.
    public var assets: [String]
    /// Every text frame the client sent except `PING`, in order.
    public var frames: [String]
    public var isOpen: Bool
}

/// What one user-channel connection sent.
public struct FakeUserSubscription: Sendable, Hashable {
    public var connectionID: Int
    public var apiKey: String
    public var authenticated: Bool
    /// Condition ids followed; empty = all.
    public var markets: [String]
    /// Every text frame the client sent except `PING` (the first holds the secret).
    public var frames: [String]
    public var isOpen: Bool
}

/// Credentials the fake user channel accepts (plain strings).
public struct FakeUserCredentials: Sendable, Hashable {
    public var apiKey: String
    public var secret: String
    public var passphrase: String
    public init(apiKey: String, secret: String, passphrase: String) {
        self.apiKey = apiKey; self.secret = secret; self.passphrase = passphrase
    }
}

/// A loopback stand-in for `wss://ws-subscriptions-clob.polymarket.com`: `/ws/market` and
/// `/ws/user`, in the real wire format.
///
/// Market route: records each connection's subscription frames, answers `{"type":"market",…}`
/// and `{"operation":"subscribe",…}` with one array frame of `book` snapshots for the assets
/// that have a configured book (none beyond the first 500 of a connection, as the venue),
/// and lets tests push any frame. User route: checks the first frame's `auth` against
/// ``FakeUserCredentials`` and closes with policy-violation otherwise.
///
/// - Important: `start()` before use and `stop()` when done.
public final class FakeMarketServer: Sendable {
    private struct State {
        var books: [String: FakeBook] = [:]
        var market: [Int: FakeMarketSubscription] = [:]
        var user: [Int: FakeUserSubscription] = [:]
        var marketOrder: [Int] = []
        var userOrder: [Int] = []
    }

    /// Assets per connection that get snapshots (the venue sends none beyond 500).
    public let snapshotLimit: Int
    private let credentials: FakeUserCredentials?
    private let state = Mutex(State())
    private let host: Mutex<FakeStreamHost?> = Mutex(nil)
    private let logger: Logger

    /// - Parameter credentials: what `/ws/user` accepts; nil rejects every user connection.
    public init(credentials: FakeUserCredentials? = nil, snapshotLimit: Int = 500,
                logger: Logger = Logger(label: "polymarket.fake.market")) {
        self.credentials = credentials
        self.snapshotLimit = snapshotLimit
        self.logger = logger
    }

    /// Starts listening on 127.0.0.1 and returns the port.
    @discardableResult
    public func start() async throws -> Int {
        let host = FakeStreamHost(routes: [
            "/ws/market": .init(received: { [self] c, text in marketFrame(c, text) }, closed: { [self] c in closed(c) }),
            "/ws/user": .init(received: { [self] c, text in userFrame(c, text) }, closed: { [self] c in closed(c) }),
        ], keepAliveReply: { $0 == "PING" ? "PONG" : nil }, logger: logger)
        self.host.withLock { $0 = host }
        return try await host.start()
    }

    /// Stops the server, dropping every connection.
    public func stop() async {
        await host.withLock { $0 }?.stop()
    }

    /// The bound port (0 before `start()`).
    public var port: Int { host.withLock { $0 }?.port ?? 0 }
    public var marketURL: String { "ws://127.0.0.1:\(port)/ws/market" }
    public var userURL: String { "ws://127.0.0.1:\(port)/ws/user" }

    /// Connections accepted since start (both routes).
    public var connectionCount: Int { host.withLock { $0 }?.connectionCount ?? 0 }
    /// Connections open now (both routes).
    public var openConnectionCount: Int { host.withLock { $0 }?.openConnections.count ?? 0 }

    /// Market-channel connections in accept order, open or closed.
    public var subscriptions: [FakeMarketSubscription] {
        state.withLock { s in s.marketOrder.compactMap { s.market[$0] } }
    }

    /// User-channel connections in accept order, open or closed.
    public var userSubscriptions: [FakeUserSubscription] {
        state.withLock { s in s.userOrder.compactMap { s.user[$0] } }
    }

    /// Sets the snapshot sent for `assetID` on subscribe.
    public func setBook(_ book: FakeBook, for assetID: String) {
        state.withLock { $0.books[assetID] = book }
    }

    /// Sends `json` to every open market connection subscribed to `assetID`; returns how many.
    @discardableResult
    public func send(_ json: String, toAsset assetID: String) -> Int {
        let targets = state.withLock { s in Set(s.market.values.filter { $0.isOpen && $0.assets.contains(assetID) }.map(\.connectionID)) }
        return deliver(json, to: targets)
    }

    /// Sends `json` to every open market connection; returns how many.
    @discardableResult
    public func broadcast(_ json: String) -> Int {
        let targets = state.withLock { s in Set(s.market.values.filter(\.isOpen).map(\.connectionID)) }
        return deliver(json, to: targets)
    }

    /// Sends `json` (an order/trade event) to every authenticated user connection following
    /// its `market` (or all markets); returns how many.
    @discardableResult
    public func publishUserEvent(_ json: String) -> Int {
        let market = FakeJSON.object(json)?["market"] as? String
        let targets = state.withLock { s in
            Set(s.user.values.filter { sub in
                sub.isOpen && sub.authenticated && (sub.markets.isEmpty || market == nil || sub.markets.contains(market!))
            }.map(\.connectionID))
        }
        return deliver(json, to: targets)
    }

    /// Drops every connection (TCP close, no handshake), as a network failure would.
    public func dropAllConnections() { host.withLock { $0 }?.dropAll() }

    /// While on, the server answers no `PING` and sends nothing (a hung venue).
    public func goSilent(_ on: Bool) { host.withLock { $0 }?.setSilent(on) }

    // MARK: Routes

    private func deliver(_ json: String, to ids: Set<Int>) -> Int {
        guard let host = host.withLock({ $0 }) else { return 0 }
        var count = 0
        for connection in host.openConnections where ids.contains(connection.id) {
            connection.send(json)
            count += 1
        }
        return count
    }

    private func closed(_ connection: FakeStreamConnection) {
        state.withLock { s in
            s.market[connection.id]?.isOpen = false
            s.user[connection.id]?.isOpen = false
        }
    }

    private func marketFrame(_ connection: FakeStreamConnection, _ text: String) {
        let object = FakeJSON.object(text)
        let snapshots: [String] = state.withLock { s in
            if s.market[connection.id] == nil {
                s.market[connection.id] = FakeMarketSubscription(connectionID: connection.id, initialAssets: [], customFeatureEnabled: nil,
                                                                 assets: [], frames: [], isOpen: true)
                s.marketOrder.append(connection.id)
            }
            s.market[connection.id]!.frames.append(text)
            guard let object else { return [] }
            var sub = s.market[connection.id]!
            defer { s.market[connection.id] = sub }
            let ids = FakeJSON.strings(object["assets_ids"])
            let custom = object["custom_feature_enabled"] as? Bool
            var added: [String] = []
            if let type = object["type"] as? String, type.lowercased() == "market" {
                sub.initialAssets = ids
                sub.customFeatureEnabled = custom
                sub.assets = []
                for id in ids where !sub.assets.contains(id) { sub.assets.append(id); added.append(id) }
            } else if let operation = object["operation"] as? String {
                if operation == "subscribe" {
                    if let custom { sub.customFeatureEnabled = custom }
                    for id in ids where !sub.assets.contains(id) { sub.assets.append(id); added.append(id) }
                } else if operation == "unsubscribe" {
                    sub.assets.removeAll { ids.contains($0) }
                }
            }
            let allowed = Set(sub.assets.prefix(snapshotLimit))
            return added.filter { allowed.contains($0) }.compactMap { id in s.books[id].map { Self.bookJSON(assetID: id, $0) } }
        }
        if !snapshots.isEmpty { connection.send("[" + snapshots.joined(separator: ",") + "]") }
    }

    private func userFrame(_ connection: FakeStreamConnection, _ text: String) {
        let object = FakeJSON.object(text)
        let reject: Bool = state.withLock { s in
            if s.user[connection.id] == nil {
                let auth = object?["auth"] as? [String: Any]
                let given = FakeUserCredentials(apiKey: auth?["apiKey"] as? String ?? "", secret: auth?["secret"] as? String ?? "",
                                                passphrase: auth?["passphrase"] as? String ?? "")
                let ok = (object?["type"] as? String)?.lowercased() == "user" && credentials != nil && given == credentials
                s.user[connection.id] = FakeUserSubscription(connectionID: connection.id, apiKey: given.apiKey, authenticated: ok,
                                                             markets: FakeJSON.strings(object?["markets"]), frames: [text], isOpen: true)
                s.userOrder.append(connection.id)
                return !ok
            }
            s.user[connection.id]!.frames.append(text)
            guard s.user[connection.id]!.authenticated, let object, let operation = object["operation"] as? String else { return false }
            let markets = FakeJSON.strings(object["markets"])
            if operation == "subscribe" {
                for m in markets where !s.user[connection.id]!.markets.contains(m) { s.user[connection.id]!.markets.append(m) }
            } else if operation == "unsubscribe" {
                s.user[connection.id]!.markets.removeAll { markets.contains($0) }
            }
            return false
        }
        if reject { connection.close(code: .policyViolation, reason: "invalid api credentials") }
    }

    /// A `book` object as the venue sends it (bids ascending, asks descending).
    static func bookJSON(assetID: String, _ book: FakeBook) -> String {
        func levels(_ levels: [FakeLevel], ascending: Bool) -> String {
            let sorted = levels.sorted { a, b in
                let pa = Decimal(string: a.price) ?? 0, pb = Decimal(string: b.price) ?? 0
                return ascending ? pa < pb : pa > pb
            }
            return "[" + sorted.map { "{\"price\":\(FakeJSON.quoted($0.price)),\"size\":\(FakeJSON.quoted($0.size))}" }
                .joined(separator: ",") + "]"
        }
        return "{\"market\":\(FakeJSON.quoted(book.market)),\"asset_id\":\(FakeJSON.quoted(assetID)),"
            + "\"timestamp\":\"\(book.timestampMs)\",\"hash\":\(FakeJSON.quoted(book.hash)),"
            + "\"bids\":\(levels(book.bids, ascending: true)),\"asks\":\(levels(book.asks, ascending: false)),"
            + "\"tick_size\":\(FakeJSON.quoted(book.tickSize)),\"event_type\":\"book\"}"
    }
}
