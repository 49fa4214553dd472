import Binance
import HostCore
import Testing

struct BookSideTests {
    @Test("random sets and deletes leave the hash side equal to a dictionary, best first in order")
    func matchesDictionary() {
        var side = BinanceBookSide(isBid: true)
        var reference: [Int64: Int64] = [:]
        var state: UInt64 = 12345
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        for _ in 0..<50_000 {
            // Prices in a narrow band so probe runs collide, wrap and get deleted from often.
            let price = Int64(next() % 3_000 + 1) * 1_000_000
            let size = next() % 3 == 0 ? 0 : Int64(next() % 1_000 + 1)
            side.set(price: Fixed8(raw: price), size: Fixed8(raw: size))
            reference[price] = size == 0 ? nil : size
        }
        #expect(side.count == reference.count)
        for (price, size) in reference { #expect(side.size(at: Fixed8(raw: price)) == Fixed8(raw: size)) }
        let levels = side.levels()
        #expect(levels.map(\.price.raw) == reference.keys.sorted(by: >))
        #expect(side.best?.price.raw == reference.keys.max())
    }

    @Test("asks list lowest first; size 0 removes a level; removeAll empties the side")
    func asksOrderAndRemoval() {
        var side = BinanceBookSide(isBid: false)
        for price in [5, 3, 9, 1] { side.set(price: Fixed8(price), size: Fixed8(1)) }
        side.set(price: Fixed8(3), size: .zero)
        side.set(price: Fixed8(7), size: .zero)  // absent: nothing happens
        #expect(side.levels().map(\.price) == [Fixed8(1), Fixed8(5), Fixed8(9)])
        #expect(side.levels(depth: 2).count == 2)
        #expect(side.size(at: Fixed8(3)) == nil)
        side.removeAll()
        #expect(side.isEmpty && side.levels().isEmpty && side.best == nil)
    }
}
