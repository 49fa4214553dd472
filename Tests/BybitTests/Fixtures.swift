import Foundation
import Testing

/// Recorded Bybit messages, read in place from the shared fixtures folder (never copied here).
enum Fixtures {
    /// /work/main/Tests/BybitTests/ → /work/main → ../shared/fixtures/bybit
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("../shared/fixtures/bybit").standardizedFileURL

    static let available = FileManager.default.fileExists(atPath: directory.appendingPathComponent("README.md").path)

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    /// The non-empty lines of a JSON-lines fixture.
    static func lines(_ name: String) throws -> [String] {
        try text(name).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}

/// Fixture-based tests run only where the shared fixtures folder exists.
let fixturesPresent = Testing.ConditionTrait.enabled(if: Fixtures.available, "needs /work/shared/fixtures/bybit (shared fixtures folder)")
