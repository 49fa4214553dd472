import Foundation

/// Which host process of a group owns a symbol: rendezvous (highest random weight) hashing over
/// the shard names. Every process computes the same owner from the same shard list, on any
/// machine (FNV-1a and SplitMix64, never Swift's per-process `Hasher`), and adding or removing a
/// shard moves only the symbols that shard gains or loses.
public struct ShardMap: Sendable, Hashable {
    public let shards: [String]

    /// `shards`: unique, non-empty names (e.g. `a,b,c` or host names).
    public init(shards: [String]) throws(ShardMapError) {
        guard !shards.isEmpty else { throw ShardMapError("the shard list is empty") }
        var seen: Set<String> = []
        for shard in shards {
            guard !shard.isEmpty, !shard.contains(",") else { throw ShardMapError("shard name '\(shard)' must be non-empty text without commas") }
            guard seen.insert(shard).inserted else { throw ShardMapError("shard '\(shard)' is listed twice") }
        }
        self.shards = shards
    }

    /// The shard that owns `symbol`.
    public func owner(of symbol: String) -> String {
        var best = shards[0], bestWeight: UInt64 = 0
        for shard in shards {
            let w = Self.weight(shard: shard, symbol: symbol)
            if w > bestWeight || (w == bestWeight && shard < best) { best = shard; bestWeight = w }
        }
        return best
    }

    /// The symbols of `symbols` that `shard` owns, in their given order.
    public func symbols(of shard: String, among symbols: [String]) -> [String] {
        symbols.filter { owner(of: $0) == shard }
    }

    static func weight(shard: String, symbol: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in shard.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        h = (h ^ 0) &* 0x0000_0100_0000_01B3
        for byte in symbol.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return SplitMix64.hash(h)
    }
}

public struct ShardMapError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
