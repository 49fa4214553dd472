import Foundation
import Testing
@testable import HostPersistence

struct DecimalTextTests {
    @Test("The fast decimal text is verified on this Foundation (else every value takes the slow path)")
    func layoutIsVerified() {
        #expect(DecimalText.layoutVerified)
    }

    @Test("Decimal text equals Decimal.description for random values of every width and scale")
    func matchesDescription() {
        var generator = SystemRandomNumberGenerator()
        let posix = Locale(identifier: "en_US_POSIX")
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...30, using: &generator)
            var text = Bool.random(using: &generator) ? "-" : ""
            text += String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &generator)) }
            text += "e\(Int.random(in: -40...30, using: &generator))"
            let value = Decimal(string: text, locale: posix)!
            #expect(DecimalText.string(value) == value.description, "\(text)")
        }
    }

    @Test("Arithmetic results, zero and NaN keep their description")
    func arithmeticResults() {
        let values: [Decimal] = [
            0, .nan, Decimal(string: "2.50")! + Decimal(string: "0.50")!, Decimal(string: "0.1")! * 3,
            Decimal(string: "64123.45")! * Decimal(string: "0.001")!, Decimal(1) / Decimal(3), -Decimal(string: "0.00000001")!,
        ]
        for value in values {
            #expect(DecimalText.string(value) == value.description)
        }
    }

    @Test("The stack-buffer decimal text bound into SQLite equals Decimal.description whenever it applies")
    func stackTextMatchesDescription() {
        var generator = SystemRandomNumberGenerator()
        let posix = Locale(identifier: "en_US_POSIX")
        var checked = 0
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...19, using: &generator)
            var text = Bool.random(using: &generator) ? "-" : ""
            text += String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &generator)) }
            text += "e\(Int.random(in: -30...10, using: &generator))"
            let value = Decimal(string: text, locale: posix)!
            var produced: String?
            if DecimalText.withText(value, { produced = String(decoding: $0, as: UTF8.self) }) {
                checked += 1
                #expect(produced == value.description, "\(text)")
            }
        }
        var zero: String?
        #expect(DecimalText.withText(0) { zero = String(decoding: $0, as: UTF8.self) })
        #expect(zero == "0")
        #expect(checked > 10_000)
    }
}
