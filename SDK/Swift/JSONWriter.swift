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

    private mutating func key(_ name: StaticString) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
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
        var inner = JSONWriter(capacity: 64)
        body(&inner)
        bytes.append(contentsOf: inner.bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    /// A nested object under a run-time key (e.g. a trigger kind); `name` must not need escaping.
    public mutating func object(dynamic name: String, _ body: (inout JSONWriter) -> Void) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
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
        var width: UInt64 = 10_000_000  // the first fraction digit's place
        while fraction % 10 == 0 {
            fraction /= 10
            width /= 10
        }
        out.append(UInt8(ascii: "."))
        // `fraction` now has its trailing zeros removed; print it with its leading zeros.
        var place = width
        var rest = fraction
        var digitsLeft: UInt64 = 1
        while digitsLeft <= fraction / 10 { digitsLeft *= 10 }
        // Leading zeros: places above the number's own highest digit.
        while place > digitsLeft {
            out.append(UInt8(ascii: "0"))
            place /= 10
        }
        while digitsLeft > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / digitsLeft))
            rest %= digitsLeft
            digitsLeft /= 10
        }
    }
}
