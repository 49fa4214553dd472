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
