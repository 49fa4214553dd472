import ArgumentParser
import Foundation
import HostPlugins

/// `host plugins new ROLE NAME --lang c|swift [--dir D]`: writes a buildable plugin project
/// outside this repository — source, build file, README, sample configuration, market script
/// and a test — for a trigger, scorer, detector or strategy.
struct NewPlugin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Write a buildable plugin project (C: source + Makefile; Swift: a package on StrategySDK) with a README, a sample configuration and a test.",
        discussion: """
            Example: host plugins new trigger my_trigger --lang c && cd my_trigger && make && make test
            The guide is docs/PLUGINS.md.
            """)

    enum Role: String, ExpressibleByArgument, CaseIterable {
        case trigger, scorer, detector, strategy
    }

    enum Language: String, ExpressibleByArgument, CaseIterable {
        case c, swift
    }

    @Argument(help: "What the plugin does: \(Role.allCases.map(\.rawValue).joined(separator: ", ")).")
    var role: Role

    @Argument(help: "The plugin's name: snake_case (a-z, 0-9, _), starting with a letter; it names the kind, the library (lib<name>.so) and the project directory.")
    var name: String

    @Option(name: .long, help: "Language: c or swift.")
    var lang: Language

    @Option(name: .long, help: "Directory to create (default: ./<name>); it must not exist or be empty.")
    var dir: String?

    @Option(name: .long, help: "Plugin id (reverse-DNS; default dev.example.<name>).")
    var id: String?

    @Option(name: .long, help: "Swift only: the strategy host package to depend on — a local checkout's path or a git URL (default: the checkout this host was built from).")
    var sdkPackage: String?

    func validate() throws {
        guard name.range(of: #"^[a-z][a-z0-9_]{0,62}$"#, options: .regularExpression) != nil else {
            throw ValidationError("plugin name '\(name)' is not snake_case: use a-z, 0-9 and _, starting with a letter (e.g. my_trigger)")
        }
        if let id, id.range(of: #"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$"#, options: .regularExpression) == nil {
            throw ValidationError("--id '\(id)' is not a reverse-DNS id (lowercase, dot-separated, e.g. dev.example.my_trigger)")
        }
    }

    func run() throws {
        try reportingFailures {
            let target = URL(fileURLWithPath: dir ?? name, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
            let files = try PluginProject(role: role, language: lang, name: name, id: id ?? "dev.example.\(name)",
                                          sdkPackage: sdkPackage).files()
            try PluginProject.write(files, into: target)
            print("wrote \(role.rawValue) plugin '\(name)' (\(lang == .c ? "C" : "Swift")) to \(target.path):")
            for path in files.keys.sorted() { print("  \(path)") }
            print("next:")
            print("  cd \(target.path)")
            switch lang {
            case .c:
                print("  make && make test              # build lib\(name).so, then host plugins check it on test/script.csv")
                print("  make install                   # copy it to ../plugins, where `host plugins list` finds it")
            case .swift:
                print("  swift build --product \(name)   # .build/debug/lib\(name).so (-c release for real use)")
                print("  swift test                     # the test in Tests/ (PluginHarness on test/script.csv)")
            }
        }
    }
}

/// The files of one generated plugin project, by relative path.
struct PluginProject {
    var role: NewPlugin.Role
    var language: NewPlugin.Language
    var name: String
    var id: String
    var sdkPackage: String?

