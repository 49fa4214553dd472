import Foundation
import HostCore

/// A frame that is not valid JSON, or a message missing a field it cannot do without.
public struct StreamParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure; compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case malformedJSON, missingField, invalidValue }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The bytes are not JSON.
        public static let malformedJSON = Code(.malformedJSON)
        /// A required field is absent.
        public static let missingField = Code(.missingField)
        /// A field holds a value of the wrong shape (e.g. a price that is not a decimal).
        public static let invalidValue = Code(.invalidValue)
        public var description: String {
            switch base {
            case .malformedJSON: "malformedJSON"
            case .missingField: "missingField"
            case .invalidValue: "invalidValue"
            }
        }
    }

    public var code: Code
    /// Byte offset into the frame where parsing stopped.
    public var offset: Int
    /// What the parser expected there.
    public var expected: String

    public init(code: Code, offset: Int, expected: String) {
        self.code = code; self.offset = offset; self.expected = expected
    }

    public var description: String { "StreamParseError(\(code) at byte \(offset): expected \(expected))" }
}

/// A forward-only scanner over one JSON frame, for the known shapes of a venue's streams. Values are read straight from the bytes: no intermediate tree, no `Double`.
///
/// - Complexity: O(n) in the frame's length; allocations only for the strings kept.
package struct JSONScanner {
    package let base: UnsafePointer<UInt8>
    package let count: Int
    package var pos = 0

    package init(_ buffer: UnsafeRawBufferPointer) {
        // An empty buffer may have a nil base; point at a static byte so reads stay defined.
        if let raw = buffer.baseAddress, buffer.count > 0 {
            base = raw.assumingMemoryBound(to: UInt8.self)
            count = buffer.count
        } else {
            base = JSONScanner.emptyByte
            count = 0
        }
    }

    private nonisolated(unsafe) static let emptyByte: UnsafePointer<UInt8> = {
        let pointer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        pointer.initialize(to: 0)
        return UnsafePointer(pointer)
    }()

    // MARK: Errors

    package func error(_ expected: String, at offset: Int? = nil) -> StreamParseError {
        StreamParseError(code: .malformedJSON, offset: offset ?? pos, expected: expected)
    }

    package func invalid(_ expected: String, at offset: Int) -> StreamParseError {
        StreamParseError(code: .invalidValue, offset: offset, expected: expected)
    }

    // MARK: Structure

    @inline(__always) package var atEnd: Bool { pos >= count }
    @inline(__always) package func byte(_ index: Int) -> UInt8 { base[index] }

    @inline(__always) package mutating func skipWhitespace() {
        while pos < count {
            let b = base[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    /// The next non-whitespace byte, not consumed; nil at the end.
    @inline(__always) package mutating func peek() -> UInt8? {
        skipWhitespace()
        return pos < count ? base[pos] : nil
    }

    @inline(__always) package mutating func expect(_ c: UInt8, _ what: String) throws(StreamParseError) {
        skipWhitespace()
        guard pos < count, base[pos] == c else { throw error(what) }
        pos += 1
    }

    /// Consumes `{`.
    package mutating func beginObject() throws(StreamParseError) { try expect(UInt8(ascii: "{"), "'{'") }

    /// The next key's raw bytes (between the quotes) with the `:` consumed, or nil after `}`.
    @inline(__always) package mutating func nextKey(_ first: inout Bool) throws(StreamParseError) -> Range<Int>? {
        skipWhitespace()
        guard pos < count else { throw error(first ? "'\"' or '}'" : "',' or '}'") }
        if base[pos] == UInt8(ascii: "}") { pos += 1; return nil }
        if first {
            first = false
        } else {
            guard base[pos] == UInt8(ascii: ",") else { throw error("',' or '}'") }
            pos += 1
            skipWhitespace()
        }
        guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw error("'\"' (object key)") }
        let key = try rawString().range
        try expect(UInt8(ascii: ":"), "':'")
        skipWhitespace()
        guard pos < count else { throw error("a value") }
        return key
    }

    /// Consumes `[`.
    package mutating func beginArray() throws(StreamParseError) { try expect(UInt8(ascii: "["), "'['") }

    /// Positions at the next element and returns true, or consumes `]` and returns false.
    @inline(__always) package mutating func nextElement(_ first: inout Bool) throws(StreamParseError) -> Bool {
        skipWhitespace()
        guard pos < count else { throw error(first ? "a value or ']'" : "',' or ']'") }
        if base[pos] == UInt8(ascii: "]") { pos += 1; return false }
        if first {
            first = false
        } else {
            guard base[pos] == UInt8(ascii: ",") else { throw error("',' or ']'") }
            pos += 1
            skipWhitespace()
            guard pos < count else { throw error("a value") }
        }
        return true
    }

    /// Whether the raw bytes equal `literal` (inline word compares: keys are short and a libc call costs more).
    @inline(__always) package func keyIs(_ key: Range<Int>, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard key.count == n else { return false }
        let a = UnsafeRawPointer(base + key.lowerBound)
        let b = UnsafeRawPointer(literal.utf8Start)
        var i = 0
        while i + 8 <= n {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }

    // MARK: Raw tokens

    /// Consumes a string token; returns the bytes between the quotes and whether it holds escapes.
    @inline(__always) package mutating func rawString() throws(StreamParseError) -> (range: Range<Int>, escaped: Bool) {
        let open = pos
        guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw error("'\"'") }
        let start = pos + 1
        var i = start
        var escaped = false
        while true {
            // Eight bytes at a time to the first '"' or '\\' (SWAR; the lowest flagged byte is exact).
            while i + 8 <= count {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let hits = Self.flagBytes(word, equalTo: Self.quoteWord) | Self.flagBytes(word, equalTo: Self.backslashWord)
                if hits != 0 {
                    i += hits.trailingZeroBitCount >> 3
                    break
                }
                i += 8
            }
            while i < count, base[i] != UInt8(ascii: "\""), base[i] != UInt8(ascii: "\\") { i += 1 }
            guard i < count else { throw error("closing '\"'", at: max(open, count)) }
            if base[i] == UInt8(ascii: "\"") {
                pos = i + 1
                return (start..<i, escaped)
            }
            escaped = true
            i += 2
        }
    }

    private static let quoteWord: UInt64 = 0x2222_2222_2222_2222
    private static let backslashWord: UInt64 = 0x5C5C_5C5C_5C5C_5C5C

    /// High bit set in each byte of `word` equal to the byte repeated in `pattern`
    /// (bytes above the first match may be flagged spuriously; only the lowest is used).
    @inline(__always) private static func flagBytes(_ word: UInt64, equalTo pattern: UInt64) -> UInt64 {
        let x = word ^ pattern
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
    }

    /// Consumes a number token and returns its bytes.
    package mutating func rawNumber() throws(StreamParseError) -> Range<Int> {
        let start = pos
        if pos < count, base[pos] == UInt8(ascii: "-") { pos += 1 }
        var digits = 0
        while pos < count, base[pos] &- UInt8(ascii: "0") < 10 { pos += 1; digits += 1 }
        if pos < count, base[pos] == UInt8(ascii: ".") {
            pos += 1
            while pos < count, base[pos] &- UInt8(ascii: "0") < 10 { pos += 1; digits += 1 }
        }
        guard digits > 0 else { throw error("a number", at: start) }
        if pos < count, base[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            if pos < count, base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-") { pos += 1 }
            let expStart = pos
            while pos < count, base[pos] &- UInt8(ascii: "0") < 10 { pos += 1 }
            guard pos > expStart else { throw error("exponent digits") }
        }
        return start..<pos
    }

    /// Consumes `true`, `false` or `null`.
    package mutating func literal() throws(StreamParseError) -> Bool? {
        func matches(_ text: StaticString) -> Bool {
            let n = text.utf8CodeUnitCount
            return pos + n <= count && memcmp(base + pos, text.utf8Start, n) == 0
        }
        if matches("true") { pos += 4; return true }
        if matches("false") { pos += 5; return false }
        if matches("null") { pos += 4; return nil }
        throw error("a value")
    }

    @inline(__always) package mutating func isNull() -> Bool {
        if pos + 4 <= count, base[pos] == UInt8(ascii: "n"), memcmp(base + pos, "null", 4) == 0 {
            pos += 4
            return true
        }
        return false
    }

    /// Skips any value, nested or not, checking its syntax.
    package mutating func skipValue() throws(StreamParseError) {
        skipWhitespace()
        guard pos < count else { throw error("a value") }
        switch base[pos] {
        case UInt8(ascii: "\""): _ = try rawString()
        case UInt8(ascii: "{"):
            pos += 1
            var first = true
            while try nextKey(&first) != nil { try skipValue() }
        case UInt8(ascii: "["):
            pos += 1
            var first = true
            while try nextElement(&first) { try skipValue() }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try rawNumber()
        default: _ = try literal()
        }
    }

    // MARK: Typed values

    /// The string for raw bytes, with JSON escapes decoded.
    package func decode(_ range: Range<Int>, escaped: Bool) -> String {
        let bytes = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        guard escaped else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex4(_ at: Int) -> UInt32? {
            guard at + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = bytes[k]
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = c - UInt8(ascii: "A") + 10
                default: return nil
                }
                v = v << 4 | UInt32(d)
            }
            return v
        }
        while i < bytes.count {
            let b = bytes[i]
            guard b == UInt8(ascii: "\\"), i + 1 < bytes.count else { out.append(b); i += 1; continue }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "u"):
                guard var scalar = hex4(i) else { out.append(UInt8(ascii: "?")); continue }
                i += 4
                if scalar >= 0xD800, scalar < 0xDC00, i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
                   bytes[i + 1] == UInt8(ascii: "u"), let low = hex4(i + 2), low >= 0xDC00, low < 0xE000 {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                let unicode = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: String(Character(unicode)).utf8)
            default: out.append(e)  // \" \\ \/
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A string value; `null` reads as "", numbers and booleans as their text.
    package mutating func string() throws(StreamParseError) -> String {
        switch base[pos] {
        case UInt8(ascii: "\""):
            let token = try rawString()
            return decode(token.range, escaped: token.escaped)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let range = try rawNumber()
            return decode(range, escaped: false)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            throw invalid("a string", at: pos)
        default:
            guard let value = try literal() else { return "" }
            return value ? "true" : "false"
        }
    }

    /// The raw bytes of a scalar given as a string or a number (quotes excluded);
    /// nil for `null`. `""` yields an empty range.
    @inline(__always) package mutating func scalarBytes() throws(StreamParseError) -> Range<Int>? {
        let b = base[pos]
        if b == UInt8(ascii: "\"") {
            let token = try rawString()
            guard !token.escaped else { throw invalid("a plain decimal", at: token.range.lowerBound) }
            return token.range
        }
        if b == UInt8(ascii: "-") || b &- UInt8(ascii: "0") < 10 { return try rawNumber() }
        if b != UInt8(ascii: "{"), b != UInt8(ascii: "["), try literal() == nil { return nil }
        throw invalid("a number or numeric string", at: pos)
    }

    /// A decimal given as string or number; nil for `null` or `""`.
    @inline(__always) package mutating func fixed8() throws(StreamParseError) -> Fixed8? {
        let start = pos
        guard let range = try scalarBytes(), !range.isEmpty else { return nil }
        guard let value = parseFixed8(range) else { throw invalid("a decimal with at most 8 fraction digits", at: start) }
        return value
    }

    /// An integer given as string or number (fraction digits dropped); nil for `null` or `""`.
    @inline(__always) package mutating func int64() throws(StreamParseError) -> Int64? {
        let start = pos
        guard let range = try scalarBytes(), !range.isEmpty else { return nil }
        var i = range.lowerBound
        var negative = false
        if base[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < range.upperBound {
            let d = base[i] &- UInt8(ascii: "0")
            guard d < 10 else { break }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { throw invalid("an integer that fits 64 bits", at: start) }
            value = s
            digits += 1
            i += 1
        }
        guard digits > 0, i == range.upperBound || base[i] == UInt8(ascii: ".") else { throw invalid("an integer", at: start) }
        return negative ? -value : value
    }

    /// An exact `Decimal` given as string or number; nil for `null` or `""`.
    package mutating func decimal() throws(StreamParseError) -> Decimal? {
        let start = pos
        guard let range = try scalarBytes(), !range.isEmpty else { return nil }
        guard let value = parseDecimal(range) else { throw invalid("a decimal number", at: start) }
        return value
    }

    /// `true`/`false`, also as strings; nil for anything else.
    package mutating func bool() throws(StreamParseError) -> Bool? {
        if base[pos] == UInt8(ascii: "\"") {
            let token = try rawString()
            if keyIs(token.range, "true") { return true }
            if keyIs(token.range, "false") { return false }
            return nil
        }
        if base[pos] == UInt8(ascii: "t") || base[pos] == UInt8(ascii: "f") || base[pos] == UInt8(ascii: "n") { return try literal() }
        try skipValue()
        return nil
    }

    /// An array of strings; `null` reads as empty.
    package mutating func stringArray() throws(StreamParseError) -> [String] {
        if isNull() { return [] }
        try beginArray()
        var out: [String] = []
        var first = true
        while try nextElement(&first) { out.append(try string()) }
        return out
    }

    // MARK: Number conversions

    /// Exact parse into Fixed8 with the host's one decimal parser (``Fixed8Parser``): signs,
    /// exponents ("1e-5") exactly; nil beyond 8 fractional digits, beyond range or on junk.
    @inline(__always) package func parseFixed8(_ range: Range<Int>) -> Fixed8? {
        Fixed8Parser.raw(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)).map(Fixed8.init(raw:))
    }

    /// Exact parse into `Decimal` (mantissa up to 19 digits directly, longer via Foundation).
    package func parseDecimal(_ range: Range<Int>) -> Decimal? {
        var i = range.lowerBound
        let end = range.upperBound
        var negative = false
        if base[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var seenDot = false
        var overflow = false
        while i < end {
            let b = base[i]
            if b == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
                i += 1
                continue
            }
            let d = b &- UInt8(ascii: "0")
            guard d < 10 else { break }
            if digits >= 19 { overflow = true }
            mantissa = mantissa &* 10 &+ UInt64(d)
            digits += 1
            if seenDot { exponent -= 1 }
            i += 1
        }
        guard digits > 0 else { return nil }
        if overflow || i < end {
            return Decimal(string: decode(range, escaped: false), locale: Locale(identifier: "en_US_POSIX"))
        }
        return Decimal(sign: negative ? .minus : .plus, exponent: exponent, significand: Decimal(mantissa))
    }
}

/// Parses a frame that is one JSON object or an array of objects, each with `object`.
/// Returns nil for the frames the venue sends that are not JSON (`PONG`, `NO NEW ASSETS`, …):
/// anything whose first non-blank byte does not open an object or array.
@inline(__always)
package func parseFrame<Message>(_ frame: UnsafeRawBufferPointer,
                         _ object: (inout JSONScanner) throws(StreamParseError) -> Message) throws(StreamParseError) -> [Message]? {
    var scanner = JSONScanner(frame)
    guard let first = scanner.peek(), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
    var out: [Message] = []
    if first == UInt8(ascii: "[") {
        scanner.pos += 1
        var isFirst = true
        while try scanner.nextElement(&isFirst) {
            guard scanner.byte(scanner.pos) == UInt8(ascii: "{") else { throw scanner.error("'{' (message object)") }
            out.append(try object(&scanner))
        }
    } else {
        out.append(try object(&scanner))
    }
    if scanner.peek() != nil { throw scanner.error("end of frame") }
    return out
}

/// Runs a byte-level frame parser over a text frame's UTF-8.
@inline(__always)
package func parseText<Message>(_ text: String,
                        _ parse: (UnsafeRawBufferPointer) throws(StreamParseError) -> [Message]) throws(StreamParseError) -> [Message] {
    var text = text
    // withUTF8 is rethrows (untyped); carry the typed error out in a Result.
    let result = text.withUTF8 { bytes in
        Result { () throws(StreamParseError) -> [Message] in try parse(UnsafeRawBufferPointer(bytes)) }
    }
    return try result.get()
}
