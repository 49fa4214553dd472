import Foundation
import HostCore
import HostEngine
import HostTesting
import StrategySDK
import Synchronization

/// What in-process test plugins saw, shared with the test.
final class Observations: Sendable {
    let events = Mutex<[String]>([])
    func add(_ line: String) { events.withLock { $0.append(line) } }
    var all: [String] { events.withLock { $0 } }
}

/// Observations per test, keyed by instance id (plugins are created by the engine).
let observations = Mutex<[String: Observations]>([:])
func observe(_ instanceID: String) -> Observations {
    observations.withLock { table in
        if let existing = table[instanceID] { return existing }
        let created = Observations()
        table[instanceID] = created
        return created
    }
}

/// Records every event it receives as a line ("quote BTCUSDT 100.5", "timer 2", …).
final class Recorder: StrategyPlugin {
    static let kind = PluginKind(id: "recorder", description: "records events", roles: [.strategy],
                                 events: [.quote, .trade, .timer, .signal, .order])
    let context: PluginContext
    let log: Observations
    init(context: PluginContext) throws {
        self.context = context
        log = observe(context.instanceID)
    }
    func onQuote(_ quote: Quote) throws { log.add("quote \(quote.symbol.rawValue) \(quote.bidPrice)") }
    func onTrade(_ trade: Trade) throws { log.add("trade \(trade.symbol.rawValue) \(trade.price)") }
    func onTimer(_ timer: TimerFired) throws { log.add("timer \(timer.tag) at \(timer.info.time)") }
    func onSignal(_ signal: Signal) throws { log.add("signal \(signal.name) from \(signal.sourceInstance) dir \(signal.direction)") }
    func onOrder(_ update: OrderEvent) throws { log.add("order \(update.clientOrderID) \(update.status) deny \(update.denyReason)") }
}

/// Submits the order described by its `script` parameter on the first quote and records the outcome.
final class OrderProbe: StrategyPlugin {
    static let kind = PluginKind(id: "order_probe", description: "submits one order", roles: [.strategy],
                                 events: [.quote, .order],
                                 parameters: [.string("script", default: "nan_size", doc: "which order")])
    let context: PluginContext
    let log: Observations
    var done = false
    init(context: PluginContext) throws {
        self.context = context
        log = observe(context.instanceID)
    }
    func onQuote(_ quote: Quote) throws {
        guard !done else { return }
        done = true
        let script = try context.string("script")
        let (size, price, type): (Double, Double, StrategySDK.OrderType) = switch script {
        case "nan_size": (.nan, 100, .limit)
        case "negative_size": (-1, 100, .limit)
        case "nan_price": (1, .nan, .limit)
        default: (0.5, .nan, .market)
        }
        do {
            let id = try context.submitOrder(symbol: quote.symbol, side: .buy, type: type, size: size, price: price,
                                             timeInForce: type == .market ? .fak : .gtc, tag: "probe")
            log.add("accepted \(id)")
        } catch {
            log.add("denied status \(error.status) reason \(error.denyReason): \(error.message)")
        }
    }
    func onOrder(_ update: OrderEvent) throws { log.add("order \(update.status) filled \(update.filledSize)") }
}

/// Sets timers at start: same-time timers must fire in creation order.
final class TimerProbe: StrategyPlugin {
    static let kind = PluginKind(id: "timer_probe", description: "timers", roles: [], events: [.timer])
    let log: Observations
    init(context: PluginContext) throws {
        log = observe(context.instanceID)
        try context.setTimer(at: 3_000_000, tag: 3)
        try context.setTimer(at: 2_000_000, tag: 1)
        try context.setTimer(at: 2_000_000, tag: 2)
    }
    func onTimer(_ timer: TimerFired) throws { log.add("timer \(timer.tag) at \(timer.info.time)") }
}

