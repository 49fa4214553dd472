import Binance
import Foundation
import HTTPTypes
import HostCore
import Hummingbird
import Logging
import NIOCore
import Synchronization
import VenueFakes
import VenueKit

extension FakeBinanceVenue {
    /// A REST answer before the weight header is added.
    private struct Answer {
        var status: HTTPResponse.Status
        var body: String
        var weight: Int
        var retryAfter: Int?
    }

    /// Answers one REST request: injected failure, else the endpoint, charging Binance's weight.
    func handleREST(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let path = request.uri.path
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let now = nowMs()
        let injected = state.withLock { state -> RESTFailure? in
            guard let index = state.restFailures.firstIndex(where: { $0.path == nil || $0.path == path }) else { return nil }
            return state.restFailures.remove(at: index).failure
        }
        let answer: Answer
        if let injected {
            logger.info("Fake Binance injecting a REST failure", metadata: ["http.path": "\(path)", "fake.failure": "\(injected)"])
            switch injected {
            case .tooManyRequests(let seconds):
                answer = Answer(status: .tooManyRequests, body: FakeBinanceWire.error(-1003, tooMuchWeightMessage), weight: 0, retryAfter: seconds)
            case .banned(let seconds):
                answer = Answer(status: .init(code: 418, reasonPhrase: "I'm a teapot"),
                                body: FakeBinanceWire.error(-1003, "Way too much request weight used; IP banned until \(now + Int64(seconds) * 1000). Please use WebSocket Streams for live updates to avoid bans."),
                                weight: 0, retryAfter: seconds)
            case .serverError(let status):
                answer = Answer(status: .init(code: status), body: FakeBinanceWire.error(-1001, "Internal error; unable to process your request. Please try again."),
                                weight: 0, retryAfter: nil)
            case .dropConnection:
                record(path, query, status: 0, weight: 0, used: 0)
                try? await context.channel.close()
                throw FakeServerError(message: "connection dropped on purpose")
            case .raw(let status, let body):
                answer = Answer(status: .init(code: status), body: body, weight: 0, retryAfter: nil)
            }
        } else {
            answer = route(path, query, nowMs: now)
        }
        // Charge the weight; beyond the limit the answer is a 429 instead.
        let windowMs = max(Self.milliseconds(configuration.weightWindow), 1)
        let (final, used) = state.withLock { state -> (Answer, Int) in
            let window = now / windowMs
            if window != state.weightWindow {
                state.weightWindow = window
                state.weightUsed = 0
            }
            if answer.weight > 0, state.weightUsed + answer.weight > configuration.weightLimit {
                let retry = Int((windowMs - now % windowMs + 999) / 1000)
                return (Answer(status: .tooManyRequests, body: FakeBinanceWire.error(-1003, tooMuchWeightMessage), weight: 0, retryAfter: max(retry, 1)),
                        state.weightUsed)
            }
            state.weightUsed += answer.weight
            return (answer, state.weightUsed)
        }
        record(path, query, status: Int(final.status.code), weight: final.weight, used: used)
        var headers = HTTPFields()
        headers[.contentType] = "application/json;charset=UTF-8"
        headers[HTTPField.Name("X-MBX-USED-WEIGHT-1M")!] = "\(used)"
        if let retry = final.retryAfter { headers[.retryAfter] = "\(retry)" }
        return Response(status: final.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: final.body)))
    }

    private var tooMuchWeightMessage: String {
        "Too much request weight used; current limit is \(configuration.weightLimit) request weight per \(windowText). Please use WebSocket Streams for live updates to avoid polling the API."
    }

    private var windowText: String {
        let ms = Self.milliseconds(configuration.weightWindow)
        return ms % 60_000 == 0 ? "\(ms / 60_000) MINUTE" : "\(max(ms / 1000, 1)) SECOND"
    }

    private func record(_ path: String, _ query: [String: String], status: Int, weight: Int, used: Int) {
        state.withLock { $0.restLog.append(RESTRequest(path: path, query: query, status: status, weight: weight, usedWeight: used)) }
    }

    // MARK: - Endpoints

    private func route(_ path: String, _ query: [String: String], nowMs now: Int64) -> Answer {
        func bad(_ code: Int, _ message: String, weight: Int) -> Answer {
            Answer(status: .badRequest, body: FakeBinanceWire.error(code, message), weight: weight, retryAfter: nil)
        }
        func ok(_ body: String, weight: Int) -> Answer { Answer(status: .ok, body: body, weight: weight, retryAfter: nil) }
        func mandatory(_ name: String, weight: Int) -> Answer {
            bad(-1102, "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.", weight: weight)
        }
        let invalidSymbol = "Invalid symbol."

        switch path {
        case "/api/v3/ping":
            return ok("{}", weight: BinanceWeights.ping)
        case "/api/v3/time":
            return ok("{\"serverTime\":\(now)}", weight: BinanceWeights.time)
        case "/api/v3/depth":
            guard let symbol = query["symbol"], !symbol.isEmpty else { return mandatory("symbol", weight: 1) }
            let requested = query["limit"].flatMap { Int($0) } ?? 100
            guard requested >= 1 else { return bad(-1100, "Illegal characters found in parameter 'limit'; legal range is '1..5000'.", weight: 1) }
            let limit = min(requested, 5000)
            let weight = BinanceWeights.depth(limit: limit)
            let book: FakeBinanceBook? = state.withLock { state in
                let partial = state.partialLevels[symbol]
                let levels = min(limit, partial ?? limit)
                if let frozen = state.frozen.removeValue(forKey: symbol) {
                    return FakeBinanceBook(symbol: symbol, lastUpdateId: frozen.lastUpdateId, bids: Array(frozen.bids.prefix(levels)),
                                           asks: Array(frozen.asks.prefix(levels)))
                }
                return state.markets[symbol]?.book(depth: levels)
            }
            guard let book else { return bad(-1121, invalidSymbol, weight: weight) }
            return ok(FakeBinanceWire.depthSnapshot(lastUpdateId: book.lastUpdateId, bids: book.bids, asks: book.asks), weight: weight)
        case "/api/v3/exchangeInfo":
            let weight = BinanceWeights.exchangeInfo
            let wanted: [String]
            if let symbol = query["symbol"] {
                wanted = [symbol]
            } else if let list = query["symbols"] {
                guard let names = Self.symbolList(list) else {
                    return bad(-1100, "Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'.", weight: weight)
                }
                wanted = names
            } else {
                wanted = state.withLock { $0.order }
            }
            guard wanted.allSatisfy({ specs[$0] != nil }) else { return bad(-1121, invalidSymbol, weight: weight) }
            return ok(exchangeInfoBody(wanted.compactMap { specs[$0] }, nowMs: now), weight: weight)
        case "/api/v3/ticker/24hr":
            let full = (query["type"] ?? "FULL") != "MINI"
            if let symbol = query["symbol"] {
                guard let spec = specs[symbol] else { return bad(-1121, invalidSymbol, weight: BinanceWeights.ticker24h(symbolCount: 1)) }
                return ok(tickerBody(spec, full: full, nowMs: now), weight: BinanceWeights.ticker24h(symbolCount: 1))
            }
            let names: [String]
            if let list = query["symbols"] {
                guard let parsed = Self.symbolList(list) else { return bad(-1100, "Illegal characters found in parameter 'symbols'.", weight: 2) }
                names = parsed
            } else {
                names = state.withLock { $0.order }
            }
            let weight = BinanceWeights.ticker24h(symbolCount: query["symbols"] == nil ? nil : names.count)
            guard names.allSatisfy({ specs[$0] != nil }) else { return bad(-1121, invalidSymbol, weight: weight) }
            return ok("[" + names.compactMap { specs[$0] }.map { tickerBody($0, full: full, nowMs: now) }.joined(separator: ",") + "]", weight: weight)
        case "/api/v3/klines":
            let weight = BinanceWeights.klines
            guard let symbol = query["symbol"], !symbol.isEmpty else { return mandatory("symbol", weight: weight) }
            guard let intervalText = query["interval"], !intervalText.isEmpty else { return mandatory("interval", weight: weight) }
            guard let interval = BinanceKlineInterval(rawValue: intervalText) else { return bad(-1120, "Invalid interval.", weight: weight) }
            guard let spec = specs[symbol] else { return bad(-1121, invalidSymbol, weight: weight) }
            let limit = min(max(query["limit"].flatMap { Int($0) } ?? 500, 1), 1000)
            // Times outside 1970…2100 are clamped (no overflow on absurd input).
            func time(_ name: String) -> Int64? { query[name].flatMap { Int64($0) }.map { min(max($0, 0), 4_102_444_800_000) } }
            let rows = klineRows(spec, interval: interval, startTime: time("startTime"), endTime: time("endTime"), limit: limit, nowMs: now)
            return ok("[" + rows.joined(separator: ",") + "]", weight: weight)
        default:
            return Answer(status: .notFound, body: "", weight: 1, retryAfter: nil)
        }
    }

    /// `["BTCUSDT","ETHUSDT"]` → names; nil when malformed.
    static func symbolList(_ text: String) -> [String]? {
        guard let data = text.data(using: .utf8), let list = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else { return nil }
        let names = list.compactMap { $0 as? String }
        return names.count == list.count && !names.isEmpty ? names : nil
    }

    // MARK: - Bodies

    private func exchangeInfoBody(_ symbols: [FakeBinanceSymbol], nowMs: Int64) -> String {
        let windowMs = Self.milliseconds(configuration.weightWindow)
        let (interval, intervalNum) = windowMs % 60_000 == 0 ? ("MINUTE", windowMs / 60_000) : ("SECOND", max(windowMs / 1000, 1))
        var out = "{\"timezone\":\"UTC\",\"serverTime\":\(nowMs),\"rateLimits\":["
        out += "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"\(interval)\",\"intervalNum\":\(intervalNum),\"limit\":\(configuration.weightLimit)},"
        out += "{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":100},"
        out += "{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":200000},"
        out += "{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":\"MINUTE\",\"intervalNum\":5,\"limit\":61000}],\"exchangeFilters\":[],\"symbols\":["
        for (index, spec) in symbols.enumerated() {
            if index > 0 { out += "," }
            let d = FakeBinanceWire.decimal
            out += "{\"symbol\":\"\(spec.symbol)\",\"status\":\"\(spec.status)\",\"baseAsset\":\"\(spec.baseAsset)\",\"baseAssetPrecision\":8,"
            out += "\"quoteAsset\":\"\(spec.quoteAsset)\",\"quotePrecision\":8,\"quoteAssetPrecision\":8,\"baseCommissionPrecision\":8,\"quoteCommissionPrecision\":8,"
            out += "\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\",\"STOP_LOSS\",\"STOP_LOSS_LIMIT\",\"TAKE_PROFIT\",\"TAKE_PROFIT_LIMIT\"],"
            out += "\"icebergAllowed\":true,\"ocoAllowed\":true,\"otoAllowed\":true,\"quoteOrderQtyMarketAllowed\":true,\"allowTrailingStop\":true,"
            out += "\"cancelReplaceAllowed\":true,\"isSpotTradingAllowed\":true,\"isMarginTradingAllowed\":false,\"filters\":["
            out += "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"\(d(spec.tickSize))\",\"maxPrice\":\"1000000.00000000\",\"tickSize\":\"\(d(spec.tickSize))\"},"
            out += "{\"filterType\":\"LOT_SIZE\",\"minQty\":\"\(d(spec.stepSize))\",\"maxQty\":\"9000.00000000\",\"stepSize\":\"\(d(spec.stepSize))\"},"
            out += "{\"filterType\":\"ICEBERG_PARTS\",\"limit\":10},"
            out += "{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":\"0.00000000\",\"maxQty\":\"100.00000000\",\"stepSize\":\"0.00000000\"},"
            out += "{\"filterType\":\"TRAILING_DELTA\",\"minTrailingAboveDelta\":10,\"maxTrailingAboveDelta\":2000,\"minTrailingBelowDelta\":10,\"maxTrailingBelowDelta\":2000},"
            out += "{\"filterType\":\"PERCENT_PRICE_BY_SIDE\",\"bidMultiplierUp\":\"5\",\"bidMultiplierDown\":\"0.2\",\"askMultiplierUp\":\"5\",\"askMultiplierDown\":\"0.2\",\"avgPriceMins\":5},"
            out += "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"\(d(spec.minNotional))\",\"applyMinToMarket\":true,\"maxNotional\":\"9000000.00000000\",\"applyMaxToMarket\":false,\"avgPriceMins\":5},"
            out += "{\"filterType\":\"MAX_NUM_ORDERS\",\"maxNumOrders\":200},{\"filterType\":\"MAX_NUM_ALGO_ORDERS\",\"maxNumAlgoOrders\":5}],"
            out += "\"permissions\":[],\"permissionSets\":[[\"SPOT\"]],\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\","
            out += "\"allowedSelfTradePreventionModes\":[\"EXPIRE_TAKER\",\"EXPIRE_MAKER\",\"EXPIRE_BOTH\"]}"
        }
        return out + "]}"
    }

    private func tickerBody(_ spec: FakeBinanceSymbol, full: Bool, nowMs: Int64) -> String {
        let (last, bid, ask): (Fixed8, BinanceLevel?, BinanceLevel?) = state.withLock { state in
            guard let market = state.markets[spec.symbol] else { return (spec.startPrice, nil, nil) }
            let top = market.book(depth: 1)
            return (market.lastTradePrice, top.bids.first, top.asks.first)
        }
        let d = FakeBinanceWire.decimal
        let quote = Self.decimal8(spec.quoteVolume24h)
        let volume = last.raw > 0 ? Self.decimal8(spec.quoteVolume24h / last.decimal) : "0.00000000"
        let open = spec.startPrice
        let high = max(open, last), low = min(open, last)
        let count = Int64(SplitMix64.hash(spec.symbol.hashValueStable) % 1_000_000)
        let firstId: Int64 = 1_000_000
        var out = "{\"symbol\":\"\(spec.symbol)\","
        if full {
            let change = last - open
            out += "\"priceChange\":\"\(d(change))\",\"priceChangePercent\":\"0.000\",\"weightedAvgPrice\":\"\(d(last))\",\"prevClosePrice\":\"\(d(open))\","
        }
        out += "\"openPrice\":\"\(d(open))\",\"highPrice\":\"\(d(high))\",\"lowPrice\":\"\(d(low))\",\"lastPrice\":\"\(d(last))\","
        if full {
            out += "\"lastQty\":\"\(d(spec.stepSize))\",\"bidPrice\":\"\(d(bid?.price ?? .zero))\",\"bidQty\":\"\(d(bid?.size ?? .zero))\","
            out += "\"askPrice\":\"\(d(ask?.price ?? .zero))\",\"askQty\":\"\(d(ask?.size ?? .zero))\","
        }
        out += "\"volume\":\"\(volume)\",\"quoteVolume\":\"\(quote)\",\"openTime\":\(nowMs - 86_400_000),\"closeTime\":\(nowMs),"
        out += "\"firstId\":\(firstId),\"lastId\":\(firstId + count),\"count\":\(count + 1)}"
        return out
    }

    /// Synthetic klines: each candle is a pure function of (symbol, interval, open time), so
    /// every request over the same range answers the same rows.
    private func klineRows(_ spec: FakeBinanceSymbol, interval: BinanceKlineInterval, startTime: Int64?, endTime: Int64?,
                           limit: Int, nowMs: Int64) -> [String] {
        let length = interval.milliseconds ?? 2_592_000_000  // 1M approximated by 30 days
        func floor(_ t: Int64) -> Int64 { t >= 0 ? t / length * length : ((t - length + 1) / length) * length }
        let firstListed = floor(spec.listedAtMs + length - 1)
        let newest = floor(nowMs)
        var first: Int64
        var last: Int64
        if let startTime {
            first = max(floor(startTime + length - 1), firstListed)
            last = min(endTime.map(floor) ?? newest, newest)
            last = min(last, first + Int64(limit - 1) * length)
        } else {
            last = min(endTime.map(floor) ?? newest, newest)
            first = max(last - Int64(limit - 1) * length, firstListed)
        }
        guard first <= last else { return [] }
        let tick = max(spec.tickSize.raw, 1)
        let step = max(spec.stepSize.raw, 1)
        let base = max(spec.startPrice.raw / tick, 100)
        let amplitude = max(base / 200, 5)
        let seed = spec.symbol.hashValueStable ^ UInt64(bitPattern: length)
        func close(_ index: Int64) -> Int64 {
            base + Int64(SplitMix64.hash(seed, UInt64(bitPattern: index)) % UInt64(2 * amplitude + 1)) - amplitude
        }
        let d = FakeBinanceWire.decimal
        var rows: [String] = []
        var open = first
        while open <= last {
            let index = open / length
            let o = close(index - 1), c = close(index)
            let wick = UInt64(amplitude / 4 + 1)
            let h = max(o, c) + Int64(SplitMix64.hash(seed, UInt64(bitPattern: index), 1) % wick)
            let l = max(min(o, c) - Int64(SplitMix64.hash(seed, UInt64(bitPattern: index), 2) % wick), 1)
            let volumeSteps = 1 + Int64(SplitMix64.hash(seed, UInt64(bitPattern: index), 3) % 100_000)
            let takerSteps = volumeSteps * Int64(SplitMix64.hash(seed, UInt64(bitPattern: index), 4) % 101) / 100
            let trades = 1 + Int64(SplitMix64.hash(seed, UInt64(bitPattern: index), 5) % 1_000)
            let closePrice = Fixed8(raw: c * tick)
            let volume = Fixed8(raw: volumeSteps * step), takerBase = Fixed8(raw: takerSteps * step)
            let quote = Self.decimal8(volume.decimal * closePrice.decimal)
            let takerQuote = Self.decimal8(takerBase.decimal * closePrice.decimal)
            rows.append("[\(open),\"\(d(Fixed8(raw: o * tick)))\",\"\(d(Fixed8(raw: h * tick)))\",\"\(d(Fixed8(raw: l * tick)))\",\"\(d(closePrice))\",\"\(d(volume))\",\(open + length - 1),\"\(quote)\",\(trades),\"\(d(takerBase))\",\"\(takerQuote)\",\"0\"]")
            open += length
        }
        return rows
    }

    /// A non-negative decimal with exactly eight fraction digits (rounded half up), as Binance writes volumes.
    static func decimal8(_ value: Decimal) -> String {
        var input = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &input, 8, .plain)
        let text = rounded.description
        let parts = text.split(separator: ".", maxSplits: 1)
        let integer = parts.first.map(String.init) ?? "0"
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        return integer + "." + fraction + String(repeating: "0", count: max(8 - fraction.count, 0))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let c = duration.components
        return c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
    }
}
