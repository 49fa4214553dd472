/// The Swift plugin project `host plugins new … --lang swift` writes: a package whose dynamic
/// library product depends on the host repository's `StrategySDK`, a test on `HostTesting`'s
/// `PluginHarness`, a sample configuration, a market script and a README.
///
/// Placeholders as in `CTemplate`, plus `__TYPE__` (the UpperCamelCase type name),
/// `__SDK_DEPENDENCY__` (the `.package(…)` line) and `__SDK_PACKAGE__` (its identity).
enum SwiftTemplate {
    static let package = """
    // swift-tools-version:6.1
    // __NAME__: a strategy host plugin in Swift. `swift build -c release --product __NAME__` makes
    // .build/release/lib__NAME__.so; `swift test` runs Tests/ on HostTesting's PluginHarness.
    // The plugin runs on the host's Swift runtime: build it with the same Swift as the host
    // (`host plugins inspect` says which; a plugin from another compiler is refused at load).
    import PackageDescription

    let package = Package(
        name: "__NAME__",
        platforms: [.macOS(.v15)],
        products: [
            .library(name: "__NAME__", type: .dynamic, targets: ["__TYPE__"]),
        ],
        dependencies: [
            __SDK_DEPENDENCY__,
        ],
        targets: [
            .target(name: "__TYPE__", dependencies: [.product(name: "StrategySDK", package: "__SDK_PACKAGE__")]),
            .testTarget(name: "__TYPE__Tests", dependencies: [.product(name: "HostTesting", package: "__SDK_PACKAGE__")]),
        ]
    )

    """

    static let header = """
    import Foundation
    import StrategySDK

    """

    static let trigger = """
    /// Signals when the mid moves `threshold_bps` away from its reference, at most once per
    /// `cooldown_ms` per symbol; the reference then resets.
    ///
    /// - Important: Every method runs on the host's engine thread: return quickly, keep no event
    ///   beyond the call, and call `context` only from these methods.
    final class __TYPE__: StrategyPlugin {
        static let kind = PluginKind(
            id: "__NAME__",
            description: "Signals when the mid moves threshold_bps away from its reference.",
            roles: [.trigger], events: [.quote],
            parameters: [
                .double("threshold_bps", default: 5, range: 0.01...10_000, unit: "bps", doc: "Move of the mid from its reference that fires the trigger."),
                .double("cooldown_ms", default: 1_000, range: 0...86_400_000, unit: "ms", doc: "Least time between two signals of one symbol."),
            ],
            emits: ["trigger.__NAME__"])

        private struct SymbolState {
            var threshold: Double
            var cooldown: Int64
            var reference = Double.nan
            var lastSignal = Int64.min / 2
        }

        private let context: PluginContext
        /// Indexed by symbol id (ids are dense); nil for symbols this instance does not trade.
        private var states: [SymbolState?]

        init(context: PluginContext) throws {
            self.context = context
            states = Array(repeating: nil, count: (context.symbols.map(\\.index).max() ?? -1) + 1)
            for symbol in context.symbols {
                // Per-symbol values: overrides in the configuration are resolved by the host.
                states[symbol.index] = SymbolState(threshold: try context.double("threshold_bps", symbol: symbol),
                                                   cooldown: Int64(try context.double("cooldown_ms", symbol: symbol) * 1e6))
            }
        }

        func onQuote(_ quote: Quote) throws {
            guard quote.symbol.index < states.count, var state = states[quote.symbol.index], quote.mid > 0 else { return }
            defer { states[quote.symbol.index] = state }
            guard !state.reference.isNaN else { state.reference = quote.mid; return }
            let bps = (quote.mid - state.reference) / state.reference * 10_000
            guard abs(bps) >= state.threshold, quote.info.time - state.lastSignal >= state.cooldown else { return }
            try context.emitSignal("trigger.__NAME__", symbol: quote.symbol, direction: bps > 0 ? 1 : -1, value: bps,
                                   confidence: min(1, abs(bps) / (2 * state.threshold)), fields: ["move_bps": bps])
            state.reference = quote.mid
            state.lastSignal = quote.info.time
        }
    }

    """

