import Foundation
import HostCore

/// Stream rows on local disk while the store cannot take them: one file per spill, named by a
/// zero-padded number so files replay in the order they were written. The first line `I` and the
/// batch's id (written again, the store skips a batch it has committed), then a line per row:
/// `B|T|D` then the fields, tab-separated (COPY-like, exact decimals as text).
public struct Spool: Sendable {
    public let directory: URL

    /// Opens (creating) the directory and checks it is writable; an error says which and how to fix it.
    public init(directory: URL) throws(StoreError) {
        self.directory = directory
        let probe = directory.appendingPathComponent(".probe-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw StoreError("the spool directory \(directory.path) is not writable: \(error.localizedDescription)",
                             fix: "give --spool-dir a writable directory (rows wait there while the store is unreachable)")
        }
    }

    /// Spill files left by an earlier run (a crash while the store was down), oldest first.
    public func files() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("spool-") && $0.hasSuffix(".tsv") }.sorted().map { directory.appendingPathComponent($0) }
    }

    /// Writes a batch to a new file after the existing ones (atomically: a crash leaves no half file).
    public func write(_ batch: IngestBatch, number: Int) throws(StoreError) -> URL {
        var text = ""
        text.reserveCapacity(batch.count * 64)
        if let id = batch.id { text += "I\t\(id)\n" }
        for r in batch.tickers {
            text += "B\t\(r.venue)\t\(r.symbol)\t\(r.time)\t\(r.sequence)\t\(r.bidPrice)\t\(r.bidSize)\t\(r.askPrice)\t\(r.askSize)\n"
        }
        for r in batch.trades {
            text += "T\t\(r.venue)\t\(r.symbol)\t\(r.time)\t\(r.tradeID)\t\(r.price)\t\(r.amount)\t\(r.side ?? "")\n"
        }
        for r in batch.depth {
            text += "D\t\(r.venue)\t\(r.symbol)\t\(r.time)\t\(r.updateID)\t\(r.isSnapshot ? 1 : 0)\t\(Self.levels(r.bids))\t\(Self.levels(r.asks))\n"
        }
        let url = directory.appendingPathComponent(String(format: "spool-%012d.tsv", number))
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw StoreError("cannot write \(url.path): \(error.localizedDescription)", fix: "free disk space or fix the spool directory's permissions")
        }
        return url
    }

    /// The rows of a spill file.
    public func read(_ url: URL) throws(StoreError) -> IngestBatch {
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw StoreError("cannot read the spool file \(url.path): \(error.localizedDescription)")
        }
        var batch = IngestBatch()
        for (number, line) in text.split(separator: "\n").enumerated() {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func fx(_ i: Int) throws(StoreError) -> Fixed8 {
                guard i < f.count, let v = Fixed8(parsing: f[i]) else { throw StoreError("\(url.path):\(number + 1): field \(i + 1) is not a decimal") }
                return v
            }
            func int(_ i: Int) throws(StoreError) -> Int64 {
                guard i < f.count, let v = Int64(f[i]) else { throw StoreError("\(url.path):\(number + 1): field \(i + 1) is not an integer") }
                return v
            }
            switch f.first {
            case "I" where f.count == 2 && number == 0:
                batch.id = f[1]
            case "B" where f.count == 9:
                batch.tickers.append(BookTickerRow(venue: f[1], symbol: f[2], time: try int(3), sequence: try int(4), bidPrice: try fx(5),
                                                   bidSize: try fx(6), askPrice: try fx(7), askSize: try fx(8)))
            case "T" where f.count == 8:
                batch.trades.append(TradeRow(venue: f[1], symbol: f[2], time: try int(3), tradeID: try int(4), price: try fx(5), amount: try fx(6),
                                             side: f[7].isEmpty ? nil : f[7]))
            case "D" where f.count == 8:
                batch.depth.append(DepthEventRow(venue: f[1], symbol: f[2], time: try int(3), updateID: try int(4), isSnapshot: f[5] == "1",
                                                 bids: try Self.parseLevels(f[6], url, number), asks: try Self.parseLevels(f[7], url, number)))
            default:
                throw StoreError("\(url.path):\(number + 1): not a spooled row", fix: "the file was edited by hand; restore or remove it")
            }
        }
        return batch
    }

    static func levels(_ levels: [(price: Fixed8, size: Fixed8)]) -> String {
        levels.map { "\($0.price):\($0.size)" }.joined(separator: ",")
    }

    static func parseLevels(_ text: String, _ url: URL, _ line: Int) throws(StoreError) -> [(price: Fixed8, size: Fixed8)] {
        guard !text.isEmpty else { return [] }
        var out: [(price: Fixed8, size: Fixed8)] = []
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let p = Fixed8(parsing: parts[0]), let s = Fixed8(parsing: parts[1]) else {
                throw StoreError("\(url.path):\(line + 1): a level is not price:size")
            }
            out.append((p, s))
        }
        return out
    }
}
