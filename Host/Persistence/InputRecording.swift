import CZlib
import Foundation
import HostCore

/// Recorded inputs as stored in `input_events.data`: the `tsh-input-v1` encoding of a
/// block, deflated (zlib, level 1), prefixed with the encoded length (8 bytes, little-endian).
enum InputRecording {
    static let storedEncoding = InputCodec.encoding + "+deflate"

    struct Corrupt: Error, CustomStringConvertible {
        var message: String
        var description: String { "recorded input block is corrupt: \(message)" }
    }

    static func pack(_ block: RecordedBlock) -> [UInt8] {
        let raw = InputCodec.encode(block)
        var bound = compressBound(uLong(raw.count))
        var out = [UInt8](repeating: 0, count: 8 + Int(bound))
        withUnsafeBytes(of: UInt64(raw.count).littleEndian) { out.replaceSubrange(0..<8, with: $0) }
        let status = out.withUnsafeMutableBufferPointer { dest in
            raw.withUnsafeBufferPointer { src in
                compress2(dest.baseAddress! + 8, &bound, src.baseAddress, uLong(raw.count), 1)
            }
        }
        precondition(status == Z_OK, "zlib compress2 failed with \(status) on a buffer sized by compressBound")
        out.removeLast(out.count - 8 - Int(bound))
        return out
    }

    static func unpack(_ data: [UInt8]) throws -> RecordedBlock {
        guard data.count >= 8 else { throw Corrupt(message: "\(data.count) bytes, shorter than its header") }
        var size: UInt64 = 0
        for i in 0..<8 { size |= UInt64(data[i]) << (8 * UInt64(i)) }
        guard size <= 1 << 34 else { throw Corrupt(message: "claims \(size) bytes") }
        var raw = [UInt8](repeating: 0, count: Int(size))
        var length = uLong(size)
        let status = raw.withUnsafeMutableBufferPointer { dest in
            data.withUnsafeBufferPointer { src in
                uncompress(dest.baseAddress, &length, src.baseAddress! + 8, uLong(data.count - 8))
            }
        }
        guard status == Z_OK, length == uLong(size) else { throw Corrupt(message: "zlib status \(status), \(length) of \(size) bytes") }
        return try InputCodec.decode(raw)
    }
}

/// Records a session's inputs: buffers what the engine hands it (a memory copy per event)
/// and passes full blocks to the journal's writer thread, which encodes, compresses and
/// stores them in `input_events`.
///
/// - Important: `record` is called on the engine thread only; call `finish()` after the
///   engine stopped and before the journal flushes.
public final class SessionRecorder: InputRecorder, @unchecked Sendable {
    // @unchecked: all state is confined to the engine thread (then to the caller of finish()).
    private let journal: SQLiteJournal
    private let blockSize: Int
    private var block: RecordedBlock
    private var nextSeq: UInt64 = 0

    /// - Parameter blockSize: Inputs per stored block.
    public init(journal: SQLiteJournal, blockSize: Int = 65_536) {
        self.journal = journal
        self.blockSize = max(1, blockSize)
        block = RecordedBlock(firstSeq: 0)
        block.events.reserveCapacity(self.blockSize)
    }

    /// Inputs recorded so far.
    public var recorded: UInt64 { nextSeq + UInt64(block.count) }

    public func record(_ events: UnsafeBufferPointer<MarketEvent>) {
        var rest = events[...]
        while !rest.isEmpty {
            let room = blockSize - block.count
            let piece = rest.prefix(room)
            block.events.append(contentsOf: UnsafeBufferPointer(rebasing: piece))
            rest = rest.dropFirst(piece.count)
            if block.count >= blockSize { handOff() }
        }
    }

    public func record(_ control: EngineInput) {
        block.controls.append(RecordedControl(position: block.events.count, input: control))
        if block.count >= blockSize { handOff() }
    }

    /// Hands the last partial block to the journal.
    public func finish() { handOff() }

    private func handOff() {
        guard block.count > 0 else { return }
        journal.inputBlock(block)
        nextSeq += UInt64(block.count)
        block = RecordedBlock(firstSeq: nextSeq)
        block.events.reserveCapacity(blockSize)
    }
}

/// Instruments as JSON text in the session manifest (exact decimals as strings).
enum InstrumentsText {
    static func encode(_ instruments: [Instrument]) -> String {
        let rows: [[String: String]] = instruments.map {
            ["symbol": $0.symbol, "venue": $0.venue, "base": $0.baseAsset, "quote": $0.quoteAsset, "tick_size": "\($0.tickSize)",
             "lot_size": "\($0.lotSize)", "min_size": "\($0.minSize)", "min_notional": "\($0.minNotional)", "minimums": $0.minimums.rawValue]
        }
        guard let data = try? JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String) -> [Instrument]? {
        guard let rows = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: String]] else { return nil }
        let posix = Locale(identifier: "en_US_POSIX")
        func dec(_ row: [String: String], _ key: String) -> Decimal? { row[key].flatMap { Decimal(string: $0, locale: posix) } }
        var result: [Instrument] = []
        for row in rows {
            guard let symbol = row["symbol"], let venue = row["venue"], let base = row["base"], let quote = row["quote"],
                  let tick = dec(row, "tick_size"), let lot = dec(row, "lot_size"), let minSize = dec(row, "min_size"),
                  let minNotional = dec(row, "min_notional") else { return nil }
            result.append(Instrument(symbol: symbol, venue: venue, baseAsset: base, quoteAsset: quote, tickSize: tick, lotSize: lot,
                                     minSize: minSize, minNotional: minNotional,
                                     minimums: Instrument.Minimums(rawValue: row["minimums"] ?? "all") ?? .all))
        }
        return result
    }
}
