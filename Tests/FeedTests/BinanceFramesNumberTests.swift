import HostCore
import HostFeeds
import Testing

/// Binance bookTicker numbers go through the host's one decimal parser (issue 11, item 12).
struct BinanceFramesNumberTests {
    static let parser = BinanceBookTickerParser(symbols: ["BTCUSDT": SymbolID(0)])

    static func parse(b: String = "100.5", B: String = "1", a: String = "100.6", A: String = "2") -> QuoteTick? {
        let frame = #"{"u":1,"s":"BTCUSDT","b":"\#(b)","B":"\#(B)","a":"\#(a)","A":"\#(A)"}"#
        var copy = frame
        return copy.withUTF8 { bytes in try? parser.parse(UnsafeRawBufferPointer(bytes), receivedAt: 7) }
    }

    @Test("a lone \"-\", \".\" or \"-.\" is not read as 0 but rejects the frame")
    func loneSignOrDot() {
        #expect(Self.parse() != nil)
        for junk in ["-", ".", "-.", "", "+"] {
            #expect(Self.parse(b: junk) == nil, "b = \(junk)")
            #expect(Self.parse(A: junk) == nil, "A = \(junk)")
        }
    }

    @Test("exponent forms parse exactly and digits beyond 1e-8 are rejected")
    func exponentsAndPrecision() {
        #expect(Self.parse(B: "1e-5")?.bidSize == Fixed8(raw: 1_000))
        #expect(Self.parse(a: "1.006E2")?.askPrice == Fixed8(raw: 10_060_000_000))
        #expect(Self.parse(B: "0.000000001") == nil)
        #expect(Self.parse(b: "92233720368") == nil)
    }
}
