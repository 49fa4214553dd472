import CStrategyHostSDK
import Foundation
import HostCore
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Opens plugin libraries and validates their manifests.
///
/// Order of checks: the file's ELF structure (before `dlopen`, so no code of a bad file runs),
/// then `dlopen(RTLD_NOW | RTLD_LOCAL)`, `dlsym("tsh_plugin_entry")`, the entry call, and the
/// whole manifest, every problem collected into one error. Loading calls no vtable function;
/// the only plugin code that runs is library constructors, the entry and `get_extension`.
public struct PluginLoader: Sendable {
    public let logger: Logger
    public let locator: PluginLocator

    public init(logger: Logger = Logger(label: "strategy-host.plugins"), locator: PluginLocator = PluginLocator()) {
        self.logger = logger
        self.locator = locator
    }

    /// Opens the library at `path` and reads its manifest, for `host plugins inspect`.
    /// - Throws: `PluginLoadError` naming the file and every problem found.
    public func inspect(path: String) throws(PluginLoadError) -> LoadedPlugin {
        // dlopen treats a name without a slash as a library to search for, so pass it absolute.
        let path = PluginLocator.normalize(path.hasPrefix("/") ? path : locator.currentDirectory + "/" + path)
        let facts = try ELFPluginCheck.validate(path: path)

        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw PluginLoadError(.loadFailed, path: path, message: "dlopen failed: \(Self.lastDLError())",
                                  fix: "check that every library it links against is installed (ldd \(path))")
        }
        // The handle is deliberately never closed, also on failure: see LoadedPlugin.
        guard let symbol = dlsym(handle, HostABI.entrySymbol) else {
            throw PluginLoadError(.loadFailed, path: path, message: "dlsym(\(HostABI.entrySymbol)) failed: \(Self.lastDLError())",
                                  fix: "export tsh_plugin_entry with TSH_EXPORT and rebuild")
        }
        let entry = unsafeBitCast(symbol, to: tsh_plugin_entry_fn.self)
        guard let manifest = entry() else {
            throw PluginLoadError(.entryReturnedNull, path: path, message: "entry returned no manifest (tsh_plugin_entry returned NULL)",
                                  fix: "make tsh_plugin_entry return a pointer to a static const tsh_manifest")
        }

        var reader = ManifestReader()
        let contents = reader.read(manifest)
        if !reader.problems.isEmpty {
            throw Self.manifestError(reader, abi: contents.abi, path: path)
        }
        guard let pluginID = contents.pluginID, let name = contents.name, let version = contents.version else {
            // Unreachable: a missing field is always recorded as a problem above.
            throw PluginLoadError(.invalidManifest, path: path, message: "the manifest is incomplete",
                                  fix: "fill in plugin_id, name and version in the manifest")
        }
        var info = PluginManifestInfo(
            pluginID: pluginID, name: name, version: version, description: contents.description ?? "",
            abiMajor: contents.abi.major, abiMinor: contents.abi.minor, abiRevision: contents.abi.revision,
            kinds: contents.kinds, path: path, fileSize: facts.fileSize, fileFingerprint: facts.fingerprint)
        info.swiftCompiler = facts.swiftCompiler
        logger.debug("Plugin manifest validated", metadata: [
            "plugin.id": "\(pluginID)", "plugin.version": "\(version)", "plugin.path": "\(path)",
            "plugin.kinds": "\(contents.kinds.map(\.id).joined(separator: ","))",
        ])
        return LoadedPlugin(info: info, manifest: manifest, handle: handle, descriptors: contents.descriptors)
    }

    /// Opens and validates the library at `path`, logging the load.
    public func load(path: String) throws(PluginLoadError) -> LoadedPlugin {
        let plugin = try inspect(path: path)
        logger.info("Plugin loaded", metadata: [
            "plugin.id": "\(plugin.info.pluginID)", "plugin.version": "\(plugin.info.version)",
            "plugin.path": "\(plugin.info.path)", "plugin.fingerprint": "\(plugin.info.fileFingerprint)",
        ])
        return plugin
    }

    /// Finds `name` with the locator (`last_second`, `last_second.so` or a path), then loads it.
    public func load(named name: String) throws(PluginLoadError) -> LoadedPlugin {
        try load(path: locator.locate(name))
    }

    private static func lastDLError() -> String {
        dlerror().map { String(cString: $0) } ?? "unknown error"
    }

    private static func manifestError(_ reader: ManifestReader, abi: tsh_version, path: String) -> PluginLoadError {
        let count = reader.problems.count
        let more = count > 1 ? " (and \(count - 1) more problem\(count == 2 ? "" : "s"))" : ""
        if reader.abiMismatch {
            return PluginLoadError(
                .abiMismatch, path: path,
                message: "plugin built for SDK \(abi.major).\(abi.minor), host speaks \(HostABI.major).\(HostABI.minor)\(more)",
                problems: reader.problems,
                fix: "rebuild the plugin against this host's SDK (SDK/C/include/strategy_host_sdk.h, ABI \(HostABI.versionString))")
        }
        if reader.fingerprintMismatch {
            return PluginLoadError(
                .fingerprintMismatch, path: path, message: "the build fingerprint differs from the host's\(more)",
                problems: reader.problems,
                fix: "rebuild the plugin for this platform with this host's SDK header, leaving TSH_BUILD_FINGERPRINT_INIT unchanged")
        }
        return PluginLoadError(
            .invalidManifest, path: path, message: "the manifest is invalid (\(count) problem\(count == 1 ? "" : "s"))",
            problems: reader.problems, fix: "correct the manifest in the plugin's source and rebuild it")
    }
}
