import Foundation

/// The recurring window length of an up/down market series.
public enum UpDownDuration: String, Sendable, Hashable, CaseIterable {
    case m5 = "5m"
    case m15 = "15m"
    case h4 = "4h"
    /// One ET clock hour (slug `bitcoin-up-or-down-{month}-{day}-{year}-{h}{am|pm}-et`).
    case hourly
    /// Noon ET of the previous day to noon ET of the slug's date (slug `bitcoin-up-or-down-on-{month}-{day}-{year}`).
    case daily

    /// Nominal window length; a daily window across a DST change is 23 or 25 hours (see `UpDownSlug.windowEnd`).
    public var seconds: Int64 {
        switch self {
        case .m5: 300
        case .m15: 900
        case .h4: 14_400
        case .hourly: 3600
        case .daily: 86_400
        }
    }
}

/// Builds and parses up/down market slugs and window boundaries.
///
/// 5m/15m/4h: `{asset}-updown-{5m|15m|4h}-{window start unix s}`, start aligned to the interval.
/// Hourly and daily slugs are in US Eastern time and come from observed third-party use, not an
/// official document: prefer discovery through search/series (`GammaClient.currentAndNext`) and
/// use these slugs as a fallback.
public enum UpDownSlug {
    /// US Eastern time, in which hourly and daily windows are named.
    public static let easternTime = TimeZone(identifier: "America/New_York")!

    private static let monthNames = [
        "january", "february", "march", "april", "may", "june",
        "july", "august", "september", "october", "november", "december",
    ]

    private static var eastern: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = easternTime
        return calendar
    }

    /// Long asset name used by hourly/daily slugs (`btc` → `bitcoin`).
    public static func longName(asset: String) -> String {
        switch asset.lowercased() {
        case "btc": "bitcoin"
        case "eth": "ethereum"
        case "sol": "solana"
        case "xrp": "xrp"
        default: asset.lowercased()
        }
    }

    /// Short ticker for a long asset name (`bitcoin` → `btc`).
    public static func ticker(longName: String) -> String {
        switch longName.lowercased() {
        case "bitcoin": "btc"
        case "ethereum": "eth"
        case "solana": "sol"
        default: longName.lowercased()
        }
    }

    /// Start (unix ms) of the window that contains `timeMs`.
    public static func windowStart(duration: UpDownDuration, containing timeMs: Int64) -> Int64 {
        switch duration {
        case .m5, .m15, .h4, .hourly:
            // ET offsets are whole hours, so UTC alignment equals ET alignment for ≤ 1 h; 4h windows are UTC-aligned.
            let period = duration.seconds * 1000
            return floorDiv(timeMs, period) * period
        case .daily:
            let calendar = eastern
            let date = Date(timeIntervalSince1970: Double(timeMs) / 1000)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            let noon = noonMs(calendar: calendar, year: parts.year!, month: parts.month!, day: parts.day!)
            return timeMs >= noon ? noon : shiftDays(calendar: calendar, noonMs: noon, by: -1)
        }
    }

    /// End (unix ms) of the window starting at `windowStartMs`.
    public static func windowEnd(duration: UpDownDuration, windowStartMs: Int64) -> Int64 {
        switch duration {
        case .daily: shiftDays(calendar: eastern, noonMs: windowStartMs, by: 1)
        default: windowStartMs + duration.seconds * 1000
        }
    }

    /// The slug of the window starting at `windowStartMs` (aligned down to the window first).
    public static func slug(asset: String, duration: UpDownDuration, windowStartMs: Int64) -> String {
        let start = windowStart(duration: duration, containing: windowStartMs)
        let calendar = eastern
        switch duration {
        case .m5, .m15, .h4:
            return "\(asset.lowercased())-updown-\(duration.rawValue)-\(start / 1000)"
        case .hourly:
            let parts = calendar.dateComponents([.year, .month, .day, .hour], from: Date(timeIntervalSince1970: Double(start) / 1000))
            let hour24 = parts.hour!
            let hour12 = hour24 % 12 == 0 ? 12 : hour24 % 12
            return "\(longName(asset: asset))-up-or-down-\(monthNames[parts.month! - 1])-\(parts.day!)-\(parts.year!)-\(hour12)\(hour24 < 12 ? "am" : "pm")-et"
        case .daily:
            let end = windowEnd(duration: .daily, windowStartMs: start)
            let parts = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(end) / 1000))
            return "\(longName(asset: asset))-up-or-down-on-\(monthNames[parts.month! - 1])-\(parts.day!)-\(parts.year!)"
        }
    }

    /// Asset ticker, duration and window start of an up/down slug; `nil` for other slugs
    /// (and for year-less hourly/daily slugs, whose window cannot be placed).
    public static func parse(slug: String) -> (asset: String, duration: UpDownDuration, windowStartMs: Int64)? {
        let parts = slug.lowercased().split(separator: "-").map(String.init)
        if parts.count == 4, parts[1] == "updown", let duration = UpDownDuration(rawValue: parts[2]),
           duration != .hourly, duration != .daily, let seconds = Int64(parts[3]) {
            return (parts[0], duration, seconds * 1000)
        }
        let calendar = eastern
        // {name}-up-or-down-on-{month}-{day}-{year}
        if parts.count == 8, parts[1...4] == ["up", "or", "down", "on"], let month = monthNames.firstIndex(of: parts[5]),
           let day = Int(parts[6]), let year = Int(parts[7]) {
            let end = noonMs(calendar: calendar, year: year, month: month + 1, day: day)
            return (ticker(longName: parts[0]), .daily, shiftDays(calendar: calendar, noonMs: end, by: -1))
        }
        // {name}-up-or-down-{month}-{day}-{year}-{h}{am|pm}-et
        if parts.count == 9, parts[1...3] == ["up", "or", "down"], parts[8] == "et", let month = monthNames.firstIndex(of: parts[4]),
           let day = Int(parts[5]), let year = Int(parts[6]) {
            let hourText = parts[7]
            guard hourText.count >= 3, let hour12 = Int(hourText.dropLast(2)), (1...12).contains(hour12) else { return nil }
            let suffix = hourText.suffix(2)
            guard suffix == "am" || suffix == "pm" else { return nil }
            let hour24 = (hour12 % 12) + (suffix == "pm" ? 12 : 0)
            let components = DateComponents(year: year, month: month + 1, day: day, hour: hour24)
            guard let date = calendar.date(from: components) else { return nil }
            return (ticker(longName: parts[0]), .hourly, Int64((date.timeIntervalSince1970 * 1000).rounded()))
        }
        return nil
    }

    private static func noonMs(calendar: Calendar, year: Int, month: Int, day: Int) -> Int64 {
        let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))!
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func shiftDays(calendar: Calendar, noonMs: Int64, by days: Int) -> Int64 {
        let date = calendar.date(byAdding: .day, value: days, to: Date(timeIntervalSince1970: Double(noonMs) / 1000))!
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    private static func floorDiv(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : -((-value + divisor - 1) / divisor)
    }
}
