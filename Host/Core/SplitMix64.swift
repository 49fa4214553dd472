import Foundation

/// A deterministic pseudo-random generator (SplitMix64): the same seed gives the same sequence on
/// every machine. Simulated markets, fake venues and benchmarks all draw from it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    public mutating func unit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double { sqrt(-2 * log(unit())) * cos(2 * .pi * unit()) }

    /// Uniform in `0..<bound` (bound > 0).
    public mutating func below(_ bound: Int64) -> Int64 { Int64(next() % UInt64(max(bound, 1))) }

    /// Stateless hash of a few integers (e.g. a kline as a function of its open time).
    public static func hash(_ values: UInt64...) -> UInt64 {
        var generator = SplitMix64(seed: 0x5EED)
        for value in values { generator.state ^= value; _ = generator.next() }
        return generator.next()
    }
}
