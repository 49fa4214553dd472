import StrategySDK

/// Does nothing with each event: measures the host's dispatch cost alone.
final class NoopBench: StrategyPlugin {
    static let kind = PluginKind(
        id: "noop", description: "Receives quotes and trades and does nothing (dispatch benchmark).",
        roles: [], events: [.quote, .trade])
    init(context: PluginContext) throws {}
}

/// Keeps an exponential moving average of the mid per symbol.
///
/// alpha = 2 / (period + 1), seeded with the first mid; reports the final EMA at stop.
final class EMABench: StrategyPlugin {
    static let kind = PluginKind(
        id: "ema", description: "EMA of the mid per symbol on every quote (benchmark and example).",
        roles: [], events: [.quote],
        parameters: [.int("period", default: 100, range: 1...100_000, doc: "EMA period N; alpha = 2 / (N + 1).")])

    private let context: PluginContext
    /// Indexed by symbol id; NaN until the first quote.
    private var ema: [Double]
    private var alpha: [Double]
    private var quotes = 0

    init(context: PluginContext) throws {
        self.context = context
        let size = (context.symbols.map(\.index).max() ?? 0) + 1
        ema = Array(repeating: .nan, count: size)
        alpha = Array(repeating: 0, count: size)
        for symbol in context.symbols {
            alpha[symbol.index] = 2 / (Double(try context.int("period", symbol: symbol)) + 1)
        }
    }

    func onQuote(_ quote: Quote) throws {
        let i = quote.symbol.index
        let mid = quote.mid
        let previous = ema[i]
        ema[i] = previous.isNaN ? mid : previous + alpha[i] * (mid - previous)
        quotes &+= 1
    }

    func stop() throws {
        for symbol in context.symbols where !ema[symbol.index].isNaN {
            let name = (try? context.instrument(symbol).symbol) ?? symbol.description
            context.log(.info, "final ema \(name)=\(ema[symbol.index]) quotes=\(quotes)")
        }
    }
}

let manifest = PluginManifest(
    id: "dev.strategyhost.ema_bench", name: "EMA benchmark", version: "1.0.0",
    description: "Benchmark plugins: a no-op and a per-symbol EMA.", kinds: [NoopBench.self, EMABench.self])

@_cdecl("tsh_plugin_entry")
public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