    /// The repository this host was built from, when it is still there (for the Swift package
    /// dependency and `host plugins sdk-path`).
    static var sourceCheckout: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let manifest = root.appendingPathComponent("Package.swift").path
        let header = root.appendingPathComponent("SDK/C/include/strategy_host_sdk.h").path
        guard FileManager.default.fileExists(atPath: manifest), FileManager.default.fileExists(atPath: header) else { return nil }
        return root.path
    }

    var signalName: String {
        switch role {
        case .trigger: "trigger.\(name)"
        case .detector: "detector.\(name)"
        case .scorer: "score.\(name)"
        case .strategy: "strategy.\(name).order"
        }
    }

    var typeName: String {
        name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    func files() throws(HostFailure) -> [String: String] {
        var files: [String: String] = [
            "README.md": readme,
            "\(name).yaml": sampleConfiguration,
            "test/script.csv": script,
            ".gitignore": language == .c ? "lib\(name).so\n" : ".build/\n",
        ]
        switch language {
        case .c:
            let body: String = switch role {
            case .trigger: CTemplate.trigger
            case .detector: CTemplate.detector
            case .scorer: CTemplate.scorer
            case .strategy: CTemplate.strategy
            }
            files["\(name).c"] = fill(CTemplate.source(role: body))
            files["Makefile"] = fill(CTemplate.makefile)
        case .swift:
            let (dependency, identity) = try swiftDependency()
            let body: String = switch role {
            case .trigger: SwiftTemplate.trigger
            case .detector: SwiftTemplate.detector
            case .scorer: SwiftTemplate.scorer
            case .strategy: SwiftTemplate.strategy
            }
            files["Package.swift"] = fill(SwiftTemplate.package)
                .replacingOccurrences(of: "__SDK_DEPENDENCY__", with: dependency)
                .replacingOccurrences(of: "__SDK_PACKAGE__", with: identity)
            files["Sources/\(typeName)/\(typeName).swift"] = fill(SwiftTemplate.header + body + SwiftTemplate.footer)
            files["Tests/\(typeName)Tests/\(typeName)Tests.swift"] = fill(SwiftTemplate.test)
        }
        return files
    }

    /// The `.package(…)` line and the package identity products are named with.
    func swiftDependency() throws(HostFailure) -> (String, String) {
        guard let package = sdkPackage ?? Self.sourceCheckout else {
            throw HostFailure(exit: .usage, message: """
                error: the Swift template depends on the strategy host package (product StrategySDK), and the checkout this host \
                was built from is gone
                fix: pass --sdk-package with the path of a strategy host checkout or its git URL
                """)
        }
        let isURL = package.contains("://") || package.hasPrefix("git@")
        var last = package
        while last.hasSuffix("/") { last.removeLast() }
        last = String(last.split(separator: "/").last ?? "")
        if last.hasSuffix(".git") { last.removeLast(4) }
        let identity = last.lowercased()
        if isURL { return (".package(url: \"\(package)\", branch: \"main\")", identity) }
        let absolute = URL(fileURLWithPath: package, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute + "/Package.swift") else {
            throw HostFailure(exit: .usage, message: "error: --sdk-package \(package): no Package.swift in \(absolute)\nfix: pass the root of a strategy host checkout (the directory with Package.swift and SDK/)")
        }
        return (".package(path: \"\(absolute)\")", identity)
    }

    private func fill(_ text: String) -> String {
        let roleMacro = "TSH_ROLE_" + role.rawValue.uppercased()
        return text
            .replacingOccurrences(of: "__NAME__", with: name)
            .replacingOccurrences(of: "__ID__", with: id)
            .replacingOccurrences(of: "__ROLE_MACRO__", with: roleMacro)
            .replacingOccurrences(of: "__ROLE__", with: role.rawValue)
            .replacingOccurrences(of: "__TYPE__", with: typeName)
            .replacingOccurrences(of: "__SIGNAL__", with: signalName)
            .replacingOccurrences(of: "__HOST__", with: HostExecutable.path)
    }

    var parameters: String {
        switch role {
        case .trigger: "{threshold_bps: 5, cooldown_ms: 1000}"
        case .detector: "{multiplier: 4, min_trades: 20}"
        case .scorer: "{half_life_ms: 60000, min_score: 0.5}"
        case .strategy: "{order_size: 0.001, min_confidence: 0}"
        }
    }

    var sampleConfiguration: String {
        var text = """
            # A configuration using the plugin by name: the host finds lib\(name).so in ./plugins, in a
            # directory on TSH_PLUGIN_PATH, or next to itself (`host plugins list` shows what it finds).
            #   host plugins check lib\(name).so --config \(name).yaml     (parameters and symbols from here)
            #   host backtest --data DIR --config \(name).yaml             (Tardis CSV files in DIR)
            # Every key: docs/CONFIGURATION.md of the strategy host.
            version: 1
            host: {log_level: warning}
            instances:
              - id: \(name)
                plugin: \(name)
                kind: \(name)
                symbols: [BTCUSDT]
                params: \(parameters)

            """
        if role == .strategy {
            text += "    risk: {max_order_notional: 1000, max_position: 0.01}\n"
        }
        return text
    }

    /// A market script for `host plugins check --script` and the Swift test; the role's signal
    /// must come out of it (`make test` / `swift test` expect it).
    var script: String {
        var lines = [
            "# A market script: one event per line, times in ms from the start.",
            "#   time_ms,symbol,quote,bid,ask[,size]",
            "#   time_ms,symbol,trade,price,size,buy|sell|unknown",
            "#   time_ms,symbol,signal,name,direction,value,confidence   (as if another plugin emitted it)",
        ]
        switch role {
        case .trigger:
            // The mid walks up 2 bps a quote: 5 bps from the reference within three quotes.
            for i in 0..<20 {
                let bid = 100 + Double(i) * 0.02
                lines.append("\(i * 500),BTCUSDT,quote,\(String(format: "%.2f", bid)),\(String(format: "%.2f", bid + 0.02))")
            }
        case .detector:
            for i in 0..<30 { lines.append("\(i * 100),BTCUSDT,trade,100.00,\(i % 2 == 0 ? "0.5" : "0.7"),\(i % 2 == 0 ? "buy" : "sell")") }
            lines.append("3000,BTCUSDT,trade,100.01,12,buy")
        case .scorer, .strategy:
            lines.append("0,BTCUSDT,quote,99.99,100.01,5")
            for i in 1...5 {
                lines.append("\(i * 1000),BTCUSDT,quote,99.99,100.01,5")
                lines.append("\(i * 1000),BTCUSDT,signal,trigger.example,1,8,0.6")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    var readme: String {
        let build: String
        switch language {
        case .c:
            build = """
                ## Build and test

                ```
                make            # lib\(name).so, compiled against the SDK header `host plugins sdk-path` prints
                make test       # host plugins check: loads, validates and runs it on test/script.csv
                make install    # copies lib\(name).so to ../plugins (PREFIX=dir to choose)
                ```

                `make` needs a C11 compiler; `HOST` in the Makefile is the host that wrote this project
                (`make HOST=/path/to/host` if it moved). By hand:
                `cc -std=c11 -O2 -shared -fPIC -fvisibility=hidden -I"$(host plugins sdk-path)" \(name).c -o lib\(name).so -lm`.
                """
        case .swift:
            build = """
                ## Build and test

                ```
                swift build --product \(name)              # .build/debug/lib\(name).so
                swift build -c release --product \(name)   # .build/release/lib\(name).so, for real use
                swift test                                 # Tests/: HostTesting's PluginHarness on test/script.csv
                host plugins check .build/debug/lib\(name).so --script test/script.csv --expect-signal \(signalName)
                ```

                The plugin runs on the host's Swift runtime, so build it with the **same Swift
                toolchain as the host** (`swift --version`; `host plugins inspect` shows the host's in
                "Built with"). A plugin built by another compiler is refused at load with both versions
                named. Package.swift depends on the strategy host package for `StrategySDK` (and
                `HostTesting` for the test only).
                """
        }
        return """
            # \(name)

            A \(role.rawValue) plugin for the strategy host (`\(id)`, kind `\(name)`, emits `\(signalName)`),
            written from `host plugins new \(role.rawValue) \(name) --lang \(language.rawValue)`.

            \(build)

            ## Use it

            ```
            host plugins inspect \(language == .c ? "./lib\(name).so" : ".build/debug/lib\(name).so")          # manifest, kinds, parameters
            host plugins check \(language == .c ? "./lib\(name).so" : ".build/debug/lib\(name).so") --config \(name).yaml   # a short simulated feed
            host backtest --data DIR --config \(name).yaml   # with lib\(name).so in ./plugins or on TSH_PLUGIN_PATH
            ```

            `\(name).yaml` names the plugin as `\(name)`: the host finds `lib\(name).so` in `./plugins`, in
            a directory on `TSH_PLUGIN_PATH`, or next to itself — no rebuild of the host.

            ## Rules

            Every callback runs on the host's engine thread: return quickly (no I/O, no sleeping, no
            locks held by other threads), copy what you keep from an event (its pointers die with the
            callback), and call the host only from inside a callback. The guide — lifecycle, events,
            services, parameters, errors, ABI versions — is `docs/PLUGINS.md` of the strategy host.

            """
    }

    /// Writes `files` under `directory`, which must not exist or be empty.
    static func write(_ files: [String: String], into directory: URL) throws(HostFailure) {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw HostFailure(exit: .usage, message: "error: \(directory.path) exists and is a file\nfix: pass another --dir, or remove the file")
            }
            let entries = (try? manager.contentsOfDirectory(atPath: directory.path)) ?? []
            guard entries.isEmpty else {
                throw HostFailure(exit: .usage, message: "error: \(directory.path) exists and is not empty (\(entries.count) entries); nothing was written\nfix: pass another --dir, or remove the directory")
            }
        }
        do {
            for (path, text) in files {
                let url = directory.appendingPathComponent(path)
                try manager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(text.utf8).write(to: url)
            }
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: cannot write the project to \(directory.path): \(error.localizedDescription)\nfix: check that the directory is writable")
        }
    }
}

/// Where the running host binary is (for generated Makefiles and the check's child process).
enum HostExecutable {
    static var path: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
