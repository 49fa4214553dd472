import Binance
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization
import NIOWebSocket
import VenueFakes
import VenueKit

/// Where a stream connection was opened: raw (`/ws…`) or combined (`/stream…`), with the
/// streams named in the URL.
struct FakeBinanceStreamRoute: Sendable {
    var path: String
    var combined: Bool
    var streams: [String]
}

extension FakeBinanceVenue {
    /// The stream kinds Binance documents after `<symbol>@` (the fake produces depth, partial
    /// depth, bookTicker, trade and aggTrade; the others are accepted and stay quiet).
    static let streamKinds: Set<String> = [
        "aggTrade", "trade", "bookTicker", "depth", "depth@100ms", "depth@1000ms", "miniTicker", "ticker", "avgPrice",
        "depth5", "depth10", "depth20", "depth5@100ms", "depth10@100ms", "depth20@100ms",
        "depth5@1000ms", "depth10@1000ms", "depth20@1000ms", "ticker_1h", "ticker_4h", "ticker_1d", "referencePrice",
    ]

    /// Whether `name` is a stream of a listed symbol: lower-case symbol, `@`, a known kind.
    func isKnownStream(_ name: String) -> Bool {
        guard let at = name.firstIndex(of: "@") else { return false }
        let symbol = String(name[..<at])
        let kind = String(name[name.index(after: at)...])
        guard symbol == symbol.lowercased(), specs[symbol.uppercased()] != nil else { return false }
        if kind.hasPrefix("kline_") { return BinanceKlineInterval(rawValue: kind.dropFirst(6).split(separator: "@").first.map(String.init) ?? "") != nil }
        return Self.streamKinds.contains(kind)
    }

    /// The route of an upgrade request's target (`/stream?streams=…`, `/ws`, `/ws/<s>[/<s>…]`);
    /// nil refuses the upgrade (unknown path or stream).
    func streamRoute(_ target: String) -> FakeBinanceStreamRoute? {
        let pieces = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = pieces.first.map(String.init) ?? "/"
        var parameters: [String: String] = [:]
        if pieces.count > 1 {
            for pair in pieces[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = kv.count > 1 ? String(kv[1]) : ""
                parameters[String(kv[0])] = value.removingPercentEncoding ?? value
            }
        }
        let route: FakeBinanceStreamRoute
        if path == "/stream" {
            let names = parameters["streams"].map { $0.split(separator: "/").map(String.init) } ?? []
            route = FakeBinanceStreamRoute(path: path, combined: true, streams: names)
        } else if path == "/ws" || path == "/ws/" {
            route = FakeBinanceStreamRoute(path: "/ws", combined: false, streams: [])
        } else if path.hasPrefix("/ws/") {
            route = FakeBinanceStreamRoute(path: path, combined: false, streams: path.dropFirst(4).split(separator: "/").map(String.init))
        } else {
            return nil
        }
        guard route.streams.count <= configuration.maxStreamsPerConnection, route.streams.allSatisfy(isKnownStream) else {
            logger.info("Fake Binance refused a stream connection", metadata: ["ws.target": "\(target)"])
            return nil
        }
        return route
    }

    /// The kit's route for an upgrade request's target: the connection is registered with the
    /// streams its URL names, its text frames are control messages, and it leaves the registry
    /// when it closes. Nil refuses the upgrade (unknown path or stream).
    func streamHostRoute(_ target: String) -> FakeStreamHost.Route? {
        guard let route = streamRoute(target) else { return nil }
        return FakeStreamHost.Route(
            opened: { [self] connection in
                state.withLock { state in
                    state.accepted += 1
                    var unique: [String] = []
                    for name in route.streams where !unique.contains(name) { unique.append(name) }
                    state.connections[connection.id] = ConnectionState(connection: connection, streams: unique, combined: route.combined,
                                                                       openedAt: .now)
                }
                logger.debug("Fake Binance stream connection opened", metadata: ["ws.connection": "\(connection.id)", "ws.path": "\(route.path)"])
            },
            received: { [self] connection, text in control(connection, text) },
            closed: { [self] connection in _ = state.withLock { $0.connections.removeValue(forKey: connection.id) } })
    }

