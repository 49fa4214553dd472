import Bybit
import Foundation
import HostCore
import Logging
import Synchronization
import Testing
import VenueFakes
import VenueKit

/// What a minimal Bybit public stream does with client frames: records them, acks
/// subscribe/unsubscribe requests like Bybit (refusing the topics in `refused`), then hands
/// the accepted topics to the test's `onSubscribe`.
private final class StreamScript: Sendable {
    let received = StreamRecorder<String>()
    let pings = StreamRecorder<String>()
    let refused: Set<String>
    let onSubscribe: @Sendable (FakeStreamConnection, [String]) -> Void

    init(refused: Set<String>, onSubscribe: @escaping @Sendable (FakeStreamConnection, [String]) -> Void) {
        self.refused = refused
        self.onSubscribe = onSubscribe
    }

    func handle(_ connection: FakeStreamConnection, _ text: String) {
        received.append(text)
        guard let object = FakeJSON.object(text), let op = object["op"] as? String else { return }
        let args = FakeJSON.strings(object["args"])
        let requestID = FakeJSON.quoted(object["req_id"] as? String ?? "")
        let bad = args.filter(refused.contains)
        if bad.isEmpty {
            connection.send(#"{"success":true,"ret_msg":"","conn_id":"loop-1","req_id":\#(requestID),"op":"\#(op)"}"#)
        } else {
            connection.send(#"{"success":false,"ret_msg":"Invalid topic: \#(bad.joined(separator: ","))","conn_id":"loop-1","req_id":\#(requestID),"op":"\#(op)"}"#)
        }
        if op == "subscribe" { onSubscribe(connection, args.filter { !refused.contains($0) }) }
    }
}

/// A minimal Bybit public stream on loopback, built on ``FakeStreamHost`` (the full fake venue is
/// BybitFakes'): Bybit's pong to `{"op":"ping"}`, acks, and whatever the test pushes.
private final class LoopbackBybitStream: Sendable {
    let script: StreamScript
    let host: FakeStreamHost

    init(category: Bybit.Category, refused: Set<String>, onSubscribe: @escaping @Sendable (FakeStreamConnection, [String]) -> Void) {
        let script = StreamScript(refused: refused, onSubscribe: onSubscribe)
        self.script = script
        var logger = Logger(label: "bybit.loopback")
        logger.logLevel = .critical
        host = FakeStreamHost(
            routes: ["/v5/public/\(category.rawValue)": .init(received: { connection, text in script.handle(connection, text) })],
            keepAliveReply: { text in
                guard text.contains(#""op":"ping""#) else { return nil }
                script.pings.append(text)
                return #"{"success":true,"ret_msg":"pong","conn_id":"loop-1","req_id":"","op":"ping"}"#
            },
            logger: logger)
    }

    func start() async throws -> String { "ws://127.0.0.1:\(try await host.start())" }
}

/// A status the sink received.
private struct StatusRecord: Sendable, Equatable {
    var symbol: SymbolID
    var stale: Bool
    var reason: String
}

/// Records log lines (message and metadata) at any level.
private struct StreamLogCapture: LogHandler {
    let lines: StreamRecorder<String>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.append("\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
}

/// A client against a loopback stream, with everything it delivers recorded.
private struct ClientHarness {
    let stream: LoopbackBybitStream
    let client: BybitStreamClient
    let events = StreamRecorder<MarketEvent>()
    let statuses = StreamRecorder<StatusRecord>()
    let tickers = StreamRecorder<BybitStreamMessage.Ticker>()
    let logLines = StreamRecorder<String>()
    let counters = VenueCounters(venue: Bybit.venue)
    let task: Task<Void, Never>

    init(symbols: [String], category: Bybit.Category = .linear, refused: Set<String> = [],
         // Pings every 50 ms; the silence watchdog (tested on the kit's socket in PolymarketStreamsTests) only after 30 s, so a
         // test run that keeps this process off the cores for seconds does not reconnect in the
         // middle of a test (it did once in CI: the gap test saw a reconnect instead of its resubscribe).
         heartbeat: HeartbeatPolicy = HeartbeatPolicy(interval: .milliseconds(50), staleAfter: .seconds(30)),
         onSubscribe: @escaping @Sendable (FakeStreamConnection, [String]) -> Void = { _, _ in }) async throws {
        stream = LoopbackBybitStream(category: category, refused: refused, onSubscribe: onSubscribe)
        let base = try await stream.start()
        let events = events, statuses = statuses, tickers = tickers, logLines = logLines
        let logger = Logger(label: "bybit.stream.tests") { _ in StreamLogCapture(lines: logLines) }
        client = try BybitStreamClient(
            category: category,
            symbols: symbols.enumerated().map { BybitStreamClient.Symbol(id: SymbolID(UInt32($0.offset)), venueSymbol: $0.element) },
            depth: 50, baseURL: base, heartbeat: heartbeat, backoff: BackoffPolicy(base: .milliseconds(10), max: .milliseconds(100)),
            logger: logger, counters: counters,
            sink: MarketDataSink(events: { events.append(contentsOf: $0) },
                                 status: { statuses.append(StatusRecord(symbol: $0, stale: $1, reason: $2)) }),
            onTicker: { _, ticker in tickers.append(ticker) })
        let client = client
        task = Task { await client.run() }
    }

    /// Subscribe requests the client sent, as topic lists.
    var subscribeRequests: [[String]] { requests("subscribe") }

    func requests(_ op: String) -> [[String]] {
        stream.script.received.all.compactMap { text in
            guard let object = FakeJSON.object(text), object["op"] as? String == op else { return nil }
            return FakeJSON.strings(object["args"])
        }
    }

    var bookRows: [BookDelta] { events.all.compactMap { if case .bookDelta(let row) = $0 { row } else { nil } } }

    func shutdown() async {
        client.stop()
        await task.value
        await stream.host.stop()
    }
}

private let btcBook = "orderbook.50.BTCUSDT"
private let fx = StreamTest.fx

private func snapshot(u: Int64, bid: String = "100", ask: String = "101") -> String {
    StreamTest.bookFrame("snapshot", u: u, bids: [(bid, "1"), ("99", "2")], asks: [(ask, "3"), ("102", "4")])
}

struct StreamClientTests {
    @Test("subscribe requests carry at most 10 topics each and cover book, trades, ticker and 1-minute candles of every symbol")
    func chunkedSubscribe() async throws {
        let h = try await ClientHarness(symbols: ["BTCUSDT", "ETHUSDT", "SOLUSDT"], category: .spot)
        #expect(await streamEventually { h.subscribeRequests.flatMap { $0 }.count >= 12 })
        let requests = h.subscribeRequests
        #expect(requests.map(\.count) == [10, 2])
        #expect(requests.flatMap { $0 } == ["BTCUSDT", "ETHUSDT", "SOLUSDT"].flatMap {
            ["orderbook.50.\($0)", "publicTrade.\($0)", "tickers.\($0)", "kline.1.\($0)"]
        })
        let first = try #require(h.stream.script.received.all.first)
        #expect(first.hasPrefix(#"{"op":"subscribe","args":["orderbook.50.BTCUSDT","publicTrade.BTCUSDT","tickers.BTCUSDT","kline.1.BTCUSDT","#))
        #expect(first.hasSuffix(#"],"req_id":"spot-subscribe-1"}"#))
        await h.shutdown()
    }

    @Test("a snapshot and its deltas reach the sink as book rows with a quote of the top, and the symbol turns fresh")
    func snapshotAndDeltas() async throws {
        let h = try await ClientHarness(symbols: ["BTCUSDT"]) { connection, topics in
            guard topics.contains(btcBook) else { return }
            connection.send(snapshot(u: 100))
            connection.send(StreamTest.bookFrame("delta", u: 101, bids: [("100", "0"), ("99.5", "7")]))
            connection.send(StreamTest.bookFrame("delta", u: 102, asks: [("101", "2.5")]))
        }
        #expect(await streamEventually { h.counters.applied.load(ordering: .relaxed) == 3 })
        let rows = h.bookRows
        #expect(rows.count == 4 + 2 + 1)
        #expect(rows.prefix(4).allSatisfy { $0.isSnapshot })
        #expect(rows.filter(\.isEndOfBatch).count == 3)
        #expect(rows[4] == BookDelta(symbol: SymbolID(0), tsEvent: 1_700_000_000_000_000_000, tsRecv: rows[4].tsRecv, side: .buy,
                                     price: fx("100"), size: .zero, flags: []))
        let quotes = h.events.all.compactMap { if case .quote(let q) = $0 { q } else { nil } }
        #expect(quotes.map(\.bidPrice) == [fx("100"), fx("99.5"), fx("99.5")])
        #expect(quotes.last?.askSize == fx("2.5"))
        #expect(h.statuses.all == [StatusRecord(symbol: SymbolID(0), stale: true, reason: "awaiting snapshot"),
                                   StatusRecord(symbol: SymbolID(0), stale: false, reason: "snapshot")])
        await h.shutdown()
    }

    @Test("a gap makes the symbol stale, the book topic is unsubscribed and subscribed again, and the new snapshot makes it fresh")
    func gapResubscribes() async throws {
        let bookSubscriptions = Mutex(0)
        let h = try await ClientHarness(symbols: ["BTCUSDT"]) { connection, topics in
            guard topics.contains(btcBook) else { return }
            let n = bookSubscriptions.withLock { $0 += 1; return $0 }
            if n == 1 {
                connection.send(snapshot(u: 100))
                connection.send(StreamTest.bookFrame("delta", u: 101, bids: [("99.5", "7")]))
                connection.send(StreamTest.bookFrame("delta", u: 103, bids: [("99.6", "1")]))  // 102 is missing
            } else {
                connection.send(snapshot(u: 900, bid: "99.9", ask: "101.1"))
            }
        }
        #expect(await streamEventually { h.statuses.count >= 4 })
        #expect(h.statuses.all.map(\.stale) == [true, false, true, false])
        #expect(h.statuses.all.dropFirst(2).first?.reason == "gap")
        #expect(h.requests("unsubscribe") == [[btcBook]])
        #expect(h.subscribeRequests.last == [btcBook])
        let sent = h.stream.script.received.all
        let unsubscribeIndex = try #require(sent.firstIndex { $0.contains(#""op":"unsubscribe""#) })
        #expect(sent[unsubscribeIndex + 1].contains(#""op":"subscribe","args":["orderbook.50.BTCUSDT"]"#))
        #expect(h.counters.gaps.load(ordering: .relaxed) == 1)
        #expect(h.counters.resyncs.load(ordering: .relaxed) == 1)
        let lastQuote = h.events.all.compactMap { if case .quote(let q) = $0 { q } else { nil } }.last
        #expect(lastQuote?.bidPrice == fx("99.9"))
        #expect(lastQuote?.askPrice == fx("101.1"))
        #expect(h.logLines.all.contains { $0.contains("Bybit book gap") && $0.contains("book.expected_u=102") && $0.contains("book.received_u=103") })
        await h.shutdown()
    }

    @Test("pings go out on the heartbeat and Bybit's pongs and acks are not delivered or counted as data")
    func pingsAndPongs() async throws {
        let h = try await ClientHarness(symbols: ["BTCUSDT"]) { connection, topics in
            if topics.contains(btcBook) { connection.send(snapshot(u: 1_000)) }
        }
        #expect(await streamEventually { h.stream.script.pings.count >= 3 && h.client.pongs >= 3 })
        #expect(h.stream.script.pings.all.allSatisfy { $0 == #"{"op":"ping"}"# })
        #expect(h.counters.frames.load(ordering: .relaxed) == 1)  // the snapshot only
        #expect(h.counters.malformed.load(ordering: .relaxed) == 0)
        #expect(h.events.all.allSatisfy { if case .bookDelta = $0 { true } else if case .quote = $0 { true } else { false } })
        await h.shutdown()
    }

    @Test("a refused subscription is counted and logged with Bybit's ret_msg")
    func refusedSubscription() async throws {
        let h = try await ClientHarness(symbols: ["BTCUSDT"], refused: ["kline.1.BTCUSDT"])
        #expect(await streamEventually { h.client.subscribeFailures == 1 })
        #expect(await streamEventually {
            h.logLines.all.contains { $0.contains("Bybit request refused") && $0.contains("bybit.ret_msg=Invalid topic: kline.1.BTCUSDT") }
        })
        #expect(h.counters.frames.load(ordering: .relaxed) == 0)
        await h.shutdown()
    }

    @Test("after the connection drops every symbol is stale until the snapshot on the new connection")
    func reconnectStale() async throws {
        let h = try await ClientHarness(symbols: ["BTCUSDT", "ETHUSDT"]) { connection, topics in
            if topics.contains(btcBook) { connection.send(snapshot(u: 10)) }
        }
        #expect(await streamEventually { h.statuses.all.contains(StatusRecord(symbol: SymbolID(0), stale: false, reason: "snapshot")) })
        h.stream.host.dropAll()
        #expect(await streamEventually { h.statuses.all.filter { $0.symbol == SymbolID(0) && !$0.stale }.count == 2 })
        let btc = h.statuses.all.filter { $0.symbol == SymbolID(0) }
        #expect(btc.map(\.stale) == [true, false, true, false])
        #expect(btc[2].reason == "disconnected")
        #expect(h.subscribeRequests.count == 2)  // one request of 8 topics per connection
        #expect(h.counters.connects.load(ordering: .relaxed) == 2)
        #expect(h.statuses.all.filter { $0.symbol == SymbolID(1) }.map(\.stale) == [true])  // never had a snapshot
        await h.shutdown()
    }

    @Test("trades reach the sink with the taker side as aggressor, and ticker deltas are merged")
    func tradesAndTickers() async throws {
        let h = try await ClientHarness(symbols: ["BTCUSDT"]) { connection, topics in
            guard topics.contains("publicTrade.BTCUSDT") else { return }
            connection.send(#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1680688979985,"data":[{"T":1680688979983,"s":"BTCUSDT","S":"Sell","v":"0.4","p":"94.53","L":"ZeroMinusTick","i":"a","BT":false},{"T":1680688979984,"s":"BTCUSDT","S":"Buy","v":"1","p":"94.54","L":"PlusTick","i":"b","BT":false}]}"#)
            connection.send(#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT","lastPrice":"94.53","markPrice":"94.5","fundingRate":"0.0001"},"cs":1,"ts":1680688979990}"#)
            connection.send(#"{"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","markPrice":"94.6"},"cs":2,"ts":1680688979995}"#)
        }
        #expect(await streamEventually { h.tickers.count == 2 })
        let trades = h.events.all.compactMap { if case .trade(let t) = $0 { t } else { nil } }
        #expect(trades.map(\.aggressor) == [.sell, .buy])
        #expect(trades.map(\.price) == [fx("94.53"), fx("94.54")])
        #expect(trades.first?.tsEvent == 1_680_688_979_983_000_000)
        #expect(h.tickers.all.last?.fields.markPrice == fx("94.6"))
        #expect(h.tickers.all.last?.fields.lastPrice == fx("94.53"))
        await h.shutdown()
    }

    @Test("an orderbook depth Bybit does not offer is refused at configuration")
    func badDepth() {
        #expect(throws: BybitStreamConfigurationError.self) {
            try BybitStreamClient(category: .spot, symbols: [], depth: 25, logger: Logger(label: "t"), counters: VenueCounters(venue: "bybit"),
                                  sink: MarketDataSink(events: { _ in }, status: { _, _, _ in }))
        }
    }
}
