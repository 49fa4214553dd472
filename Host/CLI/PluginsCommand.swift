import ArgumentParser
import Foundation
import HostCore
import HostPlugins

/// `host plugins list|inspect`: read manifests without running any plugin code beyond
/// the side-effect-free entry point.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "List, inspect, check and create plugins (guide: docs/PLUGINS.md).",
        subcommands: [ListPlugins.self, InspectPlugin.self, CheckPlugin.self, NewPlugin.self, SDKPath.self, SDKInstall.self,
                      CheckPluginChild.self])
}

struct ListPlugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the plugins found on the search path ($TSH_PLUGIN_PATH, ./plugins, next to host).")

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let locator = PluginLocator()
        let loader = PluginLoader(locator: locator)
        var found: [PluginManifestInfo] = []
        var refused: [(String, String)] = []
        for path in locator.allPlugins() {
            do {
                found.append(try loader.inspect(path: path).info)
            } catch {
                refused.append((path, error.shortDescription))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(found), as: UTF8.self))
            return
        }
        if found.isEmpty { print("no plugins found in: \(locator.searchDirectories.joined(separator: ", "))") }
        for info in found {
            print("\(info.pluginID) \(info.version)  kinds: \(info.kinds.map(\.id).joined(separator: ", "))  \(info.path)")
        }
        for (path, reason) in refused { print("refused \(path): \(reason) (run `host plugins inspect \(path)` for details)") }
    }
}

struct InspectPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Print a plugin's manifest, ABI, kinds and parameters without running it.")

    @Argument(help: "Plugin file (name, path, or lib-prefixed).")
    var plugin: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let loader = PluginLoader()
        let info: PluginManifestInfo
        do {
            let path = try loader.locator.locate(plugin)
            info = try loader.inspect(path: path).info
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(error.code == .notFound ? HostExit.pluginNotFound.rawValue : HostExit.pluginRejected.rawValue)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
        } else {
            print(info.textReport())
        }
    }
}
