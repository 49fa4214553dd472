import Foundation
import Testing
import PolymarketSigning

@Suite("Order amounts per tick")
struct OrderAmountsTests {
    @Test("limit BUY 10 @ 0.57 is maker 5700000 / taker 10000000 (protocol §3.5)")
    func limitBuyExample() throws {
        let amounts = try OrderAmounts.limit(side: .buy, price: decimal("0.57"), size: 10, tick: TickSize("0.01"))
        #expect(amounts.maker == 5_700_000 && amounts.taker == 10_000_000)
    }

    @Test("market BUY $5 @ 0.99 is maker 5000000 / taker 5050500 (protocol §3.5)")
    func marketBuyExample() throws {
        let amounts = try OrderAmounts.market(side: .buy, amount: 5, price: decimal("0.99"), tick: TickSize("0.01"))
        #expect(amounts.maker == 5_000_000 && amounts.taker == 5_050_500)
    }

    @Test("limit SELL 7.5 @ 0.999 at tick 0.001 is maker 7500000 / taker 7492500 (protocol §3.5)")
    func limitSellExample() throws {
        let amounts = try OrderAmounts.limit(side: .sell, price: decimal("0.999"), size: decimal("7.5"), tick: TickSize("0.001"))
        #expect(amounts.maker == 7_500_000 && amounts.taker == 7_492_500)
    }

    @Test("every amounts vector (BUY/SELL, limit/market, all six ticks) equals py-clob-client-v2's builder")
    func vectorTable() throws {
        let cases = try SigningVectors.load().amounts
        #expect(Set(cases.map(\.tick)) == ["0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001"])
        for c in cases {
            let side: OrderSide = c.side == "BUY" ? .buy : .sell
            let tick = try TickSize(c.tick)
            let amounts = c.kind == "limit"
                ? try OrderAmounts.limit(side: side, price: decimal(c.price), size: decimal(c.quantity), tick: tick)
                : try OrderAmounts.market(side: side, amount: decimal(c.quantity), price: decimal(c.price), tick: tick)
            #expect(amounts.maker == c.maker && amounts.taker == c.taker, "\(c.kind) \(c.side) \(c.quantity) @ \(c.price) tick \(c.tick)")
        }
    }

    @Test("each tick size carries the ROUNDING_CONFIG decimals")
    func tickTable() throws {
        let expected: [String: (Int, Int, Int)] = [
            "0.1": (1, 2, 3), "0.01": (2, 2, 4), "0.005": (3, 2, 5), "0.0025": (4, 2, 6), "0.001": (3, 2, 5), "0.0001": (4, 2, 6),
        ]
        for (text, decimals) in expected {
            let tick = try TickSize(text)
            #expect(tick.value == decimal(text))
            #expect((tick.priceDecimals, tick.sizeDecimals, tick.amountDecimals) == decimals, "\(text)")
        }
    }

    @Test("an unsupported tick size is rejected")
    func unsupportedTick() {
        for text in ["0.02", "1", "abc", ""] {
            #expect { _ = try TickSize(text) } throws: { ($0 as? SigningError)?.code == .invalidTickSize }
        }
    }

    @Test("a price off the tick grid is rejected with a message naming price, tick and nearby valid prices")
    func priceOffGrid() {
        #expect {
            _ = try OrderAmounts.limit(side: .buy, price: decimal("0.573"), size: 10, tick: try TickSize("0.01"))
        } throws: { error in
            guard let e = error as? SigningError else { return false }
            return e.code == .priceOffTick && e.message.contains("0.573") && e.message.contains("0.01")
                && e.message.contains("0.57") && e.message.contains("0.58")
        }
    }

    @Test("prices below the tick or above 1 - tick are rejected for limit and market orders")
    func priceOutOfRange() throws {
        let tick = try TickSize("0.01")
        for price in [decimal("0"), decimal("0.995"), decimal("1"), decimal("-0.5"), decimal("0.999")] {
            #expect { _ = try OrderAmounts.limit(side: .buy, price: price, size: 10, tick: tick) } throws: {
                ($0 as? SigningError)?.code == .priceOffTick
            }
            #expect { _ = try OrderAmounts.market(side: .sell, amount: 10, price: price, tick: tick) } throws: {
                ($0 as? SigningError)?.code == .priceOffTick
            }
        }
    }

    @Test("the grid edges tick and 1 - tick are accepted")
    func gridEdgesAccepted() throws {
        let tick = try TickSize("0.001")
        #expect(try OrderAmounts.limit(side: .buy, price: decimal("0.001"), size: 1000, tick: tick) == (1_000_000, 1_000_000_000))
        #expect(try OrderAmounts.limit(side: .sell, price: decimal("0.999"), size: 10, tick: tick) == (10_000_000, 9_990_000))
    }

    @Test("a size that rounds to zero shares or a non-positive amount is rejected")
    func zeroAmounts() throws {
        let tick = try TickSize("0.01")
        for size in [decimal("0.001"), 0, -5] {
            #expect { _ = try OrderAmounts.limit(side: .buy, price: decimal("0.5"), size: size, tick: tick) } throws: {
                ($0 as? SigningError)?.code == .invalidAmount
            }
        }
        #expect { _ = try OrderAmounts.market(side: .buy, amount: 0, price: decimal("0.5"), tick: tick) } throws: {
            ($0 as? SigningError)?.code == .invalidAmount
        }
    }
}
