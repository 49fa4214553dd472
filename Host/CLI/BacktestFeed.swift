import Foundation
import HostCore
import HostEngine
import HostFeeds
import HostPersistence

/// Feeds a Tardis data set through an engine on the simulated clock: the one path of
/// `host backtest` and of `host replay` of a backtest, so both see the same events in the
/// same order. Parsing runs on the data set's producer thread; batches are handed to the
/// engine in place.
struct BacktestFeed {
    struct Outcome {
        var statistics: TardisStatistics
        /// Why the data ended early (a malformed row, an unreadable file), if it did.
        var dataFailure: TardisError?
        /// A database write failed meanwhile: the run stopped there.
        var storageFailure: PersistenceError?
        /// Wall time of the feed loop (parse thread + engine), seconds.
        var seconds: Double
    }

    /// What a progress line needs: rows so far, ns since the start, bytes read, bytes in all.
    typealias Progress = (_ rows: Int64, _ elapsed: Int64, _ read: Int64, _ total: Int64) -> Void

    static func run(_ dataSet: TardisDataSet, engine: Engine, journal: SQLiteJournal, totalBytes: Int64,
                    progress: Progress?) -> Outcome {
        var replay = dataSet.threadedReplay()
        let start = monotonicNanos()
        var lastProgress = start
        var rows: Int64 = 0
        var storageFailure: PersistenceError?
        while replay.nextBatch({ events in
            engine.process(events)
            rows += Int64(events.count)
        }) {
            // A failing disk stops a simulated run here (a live one halts trading instead).
            if let failure = journal.failure {
                storageFailure = failure
                break
            }
            if let progress {
                let now = monotonicNanos()
                if now - lastProgress >= 500_000_000 {
                    lastProgress = now
                    progress(rows, now - start, replay.statistics.bytesRead, totalBytes)
                }
            }
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        return Outcome(statistics: replay.statistics, dataFailure: replay.failure, storageFailure: storageFailure, seconds: seconds)
    }

    /// The manifest a backtest records before it starts: the files it will read, with sizes.
    static func manifest(_ dataSet: TardisDataSet) -> RecordedDataFiles {
        let options = dataSet.options
        return RecordedDataFiles(
            directory: dataSet.directory, symbols: options.symbols.map { $0.sorted() },
            dataTypes: options.dataTypes.map { $0.map(\.rawValue).sorted() }, from: options.from, to: options.to,
            skipMalformed: options.skipMalformed,
            files: dataSet.files.map { RecordedDataFiles.File(path: $0.path, size: fileSize($0.path) ?? -1) })
    }

    /// The manifest with what the run read of each file: bytes, XXH3-64 digest, rows.
    static func completed(_ manifest: RecordedDataFiles, with statistics: TardisStatistics) -> RecordedDataFiles {
        var result = manifest
        let byPath = Dictionary(statistics.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for index in result.files.indices {
            let read = byPath[result.files[index].path] ?? TardisFileStatistics(path: result.files[index].path)
            result.files[index].bytesRead = read.bytesRead
            result.files[index].digest = ContentDigest.hex(read.contentDigest)
            result.files[index].rows = read.rowsRead
        }
        return result
    }

    /// The options a recorded manifest was read with.
    static func options(of manifest: RecordedDataFiles) -> TardisOptions {
        TardisOptions(symbols: manifest.symbols.map(Set.init), dataTypes: manifest.dataTypes.map { Set($0.compactMap(TardisDataType.init(rawValue:))) },
                      from: manifest.from, to: manifest.to, skipMalformed: manifest.skipMalformed)
    }

    /// The size of the file at `path` (following links), by stat(2): Foundation's attribute
    /// lookup cost a backtest about a millisecond a file at its start.
    static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Differences between the files a session recorded and those on disk now (before reading).
    static func fileDifferences(recorded: RecordedDataFiles, now: TardisDataSet) -> [String] {
        var differences: [String] = []
        let current = Set(now.files.map(\.path))
        let before = Set(recorded.files.map(\.path))
        for path in before.subtracting(current).sorted() { differences.append("data file \(path) is missing") }
        for path in current.subtracting(before).sorted() { differences.append("data file \(path) is new since the recording") }
        for file in recorded.files where current.contains(file.path) {
            if let size = fileSize(file.path), size != file.size {
                differences.append("data file \(file.path) changed size (\(file.size) bytes recorded, \(size) now)")
            }
        }
        return differences
    }

    /// Differences between the bytes a session read and those a replay read.
    static func contentDifferences(recorded: RecordedDataFiles, replayed: RecordedDataFiles) -> [String] {
        let now = Dictionary(replayed.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        var differences: [String] = []
        for file in recorded.files {
            guard let digest = file.digest, let other = now[file.path] else { continue }
            if other.bytesRead != file.bytesRead || other.digest != digest {
                differences.append("data file \(file.path) changed since the recording (read \(file.bytesRead ?? 0) bytes with XXH3 \(digest); "
                    + "now \(other.bytesRead ?? 0) bytes with XXH3 \(other.digest ?? "?"))")
            }
        }
        return differences
    }
}
