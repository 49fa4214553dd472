/// A small, fast JSON object writer for signal payloads: keys and values written straight into
/// one growing byte buffer, numbers in plain decimal notation with at most 8 fraction digits
/// (trailing zeros trimmed; non-finite numbers and nil are `null`). About ten times faster than
/// string interpolation of `Double`s, which matters to plugins that emit a payload per bar.
///
/// Not copyable: the writer owns its buffer (no copy-on-write check per write).
public struct JSONWriter: ~Copyable, @unchecked Sendable {
    // @unchecked: the buffer is owned by this one non-copyable value.
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    private var needsComma = false

    public init(capacity: Int = 256) {
        self.capacity = max(capacity, 64)
        base = .allocate(capacity: self.capacity)
        base[0] = UInt8(ascii: "{")
        count = 1
    }

    deinit { base.deallocate() }

    /// The bytes written so far.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The finished object as text.
    public mutating func finish() -> String {
        reserve(1)[0] = UInt8(ascii: "}")
        count += 1
        return String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }

    /// Closes the object and lends its UTF-8 bytes to `body` (no `String` is made: a plugin
    /// emitting a payload per bar hands these straight to the host, see
    /// `PluginContext.emitSignal(_:symbol:direction:value:confidence:json:fields:)`).
    public mutating func finishBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        reserve(1)[0] = UInt8(ascii: "}")
        count += 1
        return try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// Room for `n` more bytes; returns where they go (the caller advances `count`).
    @inline(__always)
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        if count + n > capacity { grow(to: count + n) }
        return base + count
    }

    private mutating func grow(to needed: Int) {
        let newCapacity = max(needed, 2 * capacity)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.moveInitialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    /// Writes `,"name":` (no comma before an object's first key) and then at most `valueBytes`
    /// bytes of value written by `value` (which returns how many it wrote).
    @inline(__always)
    private mutating func field(_ name: UnsafeRawBufferPointer, valueBytes: Int, _ value: (UnsafeMutablePointer<UInt8>) -> Int) {
        let out = reserve(name.count + valueBytes + 4)
        var n = 0
        if needsComma { out[0] = UInt8(ascii: ","); n = 1 }
        needsComma = true
        out[n] = UInt8(ascii: "\"")
        n += 1
        if let source = name.baseAddress, name.count > 0 {
            (out + n).initialize(from: source.assumingMemoryBound(to: UInt8.self), count: name.count)
            n += name.count
        }
        out[n] = UInt8(ascii: "\"")
        out[n + 1] = UInt8(ascii: ":")
        n += 2
        n += value(out + n)
        count += n
    }

    @inline(__always)
    private static func raw(_ name: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    }

    public mutating func number(_ name: StaticString, _ value: Double?) {
        guard let value, value.isFinite, abs(value) < 1e10 else {
            // null, or a magnitude printed as Swift prints it (rare: not worth a fast path).
            let text = value.map { $0.isFinite ? "\($0)" : "null" } ?? "null"
            field(Self.raw(name), valueBytes: text.utf8.count) { out in
                var n = 0
                for byte in text.utf8 { out[n] = byte; n += 1 }
                return n
            }
            return
        }
        field(Self.raw(name), valueBytes: 24) { Self.write(value, to: $0) }
    }

    public mutating func integer(_ name: StaticString, _ value: Int) {
        field(Self.raw(name), valueBytes: 24) { Self.write(integer: value, to: $0) }
    }

    /// A string value; `value` must not need escaping (identifiers, enum names): quotes,
    /// backslashes and control characters are dropped.
    public mutating func string(_ name: StaticString, _ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            field(Self.raw(name), valueBytes: utf8.count + 2) { out in
                out[0] = UInt8(ascii: "\"")
                var n = 1
                for byte in utf8 where byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte >= 0x20 {
                    out[n] = byte
                    n += 1
                }
                out[n] = UInt8(ascii: "\"")
                return n + 1
            }
        }
    }

    /// A nested object written by `body`.
    public mutating func object(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
        beginObject(name)
        body(&self)
        endObject()
    }

    /// Opens a nested object under `name`; the fields written until the matching `endObject()`
    /// go inside it. The same text as `object(_:_:)`, without a closure (for per-bar payloads).
    public mutating func beginObject(_ name: StaticString) {
        field(Self.raw(name), valueBytes: 1) { $0.pointee = UInt8(ascii: "{"); return 1 }
        needsComma = false
    }

    /// Closes the object the latest unmatched `beginObject(_:)` opened.
    public mutating func endObject() {
        reserve(1)[0] = UInt8(ascii: "}")
        count += 1
        needsComma = true
    }

    /// A nested object under a run-time key (e.g. a trigger kind); `name` must not need escaping.
    public mutating func object(dynamic name: String, _ body: (inout JSONWriter) -> Void) {
        var name = name
        name.withUTF8 { utf8 in
            field(UnsafeRawBufferPointer(utf8), valueBytes: 1) { $0.pointee = UInt8(ascii: "{"); return 1 }
        }
        needsComma = false
        body(&self)
        endObject()
    }

    /// Writes a finite `value` with |value| < 1e10 rounded to 8 fraction digits, trailing zeros
    /// trimmed ("12.5", "-0.00012", "3"), at `out` (room for 24 bytes); returns the bytes
    /// written. Digits go right to left straight into place, two at a time from a table
    /// (divisions by constants only, which the compiler makes multiplications).
    @inline(__always)
    static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let units = roundedUnits(abs(value) * 1e8)
        guard units > 0 else {
            out.pointee = UInt8(ascii: "0")
            return 1
        }
        let whole = units / 100_000_000
        var fraction = units % 100_000_000
        var places = 0
        if fraction > 0 {
            // At most 7 trailing zeros (0 < fraction < 10^8): strip 4, then 2, then 1.
            places = 8
            if fraction % 10_000 == 0 { fraction /= 10_000; places -= 4 }
            if fraction % 100 == 0 { fraction /= 100; places -= 2 }
            if fraction % 10 == 0 { fraction /= 10; places -= 1 }
        }
        let sign = value < 0 ? 1 : 0
        let wholeDigits = digitCount(whole)
        let length = sign + wholeDigits + (places > 0 ? places + 1 : 0)
        if places > 0 {
            writeDigits(fraction, count: places, endingAt: out + length)
            out[length - places - 1] = UInt8(ascii: ".")
        }
        writeDigits(whole, count: wholeDigits, endingAt: out + sign + wholeDigits)
        if sign == 1 { out[0] = UInt8(ascii: "-") }
        return length
    }

    /// `x.rounded()` (half away from zero) for 0 ≤ x < 2^63, without a libm call.
    @inline(__always)
    static func roundedUnits(_ x: Double) -> UInt64 { UInt64(x.roundedToInt64) }

    /// Decimal digits of `n` (1 for 0).
    @inline(__always)
    static func digitCount(_ n: UInt64) -> Int {
        var digits = 1
        var rest = n
        while rest >= 100 {
            rest /= 100
            digits += 2
        }
        return rest >= 10 ? digits + 1 : digits
    }

    /// "00" through "99".
    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Writes the low `count` decimal digits of `n` (zero-padded) ending just before `end`.
    @inline(__always)
    static func writeDigits(_ n: UInt64, count: Int, endingAt end: UnsafeMutablePointer<UInt8>) {
        let pairs = digitPairs.utf8Start
        var n = n
        var i = 0
        while i + 2 <= count {
            let pair = Int(n % 100) * 2
            n /= 100
            i += 2
            end[-i] = pairs[pair]
            end[-i + 1] = pairs[pair + 1]
        }
        if i < count {
            end[-count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: n % 10)
        }
    }

    /// Writes `value` in decimal at `out` (room for 24 bytes), the same text as `String(value)`;
    /// returns the bytes written.
    @inline(__always)
    static func write(integer value: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = UInt64(value.magnitude)
        let sign = value < 0 ? 1 : 0
        let digits = digitCount(magnitude)
        writeDigits(magnitude, count: digits, endingAt: out + sign + digits)
        if sign == 1 { out[0] = UInt8(ascii: "-") }
        return sign + digits
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
