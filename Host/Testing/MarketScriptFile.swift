import Foundation
import HostCore

/// Why a market script file cannot be used: every bad line, with its number.
public struct MarketScriptError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var problems: [String]
    public var description: String {
        "invalid market script \(path) (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
            + "\nfix: correct those lines; the format is in docs/PLUGINS.md (\"Market scripts\")"
    }
}

/// A market script file for `host plugins check --script` and `PluginHarness`: one event a line,
/// `time_ms,symbol,quote,bid,ask[,size]`, `time_ms,symbol,trade,price,size,buy|sell|unknown` or
/// `time_ms,symbol,signal,name,direction,value,confidence`; `#` starts a comment.
public struct MarketScriptFile: Sendable {
    public enum Line: Sendable {
        case quote(ms: Int64, symbol: String, bid: Fixed8, ask: Fixed8, size: Fixed8)
        case trade(ms: Int64, symbol: String, price: Fixed8, size: Fixed8, aggressor: Side?)
        case signal(ms: Int64, symbol: String, name: String, direction: Int32, value: Double, confidence: Double)

        public var symbol: String {
            switch self {
            case .quote(_, let s, _, _, _), .trade(_, let s, _, _, _), .signal(_, let s, _, _, _, _): s
            }
        }
    }

    public var lines: [Line] = []

    public init(lines: [Line] = []) { self.lines = lines }

    /// The symbols in order of first appearance.
    public var symbols: [String] {
        var seen: [String] = []
        for line in lines where !seen.contains(line.symbol) { seen.append(line.symbol) }
        return seen
    }

    /// Reads and checks the whole file; every bad line is reported at once with its number.
    public static func load(_ path: String) throws(MarketScriptError) -> MarketScriptFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MarketScriptError(path: path, problems: ["\(path): cannot read the file (check the path)"])
        }
        var script = MarketScriptFile()
        var problems: [String] = []
        var lastTime = Int64.min
        for (index, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = raw.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            let number = index + 1
            let f = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            func bad(_ what: String) { problems.append("\(path):\(number): \(what): '\(text)'") }
            guard f.count >= 3, let ms = Int64(f[0]), !f[1].isEmpty else {
                bad("expected time_ms,symbol,type,... with time_ms an integer")
                continue
            }
            guard ms >= lastTime else { bad("time \(ms) ms is earlier than the line before (\(lastTime) ms); lines must be in time order"); continue }
            lastTime = ms
            func decimal(_ i: Int, _ name: String) -> Fixed8? {
                guard i < f.count, let value = Fixed8(parsing: f[i]), value > Fixed8.zero else { bad("\(name) must be a positive decimal"); return nil }
                return value
            }
            switch f[2] {
            case "quote":
                guard f.count == 5 || f.count == 6 else { bad("a quote is time_ms,symbol,quote,bid,ask[,size]"); continue }
                guard let bid = decimal(3, "bid"), let ask = decimal(4, "ask") else { continue }
                guard bid < ask else { bad("bid \(f[3]) is not below ask \(f[4]) (a crossed quote)"); continue }
                let size = f.count == 6 ? decimal(5, "size") : Fixed8(parsing: "10")
                guard let size else { continue }
                script.lines.append(.quote(ms: ms, symbol: f[1], bid: bid, ask: ask, size: size))
            case "trade":
                guard f.count == 6 else { bad("a trade is time_ms,symbol,trade,price,size,buy|sell|unknown"); continue }
                guard let price = decimal(3, "price"), let size = decimal(4, "size") else { continue }
                let side: Side?
                switch f[5] {
                case "buy": side = .buy
                case "sell": side = .sell
                case "unknown", "": side = nil
                default: bad("aggressor must be buy, sell or unknown"); continue
                }
                script.lines.append(.trade(ms: ms, symbol: f[1], price: price, size: size, aggressor: side))
            case "signal":
                guard f.count == 7, !f[3].isEmpty, let direction = Int32(f[4]), let value = Double(f[5]), let confidence = Double(f[6]),
                      value.isFinite, confidence.isFinite else {
                    bad("a signal is time_ms,symbol,signal,name,direction(-1|0|1),value,confidence")
                    continue
                }
                script.lines.append(.signal(ms: ms, symbol: f[1], name: f[3], direction: direction, value: value, confidence: confidence))
            default:
                bad("unknown event type '\(f[2])' (quote, trade or signal)")
            }
        }
        if script.lines.isEmpty && problems.isEmpty { problems.append("\(path): the script has no events") }
        guard problems.isEmpty else { throw MarketScriptError(path: path, problems: problems) }
        return script
    }
}
