import Foundation

/// A parsed JSON document. Numbers keep their exact decimal value (the venue sends prices both as
/// numbers and as strings, and accounting is in `Decimal`).
package enum JSONValue: Sendable, Hashable, Decodable {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Decimal.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Parses bytes; `nil` when they are not JSON.
    package static func parse<C: Collection>(_ bytes: C) -> JSONValue? where C.Element == UInt8 {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    package subscript(key: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    package var object: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }

    package var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// A string value; numbers are rendered as their decimal text.
    package var string: String? {
        switch self {
        case .string(let text): text
        case .number(let value): value.description
        default: nil
        }
    }

    /// A string that is present and not empty.
    package var nonEmptyString: String? {
        guard let text = string, !text.isEmpty else { return nil }
        return text
    }

    /// A decimal from a number or a numeric string (`".48"` included); `nil` for `""`.
    package var decimal: Decimal? {
        switch self {
        case .number(let value): return value
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return nil }
            return Decimal(string: trimmed.hasPrefix(".") ? "0" + trimmed : trimmed, locale: Locale(identifier: "en_US_POSIX"))
        default: return nil
        }
    }

    package var int64: Int64? {
        switch self {
        case .number(let value): return Int64(exactly: NSDecimalNumber(decimal: value).doubleValue)
        case .string(let text): return Int64(text)
        default: return nil
        }
    }

    package var bool: Bool? {
        switch self {
        case .bool(let value): value
        case .string(let text): text == "true" ? true : text == "false" ? false : nil
        default: nil
        }
    }

    /// Gamma encodes some arrays as JSON text inside a string (`"[\"Up\", \"Down\"]"`); accepts both forms.
    package var embeddedArray: [JSONValue]? {
        switch self {
        case .array(let items): return items
        case .string(let text): return JSONValue.parse(Array(text.utf8))?.array
        default: return nil
        }
    }
}

/// Parses ISO-8601 UTC timestamps as Gamma writes them (`2026-03-12T09:20:00Z`,
/// `2026-03-11T09:29:01.328428Z`, `+00:00` offsets) into unix milliseconds.
package enum ISO8601Millis {
    package static func parse(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int64? {
            guard start + count <= chars.count else { return nil }
            var value: Int64 = 0
            for index in start..<(start + count) {
                let digit = chars[index]
                guard digit >= 48, digit <= 57 else { return nil }
                value = value * 10 + Int64(digit - 48)
            }
            return value
        }
        guard chars.count >= 19, let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var millis: Int64 = 0
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            var scale: Int64 = 100
            while index < chars.count, chars[index] >= 48, chars[index] <= 57 {
                millis += Int64(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds: Int64 = 0
        if index < chars.count {
            switch chars[index] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"): break
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard let offsetHours = number(index + 1, 2) else { return nil }
                let minuteStart = index + 3 < chars.count && chars[index + 3] == UInt8(ascii: ":") ? index + 4 : index + 3
                let offsetMinutes = number(minuteStart, 2) ?? 0
                offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (chars[index] == UInt8(ascii: "+") ? 1 : -1)
            default: return nil
            }
        }
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) - offsetSeconds) * 1000 + millis
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    package static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
