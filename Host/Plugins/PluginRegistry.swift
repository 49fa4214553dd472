import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The plugins loaded into this process, at most one library per plugin id.
///
/// Loading the same file again (by any path that resolves to it) returns the plugin already
/// loaded; a different file declaring a loaded plugin id is refused.
public final class PluginRegistry: Sendable {
    public let loader: PluginLoader
    private let loaded = Mutex<[LoadedPlugin]>([])

    public init(loader: PluginLoader = PluginLoader()) {
        self.loader = loader
    }

    /// Every loaded plugin, in load order.
    public var plugins: [LoadedPlugin] { loaded.withLock { $0 } }

    public func plugin(id: String) -> LoadedPlugin? { loaded.withLock { $0.first { $0.pluginID == id } } }

    /// Loads the library at `path`, or returns it if that file is already loaded.
    /// - Throws: `PluginLoadError`; `.duplicatePluginID` when another file declares the same id.
    @discardableResult
    public func load(path: String) throws(PluginLoadError) -> LoadedPlugin {
        let file = Self.canonical(path, relativeTo: loader.locator.currentDirectory)
        if let existing = loaded.withLock({ $0.first { Self.canonical($0.path, relativeTo: "/") == file } }) {
            return existing
        }
        // Loading runs outside the lock; a racing load of the same file is resolved below.
        let plugin = try loader.load(path: path)
        return try loaded.withLock { (plugins: inout [LoadedPlugin]) throws(PluginLoadError) -> LoadedPlugin in
            if let same = plugins.first(where: { Self.canonical($0.path, relativeTo: "/") == file }) { return same }
            if let other = plugins.first(where: { $0.pluginID == plugin.pluginID }) {
                throw PluginLoadError(
                    .duplicatePluginID, path: plugin.path,
                    message: "plugin id '\(plugin.pluginID)' is already loaded from '\(other.path)'",
                    problems: [
                        "'\(other.path)' declares \(other.pluginID) \(other.info.version) (loaded first)",
                        "'\(plugin.path)' declares \(plugin.pluginID) \(plugin.info.version)",
                    ],
                    fix: "load only one of the two files, or give one of them a different plugin_id")
            }
            plugins.append(plugin)
            return plugin
        }
    }

    /// Finds `name` with the loader's locator, then loads it.
    @discardableResult
    public func load(named name: String) throws(PluginLoadError) -> LoadedPlugin {
        try load(path: loader.locator.locate(name))
    }

    /// The absolute path with symlinks resolved, so two spellings of one file compare equal.
    private static func canonical(_ path: String, relativeTo directory: String) -> String {
        let absolute = path.hasPrefix("/") ? path : directory + "/" + path
        guard let resolved = realpath(absolute, nil) else { return PluginLocator.normalize(absolute) }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
