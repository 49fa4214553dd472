import Foundation
import HostPlugins
import Testing

/// A Swift plugin carries the compiler it was built with (StrategySDK's `SwiftToolchain.marker`);
/// the host refuses one from another compiler before `dlopen`, since it would run on the host's
/// Swift runtime. The fixtures are C libraries that carry such a marker, so no second Swift
/// toolchain is needed.
struct SwiftToolchainCheckTests {
    let loader = PluginLoader()

    /// The valid fixture plus a marker string kept in its constant data.
    static func source(marker: String) -> String {
        FixtureSources.valid + "\n__attribute__((used)) static const char fx_marker[] = \"\(marker)\";\n"
    }

    @Test("a plugin marked as built by another Swift compiler is refused before loading, naming both versions and the fix")
    func otherCompilerIsRefused() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(Self.source(marker: "tsh.swift-compiler=5.9.0"), as: "libold_swift.so")
        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .swiftRuntimeMismatch)
        #expect(error.message.contains("Swift 5.9.0"))
        #expect(error.message.contains("Swift \(HostToolchain.swiftCompiler)"))
        #expect(error.fix.contains("rebuild the plugin with Swift \(HostToolchain.swiftCompiler)"))
    }

    @Test("a plugin marked with the host's own Swift compiler loads and inspect reports the version")
    func sameCompilerLoads() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(Self.source(marker: "tsh.swift-compiler=\(HostToolchain.swiftCompiler)"), as: "libsame_swift.so")
        let plugin = try loader.inspect(path: path)
        #expect(plugin.info.swiftCompiler == HostToolchain.swiftCompiler)
        #expect(plugin.info.textReport().contains("Swift \(HostToolchain.swiftCompiler)"))
    }

    @Test("the SDK's bare marker prefix (no version after it) before the real marker is skipped")
    func barePrefixIsSkipped() throws {
        let dir = try FixtureDirectory()
        let source = FixtureSources.valid + "\n__attribute__((used)) static const char fx_bare[] = \"tsh.swift-compiler=\";\n"
            + "__attribute__((used)) static const char fx_marker[] = \"tsh.swift-compiler=5.9.0\";\n"
        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: dir.compile(source, as: "libbare.so")) }
        #expect(error.message.contains("built with Swift 5.9.0"))
    }

    @Test("a C plugin without a marker loads and is reported as C ABI only")
    func cPluginHasNoMarker() throws {
        let dir = try FixtureDirectory()
        let plugin = try loader.inspect(path: dir.compile(FixtureSources.valid, as: "libplain_c.so"))
        #expect(plugin.info.swiftCompiler == nil)
        #expect(plugin.info.textReport().contains("C ABI only"))
    }
}