    /// Answers one inbound text frame (a JSON control message) and enforces the message rate.
    func control(_ connection: FakeStreamConnection, _ text: String) {
        let now = ContinuousClock.now
        let tooFast = state.withLock { state -> Bool in
            guard var entry = state.connections[connection.id], let limit = configuration.maxIncomingMessagesPerSecond else { return false }
            entry.inbound.removeAll { now - $0 >= .seconds(1) }
            entry.inbound.append(now)
            state.connections[connection.id] = entry
            return entry.inbound.count > limit
        }
        if tooFast {
            logger.info("Fake Binance dropping a connection over the message rate", metadata: ["ws.connection": "\(connection.id)"])
            connection.drop()
            return
        }
        let request: FakeBinanceControlRequest
        do {
            request = try FakeBinanceControlRequest.parse(text)
        } catch {
            reply(connection, "{\"code\":3,\"msg\":\(JSONText.quoted("Invalid JSON: \(error.expected) at byte \(error.offset)"))}")
            return
        }
        guard let id = request.id else {
            reply(connection, "{\"code\":2,\"msg\":\"Invalid request: request ID must be an integer, a string of up to 36 alphanumeric characters or null\"}")
            return
        }
        func failure(_ code: Int, _ message: String) -> String { "{\"code\":\(code),\"msg\":\(JSONText.quoted(message)),\"id\":\(id)}" }
        guard let method = request.method else {
            reply(connection, failure(2, "Invalid request: missing field `method`"))
            return
        }
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            guard let params = request.params, !params.isEmpty else { return reply(connection, failure(2, "Invalid request: missing field `params`")) }
            var names: [String] = []
            for param in params {
                guard case .string(let name) = param else { return reply(connection, failure(2, "Invalid request: stream names must be strings")) }
                names.append(name)
            }
            if method == "SUBSCRIBE", let bad = names.first(where: { !isKnownStream($0) }) {
                return reply(connection, failure(2, "Invalid request: unknown stream \(bad)"))
            }
            state.withLock { state in
                guard var entry = state.connections[connection.id] else { return }
                if method == "SUBSCRIBE" {
                    for name in names where !entry.streams.contains(name) { entry.streams.append(name) }
                    if entry.streams.count > configuration.maxStreamsPerConnection {
                        if !state.silent { connection.send(failure(2, "Invalid request: too many streams (at most \(configuration.maxStreamsPerConnection))")) }
                        return
                    }
                } else {
                    entry.streams.removeAll { names.contains($0) }
                }
                state.connections[connection.id] = entry
                // Inside the lock: the answer goes out before any data of the new streams.
                if !state.silent { connection.send("{\"result\":null,\"id\":\(id)}") }
            }
        case "LIST_SUBSCRIPTIONS":
            state.withLock { state in
                guard let entry = state.connections[connection.id], !state.silent else { return }
                connection.send("{\"result\":\(JSONText.array(entry.streams)),\"id\":\(id)}")
            }
        case "SET_PROPERTY", "GET_PROPERTY":
            guard let params = request.params, case .string(let property)? = params.first else {
                return reply(connection, failure(2, "Invalid request: property name must be a string"))
            }
            guard property == "combined" else { return reply(connection, failure(0, "Unknown property")) }
            if method == "GET_PROPERTY" {
                let combined = state.withLock { $0.connections[connection.id]?.combined ?? false }
                return reply(connection, "{\"result\":\(combined),\"id\":\(id)}")
            }
            guard params.count == 2, case .bool(let value) = params[1] else { return reply(connection, failure(1, "Invalid value type: expected Boolean")) }
            state.withLock { state in
                state.connections[connection.id]?.combined = value
                if !state.silent { connection.send("{\"result\":null,\"id\":\(id)}") }
            }
        default:
            reply(connection, failure(2, "Invalid request: unknown variant \(method), expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY"))
        }
    }

    private func reply(_ connection: FakeStreamConnection, _ text: String) {
        guard !state.withLock({ $0.silent }) else { return }
        connection.send(text)
    }
}

/// A stream control message: `{"method":…,"params":[…],"id":…}`.
struct FakeBinanceControlRequest {
    enum Param: Equatable {
        case string(String)
        case bool(Bool)
        case other
    }

    var method: String?
    var params: [Param]?
    /// The id's JSON text as sent (`7`, `"abc"`, `null`); nil when it is not a valid id.
    var id: String?

    static func parse(_ text: String) throws(StreamParseError) -> FakeBinanceControlRequest {
        try parseText(text) { (frame: UnsafeRawBufferPointer) throws(StreamParseError) -> [FakeBinanceControlRequest] in
            var s = JSONScanner(frame)
            try s.beginObject()
            var request = FakeBinanceControlRequest(method: nil, params: nil, id: "null")
            var first = true
            while let key = try s.nextKey(&first) {
                if s.keyIs(key, "method") {
                    request.method = try s.string()
                } else if s.keyIs(key, "params") {
                    if s.isNull() { continue }
                    try s.beginArray()
                    var params: [Param] = []
                    var inner = true
                    while try s.nextElement(&inner) {
                        switch s.byte(s.pos) {
                        case UInt8(ascii: "\""): params.append(.string(try s.string()))
                        case UInt8(ascii: "t"), UInt8(ascii: "f"): params.append(try s.literal().map(Param.bool) ?? .other)
                        default:
                            try s.skipValue()
                            params.append(.other)
                        }
                    }
                    request.params = params
                } else if s.keyIs(key, "id") {
                    let start = s.pos
                    try s.skipValue()
                    let raw = s.decode(start..<s.pos, escaped: false)
                    request.id = validID(raw)
                } else {
                    try s.skipValue()
                }
            }
            if s.peek() != nil { throw s.error("end of message") }
            return [request]
        }[0]
    }

    /// A signed 64-bit integer, a string of up to 36 alphanumerics, or null.
    private static func validID(_ raw: String) -> String? {
        if raw == "null" || Int64(raw) != nil { return raw }
        guard raw.count >= 2, raw.hasPrefix("\""), raw.hasSuffix("\"") else { return nil }
        let inner = raw.dropFirst().dropLast()
        guard inner.count <= 36, inner.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return raw
    }
}
