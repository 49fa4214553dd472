import HostCore
import Testing

struct ShardMapTests {
    static let symbols = (0..<400).map { "S\($0)USDT" }

    @Test("every symbol has exactly one owner, the same in every process (fixed values), and the load is spread")
    func ownersStableAndSpread() throws {
        let map = try ShardMap(shards: ["a", "b", "c"])
        let counts = Dictionary(grouping: Self.symbols, by: map.owner(of:)).mapValues(\.count)
        #expect(counts.keys.sorted() == ["a", "b", "c"])
        #expect(counts.values.allSatisfy { $0 > 90 }, "\(counts)")
        // Not Swift's per-process Hasher: these owners are the same on every run and machine.
        #expect(["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"].map(map.owner(of:)) == ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"].map { symbol in
            ["a", "b", "c"].max { ShardMapTests.weight($0, symbol) < ShardMapTests.weight($1, symbol) }!
        })
    }

    @Test("adding a shard moves only the symbols the new shard takes")
    func addingAShardMovesOnlyItsSymbols() throws {
        let before = try ShardMap(shards: ["a", "b", "c"])
        let after = try ShardMap(shards: ["a", "b", "c", "d"])
        for symbol in Self.symbols where after.owner(of: symbol) != "d" {
            #expect(after.owner(of: symbol) == before.owner(of: symbol))
        }
        #expect(Self.symbols.filter { after.owner(of: $0) == "d" }.count > 60)
    }

    @Test("an empty list, a repeated or empty name is refused with the reason")
    func badListsRefused() {
        #expect(throws: ShardMapError.self) { try ShardMap(shards: []) }
        #expect(throws: ShardMapError.self) { try ShardMap(shards: ["a", "a"]) }
        #expect(throws: ShardMapError.self) { try ShardMap(shards: ["a", ""]) }
    }

    /// An independent FNV-1a + SplitMix64 finalizer, written out here.
    static func weight(_ shard: String, _ symbol: String) -> UInt64 {
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in Array(shard.utf8) + [0] + Array(symbol.utf8) { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        return SplitMix64.hash(h)
    }
}
