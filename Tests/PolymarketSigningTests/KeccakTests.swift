import Testing
import PolymarketSigning

@Suite("Keccak-256")
struct KeccakTests {
    @Test("empty input hashes to the Ethereum empty-keccak constant (0x01 padding, not SHA3's 0x06)")
    func emptyInput() {
        #expect(hex(Keccak256.hash([UInt8]())) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    }

    @Test("\"abc\" matches the published Keccak-256 vector")
    func abc() {
        #expect(hex(Keccak256.hash("abc".utf8)) == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45")
    }

    @Test("200 bytes of 0xa3 (two blocks) match the published Keccak-256 vector")
    func twoHundredA3() {
        #expect(hex(Keccak256.hash([UInt8](repeating: 0xA3, count: 200)))
            == "3a57666b048777f2c953dc4456f45a2588e1cb6f2da760122d530ac2ce607d4a")
    }

    @Test("a 43-byte sentence matches the well-known quick-brown-fox digest")
    func quickBrownFox() {
        #expect(hex(Keccak256.hash("The quick brown fox jumps over the lazy dog".utf8))
            == "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15")
    }

    @Test("inputs of 1, 135, 136, 137, 271…273 and 1000 bytes match pycryptodome across the 136-byte rate boundary")
    func rateBoundaries() throws {
        let cases = try SigningVectors.load().keccak
        #expect(cases.map(\.length).contains(136))
        for c in cases {
            let input = (0..<c.length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
            #expect(hex(Keccak256.hash(input)) == c.hash, "length \(c.length)")
        }
    }

    @Test("a non-contiguous collection hashes like the same bytes in an array")
    func nonContiguousCollection() {
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        let lazy = bytes.lazy.filter { _ in true }
        #expect(Keccak256.hash(lazy) == Keccak256.hash(bytes))
    }
}
