import Binance
import Foundation
import HostCore
import Synchronization
import Testing

/// Helpers shared by the stream, book and replay tests (namespaced: other test files of this
/// target define their own).
enum StreamTestSupport {
    /// Parses one frame with a fresh parser.
    static func parseOne(_ frame: String) throws -> BinanceStreamMessage? {
        var parser = BinanceStreamParser()
        return try parser.parse(frame)
    }

    /// The elements of a JSON-array fixture, each re-serialised as one compact frame.
    static func fixtureFrames(_ name: String) throws -> [String] {
        let value = try JSONSerialization.jsonObject(with: Data(try Fixtures.text(name).utf8))
        let elements = (value as? [Any]) ?? [value]
        return try elements.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
    }

    /// The frames of the cryptofeed capture (`<ts>: <json>` lines after the URL line).
    static func cryptofeedFrames() throws -> [String] {
        try Fixtures.lines("cryptofeed_ws_combined_capture_2021-10-12.txt").dropFirst().map { line in
            let range = try #require(line.range(of: ": "))
            return String(line[range.upperBound...])
        }
    }

    /// The byte offset of the first occurrence of `needle` in `text`.
    static func byteOffset(of needle: String, in text: String) -> Int? {
        guard let range = text.range(of: needle) else { return nil }
        return text.utf8.distance(from: text.startIndex, to: range.lowerBound)
    }

    /// Thread-safe list of what callbacks received.
    final class Recorder<Element: Sendable>: Sendable {
        private let items = Mutex<[Element]>([])
        func append(_ item: Element) { items.withLock { $0.append(item) } }
        func append(contentsOf more: [Element]) { items.withLock { $0.append(contentsOf: more) } }
        var all: [Element] { items.withLock { $0 } }
        var count: Int { items.withLock { $0.count } }
    }

    /// Polls `condition` every 10 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(15), _ condition: @Sendable () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}

extension BinanceStreamMessage {
    var depthUpdate: BinanceDepthUpdate? { if case .depthUpdate(let m) = self { m } else { nil } }
    var bookTicker: BinanceBookTicker? { if case .bookTicker(let m) = self { m } else { nil } }
    var trade: BinanceTrade? { if case .trade(let m) = self { m } else { nil } }
    var aggTrade: BinanceAggTrade? { if case .aggTrade(let m) = self { m } else { nil } }
    var kline: BinanceKline? { if case .kline(let m) = self { m } else { nil } }
    var partialDepth: BinancePartialDepth? { if case .partialDepth(let m) = self { m } else { nil } }
    var response: BinanceControlResponse? { if case .response(let m) = self { m } else { nil } }
    var controlError: BinanceControlError? { if case .error(let m) = self { m } else { nil } }
    var unknownKind: String? { if case .unknown(let kind) = self { kind } else { nil } }
}
