import Foundation

/// C sources of the fixture plugins, compiled at test time (a Swift test target cannot hold
/// `.c` files). Variants are made with `-D` macros.
enum FixtureSources {
    /// A complete, valid plugin with two kinds. Knobs: FX_PLUGIN_ID, FX_ABI_MAJOR, FX_ABI_MINOR,
    /// FX_TIMESTAMP_UNIT (replaces the real fingerprint), FX_RETURN_NULL.
    static let valid = #"""
    #include "strategy_host_sdk.h"
    #include <string.h>

    #ifndef FX_PLUGIN_ID
    #define FX_PLUGIN_ID "dev.test.fixture"
    #endif
    #ifndef FX_ABI_MAJOR
    #define FX_ABI_MAJOR TSH_ABI_MAJOR
    #endif
    #ifndef FX_ABI_MINOR
    #define FX_ABI_MINOR TSH_ABI_MINOR
    #endif
    #ifdef FX_TIMESTAMP_UNIT
    #define FX_FINGERPRINT {{'T', 'S', 'H', 'F'}, (uint8_t)sizeof(void *), TSH_NATIVE_ENDIAN, FX_TIMESTAMP_UNIT, \
        TSH_FLOAT_IEEE754_BINARY64, (uint8_t)sizeof(bool), (uint8_t)sizeof(int32_t), (uint8_t)sizeof(size_t), {0, 0, 0, 0, 0}}
    #else
    #define FX_FINGERPRINT TSH_BUILD_FINGERPRINT_INIT
    #endif

    static tsh_status fx_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                                void **out_instance, tsh_error *err) {
        (void)kind; (void)host; (void)info; (void)err;
        *out_instance = NULL;
        return TSH_OK;
    }
    static tsh_status fx_start(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
    static tsh_status fx_on_event(void *instance, const tsh_event_header *event, tsh_error *err) {
        (void)instance; (void)event; (void)err;
        return TSH_OK;
    }
    static tsh_status fx_stop(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
    static void fx_destroy(void *instance) { (void)instance; }

    static const tsh_plugin_vtable fx_vtable = {
        sizeof(tsh_plugin_vtable), 0, fx_create, fx_start, fx_on_event, fx_stop, fx_destroy};

    static const char *const fx_modes[] = {"fast", "slow"};
    static const tsh_param_descriptor fx_params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "threshold_bps", "Move needed to fire", "25",
         TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX | TSH_PARAM_PER_SYMBOL, 0, 0.0, 1000.0, NULL, "bps"},
        {sizeof(tsh_param_descriptor), TSH_PARAM_INT, "window_seconds", "Lookback window", "60",
         TSH_PARAM_HAS_MIN, 0, 1.0, 0.0, NULL, "seconds"},
        {sizeof(tsh_param_descriptor), TSH_PARAM_BOOL, "enabled", "Whether the trigger fires", "true", 0, 0, 0.0, 0.0,
         NULL, NULL},
        {sizeof(tsh_param_descriptor), TSH_PARAM_STRING, "tag", "Tag on emitted signals", "trigger", 0, 0, 0.0, 0.0,
         NULL, NULL},
        {sizeof(tsh_param_descriptor), TSH_PARAM_ENUM, "mode", "Reaction speed", "fast", TSH_PARAM_PER_SYMBOL, 2, 0.0,
         0.0, fx_modes, NULL},
    };

    static const char *const fx_roles[] = {TSH_ROLE_TRIGGER};
    static const char *const fx_signals[] = {"price_move.up", "price_move.down"};
    static const tsh_signal_source_ext fx_signal_source = {sizeof(tsh_signal_source_ext), 2, fx_signals};

    static const void *fx_get_extension(const tsh_kind_descriptor *kind, const char *extension_id) {
        (void)kind;
        return strcmp(extension_id, TSH_EXT_SIGNAL_SOURCE) == 0 ? &fx_signal_source : NULL;
    }

    static const tsh_kind_descriptor fx_trigger = {
        sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_QUOTE) | TSH_EVENT_MASK(TSH_EVENT_TRADE),
        "price_move", "Fires when the price moves", fx_roles, 1, 5, fx_params, &fx_vtable, fx_get_extension, NULL};
    static const tsh_kind_descriptor fx_follower = {
        sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_SIGNAL), "follower", "Follows signals", NULL, 0, 0,
        NULL, &fx_vtable, NULL, NULL};
    static const tsh_kind_descriptor *const fx_kinds[] = {&fx_trigger, &fx_follower};

    static const tsh_manifest fx_manifest = {
        {FX_ABI_MAJOR, FX_ABI_MINOR, 0}, sizeof(tsh_manifest), FX_FINGERPRINT, FX_PLUGIN_ID, "Fixture plugin",
        "1.2.0-beta.1+build.5", "A plugin for loader tests", fx_kinds, 2, 0};

    TSH_EXPORT const tsh_manifest *tsh_plugin_entry(void) {
    #ifdef FX_RETURN_NULL
        return NULL;
    #else
        return &fx_manifest;
    #endif
    }
    """#

    /// A plugin whose manifest breaks several rules at once: plugin id, version, a duplicate
    /// kind id, an out-of-range default and an enum default that is not allowed.
    static let invalidManifest = #"""
    #include "strategy_host_sdk.h"

    static tsh_status fx_create(const tsh_kind_descriptor *kind, const tsh_host *host, const tsh_instance_info *info,
                                void **out_instance, tsh_error *err) {
        (void)kind; (void)host; (void)info; (void)err;
        *out_instance = NULL;
        return TSH_OK;
    }
    static tsh_status fx_noop(void *instance, tsh_error *err) { (void)instance; (void)err; return TSH_OK; }
    static tsh_status fx_on_event(void *instance, const tsh_event_header *event, tsh_error *err) {
        (void)instance; (void)event; (void)err;
        return TSH_OK;
    }
    static void fx_destroy(void *instance) { (void)instance; }
    static const tsh_plugin_vtable fx_vtable = {
        sizeof(tsh_plugin_vtable), 0, fx_create, fx_noop, fx_on_event, fx_noop, fx_destroy};

    static const char *const fx_speeds[] = {"fast", "slow"};
    static const tsh_param_descriptor fx_params[] = {
        {sizeof(tsh_param_descriptor), TSH_PARAM_DOUBLE, "threshold_pct", "Move needed", "150",
         TSH_PARAM_HAS_MIN | TSH_PARAM_HAS_MAX, 0, 0.0, 100.0, NULL, "%"},
        {sizeof(tsh_param_descriptor), TSH_PARAM_ENUM, "speed", "Reaction speed", "medium", 0, 2, 0.0, 0.0,
         fx_speeds, NULL},
    };
    static const tsh_kind_descriptor fx_first = {
        sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_QUOTE), "dup_kind", "First", NULL, 0, 2, fx_params,
        &fx_vtable, NULL, NULL};
    static const tsh_kind_descriptor fx_second = {
        sizeof(tsh_kind_descriptor), TSH_EVENT_MASK(TSH_EVENT_QUOTE), "dup_kind", "Second", NULL, 0, 0, NULL,
        &fx_vtable, NULL, NULL};
    static const tsh_kind_descriptor *const fx_kinds[] = {&fx_first, &fx_second};

    static const tsh_manifest fx_manifest = {
        TSH_VERSION_INIT, sizeof(tsh_manifest), TSH_BUILD_FINGERPRINT_INIT, "Not A Reverse DNS", "Broken plugin",
        "1.2", "Breaks many rules", fx_kinds, 2, 0};

    TSH_EXPORT const tsh_manifest *tsh_plugin_entry(void) { return &fx_manifest; }
    """#
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
}

/// A unique temporary directory for one test, removed when the test releases it.
/// Libraries loaded from it stay mapped after removal, which Linux allows.
final class FixtureDirectory {
    let path: String

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("plugin-loader-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    @discardableResult
    func write(_ bytes: [UInt8], to name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    func subdirectory(_ name: String) throws -> String {
        try FileManager.default.createDirectory(atPath: file(name), withIntermediateDirectories: true)
        return file(name)
    }

    /// Compiles `source` into the shared library `name` in this directory.
    @discardableResult
    func compile(_ source: String, as name: String, defines: [String] = []) throws -> String {
        let sourcePath = try write(source, to: "\(name).c")
        let output = file(name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.compiler())
        process.arguments = ["-shared", "-fPIC", "-std=c11", "-Wall",
                             "-I", "\(Self.repositoryRoot)/SDK/C/include", "-o", output, sourcePath]
            + defines.map { "-D\($0)" }
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FixtureError(description: "compiling \(name) failed: \(String(decoding: message, as: UTF8.self))")
        }
        return output
    }

    /// `cc` from PATH, else `clang` or `gcc`.
    static func compiler() throws -> String {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for name in ["cc", "clang", "gcc"] {
            for dir in dirs where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        throw FixtureError(description: "no C compiler (cc, clang or gcc) on PATH")
    }
}
