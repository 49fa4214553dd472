import Foundation
import HostCore
@testable import HostPersistence
import Testing

/// Simulated sessions: the engine thread waits for a writer that is behind, and never
/// sees `isOverloaded` turn on for a backlog.
struct BackpressureTests {
    @Test("with backpressure the producer waits for a slow writer instead of overloading, and every row is stored")
    func producerWaitsForSlowWriter() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, maxPendingRows: 10, batchSize: 4, slowdownMicros: 300)
            defer { journal.close() }
            journal.useBackpressure()
            var most = 0
            for id in 1...200 {
                journal.orderUpdated(fill(UInt64(id), time: Int64(id)), instanceID: "a", mode: .paper)
                most = max(most, journal.pendingRows)
                #expect(!journal.isOverloaded)
            }
            try journal.flush()
            #expect(most <= 11)
            #expect(try journal.orderEventCount() == 200)
            #expect(journal.backpressure.waits > 0)
            #expect(journal.backpressure.seconds > 0)
        }
    }

    @Test("without backpressure the same backlog turns isOverloaded on and the producer never waits")
    func haltPolicyOverloads() throws {
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, maxPendingRows: 10, batchSize: 4, slowdownMicros: 300)
            defer { journal.close() }
            var overloaded = false
            for id in 1...200 {
                journal.orderUpdated(fill(UInt64(id), time: Int64(id)), instanceID: "a", mode: .paper)
                overloaded = overloaded || journal.isOverloaded
            }
            #expect(overloaded)
            #expect(journal.backpressure.waits == 0)
            try journal.flush()
            #expect(try journal.orderEventCount() == 200)
        }
    }

    @Test("with backpressure a failing writer lets the waiting producer go on and reports the failure")
    func failingWriterReleasesProducer() throws {
        let gate = writeGateMigration
        try withTemporaryDatabase { path in
            let journal = try openJournal(path, maxPendingRows: 2, extraMigrations: [(id: "v9_test_gate", sql: gate)])
            defer { journal.close() }
            journal.useBackpressure()
            for id in 1...20 { journal.orderUpdated(fill(UInt64(id)), instanceID: "a", mode: .paper) }
            #expect(journal.failure != nil)
            #expect(journal.pendingRows == 20)
            try journal.execute("UPDATE test_gate SET closed = 0")
            try journal.flush()
            #expect(try journal.orderEventCount() == 20)
        }
    }
}
