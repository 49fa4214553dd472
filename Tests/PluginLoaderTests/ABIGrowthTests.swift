import CStrategyHostSDK
import Foundation
import HostCore
import HostPlugins
import Testing

/// Item 8 of issue 11: structs grow append-only, so a plugin built against the 1.0 layout must
/// load for as long as the major version is 1 (the fixture is compiled against a frozen copy of
/// the 1.0 header), smaller-than-1.0 structs are refused and larger ones are read up to what the
/// host knows.
struct ABIGrowthTests {
    let loader = PluginLoader()

    @Test("a plugin built against the frozen ABI 1.0 header loads with its kinds, parameters and signals")
    func abi10PluginLoads() throws {
        let dir = try FixtureDirectory()
        let plugin = try loader.inspect(path: dir.compileABI10(as: "libabi10.so"))
        #expect(plugin.info.pluginID == "dev.test.abi10")
        #expect(plugin.info.abiMajor == 1 && plugin.info.abiMinor == 0)
        #expect(plugin.info.kinds.map(\.id) == ["signaler", "trader"])
        #expect(plugin.kind("signaler")?.emittedSignals == ["abi10.quote"])
        #expect(plugin.kind("trader")?.parameters.map(\.name) == ["order_size", "unused_count"])
        #expect(plugin.kind("trader")?.parameter(named: "order_size")?.defaultValue == .double(0.5))
    }

    @Test("a manifest whose struct_size is below the 1.0 size is refused, naming TSH_MANIFEST_SIZE_V1_0")
    func manifestSmallerThan10IsRefused() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compileABI10(as: "libsmall.so", defines: ["FX_MANIFEST_SIZE=72"])
        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .invalidManifest)
        #expect(error.problems.contains {
            $0.contains("manifest.struct_size is 72") && $0.contains("TSH_MANIFEST_SIZE_V1_0 = 80")
        }, "\(error)")
    }

    @Test("a plugin whose structs are larger than this host's layout (a future SDK) loads; the extra bytes are ignored")
    func largerStructsAreAccepted() throws {
        let dir = try FixtureDirectory()
        let plugin = try loader.inspect(path: dir.compileABI10(as: "libfuture.so", defines: ["FX_FUTURE_BYTES=16"]))
        #expect(plugin.info.kinds.map(\.id) == ["signaler", "trader"])
        // The parameter array's stride is the plugin's larger struct size: both parameters read whole.
        #expect(plugin.kind("trader")?.parameter(named: "order_size")?.defaultValue == .double(0.5))
        #expect(plugin.kind("trader")?.parameter(named: "unused_count")?.defaultValue == .int(3))
        #expect(plugin.kind("signaler")?.emittedSignals == ["abi10.quote"])
    }

    @Test("the header's frozen 1.0 sizes are the 1.0 layout, and the fixture header is the unmodified 1.0 header")
    func frozenSizesMatchThe10Layout() throws {
        #expect(TSH_MANIFEST_SIZE_V1_0 == 80 && TSH_KIND_DESCRIPTOR_SIZE_V1_0 == 72 && TSH_PARAM_DESCRIPTOR_SIZE_V1_0 == 72)
        #expect(TSH_SIGNAL_SIZE_V1_0 == 64 && TSH_ORDER_REQUEST_SIZE_V1_0 == 64 && TSH_PLUGIN_VTABLE_SIZE_V1_0 == 48)
        #expect(TSH_POSITION_SIZE_V1_0 == 48 && TSH_BALANCE_SIZE_V1_0 == 32 && TSH_INSTRUMENT_SIZE_V1_0 == 104)
        let header = try String(contentsOfFile: "\(FixtureDirectory.abi10Directory)/strategy_host_sdk.h", encoding: .utf8)
        #expect(header.contains("#define TSH_ABI_MINOR 0"))
        #expect(!header.contains("TSH_MANIFEST_SIZE_V1_0"), "the frozen copy must stay the header as 1.0 shipped")
    }

    @Test("a field counts as carried only when the declared struct_size covers it whole")
    func carriesNeedsTheWholeField() {
        let confidenceEnd = MemoryLayout<tsh_signal>.offset(of: \.confidence)! + 8
        #expect(ABIGrowth.carries(\tsh_signal.confidence, size: confidenceEnd))
        #expect(!ABIGrowth.carries(\tsh_signal.confidence, size: confidenceEnd - 1))
        #expect(ABIGrowth.carries(\tsh_signal.name, size: Int(TSH_SIGNAL_SIZE_V1_0)))
    }

    @Test("a struct read from a writer that declared fewer bytes has zeros beyond them, and nothing past them is read")
    func loadStopsAtTheDeclaredSize() {
        var signal = tsh_signal()
        signal.struct_size = 48
        signal.direction = -1
        signal.value = 7
        signal.confidence = 0.25
        let read: tsh_signal = withUnsafeBytes(of: &signal) { ABIGrowth.load($0.baseAddress!, declaredSize: 48) }
        #expect(read.direction == -1)
        #expect(read.value == 0 && read.confidence == 0)
    }

    @Test("an out-struct is filled only up to the struct_size the plugin set, which then says what was written")
    func fillStopsAtTheDeclaredSize() {
        var buffer = [UInt8](repeating: 0xAB, count: 64)
        let status = buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: TSH_POSITION_SIZE_V1_0, as: UInt32.self)
            return ABIGrowth.fill(raw.baseAddress!, with: tsh_position(struct_size: 48, symbol_id: 1, quantity: 2, average_price: 3,
                                                                       realized_pnl: 0, unrealized_pnl: 0, fees: 0),
                                  minimum: TSH_POSITION_SIZE_V1_0)
        }
        #expect(status == TSH_OK)
        #expect(buffer[48...].allSatisfy { $0 == 0xAB })
        #expect(buffer.withUnsafeBytes { $0.load(as: UInt32.self) } == 48)
    }

    @Test("an out-struct whose struct_size is below its 1.0 size is refused and left untouched")
    func fillRefusesTooSmall() {
        var buffer = [UInt8](repeating: 0xAB, count: 64)
        let status = buffer.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: UInt32(40), as: UInt32.self)
            return ABIGrowth.fill(raw.baseAddress!, with: tsh_position(), minimum: TSH_POSITION_SIZE_V1_0)
        }
        #expect(status == TSH_ERR_INVALID_ARGUMENT)
        #expect(buffer[4...].allSatisfy { $0 == 0xAB })
    }
}

