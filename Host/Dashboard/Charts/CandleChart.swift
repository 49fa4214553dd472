import Foundation

/// Candles of one symbol and timeframe as server-rendered SVG, with iceberg levels and walls
/// as horizontal lines and the cumulative volume delta (CVD) of trades beneath, in all and per
/// cohort (whale, dolphin, minnow: SIGNALS.md §4, by each trade's notional). At most the
/// last `maxCandles` are drawn (a day of 1m candles is 1,440: one path per colour keeps the
/// SVG a few hundred kilobytes at most).
struct CandleChart {
    struct Level {
        enum Kind { case iceberg, wall }
        var price: Double
        var kind: Kind
        var label: String
    }

    var symbol: String
    var timeframe: String
    var candles: [CandleSeries.Candle]
    var levels: [Level]
    var width = 900.0
    var height = 420.0
    var maxCandles = 1_440

    static func cohortColor(_ cohort: CandleSeries.Cohort) -> String {
        switch cohort { case .whale: "#7b3fb5"; case .dolphin: "#0f8b8d"; case .minnow: "#8a8f98" }
    }

    func svg() -> String {
        let shown = candles.suffix(maxCandles)
        let (left, right, top) = (10.0, 80.0, 16.0)
        let priceBottom = height * 0.72
        let cvdTop = priceBottom + 18
        let cvdBottom = height - 20
        let f = SVG.f
        var out = ["<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Candles of \(SVG.escape(symbol)) \(SVG.escape(timeframe))\">",
                   "<text x=\"\(f(left))\" y=\"12\" font-size=\"12\" font-weight=\"bold\">\(SVG.escape(symbol)) · \(SVG.escape(timeframe))</text>"]
        guard !shown.isEmpty else {
            out.append("<text x=\"\(f(width / 2))\" y=\"\(f(height / 2))\" text-anchor=\"middle\" font-size=\"13\" fill=\"#888\">No prices yet</text>")
            out.append("</svg>")
            return out.joined(separator: "\n")
        }
        let visibleLevels = levels.filter(\.price.isFinite)
        var low = shown.map(\.low).min()!
        var high = shown.map(\.high).max()!
        // Levels within 5 % of the range widen it; farther ones would flatten the candles.
        let pad = max((high - low) * 0.05, abs(high) * 1e-6, 1e-9)
        for level in visibleLevels where level.price > low - 20 * pad && level.price < high + 20 * pad {
            low = min(low, level.price)
            high = max(high, level.price)
        }
        low -= pad
        high += pad
        let plotWidth = width - left - right
        let step = plotWidth / Double(shown.count)
        let body = max(1, step * 0.7)
        func x(_ i: Int) -> Double { left + (Double(i) + 0.5) * step }
        func y(_ p: Double) -> Double { top + (high - p) / (high - low) * (priceBottom - top) }
        var up = "", down = "", wicks = ""
        for (i, c) in shown.enumerated() {
            let cx = x(i)
            wicks += "M\(f(cx)) \(f(y(c.high)))V\(f(y(c.low)))"
            let (yo, yc) = (y(c.open), y(c.close))
            let rect = "M\(f(cx - body / 2)) \(f(min(yo, yc)))h\(f(body))v\(f(max(0.8, abs(yc - yo))))h\(f(-body))z"
            if c.close >= c.open { up += rect } else { down += rect }
        }
        out += [
            "<line x1=\"\(f(left))\" y1=\"\(f(priceBottom))\" x2=\"\(f(width - right))\" y2=\"\(f(priceBottom))\" stroke=\"#ccc\"/>",
            "<path class=\"wicks\" d=\"\(wicks)\" stroke=\"#666\" stroke-width=\"1\" fill=\"none\"/>",
            "<path class=\"candles-up\" d=\"\(up)\" fill=\"#17803d\"/>",
            "<path class=\"candles-down\" d=\"\(down)\" fill=\"#c0262d\"/>",
        ]
        for tick in 0...4 {
            let p = low + (high - low) * Double(tick) / 4
            out.append("<text x=\"\(f(width - right + 4))\" y=\"\(f(y(p) + 4))\" font-size=\"10\" fill=\"#555\">\(SVG.price(p))</text>")
        }
        for level in visibleLevels where level.price >= low && level.price <= high {
            let color = level.kind == .iceberg ? "#7b3fb5" : "#d08a00"
            out.append("<line class=\"\(level.kind == .iceberg ? "iceberg" : "wall")\" x1=\"\(f(left))\" y1=\"\(f(y(level.price)))\" x2=\"\(f(width - right))\" y2=\"\(f(y(level.price)))\" stroke=\"\(color)\" stroke-dasharray=\"6 3\"><title>\(SVG.escape(level.label)) \(SVG.price(level.price))</title></line>")
        }
        // CVD: running sums of the candles' volume deltas, in all and per cohort (one scale).
        let cohorts = CandleSeries.Cohort.allCases
        var cvd: [Double] = [], cohortCVD = [[Double]](repeating: [], count: cohorts.count)
        var sum = 0.0, sums = [Double](repeating: 0, count: cohorts.count)
        for c in shown {
            sum += c.delta
            cvd.append(sum)
            for cohort in cohorts {
                sums[cohort.rawValue] += c.delta(of: cohort)
                cohortCVD[cohort.rawValue].append(sums[cohort.rawValue])
            }
        }
        let all = cvd + cohortCVD.joined()
        let (cvdLow, cvdHigh) = (min(0, all.min()!), max(0, all.max()!))
        let cvdSpan = cvdHigh > cvdLow ? cvdHigh - cvdLow : 1
        func cy(_ v: Double) -> Double { cvdTop + (cvdHigh - v) / cvdSpan * (cvdBottom - cvdTop) }
        func points(_ series: [Double]) -> String { series.indices.map { "\(f(x($0))),\(f(cy(series[$0])))" }.joined(separator: " ") }
        out.append("<text x=\"\(f(left))\" y=\"\(f(cvdTop - 4))\" font-size=\"10\" fill=\"#555\">CVD (trades: buys − sells)</text>")
        var legendX = left + 160
        for (name, color) in [("all", "#2660a4")] + cohorts.map({ ($0.name, Self.cohortColor($0)) }) {
            out.append("<text class=\"cvd-legend\" x=\"\(f(legendX))\" y=\"\(f(cvdTop - 4))\" font-size=\"10\" fill=\"\(color)\">— \(name)</text>")
            legendX += 70
        }
        out.append("<line x1=\"\(f(left))\" y1=\"\(f(cy(0)))\" x2=\"\(f(width - right))\" y2=\"\(f(cy(0)))\" stroke=\"#bbb\" stroke-dasharray=\"3 3\"/>")
        for cohort in cohorts {
            out.append("<polyline class=\"cvd-\(cohort.name)\" fill=\"none\" stroke=\"\(Self.cohortColor(cohort))\" stroke-width=\"1\" points=\"\(points(cohortCVD[cohort.rawValue]))\"/>")
        }
        out.append("<polyline class=\"cvd\" fill=\"none\" stroke=\"#2660a4\" stroke-width=\"1.5\" points=\"\(points(cvd))\"/>")
        let first = shown.first!.time, last = shown.last!.time
        out.append("<text x=\"\(f(left))\" y=\"\(f(height - 4))\" font-size=\"10\" fill=\"#555\">\(UTCTime.display(first)) UTC</text>")
        out.append("<text x=\"\(f(width - right))\" y=\"\(f(height - 4))\" text-anchor=\"end\" font-size=\"10\" fill=\"#555\">\(UTCTime.display(last)) UTC</text>")
        out.append("</svg>")
        return out.joined(separator: "\n")
    }
}
