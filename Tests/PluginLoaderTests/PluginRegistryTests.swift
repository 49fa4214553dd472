import HostPlugins
import Testing

struct PluginRegistryTests {
    @Test("a second library with an already loaded plugin id is refused, naming both files")
    func duplicatePluginIDIsRefused() throws {
        let dir = try FixtureDirectory()
        let first = try dir.compile(FixtureSources.valid, as: "libfirst.so")
        let second = try dir.compile(FixtureSources.valid, as: "libsecond.so")
        let registry = PluginRegistry()
        try registry.load(path: first)

        let error = try #require(throws: PluginLoadError.self) { try registry.load(path: second) }
        #expect(error.code == .duplicatePluginID)
        #expect(error.description.contains(first) && error.description.contains(second))
        #expect(registry.plugins.map(\.path) == [first])
    }

    @Test("loading the same file twice returns the plugin already loaded")
    func samePathReturnsTheLoadedPlugin() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(FixtureSources.valid, as: "libonce.so")
        let registry = PluginRegistry()

        let first = try registry.load(path: path)
        let again = try registry.load(path: dir.path + "/./libonce.so")
        #expect(first === again)
        #expect(registry.plugins.count == 1)
        #expect(registry.plugin(id: "dev.test.fixture") === first)
    }

    @Test("plugins with different ids load side by side")
    func differentIDsLoadTogether() throws {
        let dir = try FixtureDirectory()
        let one = try dir.compile(FixtureSources.valid, as: "libone.so", defines: [#"FX_PLUGIN_ID="dev.test.one""#])
        let two = try dir.compile(FixtureSources.valid, as: "libtwo.so", defines: [#"FX_PLUGIN_ID="dev.test.two""#])
        let registry = PluginRegistry()
        try registry.load(path: one)
        try registry.load(path: two)
        #expect(registry.plugins.map(\.pluginID) == ["dev.test.one", "dev.test.two"])
    }
}
