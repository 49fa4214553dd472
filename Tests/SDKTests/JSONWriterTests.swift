import Foundation
@testable import StrategySDK
import Testing

struct JSONWriterTests {
    @Test("numbers print in plain decimals with at most 8 fraction digits, trailing zeros trimmed; non-finite and nil are null")
    func numbers() {
        var writer = JSONWriter()
        writer.number("a", 0.5)
        writer.number("b", 0.00012)
        writer.number("c", -3)
        writer.number("d", 12.345678915)
        writer.number("e", 0)
        writer.number("f", .nan)
        writer.number("g", nil)
        writer.number("h", 1e12)
        writer.number("i", -0.000000004)
        writer.number("j", 65_000.01)
        #expect(writer.finish() == #"{"a":0.5,"b":0.00012,"c":-3,"d":12.34567892,"e":0,"f":null,"g":null,"h":1000000000000.0,"i":0,"j":65000.01}"#)
    }

    @Test("objects nest, strings are written without quotes or control characters, and the result parses as JSON")
    func objects() throws {
        var writer = JSONWriter()
        writer.string("label", "BUY")
        writer.object("terms") { terms in
            terms.object(dynamic: "trend") { $0.number("value", 0.25); $0.number("weight", 0.15) }
            terms.integer("count", 2)
        }
        let text = writer.finish()
        #expect(text == #"{"label":"BUY","terms":{"trend":{"value":0.25,"weight":0.15},"count":2}}"#)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }
}

extension JSONWriterTests {
    @Test("a number is its value rounded to 1e-8: parsing the text back gives exactly that rounding, with no trailing zero")
    func numbersRoundTripTheirEightPlaceRounding() {
        var random = SystemRandomNumberGenerator()
        for i in 0..<20_000 {
            let magnitude = Double.random(in: 0..<1, using: &random) * pow(10, Double(i % 19 - 8))
            let value = i % 3 == 0 ? -magnitude : magnitude
            var writer = JSONWriter()
            writer.number("x", value)
            let text = String(writer.finish().dropFirst(5).dropLast())
            let expected = (value * 1e8).rounded() / 1e8
            #expect(Double(text) == (expected == 0 ? 0 : expected), "\(value) → \(text)")
            #expect(!(text.contains(".") && text.hasSuffix("0")), "\(value) → \(text)")
        }
    }

    @Test("eight-place rounding matches rounded(): ties away from zero, the largest double below one half, and integers past 2^52")
    func unitRoundingMatchesRounded() {
        let cases: [Double] = [0, 0.5, 1.5, 2.5, 0.49999999999999994, 1.4999999999999998, 4_503_599_627_370_495.5,
                               4_503_599_627_370_496, 4_503_599_627_370_497, 9_007_199_254_740_993, 999_999_999_999_999_872]
        for x in cases {
            #expect(JSONWriter.roundedUnits(x) == UInt64(x.rounded()), "\(x)")
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let x = Double.random(in: 0..<1e18, using: &random) / pow(10, Double(Int.random(in: 0...18, using: &random)))
            #expect(JSONWriter.roundedUnits(x) == UInt64(x.rounded()), "\(x)")
        }
    }

    @Test("beginObject/endObject write the same text as object(_:_:), nested and empty objects included")
    func beginEndMatchesClosureObjects() {
        var closures = JSONWriter()
        closures.number("score", 0.5)
        closures.object("terms") { out in
            out.object("trend") { $0.number("value", -0.25); $0.number("weight", 0.15) }
            out.object("empty") { _ in }
        }
        closures.integer("n", 3)
        var flat = JSONWriter()
        flat.number("score", 0.5)
        flat.beginObject("terms")
        flat.beginObject("trend")
        flat.number("value", -0.25)
        flat.number("weight", 0.15)
        flat.endObject()
        flat.beginObject("empty")
        flat.endObject()
        flat.endObject()
        flat.integer("n", 3)
        let expected = #"{"score":0.5,"terms":{"trend":{"value":-0.25,"weight":0.15},"empty":{}},"n":3}"#
        #expect(closures.finish() == expected)
        #expect(flat.finish() == expected)
    }

    @Test("integers print as String(value) does, the extremes included")
    func integersPrintAsStringDoes() {
        for value in [0, 7, -7, 10, -10, 1_234_567_890, Int.max, Int.min] {
            var writer = JSONWriter()
            writer.integer("n", value)
            #expect(writer.finish() == "{\"n\":\(value)}")
        }
    }
}

struct JSONFieldsTests {
    @Test("top-level numbers and strings are read; nested keys of the same name and keys inside strings are not")
    func readsTopLevelFields() {
        let payload = #"{"note":"\"tp\":9","terms":{"tp":{"value":1}},"tp":101.5,"sl":-2e-3,"label":"BUY","none":null}"#
        #expect(JSONFields.number("tp", in: payload) == 101.5)
        #expect(JSONFields.number("sl", in: payload) == -0.002)
        #expect(JSONFields.string("label", in: payload) == "BUY")
        #expect(JSONFields.number("none", in: payload) == nil)
        #expect(JSONFields.number("missing", in: payload) == nil)
    }
}

extension JSONWriterTests {
    @Test("a writer grows past its initial capacity and still writes one valid object")
    func growsPastItsCapacity() throws {
        var writer = JSONWriter(capacity: 8)
        for _ in 0..<200 { writer.number("price", 65_000.12345678) }
        writer.object("nested") { $0.string("label", "STRONG_BUY"); $0.integer("n", -42) }
        let text = writer.finish()
        #expect(text.hasPrefix(#"{"price":65000.12345678,"price":"#))
        #expect(text.hasSuffix(#","nested":{"label":"STRONG_BUY","n":-42}}"#))
        #expect(text.utf8.count == 1 + 22 + 199 * 23 + 41)
    }

    @Test("finishBytes lends exactly the text finish returns")
    func finishBytesIsTheFinishedText() {
        func fill(_ writer: inout JSONWriter) {
            writer.string("recommendation", "BUY")
            writer.number("score", 0.4321)
            writer.number("tp", nil)
        }
        var a = JSONWriter(), b = JSONWriter()
        fill(&a)
        fill(&b)
        let bytes = b.finishBytes { Array($0) }
        #expect(String(decoding: bytes, as: UTF8.self) == a.finish())
    }
}
