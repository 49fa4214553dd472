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
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func number(_ name: StaticString, _ value: Double?) {
        key(name)
        Self.append(value, to: &bytes)
    }

    public mutating func integer(_ name: StaticString, _ value: Int) {
        key(name)
        Self.append(integer: value, to: &bytes)
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
        var name = name
        name.withUTF8 { key(bytes: $0) }
        nested(body)
    }

    /// Written in place: the object's own first key takes no comma.
    private mutating func nested(_ body: (inout JSONWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
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
        // Digits from the right into a stack buffer, divisions by the constant 10 only (the
        // compiler makes them multiplications), then one append: the fraction's 8 places
        // without trailing zeros, the point, the whole part, the sign.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var start = buffer.count
            var whole = units / 100_000_000
            var fraction = units % 100_000_000
            if fraction > 0 {
                var places = 8
                while fraction % 10 == 0 {
                    fraction /= 10
                    places -= 1
                }
                for _ in 0..<places {
                    start -= 1
                    buffer[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction % 10)
                    fraction /= 10
                }
                start -= 1
                buffer[start] = UInt8(ascii: ".")
            }
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: whole % 10)
                whole /= 10
            } while whole > 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
        }
    }

    /// A decimal integer, the same text as `String(value)`.
    static func append(integer value: Int, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
            var start = buffer.count
            var magnitude = value.magnitude
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                start -= 1
                buffer[start] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start...]))
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
