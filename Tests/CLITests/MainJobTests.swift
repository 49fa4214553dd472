import Foundation
import GRDB
import Testing

/// The README's main job, `host --strategy last_second.so`, end to end on a short run.
struct MainJobTests {
    @Test("host --strategy last_second.so trades the simulated windows in paper mode and leaves trades and daily stats in SQLite")
    func lastSecondEndToEnd() throws {
        let dir = try HostCommandLineTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("data")
        let outcome = try HostCommandLineTests.run(["--strategy", "last_second.so", "--data-dir", data.path, "--quiet", "--json",
                                                    "--log-level", "error"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(summary["settlements"] as? Int == 64)  // 16 windows × 2 series × 2 tokens
        let instance = try #require((summary["instances"] as? [[String: Any]])?.first)
        #expect(instance["id"] as? String == "last-second")
        #expect((instance["fills"] as? Int ?? 0) > 0)

        let database = try DatabaseQueue(path: data.appendingPathComponent("host.sqlite").path)
        let (entries, settlements, dryRun, days, session) = try database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM fills WHERE reason = 'entry'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM fills WHERE reason = 'settlement'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT MIN(dry_run) FROM fills") ?? 0,
             try Int.fetchOne(db, sql: "SELECT SUM(trades) FROM daily_stats WHERE instance_id = 'last-second' AND mode = 'paper'") ?? 0,
             try String.fetchOne(db, sql: "SELECT exit_status FROM sessions"))
        }
        #expect(entries > 0)
        #expect(settlements > 0)
        #expect(dryRun == 1)
        let fills = try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM fills") ?? 0 }
        #expect(days == fills)
        #expect(session == "ok")
        #expect(instance["fills"] as? Int == fills)
        // Entries are taker fills charged Polymarket's curve: size × 0.07 × p × (1 − p), exactly.
        let entryFees = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT price, size, fee FROM fills WHERE reason = 'entry'").map { row -> (Decimal, Decimal, Decimal) in
                let price: String = row[0], size: String = row[1], fee: String = row[2]
                return (Decimal(string: price)!, Decimal(string: size)!, Decimal(string: fee)!)
            }
        }
        #expect(!entryFees.isEmpty)
        for (price, size, fee) in entryFees {
            #expect(fee == size * Decimal(string: "0.07")! * price * (1 - price), "fee \(fee) for \(size) at \(price)")
        }
    }
}
