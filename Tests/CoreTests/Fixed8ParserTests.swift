import HostCore
import Testing

/// The host's one decimal → Fixed8 parser (issue 11, item 12).
struct Fixed8ParserTests {
    /// Fixed8 raw of text through the whole-buffer entry point.
    static func raw(_ text: String) -> Int64? {
        var copy = text
        return copy.withUTF8 { Fixed8Parser.raw($0) }
    }

    /// Fixed8 raw of text followed by a delimiter, through the unchecked (hot-loop) entry point,
    /// and how many bytes it consumed.
    static func terminated(_ text: String) -> (Int64?, Int) {
        let bytes = Array((text + ",\n").utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            var p = buffer.baseAddress!
            let value = Fixed8Parser.scanTerminated(&p)
            return (value, p - buffer.baseAddress!)
        }
    }

    static func failure(_ text: String) -> Fixed8Parser.Failure? {
        if case .failure(let failure) = Fixed8Parser.parse(text) { return failure }
        return nil
    }

    @Test("plain decimals parse exactly, with leading dot, trailing dot and trailing zeros beyond 8 places")
    func plainDecimals() {
        #expect(Self.raw("123") == 12_300_000_000)
        #expect(Self.raw("0.5") == 50_000_000)
        #expect(Self.raw(".5") == 50_000_000)
        #expect(Self.raw("5.") == 500_000_000)
        #expect(Self.raw("0.00000001") == 1)
        #expect(Self.raw("0.1234567800000") == 12_345_678)
        #expect(Self.raw("00000000000000000001.5") == 150_000_000)
        #expect(Self.raw("92233720367.99999999") == 9_223_372_036_799_999_999)
    }

    @Test("a leading minus negates, a leading plus is accepted, -0 is zero")
    func signs() {
        #expect(Self.raw("-0.5") == -50_000_000)
        #expect(Self.raw("+2.5") == 250_000_000)
        #expect(Self.raw("-0") == 0)
        #expect(Self.raw("-92233720367.99999999") == -9_223_372_036_799_999_999)
        #expect(Self.raw("--1") == nil)
        #expect(Self.raw("+-1") == nil)
        #expect(Self.raw("1-") == nil)
    }

    @Test("exponents are applied exactly, upper or lower case, signed or not")
    func exponents() {
        #expect(Self.raw("1e-5") == 1_000)
        #expect(Self.raw("2.5E3") == 250_000_000_000)
        #expect(Self.raw("1.5e+3") == 150_000_000_000)
        #expect(Self.raw("1E-8") == 1)
        #expect(Self.raw("-3e0") == -300_000_000)
        #expect(Self.raw("12345e-12") == nil)  // 0.000000012345: digits beyond 1e-8
        #expect(Self.raw("12300e-12") == nil)  // 1.23e-8: a digit beyond 1e-8
        #expect(Self.raw("123e-10") == nil)
        #expect(Self.raw("10000e-12") == 1)
        #expect(Self.raw("0e99999999") == 0)
    }

    @Test("empty text, a lone sign or dot and an exponent without digits are rejected")
    func emptyAndLoneCharacters() {
        for text in ["", "-", "+", ".", "-.", "+.", "e5", "-e5", ".e1", "1e", "1e-", "1e+"] {
            #expect(Self.raw(text) == nil, "\(text)")
        }
        #expect(Self.failure("") == .empty)
        #expect(Self.failure("-") == .empty)
        #expect(Self.failure(".") == .empty)
        #expect(Self.failure("1e") == .notANumber)
    }

    @Test("a non-zero digit beyond the eighth fractional place is rejected, not rounded")
    func tooManyFractionDigits() {
        #expect(Self.raw("0.123456789") == nil)
        #expect(Self.raw("1.000000001") == nil)
        #expect(Self.raw("0.000000005") == nil)
        #expect(Self.failure("0.123456789") == .tooPrecise)
        #expect(Self.raw("1.1234567890123456789012345") == nil)
        #expect(Self.raw("1.00000000000000000000000000") == 100_000_000)
    }

    @Test("values at or beyond ±92233720368 (Int64 raw overflow included) are rejected")
    func overflow() {
        for text in ["92233720368", "-92233720368", "99999999999", "9223372036854775807", "100000000000000000000",
                     "1e11", "9.3e10", "1e400", "92233720368.00000000"] {
            #expect(Self.raw(text) == nil, "\(text)")
        }
        #expect(Self.failure("1e400") == .outOfRange)
        #expect(Self.failure("123456789012345678901234") == .outOfRange)
        #expect(Self.failure("92233720368") == .outOfRange)
    }

    @Test("garbage characters anywhere make the text not a number")
    func garbage() {
        for text in ["1.2.3", "1,5", "12a", "a12", " 1", "1 ", "0x10", "1e5.5", "nan", "inf", "1_000"] {
            #expect(Self.raw(text) == nil, "\(text)")
        }
    }

