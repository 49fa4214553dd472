import VenueKit
/// A 20-byte Ethereum account address; `description` is the EIP-55 checksummed form.
public struct EthereumAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 20 address bytes.
    public let bytes: [UInt8]

    /// `0x0000…0000`.
    public static let zero = EthereumAddress(unchecked: [UInt8](repeating: 0, count: 20))

    init(unchecked bytes: [UInt8]) {
        precondition(bytes.count == 20, "an address is 20 bytes")
        self.bytes = bytes
    }

    /// Parses 40 hex digits, with or without `0x`, in any case. A mixed-case string is an EIP-55
    /// checksum claim and must be correct, which catches a mistyped address before funds move.
    public init(hex: String) throws(SigningError) {
        guard let bytes = Hex.decode(hex, expectedBytes: 20) else {
            throw SigningError(.invalidAddress, "'\(hex)' is not an address: expected 40 hex digits with optional 0x prefix")
        }
        self.bytes = bytes
        let letters = hex.utf8.dropFirst(hex.hasPrefix("0x") || hex.hasPrefix("0X") ? 2 : 0)
        let hasUpper = letters.contains { (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0) }
        let hasLower = letters.contains { (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
        if hasUpper && hasLower {
            let expected = checksummed
            guard String(decoding: letters, as: UTF8.self) == expected.dropFirst(2) else {
                throw SigningError(.invalidAddress, "'\(hex)' has a wrong EIP-55 checksum; expected \(expected) (or pass it all lowercase)")
            }
        }
    }

    /// The EIP-55 form: a hex letter is uppercase when the matching nibble of keccak(lowercase hex) is ≥ 8.
    public var checksummed: String {
        let lower = Hex.encode(bytes, prefix: false)
        let hash = Keccak256.hash(lower.utf8)
        var out = [UInt8]("0x".utf8)
        out.reserveCapacity(42)
        for (i, c) in lower.utf8.enumerated() {
            let nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0F
            out.append(c >= UInt8(ascii: "a") && nibble >= 8 ? c - 32 : c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    public var description: String { checksummed }

    /// ABI encoding: the address left-padded to a 32-byte word.
    func appendWord(to buffer: inout [UInt8]) {
        buffer.append(contentsOf: repeatElement(0, count: 12))
        buffer.append(contentsOf: bytes)
    }
}
