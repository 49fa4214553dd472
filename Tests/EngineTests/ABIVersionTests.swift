import CStrategyHostSDK
import Foundation
import HostCore
import HostEngine
import HostPlugins
import HostTesting
import StrategySDK
import Testing
#if canImport(Glibc)
import Glibc
#endif

struct NoCompiler: Error, CustomStringConvertible {
    var description: String { "no C compiler (cc, clang or gcc) on PATH" }
}

/// The ABI 1.0 fixture plugin (Tests/PluginLoaderTests/Fixtures/abi-1.0, compiled against the
/// frozen 1.0 header) run through a real engine: issue 11, item 8.
struct ABI10EngineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let fixture = "\(root)/Tests/PluginLoaderTests/Fixtures/abi-1.0"

    /// A built fixture and the engine running its two kinds on BTCUSDT.
    final class Run {
        let library: String
        let plugin: LoadedPlugin
        let engine: Engine
        let journal: RecordingJournal

        init(library: String, plugin: LoadedPlugin, engine: Engine, journal: RecordingJournal) {
            self.library = library
            self.plugin = plugin
            self.engine = engine
            self.journal = journal
        }

        /// The library stays mapped after its file is removed (Linux).
        deinit { try? FileManager.default.removeItem(atPath: (library as NSString).deletingLastPathComponent) }

        func function<T>(_ name: String, as type: T.Type) throws -> T {
            let handle = try #require(dlopen(library, RTLD_NOW | RTLD_NOLOAD))
            return unsafeBitCast(try #require(dlsym(handle, name), "\(name) not exported"), to: T.self)
        }
        func int32(_ name: String) throws -> Int32 { try function(name, as: (@convention(c) () -> Int32).self)() }
        func uint32(_ name: String) throws -> UInt32 { try function(name, as: (@convention(c) () -> UInt32).self)() }
        func text(_ name: String) throws -> String {
            String(cString: try function(name, as: (@convention(c) () -> UnsafePointer<CChar>).self)())
        }
    }

    static func compiler() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["cc", "clang", "gcc"] {
            for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") { return "\(dir)/\(name)" }
        }
        throw NoCompiler()
    }

    /// Builds the fixture with `defines` into a fresh directory (its own copy of the library's
    /// statics), loads it, runs both kinds on `quotes` quotes.
    static func run(_ defines: [String] = [], quotes: Int = 2) throws -> Run {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("abi10-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let library = "\(directory)/libabi10.so"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try compiler())
        process.arguments = ["-shared", "-fPIC", "-std=c11", "-Wall", "-I", fixture, "-o", library, "\(fixture)/abi10_plugin.c"]
            + defines.map { "-D\($0)" }
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "compiling the ABI 1.0 fixture failed")

        let plugin = try PluginLoader().inspect(path: library)
        var table = SymbolTable()
        let btc = table.register(Instrument.generic(symbol: "BTCUSDT", venue: "test"))
        let journal = RecordingJournal()
        let engine = Engine(symbols: table, clock: SimulatedClock(), journal: journal)
        for kindID in ["signaler", "trader"] {
            let kind = try #require(plugin.kind(kindID))
            try engine.addInstance(InstanceSpec(
                id: "abi10-\(kindID)", pluginID: plugin.pluginID, kind: kind, descriptor: try #require(plugin.kindDescriptor(kindID)),
                mode: .paper, venue: "test", symbols: [btc], parameters: ResolvedParameters(specs: kind.parameters, symbolCount: 1),
                risk: RiskLimits(), keepAlive: plugin))
        }
        try engine.start()
        let script = MarketScript(symbol: btc)
        for step in 0..<quotes {
            engine.process(.market(script.quote(atMillis: Int64(step + 1), bid: "100", ask: "101", size: "10")))
        }
        return Run(library: library, plugin: plugin, engine: engine, journal: journal)
    }

    @Test("the 1.0 plugin's signaler emits its signal through the engine")
    func abi10SignalerEmits() throws {
        let run = try Self.run()
        let message = try run.text("fx_last_signal_message")
        #expect(try run.int32("fx_last_signal_status") == TSH_OK, "\(message)")
        let signals = run.journal.recorded.signals
        #expect(signals.count == 2)
        #expect(signals.first?.name == "abi10.quote")
        #expect(signals.first?.value == 100 && signals.first?.confidence == 0.5 && signals.first?.direction == 1)
        #expect(signals.first?.payload == "built against 1.0")
    }

    @Test("the 1.0 plugin's trader reads its parameter, submits an order that fills, and gets its position")
    func abi10TraderTrades() throws {
        let run = try Self.run()
        let message = try run.text("fx_last_order_message")
        #expect(try run.function("fx_order_size", as: (@convention(c) () -> Double).self)() == 0.5)
        #expect(try run.int32("fx_last_order_status") == TSH_OK, "\(message)")
        #expect(run.journal.recorded.orders.first?.tag == "abi10")
        #expect(run.journal.recorded.fills.first?.size == Decimal(string: "0.5"))
        #expect(try run.int32("fx_order_update_count") > 0)
        #expect(try run.int32("fx_last_position_status") == TSH_OK)
        #expect(try run.uint32("fx_last_position_written") == TSH_POSITION_SIZE_V1_0)
        #expect(try run.int32("fx_position_canary") == 1)
    }

    @Test("a tsh_signal whose struct_size is below the 1.0 size is refused, naming TSH_SIGNAL_SIZE_V1_0")
    func smallSignalRefused() throws {
        let run = try Self.run(["FX_SIGNAL_SIZE=56"])
        #expect(try run.int32("fx_last_signal_status") == TSH_ERR_INVALID_ARGUMENT)
        let message = try run.text("fx_last_signal_message")
        #expect(message.contains("struct_size is 56") && message.contains("TSH_SIGNAL_SIZE_V1_0 = 64"), "\(message)")
        #expect(run.journal.recorded.signals.isEmpty)
    }

    @Test("an order request whose struct_size is below the 1.0 size is denied as an invalid order, naming TSH_ORDER_REQUEST_SIZE_V1_0")
    func smallOrderDenied() throws {
        let run = try Self.run(["FX_ORDER_SIZE=40"])
        #expect(try run.int32("fx_last_order_status") == TSH_ERR_DENIED)
        #expect(try run.int32("fx_last_order_code") == DenyReason.invalidOrder.rawValue)
        let message = try run.text("fx_last_order_message")
        #expect(message.contains("struct_size is 40") && message.contains("TSH_ORDER_REQUEST_SIZE_V1_0 = 64"), "\(message)")
        #expect(run.journal.recorded.fills.isEmpty)
    }

    @Test("a tsh_position out-struct below the 1.0 size is refused and the bytes after it are not written")
    func smallPositionRefused() throws {
        let run = try Self.run(["FX_POSITION_SIZE=40"])
        #expect(try run.int32("fx_last_position_status") == TSH_ERR_INVALID_ARGUMENT)
        #expect(try run.int32("fx_position_canary") == 1)
    }

    @Test("signals and orders larger than the host's layout (a future plugin) are accepted; the extra bytes are ignored")
    func largerStructsAccepted() throws {
        // 32: the signal's first 16 extra bytes are ABI 1.1's (no named fields), the rest lie
        // beyond this host's layout.
        let run = try Self.run(["FX_FUTURE_BYTES=32"])
        let signalMessage = try run.text("fx_last_signal_message")
        let orderMessage = try run.text("fx_last_order_message")
        #expect(try run.int32("fx_last_signal_status") == TSH_OK, "\(signalMessage)")
        #expect(try run.int32("fx_last_order_status") == TSH_OK, "\(orderMessage)")
        #expect(run.journal.recorded.signals.first?.name == "abi10.quote")
        #expect(run.journal.recorded.signals.first?.confidence == 0.5)
        #expect(run.journal.recorded.orders.first?.tag == "abi10")
        #expect(run.journal.recorded.fills.first?.size == Decimal(string: "0.5"))
    }
}