    @Test("the unchecked scanner stops at the delimiter and agrees with the checked one")
    func terminatedScanner() {
        for text in ["123", "-0.5", "1e-5", "2.5E3", "0.12345678000", "+7", ".5"] {
            let (value, consumed) = Self.terminated(text)
            #expect(value == Self.raw(text) && value != nil, "\(text)")
            #expect(consumed == text.utf8.count, "\(text)")
        }
        for text in ["-", ".", "-.", "1e", "0.123456789", "92233720368"] {
            #expect(Self.terminated(text).0 == nil, "\(text)")
        }
        // An empty field is no number: the caller decides what empty means.
        #expect(Self.terminated("").0 == nil)
    }

    /// The checked scanner (which reads eight bytes at a time where it can) and the unchecked
    /// byte loop over the same bytes: value and bytes consumed.
    static func bothScanners(_ bytes: [UInt8], from start: Int = 0) -> (checked: (Int64?, Int), loop: (Int64?, Int)) {
        bytes.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress! + start
            var p = base
            let checked = Fixed8Parser.scan(&p, end: buffer.baseAddress! + buffer.count)
            let checkedCount = p - base
            var q = base
            let loop = Fixed8Parser.scanTerminated(&q)
            return ((checked, checkedCount), (loop, q - base))
        }
    }

    @Test("the word-at-a-time reading agrees with the byte loop: digits, dots, signs, exponents, ninth digits, buffer ends")
    func wordScanAgreesWithLoop() {
        let texts = [
            "60000.01000000", "1.23456789", "0.00000000", "0", "7", "1234567", "9999999.99999999", "12345678",
            "12345678.9", "92233720367.99999999", "0.", "5.", ".5", ".12345678", "1.5", "30000.10", "123.456",
            "1.123456780", "1.123456785", "1.1234567800000", "0.000000005", "-1.5", "+1.5", "-0", "-60000.01000000",
            "1e5", "1E5", "1.5e3", "1.5E-3", "2.12345678e1", "1.e2", "1.2.3", "1..2", "12a", "1-", "", ".", "-", "e5",
            "0000001.00000001", "00000000.5",
        ]
        // What follows the number: a quote (JSON strings), a comma, a bracket, a letter e, a dot, padding.
        let tails = ["\"", "\",\"", "\"]]}}", ",", "]", "e", ".", "x", "\"0123456789abcdef"]
        for text in texts {
            for tail in tails {
                let bytes = Array((text + tail + "\"").utf8)
                let (checked, loop) = Self.bothScanners(bytes)
                #expect(checked.0 == loop.0 && checked.1 == loop.1, "\(text)\(tail)")
                // At other alignments of the same bytes (the words are loaded unaligned).
                for pad in 0..<3 {
                    let padded = Array(repeating: UInt8(ascii: " "), count: pad) + bytes
                    let (c, l) = Self.bothScanners(padded, from: pad)
                    #expect(c.0 == l.0 && c.1 == l.1, "\(text)\(tail) at \(pad)")
                }
            }
        }
        // Every length of digit runs on both sides of the dot, at every distance from the end.
        for integerDigits in 0...12 {
            for fractionDigits in 0...10 {
                let integer = String(repeating: "7", count: integerDigits)
                let fraction = String(repeating: "3", count: fractionDigits)
                for dot in [true, false] where dot || fractionDigits == 0 {
                    let text = integer + (dot ? "." : "") + fraction
                    for suffix in ["\"", "\"]]}}", "\"]]}}       "] {
                        let (checked, loop) = Self.bothScanners(Array((text + suffix).utf8))
                        #expect(checked.0 == loop.0 && checked.1 == loop.1, "\(text)\(suffix)")
                    }
                }
            }
        }
    }

    @Test("the word-at-a-time reading keeps the exact values and refusals of the byte loop")
    func wordScanValues() {
        func scan(_ text: String) -> Int64? { Self.bothScanners(Array((text + "\"]]}}").utf8)).checked.0 }
        #expect(scan("60000.01000000") == 6_000_001_000_000)
        #expect(scan("1.23456789") == 123_456_789)
        #expect(scan("9999999.99999999") == 999_999_999_999_999)
        #expect(scan("30000.10") == 3_000_010_000_000)
        #expect(scan("0.00000000") == 0)
        #expect(scan("5.") == 500_000_000)
        #expect(scan("1.123456780") == 112_345_678)
        #expect(scan("1.123456785") == nil)  // a ninth digit that is not zero
        #expect(scan("-1.5") == -150_000_000)
        #expect(scan("1.5e3") == 150_000_000_000)
        #expect(scan("92233720368.5") == nil)
        #expect(scan("") == nil)
        #expect(scan(".") == nil)
    }

    @Test("Fixed8(parsing:) is the shared parser: exponents and signs are accepted, lone signs are not")
    func fixed8Parsing() {
        #expect(Fixed8(parsing: "1e-5")?.raw == 1_000)
        #expect(Fixed8(parsing: "+2")?.raw == 200_000_000)
        #expect(Fixed8(parsing: Substring("0.35210000")) == Fixed8(raw: 35_210_000))
        #expect(Fixed8(parsing: "-") == nil)
        #expect(Fixed8(parsing: ".") == nil)
        #expect(Fixed8(parsing: "0.000000001") == nil)
    }
}
