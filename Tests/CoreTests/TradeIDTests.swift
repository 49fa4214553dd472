import HostCore
import Testing

/// Venue trade ids as one UInt64, and their way through the recording.
struct TradeIDTests {
    @Test("decimal ids are their value; other text (UUIDs) and overflowing numbers hash to a non-zero FNV-1a; empty is unknown")
    func ids() {
        #expect(TradeID.from("3000000001") == 3_000_000_001)
        #expect(TradeID.from("18446744073709551615") == .max)
        let uuid = TradeID.from("2a5b3c1d-8f4e-5a6b-9c0d-1e2f3a4b5c6d")
        #expect(uuid != 0 && uuid == TradeID.from("2a5b3c1d-8f4e-5a6b-9c0d-1e2f3a4b5c6d"))
        #expect(TradeID.from("18446744073709551616") != 0)  // one past UInt64.max: hashed, not wrapped
        #expect(TradeID.from("") == 0)
    }

    @Test("a trade's id survives the recording (tag 16); a trade without one is still written as tag 2")
    func recorded() throws {
        let symbol = SymbolID(3)
        var block = RecordedBlock(firstSeq: 7)
        block.events = [
            .trade(TradeTick(symbol: symbol, tsEvent: 1, tsRecv: 2, price: Fixed8(100), size: Fixed8(1), aggressor: .buy, tradeID: 42)),
            .trade(TradeTick(symbol: symbol, tsEvent: 3, tsRecv: 4, price: Fixed8(101), size: Fixed8(2), aggressor: nil)),
        ]
        let bytes = InputCodec.encode(block)
        let decoded = try InputCodec.decode(bytes)
        #expect(decoded.events == block.events)
        // firstSeq (8) + count (4), then the first record's tag.
        #expect(bytes[12] == 16)
    }
}
