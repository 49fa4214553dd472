import HostCore
import Testing

struct BookSideOrderTests {
    /// A side after random sets, checked against a dictionary model: near the top (the last 16
    /// levels' window), deep in the book, past both ends, on books of 0 to 60 levels.
    @Test("a side stays sorted best first and keeps exactly the sizes set, wherever in the book a level changes")
    func randomChangesMatchAModel() {
        var random = SplitMix64(seed: 42)
        for isBid in [true, false] {
            var side = BookSide(isBid: isBid)
            var model: [Int64: Int64] = [:]
            for step in 0..<20_000 {
                let span: UInt64 = step % 3 == 0 ? 8 : 70  // often only top-of-book prices
                let top: Int64 = 1_000_000
                let offset = Int64(random.next() % span)
                let price = isBid ? top - offset : top + offset
                let size = random.next() % 4 == 0 ? 0 : Int64(1 + random.next() % 1_000)
                side.set(price: Fixed8(raw: price), size: Fixed8(raw: size))
                if size == 0 { model[price] = nil } else { model[price] = size }
                if step % 97 == 0 || model.count < 3 {
                    let expected = model.sorted { isBid ? $0.key > $1.key : $0.key < $1.key }
                    let levels = side.levels()
                    #expect(levels.count == expected.count)
                    #expect(levels.map(\.price.raw) == expected.map(\.key))
                    #expect(levels.map(\.size.raw) == expected.map(\.value))
                }
                if step % 5_000 == 4_999 { side.removeAll(); model.removeAll() }
            }
        }
    }
}
