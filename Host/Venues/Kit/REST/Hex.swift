/// Lowercase hex encoding and strict hex decoding for keys, addresses, hashes and signatures.
public enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`, prefixed with `0x` when `prefix` is true.
    public static func encode<C: Collection>(_ bytes: C, prefix: Bool = true) -> String where C.Element == UInt8 {
        let count = bytes.count * 2 + (prefix ? 2 : 0)
        return String(unsafeUninitializedCapacity: count) { out in
            var i = 0
            if prefix { out[0] = UInt8(ascii: "0"); out[1] = UInt8(ascii: "x"); i = 2 }
            for byte in bytes {
                out[i] = digits[Int(byte >> 4)]
                out[i + 1] = digits[Int(byte & 0x0F)]
                i += 2
            }
            return count
        }
    }

    /// Bytes of a hex string (optional `0x`, any case); nil when a character is not hex, the length is
    /// odd, or it differs from `expectedBytes`.
    public static func decode(_ text: String, expectedBytes: Int? = nil) -> [UInt8]? {
        var utf8 = Substring(text).utf8
        if utf8.count >= 2, utf8.first == UInt8(ascii: "0"),
           utf8[utf8.index(after: utf8.startIndex)] | 0x20 == UInt8(ascii: "x") {
            utf8 = utf8.dropFirst(2)
        }
        guard utf8.count % 2 == 0 else { return nil }
        if let expectedBytes, utf8.count != expectedBytes * 2 { return nil }
        var result = [UInt8]()
        result.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for c in utf8 {
            guard let v = nibble(c) else { return nil }
            if let h = high { result.append(h << 4 | v); high = nil } else { high = v }
        }
        return result
    }

    @inline(__always)
    package static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