/// Records every bar it receives: "bar <symbol> <open time> <interval> o h l c v at <ts_event>/<ts_recv>".
final class BarRecorder: StrategyPlugin {
    static let kind = PluginKind(id: "bar_recorder", description: "records bars", roles: [.strategy], events: [.bar, .trade])
    let log: Observations
    init(context: PluginContext) throws { log = observe(context.instanceID) }
    func onBar(_ bar: StrategySDK.Bar) throws {
        let info = bar.info
        let values = "\(bar.open) \(bar.high) \(bar.low) \(bar.close) \(bar.volume)"
        log.add("bar \(info.symbol.rawValue) \(bar.openTime / 1_000_000_000) \(bar.interval / 1_000_000_000)s \(values) at \(info.eventTime / 1_000_000_000)/\(info.time / 1_000_000_000)")
    }
    func onTrade(_ trade: Trade) throws { log.add("trade \(trade.price)") }
}

/// Records the SDK 1.1 fields of every bar: "flow q=<quote volume> buy=… sell=… vwap=… trades=…",
/// "-" for a field the host did not send.
final class BarFlowRecorder: StrategyPlugin {
    static let kind = PluginKind(id: "bar_flow_recorder", description: "records bars' 1.1 fields", roles: [.strategy], events: [.bar])
    let log: Observations
    init(context: PluginContext) throws { log = observe(context.instanceID) }
    func onBar(_ bar: StrategySDK.Bar) throws {
        let text = { (value: Double?) in value.map { "\($0)" } ?? "-" }
        log.add("flow q=\(text(bar.quoteVolume)) buy=\(text(bar.buyVolume)) sell=\(text(bar.sellVolume)) vwap=\(text(bar.vwap)) "
                + "trades=\(bar.trades.map(String.init) ?? "-")")
    }
}

/// Recommendations to emit, by instance id: at the n-th quote (1-based) of the symbol, a
/// `qde.recommendation` with (direction, score, confidence, tp, sl).
let scriptedRecommendations = Mutex<[String: [Int: (Int32, Double, Double, Double, Double)]]>([:])

/// Emits the scripted `qde.recommendation` signals of its instance id as quotes arrive.
final class RecommendationScript: StrategyPlugin {
    static let kind = PluginKind(id: "recommendation_script", description: "scripted recommendations", roles: [.scorer], events: [.quote],
                                 emits: ["qde.recommendation"])
    let context: PluginContext
    var quotes = 0
    init(context: PluginContext) throws { self.context = context }
    func onQuote(_ quote: Quote) throws {
        quotes += 1
        guard let (direction, score, confidence, tp, sl) = scriptedRecommendations.withLock({ $0[context.instanceID]?[quotes] }) else { return }
        var json = JSONWriter()
        json.string("recommendation", score >= 0.3 ? "BUY" : "WAIT")
        json.number("score", score)
        json.number("tp", tp)
        json.number("sl", sl)
        try context.emitSignal("qde.recommendation", symbol: quote.symbol, direction: direction, value: score, confidence: confidence,
                               payload: json.finish())
    }
}

/// Emits `trigger.test` and `qde.test` on every quote.
final class TwoSignals: StrategyPlugin {
    static let kind = PluginKind(id: "two_signals", description: "emits two signals per quote", roles: [.trigger], events: [.quote],
                                 emits: ["trigger.test", "qde.test"])
    let context: PluginContext
    init(context: PluginContext) throws { self.context = context }
    func onQuote(_ quote: Quote) throws {
        try context.emitSignal("trigger.test", symbol: quote.symbol, direction: 1)
        try context.emitSignal("qde.test", symbol: quote.symbol, direction: -1)
    }
}

/// Records the signals it gets; declares (ABI 1.1) that it consumes only `trigger.*`.
final class TriggerConsumer: StrategyPlugin {
    static let kind = PluginKind(id: "trigger_consumer", description: "consumes trigger.*", roles: [.scorer], events: [.signal],
                                 consumes: ["trigger.*"])
    let log: Observations
    init(context: PluginContext) throws { log = observe(context.instanceID) }
    func onSignal(_ signal: Signal) throws { log.add("signal \(signal.name)") }
}

