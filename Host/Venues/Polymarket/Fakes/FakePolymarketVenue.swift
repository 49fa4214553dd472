import VenueKit
import Foundation
import HostCore
import HostFeeds
import Logging
import PolymarketSigning
import Synchronization

/// A whole fake Polymarket on loopback — Gamma, CLOB REST, market and user channels, RTDS —
/// with markets that move: rolling up/down windows per asset and duration, books that change
/// every `tickInterval`, Chainlink ticks every second, `market_resolved` at each window's end.
/// `host polymarket fake-venue` runs it so live mode can be tried end to end without money.
///
/// It verifies what a real venue verifies (EIP-712 signatures, L2 HMACs, tick grid, clock) and
/// fills marketable orders against its books; nothing here is real market data.
public final class FakePolymarketVenue: Sendable {
    public struct Configuration: Sendable {
        public var assets: [String] = ["btc"]
        /// `5m`, `15m`, `4h` (aligned windows).
        public var durations: [(name: String, seconds: Int64)] = [("5m", 300)]
        public var tickInterval: Duration = .milliseconds(500)
        public var collateral: Decimal = 1_000
        public var seed: UInt64 = 7
        public init() {}
    }

    public let gamma: FakeGammaServer
    public let clob: FakeClobServer
    public let streams: FakeMarketServer
    public let rtds: FakeRTDSServer
    private let configuration: Configuration
    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)

    struct Series: Sendable {
        var asset: String
        var duration: String
        var seconds: Int64
        /// Probability of Up, the book's centre.
        var up = 0.5
        var windows: [FakeGammaWindow] = []
        var beats: [String: Double] = [:]
    }

    struct State: Sendable {
        var series: [Series] = []
        var prices: [String: Double] = [:]
        var random = SplitMix64(seed: 7)
        var tick = 0
    }

    public init(configuration: Configuration, credentials: ApiCredentials, signer: EthereumAddress, funder: EthereumAddress? = nil,
                logger: Logger = Logger(label: "polymarket.fake")) {
        self.configuration = configuration
        gamma = FakeGammaServer(logger: logger)
        let streams = FakeMarketServer(credentials: FakeUserCredentials(apiKey: credentials.apiKey, secret: credentials.secret,
                                                                        passphrase: credentials.passphrase), logger: logger)
        self.streams = streams
        rtds = FakeRTDSServer(logger: logger)
        clob = FakeClobServer(credentials: credentials, signer: signer, funder: funder, onUserEvent: { _ = streams.publishUserEvent($0) }, logger: logger)
        clob.setCollateral(configuration.collateral)
        state.withLock { s in
            s.random = SplitMix64(seed: configuration.seed)
            for asset in configuration.assets {
                s.prices[asset] = UpDownSimulation.defaultStartPrice(asset: asset)
                for d in configuration.durations { s.series.append(Series(asset: asset, duration: d.name, seconds: d.seconds)) }
            }
        }
    }

    /// Starts the four servers on 127.0.0.1 (ports chosen by the OS) and lists the first windows.
    public func start() async throws {
        try await gamma.start()
        try await clob.start()
        _ = try await streams.start()
        _ = try await rtds.start()
        roll(nowMs: Self.nowMs())
    }

    public func stop() async {
        stopped.store(true, ordering: .relaxed)
        await streams.stop()
        await rtds.stop()
        await clob.stop()
        await gamma.stop()
    }

    /// The `feed:` keys that point the host at this venue.
    public var feedKeys: [(String, String)] {
        [("gamma_url", gamma.baseURL), ("clob_url", clob.baseURL), ("market_ws_url", streams.marketURL),
         ("user_ws_url", streams.userURL), ("rtds_url", rtds.url)]
    }

    /// Moves the markets until `stop()`.
    public func run() async {
        while !stopped.load(ordering: .relaxed) {
            let now = Self.nowMs()
            roll(nowMs: now)
            step(nowMs: now)
            try? await Task.sleep(for: configuration.tickInterval)
        }
    }

    // MARK: - Markets

    /// Lists current and next windows, resolves ended ones.
    private func roll(nowMs: Int64) {
        var resolutions: [String] = []
        var added: [FakeGammaWindow] = []
        var closed: [FakeGammaWindow] = []
        state.withLock { s in
            for i in s.series.indices {
                let ms = s.series[i].seconds * 1000
                let start = nowMs / ms * ms
                for windowStart in [start, start + ms] where !s.series[i].windows.contains(where: { $0.startMs == windowStart }) {
                    let slug = "\(s.series[i].asset)-updown-\(s.series[i].duration)-\(windowStart / 1000)"
                    let digest = Keccak256.hash(Array(slug.utf8))
                    let hex = Hex.encode(digest, prefix: false)
                    let tokenBase = digest.prefix(12).reduce(UInt64(0)) { ($0 << 5) ^ UInt64($1) } % 1_000_000_000_000_000
                    let window = FakeGammaWindow(slug: slug, asset: s.series[i].asset, duration: s.series[i].duration, startMs: windowStart,
                                                 endMs: windowStart + ms, upTokenID: "\(tokenBase)1", downTokenID: "\(tokenBase)2",
                                                 conditionID: "0x" + hex, id: String(tokenBase % 10_000_000))
                    s.series[i].windows.append(window)
                    added.append(window)
                }
                for window in s.series[i].windows where window.endMs <= nowMs && !window.closed {
                    let price = s.prices[s.series[i].asset] ?? 0
                    let beat = s.series[i].beats[window.conditionID] ?? price
                    let upWins = price >= beat
                    resolutions.append(#"{"event_type":"market_resolved","id":"\#(window.id)","market":"\#(window.conditionID)","assets_ids":["\#(window.upTokenID)","\#(window.downTokenID)"],"winning_asset_id":"\#(upWins ? window.upTokenID : window.downTokenID)","winning_outcome":"\#(upWins ? "Up" : "Down")","timestamp":"\#(nowMs)","tags":[]}"#)
                }
                for j in s.series[i].windows.indices where s.series[i].windows[j].endMs <= nowMs && !s.series[i].windows[j].closed {
                    s.series[i].windows[j].closed = true
                    closed.append(s.series[i].windows[j])
                }
                s.series[i].windows.removeAll { $0.endMs + 3_600_000 < nowMs }
                // A new window starts near even odds.
                if let current = s.series[i].windows.first(where: { $0.startMs <= nowMs && nowMs < $0.endMs }),
                   s.series[i].beats[current.conditionID] == nil {
                    s.series[i].beats[current.conditionID] = s.prices[s.series[i].asset] ?? 0
                    s.series[i].up = 0.5
                }
            }
        }
        for window in added {
            gamma.add(window)
            for token in [window.upTokenID, window.downTokenID] {
                if let tick = try? TickSize("0.01") {
                    clob.addToken(FakeClobToken(tokenID: token, market: window.conditionID, tick: tick, outcome: token == window.upTokenID ? "Up" : "Down"))
                }
            }
            setBooks(window, up: 0.5, nowMs: nowMs, announce: false)
        }
        for frame in resolutions { _ = streams.broadcast(frame) }
        for window in closed { gamma.add(window) }
    }

    /// One market step: the underlying moves, odds follow, books and oracle are published.
    private func step(nowMs: Int64) {
        var books: [(FakeGammaWindow, Double)] = []
        var ticks: [(String, Double)] = []
        state.withLock { s in
            s.tick += 1
            for asset in s.prices.keys.sorted() {
                s.prices[asset]! *= 1 + 0.0004 * s.random.normal()
                ticks.append((asset, s.prices[asset]!))
            }
            for i in s.series.indices {
                guard let current = s.series[i].windows.first(where: { $0.startMs <= nowMs && nowMs < $0.endMs }),
                      let beat = s.series[i].beats[current.conditionID], let price = s.prices[s.series[i].asset] else { continue }
                // Odds of finishing up: the move so far against the time left, squashed into (0.02, 0.98).
                let left = max(1, Double(current.endMs - nowMs) / 1000)
                let z = (price / beat - 1) / (0.0004 * (left / 0.5).squareRoot())
                s.series[i].up = min(0.98, max(0.02, 1 / (1 + exp(-1.7 * z))))
                books.append((current, s.series[i].up))
            }
        }
        for (window, up) in books { setBooks(window, up: up, nowMs: nowMs, announce: true) }
        let tickMs = nowMs / 1000 * 1000
        for (asset, price) in ticks {
            _ = rtds.publishPrice(topic: "crypto_prices_chainlink", symbol: "\(asset)/usd", timestampMs: tickMs, value: String(format: "%.2f", price))
        }
    }

    /// Books of a window around `up` (Up) and `1 − up` (Down), one cent spread, on both the CLOB
    /// (for matching) and the market channel (snapshot for new subscribers, `book` now).
    private func setBooks(_ window: FakeGammaWindow, up: Double, nowMs: Int64, announce: Bool) {
        for (token, p) in [(window.upTokenID, up), (window.downTokenID, 1 - up)] {
            let bid: Double = max(0.01, min(0.98, (p * 100).rounded(.down) / 100))
            var levels: [(bid: Double, ask: Double, size: Double)] = []
            for k in 0..<3 {
                let step = Double(k) / 100
                levels.append((bid: max(0.01, bid - step), ask: min(0.99, bid + step + 0.01), size: 200 * Double(k + 1)))
            }
            let text = { (v: Double) in String(format: "%.2f", v) }
            clob.setBook(tokenID: token, bids: levels.map { (Decimal(string: text($0.bid))!, Decimal($0.size)) },
                         asks: levels.map { (Decimal(string: text($0.ask))!, Decimal($0.size)) })
            let book = FakeBook(market: window.conditionID, bids: levels.reversed().map { FakeLevel(text($0.bid), "\(Int($0.size))") },
                                asks: levels.reversed().map { FakeLevel(text($0.ask), "\(Int($0.size))") }, timestampMs: nowMs)
            streams.setBook(book, for: token)
            if announce {
                let bids = book.bids.map { #"{"price":"\#($0.price)","size":"\#($0.size)"}"# }.joined(separator: ",")
                let asks = book.asks.map { #"{"price":"\#($0.price)","size":"\#($0.size)"}"# }.joined(separator: ",")
                _ = streams.send(#"{"event_type":"book","market":"\#(window.conditionID)","asset_id":"\#(token)","timestamp":"\#(nowMs)","hash":"\#(nowMs)","bids":[\#(bids)],"asks":[\#(asks)],"tick_size":"0.01"}"#,
                                 toAsset: token)
            }
        }
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
