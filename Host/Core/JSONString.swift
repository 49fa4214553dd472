/// JSON string literals, written one way for the whole host (venue requests and subscription
/// frames, the fakes, the dashboard's pushed messages).
public enum JSONString {
    /// `text` as a JSON string literal: quote, backslash and control characters escaped
    /// (`\n`, `\r`, `\t`, others as `\u00xx`); with `escapingLessThan`, `<` as `\u003c` too, so
    /// the text can never close an HTML script element.
    public static func quoted(_ text: String, escapingLessThan: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 2)
        append(text, to: &out, escapingLessThan: escapingLessThan)
        return out
    }

    /// Appends `text` as a JSON string literal to `out` (see `quoted`).
    public static func append(_ text: String, to out: inout String, escapingLessThan: Bool = false) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<" where escapingLessThan: out += "\\u003c"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
