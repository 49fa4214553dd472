import Foundation
import HostCore
import Testing

struct ShortNameTests {
    @Test("a short name keeps up to 15 bytes and reads back the same text")
    func roundTrip() {
        #expect(ShortName("chainlink").description == "chainlink")
        #expect(ShortName("").description == "")
        #expect(ShortName("abcdefghijklmnopqrstuvwxyz").description == "abcdefghijklmno")
        #expect(ShortName("chainlink") == "chainlink")
    }

    @Test("a short name cut at 15 bytes never splits a multi-byte character")
    func cutsAtCharacterBoundary() {
        let name = ShortName("abcdefghijklmn€")  // 14 ASCII bytes + a 3-byte euro sign
        #expect(name.description == "abcdefghijklmn")
        #expect(name.count == 14)
    }
}

struct MarketEventLayoutTests {
    @Test("market events are trivially copyable, so queues move them without reference counting")
    func trivial() {
        #expect(_isPOD(MarketEvent.self))
        #expect(_isPOD(BookDelta.self))
        #expect(_isPOD(OraclePrice.self))
    }
}

struct BookDeltaTests {
    static let symbol = SymbolID(0)
    static func p(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    @Test("a book update becomes rows whose last one ends the batch and every one carries the snapshot flag")
    func updateRows() {
        let update = BookUpdate(symbol: Self.symbol, tsEvent: 1, tsRecv: 2, isSnapshot: true, changes: [
            BookChange(side: .buy, price: Self.p("99"), size: Self.p("1")),
            BookChange(side: .sell, price: Self.p("101"), size: Self.p("2")),
        ])
        let rows = update.events.compactMap { event -> BookDelta? in
            if case .bookDelta(let row) = event { return row }
            return nil
        }
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.isSnapshot })
        #expect(rows.map(\.isEndOfBatch) == [false, true])
    }

    @Test("a snapshot replaces the side it names and leaves the other side alone")
    func snapshotReplacesItsSide() {
        var book = OrderBook()
        for event in BookUpdate(symbol: Self.symbol, tsEvent: 1, tsRecv: 1, isSnapshot: false, changes: [
            BookChange(side: .buy, price: Self.p("98"), size: Self.p("5")),
            BookChange(side: .sell, price: Self.p("102"), size: Self.p("5")),
        ]).events {
            if case .bookDelta(let row) = event { book.apply(row) }
        }
        for event in BookUpdate(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, isSnapshot: true, changes: [
            BookChange(side: .buy, price: Self.p("99"), size: Self.p("1")),
            BookChange(side: .buy, price: Self.p("97"), size: Self.p("3")),
        ]).events {
            if case .bookDelta(let row) = event { book.apply(row) }
        }
        #expect(book.bids.levels().map(\.price) == [Self.p("99"), Self.p("97")])
        #expect(book.asks.best?.price == Self.p("102"))
    }

    @Test("an empty snapshot clears both sides")
    func emptySnapshotClears() {
        var book = OrderBook()
        book.apply(QuoteTick(symbol: Self.symbol, tsEvent: 1, tsRecv: 1, bidPrice: Self.p("1"), bidSize: Self.p("1"),
                             askPrice: Self.p("2"), askSize: Self.p("1")))
        for event in BookUpdate(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, isSnapshot: true, changes: []).events {
            if case .bookDelta(let row) = event { book.apply(row) }
        }
        #expect(book.bids.isEmpty)
        #expect(book.asks.isEmpty)
    }

    @Test("a quote replaces the top of book, and a zero size empties that side")
    func quoteReplacesTop() {
        var book = OrderBook()
        book.apply(QuoteTick(symbol: Self.symbol, tsEvent: 1, tsRecv: 1, bidPrice: Self.p("1"), bidSize: Self.p("1"),
                             askPrice: Self.p("2"), askSize: Self.p("1")))
        book.apply(QuoteTick(symbol: Self.symbol, tsEvent: 2, tsRecv: 2, bidPrice: Self.p("1.5"), bidSize: Self.p("3"),
                             askPrice: Self.p("2.5"), askSize: Self.p("0")))
        #expect(book.bids.count == 1)
        #expect(book.bids.best?.price == Self.p("1.5"))
        #expect(book.asks.isEmpty)
    }
}

struct DecimalFastTests {
    static let posix = Locale(identifier: "en_US_POSIX")

    @Test("scaled8 is exact: it equals value × 10⁸ whenever that is a whole Int64, and nil otherwise")
    func scaled8Exact() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let digits = Int.random(in: 1...18, using: &generator)
            var text = Bool.random(using: &generator) ? "-" : ""
            for k in 0..<digits { text += String(Int.random(in: k == 0 ? 1...9 : 0...9, using: &generator)) }
            text += "e\(Int.random(in: -12...6, using: &generator))"
            let value = Decimal(string: text, locale: Self.posix)!
            let scaled = value * Decimal(100_000_000)
            var rounded = scaled
            var whole = Decimal()
            NSDecimalRound(&whole, &rounded, 0, .plain)
            let expected: Int64? = whole == scaled && whole.magnitude <= Decimal(Int64.max) ? Int64(whole.description) : nil
            #expect(DecimalFast.scaled8(value) == expected, "\(text)")
        }
    }

    @Test("decimal(scaled8:) equals the quotient by 10⁸ and Fixed8.decimal uses it")
    func decimalFromScaled() {
        for raw: Int64 in [0, 1, -1, 93_000_000, 6_412_345_000_000, -123_456_789_012, Int64.max] {
            #expect(DecimalFast.decimal(scaled8: raw) == Decimal(raw) / Decimal(100_000_000))
            #expect(Fixed8(raw: raw).decimal == Decimal(raw) / Decimal(100_000_000))
        }
    }

    @Test("isMultiple agrees with exact division, including values beyond eight decimals")
    func isMultiple() {
        let cases: [(String, String, Bool)] = [("0.93", "0.01", true), ("0.935", "0.01", false), ("10.75", "0.01", true),
                                               ("0.00000001", "0.00000001", true), ("1.000000001", "0.00000001", false),
                                               ("64123.45", "0.01", true), ("5", "0.001", true), ("-0.3", "0.1", true), ("7", "0", true)]
        for (value, step, expected) in cases {
            #expect(DecimalFast.isMultiple(Decimal(string: value, locale: Self.posix)!, of: Decimal(string: step, locale: Self.posix)!) == expected,
                    "\(value) of \(step)")
        }
    }
}

@Suite struct JSONStringTests {
    @Test("a JSON string literal escapes quote, backslash and control characters, and < only when asked")
    func escapes() {
        #expect(JSONString.quoted("a\"b\\c\nd\re\tf\u{01}<") == #""a\"b\\c\nd\re\tf\u0001<""#)
        #expect(JSONString.quoted("<script>", escapingLessThan: true) == #""\u003cscript>""#)
        #expect(JSONString.quoted("é€") == "\"é€\"")
    }
}
