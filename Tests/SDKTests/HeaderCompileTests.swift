import Foundation
import Testing

/// The C header is the contract: it must compile cleanly as C11 and C++17 with warnings
/// as errors, so plugins in either language build against it.
struct HeaderCompileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let include = root.appendingPathComponent("SDK/C/include").path

    static func compiler(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in names {
            for dir in path.split(separator: ":") {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// Compiles a translation unit that includes the header and uses its macros.
    static func compile(_ compiler: String, language: String, standard: String) throws -> (status: Int32, output: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tsh-header-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = dir.appendingPathComponent(language == "c" ? "use.c" : "use.cpp")
        try """
        #include "strategy_host_sdk.h"
        static const tsh_manifest manifest_check = {
            TSH_VERSION_INIT, sizeof(tsh_manifest), TSH_BUILD_FINGERPRINT_INIT,
            "dev.example.check", "check", "1.0.0", "header compile check", NULL, 0, 0,
        };
        int use_header(void);
        int use_header(void) {
            tsh_version host = TSH_VERSION_INIT;
            return tsh_version_is_compatible(manifest_check.abi, host) ? (int)sizeof(tsh_quote_event) : -1;
        }
        """.write(to: source, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-std=\(standard)", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fsyntax-only",
                             "-x", language == "c" ? "c" : "c++", "-I", include, source.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, output)
    }

    @Test("the SDK header compiles as C11 with -Wall -Wextra -Werror -pedantic")
    func compilesAsC11() throws {
        let cc = try #require(Self.compiler(["cc", "gcc", "clang"]), "no C compiler on PATH")
        let result = try Self.compile(cc, language: "c", standard: "c11")
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("the SDK header compiles as C++17 with -Wall -Wextra -Werror -pedantic")
    func compilesAsCXX17() throws {
        let cxx = try #require(Self.compiler(["c++", "g++", "clang++"]), "no C++ compiler on PATH")
        let result = try Self.compile(cxx, language: "c++", standard: "c++17")
        #expect(result.status == 0, "\(result.output)")
    }
}