    static let detector = """
    /// Signals a trade at least `multiplier` times the symbol's running average trade size, after
    /// `min_trades` trades.
    ///
    /// - Important: Every method runs on the host's engine thread: return quickly, keep no event
    ///   beyond the call, and call `context` only from these methods.
    final class __TYPE__: StrategyPlugin {
        static let kind = PluginKind(
            id: "__NAME__",
            description: "Signals trades far larger than the symbol's average trade.",
            roles: [.detector], events: [.trade],
            parameters: [
                .double("multiplier", default: 4, range: 1...1_000, doc: "A trade this many times the average trade size is reported."),
                .int("min_trades", default: 20, range: 1...1_000_000, doc: "Trades seen before the first report."),
            ],
            emits: ["detector.__NAME__"])

        private struct SymbolState {
            var multiplier: Double
            var minTrades: Int64
            var average = 0.0
            var count: Int64 = 0
        }

        private let context: PluginContext
        private var states: [SymbolID: SymbolState] = [:]

        init(context: PluginContext) throws {
            self.context = context
            for symbol in context.symbols {
                states[symbol] = SymbolState(multiplier: try context.double("multiplier", symbol: symbol),
                                             minTrades: try context.int("min_trades", symbol: symbol))
            }
        }

        func onTrade(_ trade: Trade) throws {
            guard var state = states[trade.symbol], trade.size > 0 else { return }
            if state.count >= state.minTrades, trade.size >= state.multiplier * state.average {
                try context.emitSignal("detector.__NAME__", symbol: trade.symbol, direction: trade.aggressor?.rawValue ?? 0,
                                       value: trade.size / state.average, confidence: min(1, trade.size / (2 * state.multiplier * state.average)),
                                       fields: ["size": trade.size, "average": state.average])
            }
            state.count += 1
            state.average += (trade.size - state.average) / Double(min(state.count, 100))
            states[trade.symbol] = state
        }
    }

    """

    static let scorer = """
    /// Keeps a per-symbol score — the exponentially decayed sum of direction × confidence of the
    /// trigger signals it consumes — and publishes it when |score| ≥ `min_score`.
    ///
    /// - Important: Every method runs on the host's engine thread: return quickly, keep no event
    ///   beyond the call, and call `context` only from these methods.
    final class __TYPE__: StrategyPlugin {
        static let kind = PluginKind(
            id: "__NAME__",
            description: "Scores trigger signals per symbol with exponential decay.",
            roles: [.scorer], events: [.signal],
            parameters: [
                .double("half_life_ms", default: 60_000, range: 1...86_400_000, unit: "ms", doc: "Time for a signal's weight to halve."),
                .double("min_score", default: 0.5, range: 0...1_000, doc: "Least |score| that is published."),
            ],
            emits: ["score.__NAME__"], consumes: ["trigger.*"])

        private struct SymbolState {
            var halfLife: Double
            var minScore: Double
            var score = 0.0
            var last: Int64?
        }

        private let context: PluginContext
        private var states: [SymbolID: SymbolState] = [:]

        init(context: PluginContext) throws {
            self.context = context
            for symbol in context.symbols {
                states[symbol] = SymbolState(halfLife: try context.double("half_life_ms", symbol: symbol),
                                             minScore: try context.double("min_score", symbol: symbol))
            }
        }

        func onSignal(_ signal: Signal) throws {
            guard var state = states[signal.symbol] else { return }
            if let last = state.last { state.score *= pow(0.5, Double(signal.info.time - last) / 1e6 / state.halfLife) }
            state.score += Double(signal.direction) * signal.confidence
            state.last = signal.info.time
            states[signal.symbol] = state
            guard abs(state.score) >= state.minScore else { return }
            try context.emitSignal("score.__NAME__", symbol: signal.symbol, direction: state.score > 0 ? 1 : -1,
                                   value: state.score, confidence: min(1, abs(state.score)), fields: ["score": state.score])
        }
    }

    """

