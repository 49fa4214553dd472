import ArgumentParser
import Foundation
import HostDashboard
import HostPersistence
import Logging

/// `host report`: the trading report read from the host database. Trades are round trips
/// per (instance, mode, symbol), from the position leaving zero to its return to zero.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarize closed trades from the host database: win rate, PnL, drawdown, breakdowns, equity curve.",
        discussion: """
        A trade opens when an account's position in a symbol leaves zero and closes when it returns to zero; its PnL is the realized PnL of its fills minus their fees, its exit reason the tag of the closing order, its market the symbol without -UP/-DOWN, its time the close time (UTC).

        Examples:
          host report
          host report --data-dir ./data --mode paper --instance follower
          host report --session s-2026-11-21T232921-f81cc2bd --json --no-html
        """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case paper, live }

    @Option(name: .long, help: "Data directory holding host.sqlite.")
    var dataDir = "./data"

    @Option(name: .long, help: "The database file itself (instead of --data-dir).")
    var db: String?

    @Option(name: .long, help: "Only trades closed in this session (default: all sessions).")
    var session: String?

    @Option(name: .long, help: "Only this plugin instance.")
    var instance: String?

    @Option(name: .long, help: "Only paper or only live trading.")
    var mode: Mode?

    @Flag(name: .long, help: "Print the report as one JSON object (decimals as strings).")
    var json = false

    @Option(name: .long, help: "Where to write the HTML equity curve (default: report.html beside the database).")
    var html: String?

    @Flag(name: .customLong("no-html"), help: "Do not write the HTML file.")
    var noHTML = false

    func validate() throws {
        if html != nil && noHTML { throw ValidationError("--html and --no-html cannot be used together") }
    }

    var databasePath: String {
        db ?? URL(fileURLWithPath: dataDir).appendingPathComponent("host.sqlite").path
    }

    var htmlPath: String? {
        if noHTML { return nil }
        return html ?? URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("report.html").path
    }

    func run() throws {
        do {
            print(try execute())
        } catch {
            FileHandle.standardError.write(Data((error.message + "\n").utf8))
            throw ExitCode(error.exit.rawValue)
        }
    }

    /// Reads the database, writes the HTML file (unless `--no-html`) and returns what to print.
    func execute() throws(HostFailure) -> String {
        let path = databasePath
        let report: TradeReport
        do {
            let journal = try SQLiteJournal.openExisting(path: path, logger: Logger(label: "tsh.report", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { journal.close() }
            if let session, try !journal.sessions().contains(where: { $0.info.id == session }) {
                let known = try journal.sessions().suffix(5).map(\.info.id)
                throw HostFailure(exit: .usage, message: "error: \(path): no session '\(session)'\nfix: pass one of the stored sessions"
                    + (known.isEmpty ? " (there are none yet)" : ", e.g. the latest: \(known.reversed().joined(separator: ", "))")
                    + ", or omit --session for all of them")
            }
            report = try TradeReport(journal: journal, filter: .init(sessionID: session, instanceID: instance, mode: mode?.rawValue))
        } catch let failure as HostFailure {
            throw failure
        } catch {
            throw HostFailure(exit: .storageFailure, message: "error: \(error)")
        }
        let written = htmlPath
        if let written {
            do {
                try Data(report.html().utf8).write(to: URL(fileURLWithPath: written), options: .atomic)
            } catch {
                throw HostFailure(exit: .storageFailure, message: "error: cannot write the HTML report to \(written) (\(error.localizedDescription))"
                    + "\nfix: pass --html with a writable path, or --no-html")
            }
        }
        return json ? report.json(htmlPath: written) : report.text(htmlPath: written)
    }
}
