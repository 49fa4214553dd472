@testable import StrategySDK
import Testing

/// Keeps the last quote it was given.
final class QuoteCatcher: StrategyPlugin {
    static let kind = PluginKind(id: "quote_catcher", description: "keeps the last quote", roles: [], events: [.quote])
    var last: Quote?
    init(context: PluginContext) throws {}
    init() {}
    func onQuote(_ quote: Quote) throws { last = quote }
}

/// Keeps the last bar it was given.
final class BarCatcher: StrategyPlugin {
    static let kind = PluginKind(id: "bar_catcher", description: "keeps the last bar", roles: [], events: [.bar])
    var last: Bar?
    init(context: PluginContext) throws {}
    init() {}
    func onBar(_ bar: Bar) throws { last = bar }
}

/// The Swift SDK reads host structs only as far as the host says it wrote them (issue 11,
/// item 8): a host built for an older minor version sends smaller structs.
struct ABIGrowthReadTests {
    static func deliver(_ event: inout tsh_quote_event, to plugin: QuoteCatcher) throws {
        try withUnsafePointer(to: &event) { pointer in
            try pointer.withMemoryRebound(to: tsh_event_header.self, capacity: 1) { try KindExport.dispatch(plugin, $0) }
        }
    }

    @Test("an event shorter than this SDK's layout is read only as far as header.size; the fields it lacks read as zero")
    func shortEventReadsOnlyWhatTheHostSent() throws {
        var event = tsh_quote_event()
        event.header.type = UInt16(TSH_EVENT_QUOTE)
        event.header.symbol_id = 3
        event.bid_price = 100
        event.bid_size = 2
        event.ask_price = 101
        event.ask_size = 4
        // A host that sent only the header, bid_price and bid_size.
        event.header.size = UInt32(MemoryLayout<tsh_quote_event>.offset(of: \.ask_price)!)
        let plugin = QuoteCatcher()
        try Self.deliver(&event, to: plugin)
        let quote = try #require(plugin.last)
        #expect(quote.bidPrice == 100 && quote.bidSize == 2)
        #expect(quote.askPrice == 0 && quote.askSize == 0)
    }

    @Test("an event of the full 1.0 size is read whole")
    func fullEventIsReadWhole() throws {
        var event = tsh_quote_event()
        event.header.type = UInt16(TSH_EVENT_QUOTE)
        event.header.size = TSH_QUOTE_EVENT_SIZE_V1_0
        event.ask_price = 101
        event.ask_size = 4
        let plugin = QuoteCatcher()
        try Self.deliver(&event, to: plugin)
        #expect(plugin.last?.askPrice == 101 && plugin.last?.askSize == 4)
    }

    @Test("instance info is read only as far as its struct_size: fields beyond it are not read")
    func instanceInfoReadsOnlyWhatTheHostSent() {
        let symbols: [tsh_symbol_id] = [5]
        let text: StaticString = "inst" // 4 bytes; kind and venue slices point into it too
        let base = UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self)
        symbols.withUnsafeBufferPointer { ids in
            var info = tsh_instance_info(struct_size: 0, mode: TSH_MODE_PAPER, instance_id: tsh_str(ptr: base, len: 4),
                                         kind_id: tsh_str(ptr: base, len: 2), venue: tsh_str(ptr: base, len: 3),
                                         symbol_ids: ids.baseAddress, symbol_count: 1, reserved: 0)
            let host = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<tsh_host>.size, alignment: 8)
            defer { host.deallocate() }
            let hostPointer = UnsafePointer(host.bindMemory(to: tsh_host.self, capacity: 1))

            // A host that wrote up to and including kind_id only.
            info.struct_size = UInt32(MemoryLayout<tsh_instance_info>.offset(of: \.venue)!)
            let partial = withUnsafePointer(to: &info) { PluginContext(host: hostPointer, info: $0) }
            #expect(partial.instanceID == "inst" && partial.kindID == "in")
            #expect(partial.venue == "")
            #expect(partial.symbols.isEmpty)

