import ArgumentParser
import Foundation
import HostCore
import HostPersistence
import Logging

/// `host kill-switch`: halts (or releases) trading across runs. The state lives in the
/// database's `risk_state` table, which every run reads before its plugins start; a host
/// running on the same data directory is told at once through SIGUSR1 — only a process
/// proven to hold that directory's writer lock (`<data_dir>/host.lock`) is ever signalled.
struct KillSwitchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kill-switch",
        abstract: "Engage, release or show the kill switch and trading states stored in the database.",
        discussion: """
        engage   halts all trading now (a running host cancels working orders) and at every later start
        release  lets the next run trade again (a running host stays halted until restarted);
                 with --instance, resets that instance's persisted state (e.g. HALTED by the daily loss limit)
        status   prints the stored states
        """)

    enum Action: String, ExpressibleByArgument, CaseIterable { case engage, release, status }

    @Argument(help: "engage, release or status")
    var action: Action

    @Option(name: .long, help: "Data directory holding host.sqlite.")
    var dataDir = "./data"

    @Option(name: .long, help: "Why (stored with the state and shown in alerts).")
    var reason = "operator command"

    @Option(name: .long, help: "An instance id instead of the whole host (release only).")
    var instance: String?

    @Flag(name: .long, help: "Print status as JSON.")
    var json = false

    func validate() throws {
        if instance != nil && action != .release { throw ValidationError("--instance applies to release only") }
    }

    func run() throws {
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("host.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("error: no database at \(path); pass --data-dir with the directory a run used\n".utf8))
            throw ExitCode(HostExit.storageFailure.rawValue)
        }
        let journal: SQLiteJournal
        do {
            journal = try SQLiteJournal(path: path, logger: Logger(label: "tsh.persistence", factory: { _ in SwiftLogNoOpLogHandler() }))
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(HostExit.storageFailure.rawValue)
        }
        defer { journal.close() }
        let now = WallClock().now()
        do {
            switch action {
            case .engage:
                try journal.setKillSwitch(engaged: true, reason: reason, at: now)
                let signaled = Self.signalRunningHost(dataDir: dataDir)
                print("kill switch ENGAGED (\(reason))" + (signaled.map { "; running host pid \($0) halted" } ?? "; no running host found"))
            case .release:
                if let instance {
                    let known = try journal.knownInstanceIDs()
                    guard known.contains(instance) else {
                        FileHandle.standardError.write(Data("error: no instance '\(instance)' in \(path); it knows: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))\nfix: pass one of those ids with --instance\n".utf8))
                        throw ExitCode(HostExit.usage.rawValue)
                    }
                    try journal.setTradingState(instanceID: instance, state: .active, reason: reason, at: now)
                    print("instance \(instance): trading state reset to ACTIVE for the next run")
                } else {
                    try journal.setKillSwitch(engaged: false, reason: reason, at: now)
                    print("kill switch RELEASED for the next run (a running host stays halted until restarted)")
                }
            case .status:
                let states = try journal.tradingStates()
                if json {
                    let rows = states.map { ["instance_id": $0.instanceID, "state": $0.state.rawValue, "reason": $0.reason, "updated_at": "\($0.updatedAt)"] }
                    let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else if states.isEmpty {
                    print("no stored trading states: everything ACTIVE")
                } else {
                    for s in states { print("\(s.instanceID == "*" ? "host (kill switch)" : "instance \(s.instanceID)"): \(s.state.rawValue) — \(s.reason)") }
                }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(HostExit.storageFailure.rawValue)
        }
    }

    /// Sends SIGUSR1 to the host running on `dataDir`: only a process that holds the data
    /// directory's writer lock and has its lock file open (a stale or reused pid never gets it).
    static func signalRunningHost(dataDir: String) -> Int32? {
        guard let pid = DataDirectoryLock.runningHost(dataDirectory: dataDir) else { return nil }
        return kill(pid, SIGUSR1) == 0 ? pid : nil
    }
}
