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
}
