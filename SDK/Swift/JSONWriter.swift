/// A small, fast JSON object writer for signal payloads: keys and values appended to one byte
/// buffer, numbers in plain decimal notation with at most 8 fraction digits (trailing zeros
/// trimmed; non-finite numbers and nil are `null`). About ten times faster than string
/// interpolation of `Double`s, which matters to plugins that emit a payload per bar.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The finished object as text.
    public mutating func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func key(_ name: StaticString) { name.withUTF8Buffer { key(bytes: $0) } }

    private mutating func key(bytes name: some Sequence<UInt8>) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    public mutating func number(_ name: StaticString, _ value: Double?) {
        key(name)
        Self.append(value, to: &bytes)
    }

    public mutating func integer(_ name: StaticString, _ value: Int) {
        key(name)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A string value; `value` must not need escaping (identifiers, enum names).
    public mutating func string(_ name: StaticString, _ value: String) {
        key(name)
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 where byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte >= 0x20 { bytes.append(byte) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A nested object written by `body`.
    public mutating func object(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
        key(name)
        nested(body)
    }

    /// A nested object under a run-time key (e.g. a trigger kind); `name` must not need escaping.
    public mutating func object(dynamic name: String, _ body: (inout JSONWriter) -> Void) {
        key(bytes: name.utf8)
        nested(body)
    }

    private mutating func nested(_ body: (inout JSONWriter) -> Void) {
        var inner = JSONWriter(capacity: 64)
        body(&inner)
        bytes.append(contentsOf: inner.bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    /// `value` rounded to 8 fraction digits, trailing zeros trimmed ("12.5", "-0.00012", "3");
    /// magnitudes of 1e10 and above as Swift prints them.
    static func append(_ value: Double?, to out: inout [UInt8]) {
        guard let value, value.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        guard abs(value) < 1e10 else {
            out.append(contentsOf: "\(value)".utf8)
            return
        }
        let units = UInt64((abs(value) * 1e8).rounded())
        guard units > 0 else {
            out.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var whole = units / 100_000_000
        var fraction = units % 100_000_000
        var divisor: UInt64 = 1
        while divisor <= whole / 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(whole / divisor))
            whole %= divisor
            divisor /= 10
        }
        guard fraction > 0 else { return }
        out.append(UInt8(ascii: "."))
        // Digits from the first fraction place until nothing is left: leading zeros kept,
        // trailing zeros never written.
        var place: UInt64 = 10_000_000
        while fraction > 0 {
            out.append(UInt8(ascii: "0") + UInt8(fraction / place))
            fraction %= place
            place /= 10
        }
    }
}

/// Reads a top-level number or string field of a flat JSON object (signal payloads): the
/// first `"key":` outside strings at nesting depth 1. Enough for payloads written by
/// `JSONWriter`; not a general JSON parser.
public enum JSONFields {
    public static func number(_ key: String, in payload: String) -> Double? {
        guard let range = valueRange(key, in: payload) else { return nil }
        let text = payload.utf8[range]
        if text.starts(with: "null".utf8) { return nil }
        var end = text.startIndex
        while end < text.endIndex, let c = Optional(text[end]), (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 {
            end = text.index(after: end)
        }
        return Double(String(decoding: text[text.startIndex..<end], as: UTF8.self))
    }

    public static func string(_ key: String, in payload: String) -> String? {
        guard let range = valueRange(key, in: payload) else { return nil }
        let text = payload.utf8[range]
        guard text.first == UInt8(ascii: "\""), let close = text.dropFirst().firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return String(decoding: text[text.index(after: text.startIndex)..<close], as: UTF8.self)
    }

    /// The bytes from the value of `key` (at depth 1) to the end of the payload.
    private static func valueRange(_ key: String, in payload: String) -> Range<String.UTF8View.Index>? {
        let bytes = payload.utf8
        let wanted = Array(key.utf8)
        var depth = 0, inString = false, escaped = false
        var stringStart = bytes.startIndex
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") {
                    inString = false
                    // A key at depth 1 followed by ':'.
                    var j = bytes.index(after: i)
                    while j < bytes.endIndex, bytes[j] == UInt8(ascii: " ") { j = bytes.index(after: j) }
                    if depth == 1, j < bytes.endIndex, bytes[j] == UInt8(ascii: ":"),
                       bytes[bytes.index(after: stringStart)..<i].elementsEqual(wanted) {
                        var v = bytes.index(after: j)
                        while v < bytes.endIndex, bytes[v] == UInt8(ascii: " ") { v = bytes.index(after: v) }
                        return v..<bytes.endIndex
                    }
                }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                stringStart = i
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
            }
            i = bytes.index(after: i)
        }
        return nil
    }
}
