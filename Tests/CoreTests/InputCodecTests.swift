import Foundation
import HostCore
import Testing

struct InputCodecTests {
    static func p(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    @Test("every market event kind and the kill switch survive the tsh-input-v1 encoding in order")
    func roundTrip() throws {
        let s = SymbolID(2)
        var block = RecordedBlock(firstSeq: 41, events: [
            .quote(QuoteTick(symbol: s, tsEvent: 1, tsRecv: 2, bidPrice: Self.p("0.93"), bidSize: Self.p("120"), askPrice: Self.p("0.95"), askSize: Self.p("7.5"))),
            .trade(TradeTick(symbol: s, tsEvent: 3, tsRecv: 4, price: Self.p("64123.45"), size: Self.p("0.001"), aggressor: .sell)),
            .trade(TradeTick(symbol: s, tsEvent: 3, tsRecv: 4, price: Self.p("1"), size: Self.p("2"), aggressor: nil)),
            .bookDelta(BookDelta(symbol: s, tsEvent: 5, tsRecv: 6, side: .buy, price: Self.p("99"), size: Self.p("0"), flags: [.snapshot, .endOfBatch])),
            .bar(BarEvent(symbol: s, tsEvent: 7, tsRecv: 8, openTime: 0, interval: 60, open: Self.p("1"), high: Self.p("2"), low: Self.p("0.5"),
                          close: Self.p("1.5"), volume: Self.p("10"))),
            .oracle(OraclePrice(symbol: s, tsEvent: 9, tsRecv: 10, source: "chainlink", price: Self.p("95000.12"))),
            .settlement(Settlement(symbol: s, tsEvent: 11, tsRecv: 12, price: Self.p("1"))),
        ])
        block.controls = [RecordedControl(position: 2, input: .killSwitch(reason: "operator")),
                          RecordedControl(position: 5, input: .timerFired(instance: 3, timerID: 17, at: 1_000_000_007))]
        let decoded = try InputCodec.decode(InputCodec.encode(block))
        #expect(decoded.firstSeq == 41)
        #expect(decoded.events == block.events)
        #expect(decoded.controls.map(\.position) == [2, 5])
        if case .killSwitch(let reason)? = decoded.controls.first?.input { #expect(reason == "operator") } else { Issue.record("kill switch lost") }
        if case .timerFired(let instance, let id, let time)? = decoded.controls.last?.input {
            #expect(instance == 3 && id == 17 && time == 1_000_000_007)
        } else {
            Issue.record("timer firing lost")
        }
    }

    @Test("a book row with a venue sequence number keeps it through the encoding (tag 17); rows without stay tag 3")
    func bookVenueSequence() throws {
        var row = BookDelta(symbol: SymbolID(1), tsEvent: 5, tsRecv: 6, side: .sell, price: Self.p("101"), size: Self.p("2"), flags: [.endOfBatch])
        row.venueSequence = 499_870_179
        let plain = BookDelta(symbol: SymbolID(1), tsEvent: 5, tsRecv: 6, side: .buy, price: Self.p("100"), size: Self.p("1"), flags: [])
        let block = RecordedBlock(firstSeq: 1, events: [.bookDelta(plain), .bookDelta(row)])
        let bytes = InputCodec.encode(block)
        #expect(try InputCodec.decode(bytes).events == block.events)
        let withoutSequence = InputCodec.encode(RecordedBlock(firstSeq: 1, events: [.bookDelta(plain), .bookDelta(plain)]))
        #expect(bytes.count == withoutSequence.count + 8)
    }

    @Test("a venue order update keeps its exact decimals and texts through the encoding")
    func venueUpdate() throws {
        let update = OrderUpdate(clientOrderID: ClientOrderID(7), instance: 1, symbol: SymbolID(0), side: .sell, status: .partiallyFilled,
                                 lastFillPrice: Decimal(string: "0.93")!, lastFillSize: Decimal(string: "10.75")!, filledSize: Decimal(string: "10.75")!,
                                 remainingSize: 4, averageFillPrice: Decimal(string: "0.93")!, fee: Decimal(string: "0.0049995")!,
                                 lastFee: Decimal(string: "0.0049995")!, liquidity: .taker, reason: "", venueOrderID: "0xabc", timestamp: 99)
        let block = RecordedBlock(firstSeq: 0, events: [], controls: [RecordedControl(position: 0, input: .venueUpdate(update))])
        let decoded = try InputCodec.decode(InputCodec.encode(block))
        guard case .venueUpdate(let back)? = decoded.controls.first?.input else {
            Issue.record("venue update lost")
            return
        }
        #expect(back == update)
    }

    @Test("a truncated block is refused with the byte offset, not read past its end")
    func truncated() {
        let bytes = InputCodec.encode(RecordedBlock(firstSeq: 0, events: [
            .settlement(Settlement(symbol: SymbolID(0), tsEvent: 1, tsRecv: 1, price: Self.p("0"))),
        ]))
        #expect(throws: InputCodec.DecodeError.self) { try InputCodec.decode(Array(bytes.dropLast(3))) }
    }
}

@Suite("Input codec: live controls")
struct InputCodecLiveControlTests {
    @Test("feed status and venue trading-state controls survive encoding at their positions")
    func liveControlsRoundTrip() throws {
        var block = RecordedBlock(firstSeq: 7)
        block.events = [.settlement(Settlement(symbol: SymbolID(1), tsEvent: 1, tsRecv: 2, price: Fixed8(1)))]
        block.controls = [RecordedControl(position: 0, input: .feedStatus(symbol: SymbolID(3), stale: true, reason: "tick size changed")),
                          RecordedControl(position: 1, input: .tradingState(instance: 2, state: .reducing, reason: "cancel-only")),
                          RecordedControl(position: 1, input: .venueCash(instance: 2, amount: Decimal(string: "1234.567891")!, quoteAsset: "USDC"))]
        let decoded = try InputCodec.decode(InputCodec.encode(block))
        #expect(decoded.controls.map(\.position) == [0, 1, 1])
        if case .venueCash(2, let amount, "USDC")? = decoded.controls.last?.input { #expect(amount == Decimal(string: "1234.567891")!) } else {
            Issue.record("venue cash lost")
        }
        guard case .feedStatus(let symbol, let stale, let reason)? = decoded.controls.first?.input,
              case .tradingState(let instance, let state, let why) = decoded.controls[1].input else {
            Issue.record("controls lost")
            return
        }
        #expect(symbol == SymbolID(3) && stale && reason == "tick size changed")
        #expect(instance == 2 && state == .reducing && why == "cancel-only")
    }
}