/// Item 11 of issue 11: `position`, `balance` and `openOrders` report a failing service call
/// instead of returning zeros.
final class ServiceFailureProbe: StrategyPlugin {
    static let kind = PluginKind(id: "service_failure_probe", description: "calls account services with bad arguments",
                                 roles: [.strategy], events: [.quote])
    let context: PluginContext
    let log: Observations
    var done = false
    init(context: PluginContext) throws {
        self.context = context
        log = observe(context.instanceID)
    }
    func onQuote(_ quote: Quote) throws {
        guard !done else { return }
        done = true
        let other = StrategySDK.SymbolID(quote.symbol.rawValue + 1) // registered, but not this instance's
        do { log.add("position \(try context.position(other).quantity)") } catch { log.add("position threw \(error.status)") }
        do { log.add("balance \(try context.balance("").total)") } catch { log.add("balance threw \(error.status)") }
        do { log.add("openOrders \(try context.openOrders(other).count)") } catch { log.add("openOrders threw \(error.status)") }
        do { log.add("own position \(try context.position(quote.symbol).quantity)") } catch { log.add("own position threw \(error.status)") }
        do { log.add("own balance \(try context.balance("USDT").total)") } catch { log.add("own balance threw \(error.status)") }
        do { log.add("own openOrders \(try context.openOrders().count)") } catch { log.add("own openOrders threw \(error.status)") }
    }
}

