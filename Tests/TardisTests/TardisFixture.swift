import CZlib
import Foundation
import HostCore
import HostFeeds

/// A temporary directory of Tardis files written by a test; `remove()` deletes it.
struct TardisFixture {
    let directory: String

    static let quotesHeader = "exchange,symbol,timestamp,local_timestamp,ask_amount,ask_price,bid_price,bid_amount"
    static let tradesHeader = "exchange,symbol,timestamp,local_timestamp,id,side,price,amount"
    static let bookHeader = "exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount"

    init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tardis-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Writes `lines` joined by LF (with a final LF) as `name`; gzipped when the name ends in `.gz`.
    @discardableResult
    func write(_ name: String, _ lines: [String]) -> String {
        let text = lines.joined(separator: "\n") + "\n"
        let target = path(name)
        if name.hasSuffix(".gz") {
            Self.gzip(Array(text.utf8), to: target)
        } else {
            FileManager.default.createFile(atPath: target, contents: Data(text.utf8))
        }
        return target
    }

    /// Writes real (compressed) gzip members with zlib; `members` > 1 splits the bytes.
    static func gzip(_ bytes: [UInt8], to path: String, members: Int = 1) {
        let size = (bytes.count + members - 1) / max(members, 1)
        for (i, start) in stride(from: 0, to: max(bytes.count, 1), by: max(size, 1)).enumerated() {
            let file = gzopen(path, i == 0 ? "wb9" : "ab9")!
            let chunk = Array(bytes[start..<min(start + size, bytes.count)])
            _ = chunk.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
            gzclose(file)
        }
    }

    /// The data set of the directory, or the error opening it.
    func open(_ options: TardisOptions = TardisOptions()) throws(TardisError) -> TardisDataSet {
        try TardisDataSet(directory: directory, options: options)
    }
}

/// Every event of a source, until nil.
func drain(_ source: inout some MarketEventSource) -> [MarketEvent] {
    var events: [MarketEvent] = []
    while let event = source.next() { events.append(event) }
    return events
}

/// Microseconds after 2024-01-01 00:00:00 UTC as written in the files, and the same in ns.
let dayStart: Int64 = 1_704_067_200_000_000
func us(_ offset: Int64) -> String { String(dayStart + offset) }
func ns(_ offset: Int64) -> Int64 { (dayStart + offset) * 1_000 }

func fixed(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

extension MarketEvent {
    var bookDelta: BookDelta? {
        if case .bookDelta(let delta) = self { return delta }
        return nil
    }
}

enum FileManagerWriter {
    static func write(_ text: String, to path: String) {
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    static func size(of path: String) throws -> Int64 {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? -1
    }
}
