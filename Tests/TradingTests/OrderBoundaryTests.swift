import Foundation
import HostCore
import HostRisk
import Testing

struct OrderBoundaryTests {
    @Test("0.1 from a plugin becomes exactly the decimal 0.1")
    func pointOneIsExact() throws {
        let result = try OrderBoundary.decimals(type: .limit, price: 0.1, size: 0.1).get()
        #expect(result.price == dec("0.1"))
        #expect(result.size == dec("0.1"))
        #expect(result.size * 3 == dec("0.3"))
    }

    @Test("tiny and huge doubles keep their shortest decimal text", arguments: [(2.5e-9, "0.0000000025"), (1e20, "100000000000000000000"), (123.456, "123.456")])
    func shortestText(value: Double, expected: String) throws {
        #expect(try OrderBoundary.decimals(type: .market, price: .nan, size: value).get().size == dec(expected))
    }

    @Test("a market order's price is ignored")
    func marketIgnoresPrice() throws {
        let result = try OrderBoundary.decimals(type: .market, price: .nan, size: 2).get()
        #expect(result.price == nil)
        #expect(result.size == 2)
    }

    @Test("a NaN, infinite, zero or negative size is denied as invalid size",
          arguments: [OrderType.market, .limit], [Double.nan, .infinity, -.infinity, 0, -0.0, -1, .greatestFiniteMagnitude])
    func invalidSize(type: OrderType, size: Double) {
        guard case .failure(let denial) = OrderBoundary.decimals(type: type, price: 100, size: size) else {
            Issue.record("size \(size) was accepted")
            return
        }
        #expect(denial.reason == .invalidSize)
    }

    @Test("a NaN, infinite, zero or negative limit price is denied as invalid price",
          arguments: [Double.nan, .infinity, -.infinity, 0, -0.0, -100])
    func invalidPrice(price: Double) {
        guard case .failure(let denial) = OrderBoundary.decimals(type: .limit, price: price, size: 1) else {
            Issue.record("price \(price) was accepted")
            return
        }
        #expect(denial.reason == .invalidPrice)
    }
}