/// Throws on every event of its first symbol; records the others.
final class FailsOnFirstSymbol: StrategyPlugin {
    static let kind = PluginKind(id: "fails_on_first_symbol", description: "throws on symbol 0", roles: [.trigger], events: [.quote])
    let log: Observations
    let first: StrategySDK.SymbolID
    init(context: PluginContext) throws {
        log = observe(context.instanceID)
        first = context.symbols[0]
    }
    func onQuote(_ quote: Quote) throws {
        if quote.symbol == first { throw PluginError(status: TSH_ERR_PLUGIN, "no data for this symbol") }
        log.add("quote \(quote.symbol.rawValue) \(quote.bidPrice)")
    }
}

/// SDK 1.1 records and signal fields: on each quote upserts a row into `test_quotes` (keyed by
/// symbol and bid price; a second quote at the same bid replaces the row) and emits `rec.quote`
/// with named fields. Parameter-free; a bid of 13 sends a row with null in a non-null column
/// and logs the refusal.
final class RecordWriter: StrategyPlugin {
    static let table = RecordTable("test_quotes", doc: "quotes seen", columns: [
        .key("symbol", .text), .key("bid", .double), .value("ask", .double), .value("note", .text, nullable: true),
        .value("count", .int), .value("at", .time),
    ])
    static let kind = PluginKind(id: "record_writer", description: "writes records", roles: [.detector], events: [.quote],
                                 emits: ["rec.quote"], tables: [table])
    let context: PluginContext
    let log: Observations
    var count: Int64 = 0
    init(context: PluginContext) throws {
        self.context = context
        log = observe(context.instanceID)
    }
    func onQuote(_ quote: Quote) throws {
        count += 1
        let name = try context.instrument(quote.symbol).symbol
        do {
            try context.upsert("test_quotes", [
                .text(name), .double(quote.bidPrice), quote.bidPrice == 13 ? .null : .double(quote.askPrice),
                count.isMultiple(of: 2) ? .null : .text("odd ✓"), .int(count), .time(quote.info.time),
            ])
        } catch {
            log.add("refused: \(error.message)")
        }
        try context.emitSignal("rec.quote", symbol: quote.symbol, value: quote.bidPrice, fields: ["bid": quote.bidPrice, "ask": quote.askPrice])
    }
}

/// Records the named fields of the signals it gets.
final class FieldReader: StrategyPlugin {
    static let kind = PluginKind(id: "field_reader", description: "reads signal fields", roles: [.scorer], events: [.signal], consumes: ["rec.*"])
    let log: Observations
    init(context: PluginContext) throws { log = observe(context.instanceID) }
    func onSignal(_ signal: Signal) throws {
        log.add("\(signal.name) " + signal.fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ") + " ask:\(signal.field("ask") ?? -1)")
    }
}

/// SDK 1.1 bar history: on each bar logs the closes of the last 3 final bars of its timeframe
/// ("history 100.0,105.0,95.0"); `bars` (any symbol id) on a trade asks for a symbol it lacks.
final class BarHistoryProbe: StrategyPlugin {
    static let kind = PluginKind(id: "bar_history_probe", description: "reads bar history", roles: [.strategy], events: [.bar, .trade])
    let context: PluginContext
    let log: Observations
    init(context: PluginContext) throws {
        self.context = context
        log = observe(context.instanceID)
    }
    func onBar(_ bar: StrategySDK.Bar) throws {
        let history = try context.barHistory(bar.info.symbol, interval: bar.interval, count: 3)
        log.add("history " + history.map { "\($0.close)" }.joined(separator: ",") + " trades=" + history.map { "\($0.trades ?? -1)" }.joined(separator: ","))
    }
    func onTrade(_ trade: Trade) throws {
        do {
            _ = try context.barHistory(StrategySDK.SymbolID(99), interval: 60_000_000_000, count: 3)
        } catch {
            log.add(error.status == TSH_ERR_NOT_FOUND ? "foreign symbol: not found" : "foreign symbol: status \(error.status)")
        }
    }
}

/// Logs each book event's venue sequence number (SDK 1.1): "book seq 42".
final class BookSequenceProbe: StrategyPlugin {
    static let kind = PluginKind(id: "book_sequence_probe", description: "logs book sequences", roles: [.detector], events: [.book])
    let log: Observations
    init(context: PluginContext) throws { log = observe(context.instanceID) }
    func onBook(_ book: StrategySDK.BookUpdate) throws { log.add("book seq \(book.venueSequence) changes \(book.changes.count)") }
}

/// Reads the host's book through `tsh.book/1` (SDK 1.2): on each book event, the book before it
/// ("before bids 100x1 asks 101x2") and the size at bid 100; on each trade, the size at the
/// traded level ("trade 101 shows 2.0").
final class BookBeforeProbe: StrategyPlugin {
    static let kind = PluginKind(id: "book_before_probe", description: "reads the book before each message", roles: [.detector], events: [.book, .trade])
    let log: Observations
    var book: HostBook?
    init(context: PluginContext) throws {
        log = observe(context.instanceID)
        book = context.hostBook()
        if book == nil { log.add("no book service") }
    }

