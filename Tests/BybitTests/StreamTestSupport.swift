import Bybit
import Foundation
import HostCore
import Synchronization
import VenueKit

/// Helpers for the stream, book and frame tests (namespaced: the REST and fake tests share the target).
enum StreamTest {
    static func fx(_ text: String) -> Fixed8 { Fixed8(parsing: text)! }

    static func parse(_ text: String) throws(StreamParseError) -> BybitStreamMessage {
        var parser = BybitFrameParser()
        return try parser.parse(text)
    }

    /// The exact text of each element of a fixture holding one JSON array of messages.
    static func arrayElements(_ name: String) throws -> [String] {
        let bytes = Array(try Fixtures.text(name).utf8)
        return try bytes.withUnsafeBytes { raw throws -> [String] in
            var s = JSONScanner(raw)
            var out: [String] = []
            try s.beginArray()
            var first = true
            while try s.nextElement(&first) {
                let start = s.pos
                try s.skipValue()
                out.append(String(decoding: raw[start..<s.pos], as: UTF8.self))
            }
            return out
        }
    }

    /// The messages of the 500-level linear recording, one per line.
    static func orderbook500() throws -> [String] { try Fixtures.lines("ws_orderbook500_XRPUSDT_linear_2024-12-01.jsonl") }

    static func orderbook(_ message: BybitStreamMessage) -> BybitStreamMessage.Orderbook? {
        if case .orderbook(let book) = message { book } else { nil }
    }

    /// A compact orderbook frame.
    static func bookFrame(_ type: String, u: Int64, seq: Int64? = nil, depth: Int = 50, symbol: String = "BTCUSDT", ts: Int64 = 1_700_000_000_000,
                          bids: [(String, String)] = [], asks: [(String, String)] = []) -> String {
        func levels(_ l: [(String, String)]) -> String { "[" + l.map { "[\"\($0.0)\",\"\($0.1)\"]" }.joined(separator: ",") + "]" }
        return "{\"topic\":\"orderbook.\(depth).\(symbol)\",\"type\":\"\(type)\",\"ts\":\(ts),\"data\":{\"s\":\"\(symbol)\",\"b\":\(levels(bids)),"
            + "\"a\":\(levels(asks)),\"u\":\(u),\"seq\":\(seq ?? u * 10)},\"cts\":\(ts - 2)}"
    }
}

/// Thread-safe list of what callbacks received.
final class StreamRecorder<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])
    func append(_ item: Element) { items.withLock { $0.append(item) } }
    func append(contentsOf more: [Element]) { items.withLock { $0.append(contentsOf: more) } }
    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes (no timing is asserted).
func streamEventually(timeout: Duration = .seconds(15), _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
