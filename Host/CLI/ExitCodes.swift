import ArgumentParser
import Foundation

/// The host's documented exit codes (see README "Exit codes").
public enum HostExit: Int32, Sendable, CaseIterable {
    /// The run finished, or was stopped by SIGINT/SIGTERM and shut down cleanly.
    case ok = 0
    /// A plugin failed to create or start, or the run failed at run time.
    case runtimeFailure = 1
    /// Bad command-line usage (from the argument parser).
    case usage = 64
    /// The configuration file is invalid (every problem is listed).
    case invalidConfig = 65
    /// A plugin file could not be found (every place looked is listed).
    case pluginNotFound = 66
    /// A plugin file was found but refused: not a shared object, truncated, no entry
    /// symbol, ABI or fingerprint mismatch, invalid manifest, duplicate plugin id.
    case pluginRejected = 67
    /// Market data files could not be used (missing, unreadable, wrong header, malformed row).
    case invalidData = 68
    /// The database or data directory could not be used.
    case storageFailure = 74

    public var meaning: String {
        switch self {
        case .ok: "success (including a clean shutdown on SIGINT/SIGTERM)"
        case .runtimeFailure: "a plugin failed to create/start, or the run failed"
        case .usage: "bad command-line usage"
        case .invalidConfig: "invalid configuration file"
        case .pluginNotFound: "plugin file not found"
        case .pluginRejected: "plugin file refused (not a plugin, corrupt, ABI/fingerprint mismatch, invalid manifest)"
        case .invalidData: "market data files unusable (missing, unreadable, wrong header, malformed row)"
        case .storageFailure: "database or data directory unusable"
        }
    }
}

/// An error the CLI prints as it is (it already names file, problem and fix) before
/// exiting with `exit`.
struct HostFailure: Error, CustomStringConvertible {
    var exit: HostExit
    var message: String
    var description: String { message }
}

/// Runs a command body, printing a `HostFailure`'s message and exiting with its code.
func reportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as HostFailure {
        FileHandle.standardError.write(Data((failure.message + "\n").utf8))
        throw ExitCode(failure.exit.rawValue)
    }
}

/// `reportingFailures` for async command bodies.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as HostFailure {
        FileHandle.standardError.write(Data((failure.message + "\n").utf8))
        throw ExitCode(failure.exit.rawValue)
    }
}