    static func text(_ levels: [StrategySDK.BookLevel]) -> String { levels.map { "\($0.price)x\($0.size)" }.joined(separator: ",") }

    func onBook(_ update: StrategySDK.BookUpdate) throws {
        var bids: [StrategySDK.BookLevel] = [], asks: [StrategySDK.BookLevel] = []
        book!.levelsBefore(update.symbol, bids: &bids, asks: &asks)
        let bid100 = book!.levelSize(update.symbol, side: .buy, price: 100)
        log.add("before bids \(Self.text(bids)) asks \(Self.text(asks)) bid100 \(bid100)")
    }

    func onTrade(_ trade: StrategySDK.Trade) throws {
        let side: StrategySDK.Side = trade.aggressor == .buy ? .sell : .buy
        log.add("trade \(trade.price) shows \(book!.levelSize(trade.symbol, side: side, price: trade.price))")
    }
}

let testManifest = PluginManifest(id: "dev.test.engine", name: "engine tests", version: "1.0.0", description: "in-process",
                                  kinds: [Recorder.self, OrderProbe.self, TimerProbe.self, BarRecorder.self, BarFlowRecorder.self,
                                          RecommendationScript.self, TwoSignals.self, TriggerConsumer.self, FailsOnFirstSymbol.self,
                                          RecordWriter.self, FieldReader.self, BarHistoryProbe.self, BookSequenceProbe.self,
                                          BookBeforeProbe.self])

/// Builds an engine spec for one of the in-process kinds.
func spec(_ kindIndex: Int, id: String, symbols: [HostCore.SymbolID], params: [String: ParameterValue] = [:]) -> InstanceSpec {
    let manifest = testManifest.pointer.assumingMemoryBound(to: tsh_manifest.self)
    let descriptor = manifest.pointee.kinds![kindIndex]
    let specs: [ParameterSpec] = kindIndex == 1 ? [ParameterSpec(name: "script", type: .string, doc: "", defaultValue: .string("nan_size"))] : []
    var resolved = ResolvedParameters(specs: specs, symbolCount: symbols.count)
    for (name, value) in params { resolved.set(name, value) }
    let recordTables = kindIndex == 9 ? [RecordTableSpec(name: "test_quotes", columns: [
        .init(name: "symbol", type: .text, isKey: true), .init(name: "bid", type: .double, isKey: true), .init(name: "ask", type: .double),
        .init(name: "note", type: .text, isNullable: true), .init(name: "count", type: .int), .init(name: "at", type: .time),
    ])] : []
    let kind = KindSpec(id: String(cString: descriptor.pointee.kind_id), description: "", roles: [],
                        eventMask: descriptor.pointee.event_mask, parameters: specs,
                        consumedSignals: kindIndex == 7 ? ["trigger.*"] : (kindIndex == 10 ? ["rec.*"] : nil), recordTables: recordTables)
    return InstanceSpec(id: id, pluginID: "dev.test.engine", kind: kind, descriptor: descriptor, mode: .paper, venue: "test",
                        symbols: symbols, parameters: resolved, risk: RiskLimits(), keepAlive: nil)
}

func twoSymbols() -> (SymbolTable, HostCore.SymbolID, HostCore.SymbolID) {
    var table = SymbolTable()
    let btc = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
    let eth = table.register(Instrument.generic(symbol: "ETHUSDT", venue: "test"))
    return (table, btc, eth)
}
