import Foundation
import HostCore
import HostPlugins
import Testing

struct PluginLoaderTests {
    let loader = PluginLoader()

    @Test("a valid plugin loads and its manifest, kinds, parameters and emitted signals are read")
    func validPluginLoads() throws {
        let dir = try FixtureDirectory()
        let plugin = try loader.inspect(path: dir.compile(FixtureSources.valid, as: "libfixture.so"))

        #expect(plugin.info.pluginID == "dev.test.fixture")
        #expect(plugin.info.name == "Fixture plugin")
        #expect(plugin.info.version == "1.2.0-beta.1+build.5")
        #expect(plugin.info.description == "A plugin for loader tests")
        #expect(plugin.info.abiVersion == HostABI.versionString)
        #expect(plugin.info.kinds.map(\.id) == ["price_move", "follower"])
        #expect(plugin.info.fileSize > 0)
        #expect(plugin.info.fileFingerprint.count == 16)

        let trigger = try #require(plugin.kind("price_move"))
        #expect(trigger.description == "Fires when the price moves")
        #expect(trigger.roles == ["tsh.role.trigger/1"])
        #expect(trigger.events == [.quote, .trade])
        #expect(trigger.emittedSignals == ["price_move.up", "price_move.down"])
        #expect(trigger.parameters.map(\.name) == ["threshold_bps", "window_seconds", "enabled", "tag", "mode"])
        #expect(trigger.parameter(named: "threshold_bps") == ParameterSpec(
            name: "threshold_bps", type: .double, doc: "Move needed to fire", defaultValue: .double(25), minimum: 0,
            maximum: 1000, perSymbol: true, unit: "bps"))
        #expect(trigger.parameter(named: "window_seconds") == ParameterSpec(
            name: "window_seconds", type: .int, doc: "Lookback window", defaultValue: .int(60), minimum: 1,
            perSymbol: false, unit: "seconds"))
        #expect(trigger.parameter(named: "enabled")?.defaultValue == .bool(true))
        #expect(trigger.parameter(named: "tag")?.defaultValue == .string("trigger"))
        #expect(trigger.parameter(named: "mode") == ParameterSpec(
            name: "mode", type: .enumeration, doc: "Reaction speed", defaultValue: .string("fast"),
            allowedValues: ["fast", "slow"], perSymbol: true))

        let follower = try #require(plugin.kind("follower"))
        #expect(follower.events == [.signal])
        #expect(follower.emittedSignals.isEmpty)
        #expect(follower.parameters.isEmpty)

        #expect(plugin.kindDescriptor("price_move") != nil)
        #expect(plugin.kindDescriptor("missing") == nil)
    }

    @Test("an executable renamed to .so is refused as not a plugin")
    func executableIsNotAPlugin() throws {
        let dir = try FixtureDirectory()
        let program = try #require(["/bin/true", "/usr/bin/true", "/usr/bin/env"].first { FileManager.default.fileExists(atPath: $0) })
        let path = dir.file("libtrue.so")
        try FileManager.default.copyItem(atPath: program, toPath: path)

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .notAPlugin)
        #expect(error.description.contains("no tsh_plugin_entry symbol"))
        #expect(error.description.contains(path))
    }

    @Test("truncated copies of a valid plugin are refused as truncated, without crashing")
    func truncatedPluginIsRefused() throws {
        let dir = try FixtureDirectory()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.compile(FixtureSources.valid, as: "libfull.so"))))
        for length in [5, 63, 64, 200, bytes.count / 4, bytes.count / 2, bytes.count - 1] {
            let path = try dir.write(Array(bytes.prefix(length)), to: "libcut\(length).so")
            let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
            #expect(error.code == .truncated, "cut at \(length) bytes: \(error)")
            #expect(error.description.contains("truncated or corrupt"))
        }
    }

    @Test("a text file named .so is refused as not a shared object, saying it is text")
    func textFileIsNotASharedObject() throws {
        let dir = try FixtureDirectory()
        let path = try dir.write("this is not a library\njust some notes\n", to: "notes.so")

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .notSharedObject)
        #expect(error.message.contains("text file"))
    }

    @Test("a library built for another CPU is refused as the wrong architecture")
    func wrongMachineIsRefused() throws {
        let dir = try FixtureDirectory()
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.compile(FixtureSources.valid, as: "libnative.so"))))
        bytes[18] = bytes[18] == 183 ? 62 : 183 // e_machine: swap x86_64 and aarch64
        bytes[19] = 0
        let path = try dir.write(bytes, to: "libforeign.so")

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .wrongArchitecture)
    }

    @Test("a directory is refused as not a file")
    func directoryIsNotAFile() throws {
        let dir = try FixtureDirectory()
        let path = try dir.subdirectory("libdir.so")

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .notAFile)
    }

    @Test("an entry that returns NULL is reported as returning no manifest")
    func nullEntryIsRefused() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(FixtureSources.valid, as: "libnull.so", defines: ["FX_RETURN_NULL"])

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .entryReturnedNull)
        #expect(error.message.contains("entry returned no manifest"))
    }

    @Test("a plugin built for ABI major 2 is refused and the message shows both versions")
    func newerMajorIsRefused() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(FixtureSources.valid, as: "libmajor.so", defines: ["FX_ABI_MAJOR=2"])

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .abiMismatch)
        #expect(error.message.contains("plugin built for SDK 2.\(HostABI.minor), host speaks \(HostABI.major).\(HostABI.minor)"))
        #expect(error.fix.contains("rebuild"))
    }

    @Test("a plugin built for a newer minor version is refused as an ABI mismatch")
    func newerMinorIsRefused() throws {
        let dir = try FixtureDirectory()
        let minor = HostABI.minor + 7
        let path = try dir.compile(FixtureSources.valid, as: "libminor.so", defines: ["FX_ABI_MINOR=\(minor)"])

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .abiMismatch)
        #expect(error.message.contains("plugin built for SDK \(HostABI.major).\(minor), host speaks \(HostABI.major).\(HostABI.minor)"))
    }

    @Test("a fingerprint mismatch names the differing field with both values")
    func fingerprintMismatchNamesTheField() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(FixtureSources.valid, as: "libms.so", defines: ["FX_TIMESTAMP_UNIT=3"])

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .fingerprintMismatch)
        #expect(error.problems == ["build fingerprint field timestamp_unit differs: plugin 3, host 9 (Unix nanoseconds)"])
    }

    @Test("an invalid manifest reports all of its problems in one error")
    func invalidManifestListsEveryProblem() throws {
        let dir = try FixtureDirectory()
        let path = try dir.compile(FixtureSources.invalidManifest, as: "libbroken.so")

        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: path) }
        #expect(error.code == .invalidManifest)
        let expected = [
            "manifest.plugin_id 'Not A Reverse DNS' is not a reverse-DNS id",
            "manifest.version '1.2' is not a semantic version",
            "kind 'dup_kind': kind_id is used by more than one kind",
            "kind 'dup_kind' parameter 'threshold_pct': default_value '150' is out of range",
            "kind 'dup_kind' parameter 'speed': default_value 'medium' is not one of its allowed values (fast, slow)",
        ]
        #expect(error.problems.count == expected.count, "\(error)")
        for fragment in expected {
            #expect(error.problems.contains { $0.hasPrefix(fragment) }, "missing '\(fragment)' in \(error)")
            #expect(error.description.contains(fragment))
        }
    }

    @Test("a missing file is reported as not found")
    func missingFileIsNotFound() throws {
        let dir = try FixtureDirectory()
        let error = try #require(throws: PluginLoadError.self) { try loader.inspect(path: dir.file("libabsent.so")) }
        #expect(error.code == .notFound)
        #expect(error.searched == [dir.file("libabsent.so")])
    }

    @Test("the text report shows the manifest, kinds, signals and every parameter")
    func textReportShowsParameters() throws {
        let dir = try FixtureDirectory()
        let report = try loader.inspect(path: dir.compile(FixtureSources.valid, as: "libreport.so")).info.textReport()

        for fragment in ["dev.test.fixture", "1.2.0-beta.1+build.5", "Kind price_move", "Kind follower", "tsh.role.trigger/1",
                         "quote, trade", "price_move.up, price_move.down", "Parameters (5)", "threshold_bps", "0 ... 1000",
                         "Move needed to fire", "window_seconds", ">= 1", "seconds", "\"fast\"", "fast | slow", "Reaction speed"] {
            #expect(report.contains(fragment), "missing '\(fragment)' in:\n\(report)")
        }
        let thresholdRow = try #require(report.split(separator: "\n").first { $0.contains("threshold_bps") })
        #expect(thresholdRow.contains("double") && thresholdRow.contains("25") && thresholdRow.contains("bps") && thresholdRow.contains("yes"))
    }

    @Test("the manifest info encodes to JSON with typed parameter defaults")
    func manifestInfoEncodesToJSON() throws {
        let dir = try FixtureDirectory()
        let info = try loader.inspect(path: dir.compile(FixtureSources.valid, as: "libjson.so")).info
        let data = try JSONEncoder().encode(info)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["pluginID"] as? String == "dev.test.fixture")
        let kinds = try #require(object["kinds"] as? [[String: Any]])
        let parameters = try #require(kinds.first?["parameters"] as? [[String: Any]])
        #expect(parameters.first?["defaultValue"] as? Double == 25)
        #expect(kinds.first?["emittedSignals"] as? [String] == ["price_move.up", "price_move.down"])
    }
}
