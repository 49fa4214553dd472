import HostPlugins
import Testing

struct PluginLocatorTests {
    @Test("a bare name finds lib<name>.so in a TSH_PLUGIN_PATH directory")
    func findsLibPrefixedFileOnSearchPath() throws {
        let dir = try FixtureDirectory()
        let pluginDir = try dir.subdirectory("plugins-a")
        let cwd = try dir.subdirectory("cwd")
        let target = try dir.write("placeholder", to: "plugins-a/libfoo.so")
        let locator = PluginLocator(environment: ["TSH_PLUGIN_PATH": "\(dir.path)/empty:\(pluginDir)"],
                                    currentDirectory: cwd, executableDirectory: nil)

        #expect(try locator.locate("foo") == target)
        #expect(try locator.locate("foo.so") == target)
        #expect(try locator.locate("libfoo") == target)
    }

    @Test("the name as given wins over the search path, and TSH_PLUGIN_PATH over ./plugins and the executable directory")
    func searchOrderIsRespected() throws {
        let dir = try FixtureDirectory()
        let cwd = try dir.subdirectory("cwd")
        let env = try dir.subdirectory("env")
        let exe = try dir.subdirectory("exe")
        _ = try dir.subdirectory("cwd/plugins")
        try dir.write("x", to: "cwd/plugins/libbar.so")
        try dir.write("x", to: "exe/libbar.so")
        let locator = PluginLocator(environment: ["TSH_PLUGIN_PATH": env], currentDirectory: cwd, executableDirectory: exe)
        #expect(try locator.locate("bar") == "\(cwd)/plugins/libbar.so")

        try dir.write("x", to: "env/bar.so")
        #expect(try locator.locate("bar") == "\(env)/bar.so")

        try dir.write("x", to: "cwd/bar.so")
        #expect(try locator.locate("bar.so") == "\(cwd)/bar.so")
        #expect(try locator.locate("\(exe)/libbar.so") == "\(exe)/libbar.so")
    }

    @Test("a name found nowhere is reported with every place searched")
    func notFoundListsEverySearchedPlace() throws {
        let dir = try FixtureDirectory()
        let cwd = try dir.subdirectory("cwd")
        let locator = PluginLocator(environment: ["TSH_PLUGIN_PATH": "/nonexistent/a:/nonexistent/b"],
                                    currentDirectory: cwd, executableDirectory: "/nonexistent/bin")

        let error = try #require(throws: PluginLoadError.self) { try locator.locate("foo") }
        #expect(error.code == .notFound)
        var expected = ["\(cwd)/foo"]
        for place in ["/nonexistent/a", "/nonexistent/b", "\(cwd)/plugins", "/nonexistent/bin"] {
            expected += ["\(place)/foo", "\(place)/foo.so", "\(place)/libfoo.so", "\(place)/libfoo"]
        }
        #expect(error.searched == expected)
        for place in expected { #expect(error.description.contains(place)) }
        #expect(error.description.contains("TSH_PLUGIN_PATH"))
    }

    @Test("listing plugins returns only libraries that export tsh_plugin_entry")
    func allPluginsListsOnlyPlugins() throws {
        let dir = try FixtureDirectory()
        let pluginDir = try dir.subdirectory("lib")
        let plugin = try dir.compile(FixtureSources.valid, as: "lib/libreal.so")
        try dir.write("not a library", to: "lib/libtext.so")
        try dir.write("also not", to: "lib/readme.txt")
        let locator = PluginLocator(environment: ["TSH_PLUGIN_PATH": pluginDir], currentDirectory: dir.path, executableDirectory: nil)

        #expect(locator.allPlugins() == [plugin])
    }
}