            info.struct_size = TSH_INSTANCE_INFO_SIZE_V1_0
            let whole = withUnsafePointer(to: &info) { PluginContext(host: hostPointer, info: $0) }
            #expect(whole.venue == "ins" && whole.symbols == [SymbolID(5)])
        }
    }

    @Test("a field counts as sent only when the host's struct_size covers it whole")
    func carriesFollowsTheDeclaredSize() {
        let end = MemoryLayout<tsh_instance_info>.offset(of: \.symbol_count)! + 4
        #expect(ABIGrowth.carries(\tsh_instance_info.symbol_count, size: end))
        #expect(!ABIGrowth.carries(\tsh_instance_info.symbol_count, size: end - 1))
    }

    static func bar(size: UInt32, fields: UInt32) throws -> Bar? {
        var event = tsh_bar_event()
        event.header.type = UInt16(TSH_EVENT_BAR)
        event.header.size = size
        event.close = 10
        event.volume = 5
        event.quote_volume = 52
        event.buy_volume = 2
        event.sell_volume = 3
        event.vwap = 10.4
        event.trades = 7
        event.fields = fields
        let plugin = BarCatcher()
        try withUnsafePointer(to: &event) { pointer in
            try pointer.withMemoryRebound(to: tsh_event_header.self, capacity: 1) { try KindExport.dispatch(plugin, $0) }
        }
        return plugin.last
    }

    @Test("a bar from a 1.0 host (header.size 96) has no 1.1 fields, whatever the bytes beyond it hold")
    func barFromOneZeroHostHasNoFlowFields() throws {
        let bar = try #require(try Self.bar(size: TSH_BAR_EVENT_SIZE_V1_0, fields: 15))
        #expect(bar.close == 10 && bar.volume == 5)
        #expect(bar.quoteVolume == nil && bar.buyVolume == nil && bar.sellVolume == nil && bar.vwap == nil && bar.trades == nil)
    }

    @Test("a 1.1 bar exposes exactly the fields its TSH_BAR_HAS_* bits name")
    func barFieldsFollowTheirBits() throws {
        let size = UInt32(MemoryLayout<tsh_bar_event>.size)
        let all = try #require(try Self.bar(size: size, fields: 15))
        #expect(all.quoteVolume == 52 && all.buyVolume == 2 && all.sellVolume == 3 && all.vwap == 10.4 && all.trades == 7)
        let some = try #require(try Self.bar(size: size, fields: UInt32(TSH_BAR_HAS_QUOTE_VOLUME | TSH_BAR_HAS_TRADES)))
        #expect(some.quoteVolume == 52 && some.trades == 7)
        #expect(some.buyVolume == nil && some.sellVolume == nil && some.vwap == nil)
    }
}

/// Keeps the last trade it was given.
final class TradeCatcher: StrategyPlugin {
    static let kind = PluginKind(id: "trade_catcher", description: "keeps the last trade", roles: [], events: [.trade])
    var last: Trade?
    init(context: PluginContext) throws {}
    init() {}
    func onTrade(_ trade: Trade) throws { last = trade }
}

struct TradeIDReadTests {
    static func trade(size: UInt32) throws -> Trade? {
        var event = tsh_trade_event()
        event.header.type = UInt16(TSH_EVENT_TRADE)
        event.header.size = size
        event.price = 100
        event.trade_id = 77
        let plugin = TradeCatcher()
        try withUnsafePointer(to: &event) { pointer in
            try pointer.withMemoryRebound(to: tsh_event_header.self, capacity: 1) { try KindExport.dispatch(plugin, $0) }
        }
        return plugin.last
    }

    @Test("a trade from a 1.0 host has no trade id; a 1.1 trade carries the venue's")
    func tradeID() throws {
        #expect(try Self.trade(size: TSH_TRADE_EVENT_SIZE_V1_0)?.tradeID == nil)
        #expect(try Self.trade(size: UInt32(MemoryLayout<tsh_trade_event>.size))?.tradeID == 77)
    }
}
