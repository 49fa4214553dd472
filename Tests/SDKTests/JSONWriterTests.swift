import Foundation
import StrategySDK
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