let serviceProbeManifest = PluginManifest(id: "dev.test.services", name: "service probes", version: "1.0.0", description: "in-process",
                                          kinds: [ServiceFailureProbe.self])

struct AccountServiceFailureTests {
    static func run(_ id: String) throws -> [String] {
        let (table, btc, _) = twoSymbols()
        let engine = Engine(symbols: table, clock: SimulatedClock())
        let manifest = serviceProbeManifest.pointer.assumingMemoryBound(to: tsh_manifest.self)
        let descriptor = manifest.pointee.kinds![0]
        let kind = KindSpec(id: "service_failure_probe", description: "", roles: [], eventMask: descriptor.pointee.event_mask, parameters: [])
        try engine.addInstance(InstanceSpec(id: id, pluginID: "dev.test.services", kind: kind, descriptor: descriptor, mode: .paper,
                                            venue: "test", symbols: [btc], parameters: ResolvedParameters(specs: [], symbolCount: 1),
                                            risk: RiskLimits(), keepAlive: nil))
        try engine.start()
        engine.process(.market(MarketScript(symbol: btc).quote(atMillis: 1, bid: "100", ask: "101")))
        return observe(id).all
    }

    @Test("position of a symbol that is not the instance's throws TSH_ERR_NOT_FOUND instead of returning a zero position")
    func positionThrows() throws {
        let lines = try Self.run("services-position")
        #expect(lines.contains("position threw \(TSH_ERR_NOT_FOUND)"), "\(lines)")
    }

    @Test("balance of an empty asset name throws TSH_ERR_INVALID_ARGUMENT instead of returning a zero balance")
    func balanceThrows() throws {
        let lines = try Self.run("services-balance")
        #expect(lines.contains("balance threw \(TSH_ERR_INVALID_ARGUMENT)"), "\(lines)")
    }

    @Test("openOrders of a symbol that is not the instance's throws TSH_ERR_NOT_FOUND instead of returning no orders")
    func openOrdersThrows() throws {
        let lines = try Self.run("services-open-orders")
        #expect(lines.contains("openOrders threw \(TSH_ERR_NOT_FOUND)"), "\(lines)")
    }

    @Test("the account services still answer for the instance's own symbol and asset")
    func ownAccountAnswers() throws {
        let lines = try Self.run("services-own")
        #expect(lines.contains("own position 0.0") && lines.contains("own openOrders 0"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("own balance ") && !$0.contains("threw") }, "\(lines)")
    }
}
