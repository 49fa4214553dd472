import Foundation
import Testing

/// `host plugins check` on plugins that go wrong: each gets a message that helps its author,
/// and a non-zero exit code. The plugins are small C files compiled here with the SDK header.
struct PluginCheckTests {
    /// One kind, `bad`, on quotes; the macros choose how it misbehaves.
    static let source = #"""
    #include "strategy_host_sdk.h"
    #include <string.h>

    #ifndef DEFAULT_THRESHOLD
    #define DEFAULT_THRESHOLD "5"
    #endif

    static tsh_status fail(tsh_error *err, const char *message) {
        size_t n = strlen(message);
        memcpy(err->message, message, n + 1);
        err->message_len = (uint32_t)n;
        err->code = TSH_ERR_PLUGIN;
        return TSH_ERR_PLUGIN;
    }
    static int dummy;
    static tsh_status bad_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                                 void **out, tsh_error *err) {
        (void)kind; (void)host; (void)info; (void)err;
    #ifdef CRASH_IN_CREATE
        *(volatile int *)0 = 1; /* a real segmentation fault */
    #endif
    #ifdef FAIL_CREATE
        return fail(err, "threshold file /etc/bad.conf is missing");
    #endif
        *out = &dummy;
        return TSH_OK;
    }
    static tsh_status bad_start(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
    static tsh_status bad_on_event(void *instance, const tsh_event_header *event, tsh_error *err) {
        (void)instance;
    #ifdef CRASH_ON_EVENT
        if (event->seq >= 3) *(volatile int *)0 = 1;
    #endif
    #ifdef HANG_ON_EVENT
        for (volatile int spin = 1; spin;) {}
    #endif
    #ifdef FAIL_EVENTS
        if (event->type == TSH_EVENT_QUOTE) return fail(err, "no reference price for this symbol yet");
    #endif
        (void)event; (void)err;
        return TSH_OK;
    }
    static tsh_status bad_stop(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
    static void bad_destroy(void *instance) { (void)instance; }
    static const tsh_plugin_vtable vtable = {sizeof(tsh_plugin_vtable), 0, bad_create, bad_start, bad_on_event, bad_stop, bad_destroy};
    static const tsh_param_descriptor params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "threshold_bps", "Move that fires.", DEFAULT_THRESHOLD,
         TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX | TSH_PARAM_PER_SYMBOL, 0, 0.1, 100, NULL, "bps"},
    };
    static const char *const roles[] = {TSH_ROLE_TRIGGER};
    static const tsh_kind_descriptor kind = {sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_QUOTE), "bad", "Misbehaves",
                                             roles, 1, 1, params, &vtable, NULL, NULL};
    static const tsh_kind_descriptor *const kinds[] = {&kind};
    static const tsh_manifest manifest = {TSH_VERSION_INIT, sizeof(tsh_manifest), TSH_BUILD_FINGERPRINT_INIT, "dev.test.bad", "Bad",
                                          "1.0.0", "A plugin that goes wrong", kinds, 1, 0};
    TSH_EXPORT const tsh_manifest *tsh_plugin_entry(void) {
    #ifdef CRASH_IN_ENTRY
        *(volatile int *)0 = 1;
    #endif
        return &manifest;
    }
    """#

    static func compile(_ defines: [String], in dir: URL) throws -> String {
        let source = dir.appendingPathComponent("bad.c")
        try Data(Self.source.utf8).write(to: source)
        let output = dir.appendingPathComponent("libbad.so").path
        let outcome = try PluginAuthoringTests.shell("/usr/bin/cc", ["-std=c11", "-shared", "-fPIC", "-I",
                                                                     HostCommandLineTests.root.appendingPathComponent("SDK/C/include").path,
                                                                     source.path, "-o", output] + defines.map { "-D\($0)" }, in: dir, timeout: 120)
        guard outcome.status == 0 else { throw CheckTestError(description: "cc failed: \(outcome.stderr)") }
        return output
    }

    struct CheckTestError: Error, CustomStringConvertible { var description: String }

    @Test("a plugin that crashes in create is reported with the signal, the callback and the instance, and exit code 1")
    func crashInCreate() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["CRASH_IN_CREATE"], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library], in: dir)
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("FAIL"))
        #expect(check.stdout.contains("crashed with SIGSEGV"), "\(check.stdout)")
        #expect(check.stdout.contains("callback:   create of instance 'bad'"), "\(check.stdout)")
        #expect(check.stdout.contains("fix: run the same check under a debugger"))
    }

    @Test("a plugin that crashes in tsh_plugin_entry is reported as crashing before any callback, and the checker survives")
    func crashInEntry() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["CRASH_IN_ENTRY"], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library, "--json"], in: dir)
        #expect(check.status == 1, "\(check.stderr)")
        let report = PluginAuthoringTests.json(check.stdout)
        #expect(report["failedAt"] as? String == "crash")
        #expect((report["problem"] as? String)?.contains("before any callback (in its library constructor or tsh_plugin_entry)") == true, "\(check.stdout)")
    }

    @Test("a crash while handling an event names the callback and the last event (type, sequence, symbol) in the JSON report")
    func crashOnEventNamesLastEvent() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["CRASH_ON_EVENT"], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library, "--json"], in: dir)
        #expect(check.status == 1, "\(check.stderr)")
        let report = PluginAuthoringTests.json(check.stdout)
        let crash = try #require(report["crash"] as? [String: Any], "\(check.stdout)")
        #expect(crash["callback"] as? String == "on_event")
        #expect((crash["lastEvent"] as? String)?.hasPrefix("quote event #3 on ") == true, "\(crash)")
        #expect(report["failedAt"] as? String == "crash")
    }

    @Test("a plugin that hangs in a callback is killed after --timeout and reported with the callback and the event it was in")
    func hangIsTimedOut() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["HANG_ON_EVENT"], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library, "--timeout", "3"], in: dir)
        #expect(check.status == 1, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("did not finish within 3 s"), "\(check.stdout)")
        #expect(check.stdout.contains("on_event of instance 'bad'") && check.stdout.contains("quote event #1"), "\(check.stdout)")
    }

    @Test("a plugin whose create returns an error fails the check with its own message and exit code 1")
    func createError() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["FAIL_CREATE"], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library], in: dir)
        #expect(check.status == 1)
        #expect(check.stdout.contains("failed at create"), "\(check.stdout)")
        #expect(check.stdout.contains("threshold file /etc/bad.conf is missing"))
    }

    @Test("a plugin whose callbacks return errors fails the check with the count, the first messages and the event, exit code 1")
    func callbackErrors() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["FAIL_EVENTS"], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library, "--events", "200", "--json"], in: dir)
        #expect(check.status == 1, "\(check.stderr)")
        let report = PluginAuthoringTests.json(check.stdout)
        #expect(report["failedAt"] as? String == "run")
        let instance = try #require((report["instances"] as? [[String: Any]])?.first)
        #expect((instance["errors"] as? Int ?? 0) > 0)
        let first = try #require((instance["firstErrors"] as? [String])?.first)
        #expect(first.contains("on_event (quote event #"), "\(first)")
        #expect(first.contains("TSH_ERR_PLUGIN") && first.contains("no reference price for this symbol yet"))
    }

    @Test("a plugin declaring a default outside its own range is refused at load with exit code 67, naming the parameter")
    func badParameterDeclaration() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile(["DEFAULT_THRESHOLD=\"500\""], in: dir)
        let check = try HostCommandLineTests.run(["plugins", "check", library], in: dir)
        #expect(check.status == 67, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("failed at load"))
        #expect(check.stdout.contains("threshold_bps"), "\(check.stdout)")
        #expect(check.stdout.contains("fix:"))
    }

    @Test("a configuration giving the plugin an unknown parameter fails the check with exit code 65 and a suggestion")
    func unknownParameterInConfiguration() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile([], in: dir)
        let config = dir.appendingPathComponent("bad.yaml")
        try "version: 1\ninstances:\n  - {id: bad, plugin: \(library), symbols: [BTCUSDT], params: {threshold_bsp: 5}}\n"
            .write(to: config, atomically: true, encoding: .utf8)
        let check = try HostCommandLineTests.run(["plugins", "check", library, "--config", config.path], in: dir)
        #expect(check.status == 65, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("threshold_bsp") && check.stdout.contains("threshold_bps"), "\(check.stdout)")
    }

    @Test("a market script with bad lines is refused with exit code 68, every bad line named with its number")
    func badScript() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let library = try Self.compile([], in: dir)
        let script = dir.appendingPathComponent("s.csv")
        try "0,BTCUSDT,quote,100,99\n5,BTCUSDT,trade,100,1,up\n".write(to: script, atomically: true, encoding: .utf8)
        let check = try HostCommandLineTests.run(["plugins", "check", library, "--script", script.path], in: dir)
        #expect(check.status == 68, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("s.csv:1: bid 100 is not below ask 99"), "\(check.stdout)")
        #expect(check.stdout.contains("s.csv:2: aggressor must be buy, sell or unknown"))
    }

    @Test("sdk-path prints the directory holding the SDK header; sdk-install writes the header and a pkg-config file")
    func sdkPathAndInstall() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try HostCommandLineTests.run(["plugins", "sdk-path"], in: dir)
        #expect(path.status == 0)
        let include = path.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(FileManager.default.fileExists(atPath: include + "/strategy_host_sdk.h"), "\(include)")
        let install = try HostCommandLineTests.run(["plugins", "sdk-install", "--prefix", dir.path], in: dir)
        #expect(install.status == 0, "\(install.stderr)")
        let pc = try String(contentsOf: dir.appendingPathComponent("lib/pkgconfig/strategy-host-sdk.pc"), encoding: .utf8)
        #expect(pc.contains("Cflags: -I${includedir}") && pc.contains("includedir=${prefix}/include/strategy-host"))
        #expect(FileManager.default.contentsEqual(atPath: include + "/strategy_host_sdk.h",
                                                  andPath: dir.appendingPathComponent("include/strategy-host/strategy_host_sdk.h").path))
    }

    @Test("plugins new refuses a name that is not snake_case and a directory that is not empty, writing nothing")
    func newRefusesBadInput() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let name = try HostCommandLineTests.run(["plugins", "new", "trigger", "My-Trigger", "--lang", "c"], in: dir)
        #expect(name.status == 64)
        #expect(name.stderr.contains("not snake_case"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("taken"), withIntermediateDirectories: true)
        try "x".write(to: dir.appendingPathComponent("taken/file"), atomically: true, encoding: .utf8)
        let taken = try HostCommandLineTests.run(["plugins", "new", "scorer", "taken", "--lang", "c"], in: dir)
        #expect(taken.status == 64)
        #expect(taken.stderr.contains("is not empty"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("taken").path) == ["file"])
    }

    @Test("every C role's template builds and passes its own make test (scripted signals drive the scorer and the strategy)", arguments: ["scorer", "detector", "strategy"])
    func otherCRoles(role: String) throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let new = try HostCommandLineTests.run(["plugins", "new", role, "my_\(role)", "--lang", "c"], in: dir)
        #expect(new.status == 0, "\(new.stderr)")
        let test = try PluginAuthoringTests.shell("/usr/bin/make", ["test"], in: dir.appendingPathComponent("my_\(role)"))
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
    }
}