/// The plugin loader's messages.
struct PluginLoadMessageTests {
    @Test("a load error's description has no 'error:' prefix, so the CLI's 'error: ' appears once")
    func descriptionHasNoErrorPrefix() throws {
        let dir = try FixtureDirectory()
        let path = try dir.write("not a library\n", to: "libtext.so")
        let error = try #require(throws: PluginLoadError.self) { try PluginLoader().inspect(path: path) }
        #expect(!error.description.hasPrefix("error:"), "\(error)")
        let printed = "error: \(error)" // as the CLI prints it
        #expect(printed.components(separatedBy: "error:").count == 2, "\(printed)")
    }

    @Test("a plugin name that is a directory is reported as a directory, with the .so files inside to pass instead")
    func locatingADirectorySaysSo() throws {
        let dir = try FixtureDirectory()
        let folder = try dir.subdirectory("myplugin")
        try dir.write("x", to: "myplugin/libmyplugin.so")
        let locator = PluginLocator(environment: [:], currentDirectory: dir.path, executableDirectory: nil)
        let error = try #require(throws: PluginLoadError.self) { try locator.locate("myplugin") }
        #expect(error.code == .notAFile)
        #expect(error.message.contains("is a directory"), "\(error)")
        #expect(error.fix.contains("\(folder)/libmyplugin.so"), "\(error)")
        #expect(!error.description.contains("not found"))
    }

    @Test("loading a directory by path says it is a directory and what to pass instead")
    func inspectingADirectorySaysSo() throws {
        let dir = try FixtureDirectory()
        let folder = try dir.subdirectory("plugins")
        try dir.write("x", to: "plugins/libinside.so")
        let error = try #require(throws: PluginLoadError.self) { try PluginLoader().inspect(path: folder) }
        #expect(error.code == .notAFile)
        #expect(error.message.contains("is a directory"))
        #expect(error.fix.contains("\(folder)/libinside.so"), "\(error)")
    }
}

extension FixtureDirectory {
    /// The frozen ABI 1.0 header and the plugin built against it (kept forever).
    static let abi10Directory = "\(repositoryRoot)/Tests/PluginLoaderTests/Fixtures/abi-1.0"

    /// Compiles the ABI 1.0 fixture plugin against the frozen 1.0 header (not today's).
    @discardableResult
    func compileABI10(as name: String, defines: [String] = []) throws -> String {
        let output = file(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.compiler())
        process.arguments = ["-shared", "-fPIC", "-std=c11", "-Wall", "-I", Self.abi10Directory, "-o", output,
                             "\(Self.abi10Directory)/abi10_plugin.c"] + defines.map { "-D\($0)" }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "compiling \(name) failed: \(String(decoding: message, as: UTF8.self))")
        }
        return output
    }
}