    static let strategy = """
    /// Buys (sells) `order_size` on a trigger signal with direction > 0 (< 0) and confidence ≥
    /// `min_confidence`, one working order per symbol; publishes each order it sends.
    ///
    /// - Important: Every method runs on the host's engine thread: return quickly, keep no event
    ///   beyond the call, and call `context` only from these methods.
    final class __TYPE__: StrategyPlugin {
        static let kind = PluginKind(
            id: "__NAME__",
            description: "Trades trigger signals with a fixed order size.",
            roles: [.strategy], events: [.signal, .order],
            parameters: [
                .double("order_size", default: 0.001, range: 0...1_000_000, unit: "base asset", doc: "Size of each order."),
                .double("min_confidence", default: 0, range: 0...1, doc: "Signals below this confidence are ignored."),
            ],
            emits: ["strategy.__NAME__.order"], consumes: ["trigger.*"])

        private let context: PluginContext
        private var pending: [SymbolID: UInt64] = [:]

        init(context: PluginContext) throws {
            self.context = context
        }

        func onSignal(_ signal: Signal) throws {
            guard pending[signal.symbol] == nil, signal.direction != 0,
                  signal.confidence >= (try context.double("min_confidence", symbol: signal.symbol)) else { return }
            let size = try context.double("order_size", symbol: signal.symbol)
            let result = Result { () throws(PluginError) -> UInt64 in
                try context.submitOrder(symbol: signal.symbol, side: signal.direction > 0 ? .buy : .sell, type: .market, size: size,
                                        timeInForce: .fak, tag: "__NAME__")
            }
            switch result {
            case .success(let id): pending[signal.symbol] = id
            case .failure(let error) where error.isDenied:
                // Host risk refused it: not a plugin failure.
                context.log(.warning, "order denied: \\(error.message)")
                return
            case .failure(let error): throw error
            }
            try context.emitSignal("strategy.__NAME__.order", symbol: signal.symbol, direction: signal.direction, value: size,
                                   confidence: signal.confidence)
        }

        func onOrder(_ update: OrderEvent) throws {
            switch update.status {
            case .filled, .canceled, .rejected, .expired, .denied:
                if let symbol = pending.first(where: { $0.value == update.clientOrderID })?.key { pending[symbol] = nil }
            default: break
            }
        }
    }

    """

    static let footer = """

    let manifest = PluginManifest(
        id: "__ID__", name: "__NAME__", version: "0.1.0",
        description: "A __ROLE__ written with the strategy host's Swift SDK.", kinds: [__TYPE__.self])

    /// The one exported symbol: the host calls it to read the manifest.
    @_cdecl("tsh_plugin_entry")
    public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }

    """

    static let test = """
    import Foundation
    import HostTesting
    import Testing

    /// Runs the built plugin in the host's engine on the bundled market script (test/script.csv),
    /// without a host process. Build the library first: `swift build --product __NAME__`.
    struct __TYPE__Tests {
        static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        @Test("the bundled market script makes the plugin emit __SIGNAL__")
        func scriptEmits() throws {
            let library = try PluginHarness.builtLibrary(named: "__NAME__", packageRoot: Self.root.path)
            let harness = try PluginHarness(plugin: library, kind: "__NAME__", symbols: ["BTCUSDT"])
            let outcome = try harness.run(script: Self.root.appendingPathComponent("test/script.csv").path)
            #expect(outcome.errors.isEmpty, "\\(outcome.errors)")
            #expect(outcome.signals.contains { $0.name == "__SIGNAL__" })
        }
    }

    """
}
