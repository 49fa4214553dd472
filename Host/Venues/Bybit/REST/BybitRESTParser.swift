import Foundation
import HostCore
import VenueKit

/// Reads Bybit v5 REST bodies: the envelope, then each endpoint's `result`. One parser per
/// endpoint, no network: the client and the tests (on recorded answers) call the same code.
///
/// Prices and sizes go through `Fixed8Parser` (exact, never through `Double`), instrument
/// metadata and 24 h totals through `Decimal`. Anything missing or unreadable is a thrown
/// ``BybitRESTError`` with code `.invalidResponse` naming the field and the row.
package enum BybitRESTParser {
    /// The v5 envelope `{"retCode":0,"retMsg":"OK","result":{…},"retExtInfo":{},"time":…}`.
    package struct Envelope: Sendable {
        package var retCode: Int
        package var retMsg: String
        package var result: JSONValue?
        package var timeMs: Int64?
    }

    /// Parses the body as JSON; a body that is not JSON names its first bytes.
    package static func json(_ body: [UInt8], endpoint: String, status: Int? = nil) throws(BybitRESTError) -> JSONValue {
        guard let json = JSONValue.parse(body) else {
            throw invalid(endpoint, "body is not JSON (\(body.count) bytes): \(sample(body))", status: status)
        }
        return json
    }

    /// The envelope's fields; `retCode` must be present.
    package static func envelope(_ json: JSONValue, endpoint: String, status: Int? = nil) throws(BybitRESTError) -> Envelope {
        guard json.object != nil else { throw invalid(endpoint, "body is not a JSON object", status: status) }
        guard let codeText = json["retCode"]?.string, let code = Int(codeText) else {
            throw invalid(endpoint, "no integer retCode: not a v5 envelope", status: status)
        }
        return Envelope(retCode: code, retMsg: json["retMsg"]?.string ?? "", result: json["result"], timeMs: json["time"]?.int64)
    }

    /// The first 120 bytes of a body, for error messages.
    package static func sample(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(120), as: UTF8.self)
        return body.count > 120 ? text + "…" : text
    }

    // MARK: - Endpoints

    /// One page of `instruments-info`: instruments of status `Trading`, the others by status,
    /// malformed items with the reason, and the next page's cursor (nil on the last page).
    ///
    /// Spot: lot = `lotSizeFilter.basePrecision` (the quantity step, as ccxt reads it), min size
    /// = `minOrderQty` where still sent, min notional = `minOrderAmt`. Linear: lot = `qtyStep`,
    /// min size = `minOrderQty`, min notional = `minNotionalValue`. Tick = `priceFilter.tickSize`.
    package static func instrumentsPage(_ result: JSONValue, category: Bybit.Category, endpoint: String) throws(BybitRESTError)
        -> (page: BybitREST.Instruments, nextCursor: String?) {
        guard let list = result["list"]?.array else { throw invalid(endpoint, "result.list is missing or not an array") }
        var page = BybitREST.Instruments(category: category, instruments: [], notTrading: [], malformed: [])
        for (index, item) in list.enumerated() {
            guard let symbol = item["symbol"]?.nonEmptyString else {
                page.malformed.append(.init(symbol: "#\(index)", reason: "no symbol"))
                continue
            }
            let status = item["status"]?.string ?? ""
            guard status == "Trading" else {
                page.notTrading.append(.init(symbol: symbol, reason: status.isEmpty ? "no status" : status))
                continue
            }
            switch instrument(item, symbol: symbol, category: category) {
            case .success(let instrument): page.instruments.append(instrument)
            case .failure(let reason): page.malformed.append(.init(symbol: symbol, reason: reason.text))
            }
        }
        let cursor = result["nextPageCursor"]?.nonEmptyString
        return (page, cursor)
    }

    private struct Reason: Error { var text: String }

    private static func instrument(_ item: JSONValue, symbol: String, category: Bybit.Category) -> Result<Instrument, Reason> {
        func positive(_ value: JSONValue?, _ name: String) -> Result<Decimal, Reason> {
            guard let text = value?.string else { return .failure(Reason(text: "\(name) is missing")) }
            guard let decimal = exactDecimal(text), decimal > 0 else { return .failure(Reason(text: "\(name) \"\(text)\" is not a positive decimal")) }
            return .success(decimal)
        }
        func optional(_ value: JSONValue?, _ name: String) -> Result<Decimal?, Reason> {
            guard let text = value?.string, !text.isEmpty else { return .success(nil) }
            guard let decimal = exactDecimal(text), decimal >= 0 else { return .failure(Reason(text: "\(name) \"\(text)\" is not a decimal")) }
            return .success(decimal)
        }
        guard let base = item["baseCoin"]?.nonEmptyString, let quote = item["quoteCoin"]?.nonEmptyString else {
            return .failure(Reason(text: "baseCoin/quoteCoin missing"))
        }
        let lots = item["lotSizeFilter"]
        let lotField = category == .spot ? "basePrecision" : "qtyStep"
        let notionalField = category == .spot ? "minOrderAmt" : "minNotionalValue"
        return positive(item["priceFilter"]?["tickSize"], "priceFilter.tickSize").flatMap { tick in
            positive(lots?[lotField], "lotSizeFilter.\(lotField)").flatMap { lot in
                optional(lots?["minOrderQty"], "lotSizeFilter.minOrderQty").flatMap { minSize in
                    optional(lots?[notionalField], "lotSizeFilter.\(notionalField)").map { minNotional in
                        Instrument(symbol: symbol, venue: Bybit.venue, baseAsset: base, quoteAsset: quote, tickSize: tick, lotSize: lot,
                                   minSize: minSize.flatMap { $0 > 0 ? $0 : nil }, minNotional: minNotional ?? 0)
                    }
                }
            }
        }
    }

    /// `kline` rows, returned oldest first (the venue sends them newest first). Each row must be
    /// 7 strings `[start, open, high, low, close, volume, turnover]`; two rows with the same
    /// start are an error.
    package static func klines(_ result: JSONValue, endpoint: String) throws(BybitRESTError) -> [BybitREST.Kline] {
        guard let list = result["list"]?.array else { throw invalid(endpoint, "result.list is missing or not an array") }
        var rows: [BybitREST.Kline] = []
        rows.reserveCapacity(list.count)
        for (index, row) in list.enumerated() {
            guard let cells = row.array, cells.count >= 7 else {
                throw invalid(endpoint, "kline row \(index): expected an array of 7 strings")
            }
            guard let startText = cells[0].string, let start = Int64(startText) else {
                throw invalid(endpoint, "kline row \(index): start time \(cells[0]) is not an integer")
            }
            func price(_ column: Int, _ name: String) throws(BybitRESTError) -> Fixed8 {
                try fixed8(cells[column], field: "kline row \(index) \(name)", endpoint: endpoint)
            }
            func amount(_ column: Int, _ name: String) throws(BybitRESTError) -> Decimal {
                guard let text = cells[column].string, let value = exactDecimal(text), value >= 0 else {
                    throw invalid(endpoint, "kline row \(index) \(name): \(cells[column]) is not a non-negative decimal")
                }
                return value
            }
            let kline = BybitREST.Kline(startMs: start, open: try price(1, "open"), high: try price(2, "high"), low: try price(3, "low"),
                                        close: try price(4, "close"), volume: try amount(5, "volume"), turnover: try amount(6, "turnover"))
            guard kline.low <= kline.high else { throw invalid(endpoint, "kline row \(index): low \(kline.low) above high \(kline.high)") }
            rows.append(kline)
        }
        rows.sort { $0.startMs < $1.startMs }
        for index in rows.indices.dropFirst() where rows[index].startMs == rows[index - 1].startMs {
            throw invalid(endpoint, "two kline rows start at \(rows[index].startMs)")
        }
        return rows
    }

    /// `tickers` rows; a row with an unreadable number is reported in `malformed`, not fatal.
    package static func tickers(_ result: JSONValue, category: Bybit.Category, endpoint: String) throws(BybitRESTError) -> BybitREST.Tickers {
        guard let list = result["list"]?.array else { throw invalid(endpoint, "result.list is missing or not an array") }
        var out = BybitREST.Tickers(category: category, tickers: [], malformed: [])
        for (index, row) in list.enumerated() {
            guard let symbol = row["symbol"]?.nonEmptyString else {
                out.malformed.append(.init(symbol: "#\(index)", reason: "no symbol"))
                continue
            }
            do throws(BybitRESTError) {
                func optionalPrice(_ name: String) throws(BybitRESTError) -> Fixed8? {
                    guard let value = row[name], let text = value.string, !text.isEmpty else { return nil }
                    return try fixed8(value, field: name, endpoint: endpoint)
                }
                func total(_ name: String) throws(BybitRESTError) -> Decimal {
                    guard let text = row[name]?.string, let value = exactDecimal(text), value >= 0 else {
                        throw invalid(endpoint, "\(name) is not a non-negative decimal")
                    }
                    return value
                }
                guard let last = try optionalPrice("lastPrice") else { throw invalid(endpoint, "lastPrice is missing") }
                let change = row["price24hPcnt"]?.string.flatMap(exactDecimal)
                out.tickers.append(BybitREST.Ticker(symbol: symbol, lastPrice: last, bid1Price: try optionalPrice("bid1Price"),
                                                    ask1Price: try optionalPrice("ask1Price"), turnover24h: try total("turnover24h"),
                                                    volume24h: try total("volume24h"), price24hPcnt: change))
            } catch {
                out.malformed.append(.init(symbol: symbol, reason: error.message))
            }
        }
        return out
    }

    /// `time`: `timeNano` (a decimal string of ns), else `timeSecond`.
    package static func serverTime(_ result: JSONValue, envelopeMs: Int64?, endpoint: String) throws(BybitRESTError) -> BybitREST.ServerTime {
        if let text = result["timeNano"]?.string, let nanos = Int64(text) {
            return BybitREST.ServerTime(nanoseconds: nanos, envelopeMs: envelopeMs)
        }
        if let text = result["timeSecond"]?.string, let seconds = Int64(text) {
            return BybitREST.ServerTime(nanoseconds: seconds * 1_000_000_000, envelopeMs: envelopeMs)
        }
        throw invalid(endpoint, "result has neither timeNano nor timeSecond as an integer string")
    }

    /// `orderbook`: `{s, b:[[px,size]], a:[[px,size]], ts, u, seq, cts}`. Bids must fall and asks
    /// rise strictly, sizes be positive, and the book not be crossed.
    package static func orderBook(_ result: JSONValue, endpoint: String) throws(BybitRESTError) -> BybitREST.OrderBook {
        guard let symbol = result["s"]?.nonEmptyString else { throw invalid(endpoint, "result.s (symbol) is missing") }
        func side(_ key: String, descending: Bool) throws(BybitRESTError) -> [BybitREST.BookLevel] {
            guard let rows = result[key]?.array else { throw invalid(endpoint, "result.\(key) is missing or not an array") }
            var levels: [BybitREST.BookLevel] = []
            levels.reserveCapacity(rows.count)
            for (index, row) in rows.enumerated() {
                guard let pair = row.array, pair.count == 2 else { throw invalid(endpoint, "\(key)[\(index)]: expected [price, size]") }
                let level = BybitREST.BookLevel(price: try fixed8(pair[0], field: "\(key)[\(index)] price", endpoint: endpoint),
                                                size: try fixed8(pair[1], field: "\(key)[\(index)] size", endpoint: endpoint))
                guard level.size > .zero, level.price > .zero else { throw invalid(endpoint, "\(key)[\(index)]: price and size must be positive") }
                if let previous = levels.last, descending ? !(level.price < previous.price) : !(level.price > previous.price) {
                    throw invalid(endpoint, "\(key)[\(index)]: prices not strictly \(descending ? "falling" : "rising")")
                }
                levels.append(level)
            }
            return levels
        }
        let bids = try side("b", descending: true)
        let asks = try side("a", descending: false)
        if let bid = bids.first, let ask = asks.first, bid.price >= ask.price {
            throw invalid(endpoint, "crossed book: best bid \(bid.price) ≥ best ask \(ask.price)")
        }
        guard let ts = result["ts"]?.int64 else { throw invalid(endpoint, "result.ts is missing") }
        guard let u = result["u"]?.int64 else { throw invalid(endpoint, "result.u is missing") }
        return BybitREST.OrderBook(symbol: symbol, bids: bids, asks: asks, timestampMs: ts, updateID: u,
                                   sequence: result["seq"]?.int64, matchingEngineMs: result["cts"]?.int64)
    }

    // MARK: - Values

    /// An exact `Fixed8` from a JSON string (or number), or an error naming the field and why.
    package static func fixed8(_ value: JSONValue, field: String, endpoint: String) throws(BybitRESTError) -> Fixed8 {
        guard let text = value.string else { throw invalid(endpoint, "\(field): \(value) is not a decimal string") }
        switch Fixed8Parser.parse(text) {
        case .success(let raw): return Fixed8(raw: raw)
        case .failure(let failure): throw invalid(endpoint, "\(field): \"\(text)\" \(failure)")
        }
    }

    /// `Decimal` from plain decimal text (`-`? digits (`.` digits)?); nil for anything else, so
    /// `Decimal(string:)`'s acceptance of a numeric prefix ("12abc" → 12) never applies.
    package static func exactDecimal(_ text: String) -> Decimal? {
        var digits = 0
        var dots = 0
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."): dots += 1
            case UInt8(ascii: "-") where index == 0: continue
            default: return nil
            }
        }
        guard digits > 0, dots <= 1 else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    package static func invalid(_ endpoint: String, _ message: String, status: Int? = nil,
                                file: String = #fileID, line: Int = #line) -> BybitRESTError {
        BybitRESTError(code: .invalidResponse, endpoint: endpoint, httpStatus: status, message: message, file: file, line: line)
    }
}
