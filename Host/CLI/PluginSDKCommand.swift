import ArgumentParser
import Foundation
import HostPlugins

/// `host plugins sdk-path` and `host plugins sdk-install`: where a C plugin's build finds the SDK
/// header, so no build command points into a checkout of this repository.
enum PluginSDK {
    static let header = "strategy_host_sdk.h"

    /// The directories that may hold the header, in order: `$TSH_SDK_INCLUDE`; an installed layout
    /// beside the binary (`<prefix>/bin/host` → `<prefix>/include/strategy-host`); the checkout
    /// the host was built from.
    static var candidates: [String] {
        var dirs: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["TSH_SDK_INCLUDE"], !explicit.isEmpty { dirs.append(explicit) }
        let bin = URL(fileURLWithPath: HostExecutable.path).deletingLastPathComponent()
        dirs.append(bin.deletingLastPathComponent().appendingPathComponent("include/strategy-host").path)
        if let checkout = PluginProject.sourceCheckout { dirs.append(checkout + "/SDK/C/include") }
        return dirs
    }

    static func includeDirectory() throws(HostFailure) -> String {
        let dirs = candidates
        if let found = dirs.first(where: { FileManager.default.fileExists(atPath: "\($0)/\(header)") }) {
            return URL(fileURLWithPath: found).standardizedFileURL.path
        }
        throw HostFailure(exit: .pluginNotFound, message: """
            error: the SDK header \(header) is in none of: \(dirs.joined(separator: ", "))
            fix: set TSH_SDK_INCLUDE to the directory holding it, or install it next to the host with `host plugins sdk-install --prefix <dir>`
            """)
    }
}

struct SDKPath: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdk-path",
        abstract: "Print the directory holding the plugin SDK header (strategy_host_sdk.h), for cc -I.",
        discussion: "Example: cc -std=c11 -shared -fPIC -I\"$(host plugins sdk-path)\" my_plugin.c -o libmy_plugin.so")

    @Flag(name: .long, help: "Print compiler flags (-I<dir>) instead of the directory.")
    var cflags = false

    func run() throws {
        try reportingFailures {
            let dir = try PluginSDK.includeDirectory()
            print(cflags ? "-I\(dir)" : dir)
        }
    }
}

struct SDKInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sdk-install",
        abstract: "Install the plugin SDK header and a pkg-config file (strategy-host-sdk.pc) under a prefix.",
        discussion: "Writes <prefix>/include/strategy-host/strategy_host_sdk.h and <prefix>/lib/pkgconfig/strategy-host-sdk.pc; then `pkg-config --cflags strategy-host-sdk` works with PKG_CONFIG_PATH=<prefix>/lib/pkgconfig.")

    @Option(name: .long, help: "Installation prefix (e.g. /usr/local or ~/.local).")
    var prefix: String

    func run() throws {
        try reportingFailures {
            let source = try PluginSDK.includeDirectory() + "/" + PluginSDK.header
            let root = URL(fileURLWithPath: (prefix as NSString).expandingTildeInPath).standardizedFileURL
            let include = root.appendingPathComponent("include/strategy-host")
            let pkgconfig = root.appendingPathComponent("lib/pkgconfig")
            let pc = """
                prefix=\(root.path)
                includedir=${prefix}/include/strategy-host

                Name: strategy-host-sdk
                Description: C ABI of strategy host plugins (header only)
                Version: \(HostABI.versionString)
                Cflags: -I${includedir}

                """
            do {
                try FileManager.default.createDirectory(at: include, withIntermediateDirectories: true)
                try FileManager.default.createDirectory(at: pkgconfig, withIntermediateDirectories: true)
                let target = include.appendingPathComponent(PluginSDK.header)
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(atPath: source, toPath: target.path)
                try Data(pc.utf8).write(to: pkgconfig.appendingPathComponent("strategy-host-sdk.pc"))
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: cannot install the SDK under \(root.path): \(error.localizedDescription)\nfix: choose a writable --prefix")
            }
            print("installed \(include.path)/\(PluginSDK.header)")
            print("installed \(pkgconfig.path)/strategy-host-sdk.pc  (PKG_CONFIG_PATH=\(pkgconfig.path) pkg-config --cflags strategy-host-sdk)")
        }
    }
}
