import StrategySDK
import Testing

struct RingWindowTests {
    @Test("a ring window holds the last capacity values, oldest first, through many wrap-arounds")
    func holdsTheLastValuesOldestFirst() {
        var window = RingWindow<Int>(capacity: 5)
        for value in 0..<23 {
            window.append(value)
            let expected = Array(max(0, value - 4)...value)
            #expect(window.count == expected.count)
            #expect(window.isFull == (expected.count == 5))
            #expect((0..<window.count).map { window[$0] } == expected)
        }
    }
}
