import Foundation
import HostCore

/// A small JSON text builder for the pushed messages: they go out many times a second, and
/// writing the bytes directly costs a fraction of encoding `Codable` values.
struct JSONText {
    private(set) var text = ""
    private var needsComma = false

    init(capacity: Int = 256) { text.reserveCapacity(capacity) }

    mutating func beginObject() { separator(); text += "{"; needsComma = false }
    mutating func endObject() { text += "}"; needsComma = true }
    mutating func beginArray() { separator(); text += "["; needsComma = false }
    mutating func endArray() { text += "]"; needsComma = true }

    mutating func key(_ name: String) {
        separator()
        string(name)
        text += ":"
        needsComma = false
    }

    mutating func value(_ s: String?) {
        separator()
        if let s { string(s) } else { text += "null" }
        needsComma = true
    }

    mutating func value(_ d: Double?) {
        separator()
        if let d, d.isFinite { text += Self.number(d) } else { text += "null" }
        needsComma = true
    }

    mutating func value(_ i: Int64) { separator(); text += String(i); needsComma = true }
    mutating func value(_ i: Int) { separator(); text += String(i); needsComma = true }
    mutating func value(_ b: Bool?) { separator(); text += b.map { $0 ? "true" : "false" } ?? "null"; needsComma = true }
    /// Exact decimals go out as text (the page shows them as given).
    mutating func value(_ d: Decimal?) { value(d.map { "\($0)" }) }
    /// Already-encoded JSON.
    mutating func raw(_ json: String) { separator(); text += json; needsComma = true }

    mutating func field(_ name: String, _ s: String?) { key(name); value(s) }
    mutating func field(_ name: String, _ d: Double?) { key(name); value(d) }
    mutating func field(_ name: String, _ i: Int64) { key(name); value(i) }
    mutating func field(_ name: String, _ i: Int) { key(name); value(i) }
    mutating func field(_ name: String, _ b: Bool?) { key(name); value(b) }
    mutating func field(_ name: String, _ d: Decimal?) { key(name); value(d) }

    private mutating func separator() { if needsComma { text += "," } }

    /// `<` escaped too: a message can never close a script element.
    private mutating func string(_ s: String) { JSONString.append(s, to: &text, escapingLessThan: true) }

    /// Shortest form that reads back the same; integers without a fraction.
    static func number(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}
