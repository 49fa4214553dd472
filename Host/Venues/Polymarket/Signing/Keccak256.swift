/// Keccak-256 as Ethereum uses it: the original Keccak padding (0x01), not FIPS-202 SHA3-256 (0x06).
///
/// The sponge state lives in a stack buffer of 25 lanes and the permutation is written out per round
/// (theta, rho+pi, chi, iota), so hashing an EIP-712 struct costs no heap allocation beyond the result.
public enum Keccak256 {
    /// Rate of Keccak-256 in bytes (1600 − 2·256 bits).
    static let rate = 136

    /// The 32-byte Keccak-256 digest of `bytes`.
    public static func hash<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { hash($0) }
    }

    /// The 32-byte Keccak-256 digest of raw bytes.
    static func hash(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 25) { state in
            let s = state.baseAddress!
            s.initialize(repeating: 0, count: 25)
            var offset = 0
            while input.count - offset >= rate {
                absorb(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + rate)]), into: s)
                offset += rate
            }
            // Final block: the tail, then pad10*1 with Keccak's domain byte 0x01.
            withUnsafeTemporaryAllocation(byteCount: rate, alignment: 8) { block in
                block.initializeMemory(as: UInt8.self, repeating: 0)
                let tail = input.count - offset
                if tail > 0 {
                    block.baseAddress!.copyMemory(from: input.baseAddress! + offset, byteCount: tail)
                }
                block[tail] ^= 0x01
                block[rate - 1] ^= 0x80
                absorb(UnsafeRawBufferPointer(block), into: s)
            }
            return [UInt8](unsafeUninitializedCapacity: 32) { out, count in
                for lane in 0..<4 {
                    let v = s[lane]
                    for byte in 0..<8 { out[lane * 8 + byte] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(byte))) }
                }
                count = 32
            }
        }
    }

    private static func absorb(_ block: UnsafeRawBufferPointer, into s: UnsafeMutablePointer<UInt64>) {
        for lane in 0..<(rate / 8) {
            s[lane] ^= UInt64(littleEndian: block.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self))
        }
        permute(s)
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x &<< n) | (x &>> (64 &- n)) }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]

    /// Keccak-f[1600]. Lane index is x + 5·y; `b` holds rho+pi output (B[y, 2x+3y] = rot(A[x,y], r[x,y])).
    private static func permute(_ s: UnsafeMutablePointer<UInt64>) {
        for round in 0..<24 {
            let c0 = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20]
            let c1 = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21]
            let c2 = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22]
            let c3 = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23]
            let c4 = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24]
            let d0 = c4 ^ rotl(c1, 1)
            let d1 = c0 ^ rotl(c2, 1)
            let d2 = c1 ^ rotl(c3, 1)
            let d3 = c2 ^ rotl(c4, 1)
            let d4 = c3 ^ rotl(c0, 1)
            let b0 = s[0] ^ d0
            let b1 = rotl(s[6] ^ d1, 44)
            let b2 = rotl(s[12] ^ d2, 43)
            let b3 = rotl(s[18] ^ d3, 21)
            let b4 = rotl(s[24] ^ d4, 14)
            let b5 = rotl(s[3] ^ d3, 28)
            let b6 = rotl(s[9] ^ d4, 20)
            let b7 = rotl(s[10] ^ d0, 3)
            let b8 = rotl(s[16] ^ d1, 45)
            let b9 = rotl(s[22] ^ d2, 61)
            let b10 = rotl(s[1] ^ d1, 1)
            let b11 = rotl(s[7] ^ d2, 6)
            let b12 = rotl(s[13] ^ d3, 25)
            let b13 = rotl(s[19] ^ d4, 8)
            let b14 = rotl(s[20] ^ d0, 18)
            let b15 = rotl(s[4] ^ d4, 27)
            let b16 = rotl(s[5] ^ d0, 36)
            let b17 = rotl(s[11] ^ d1, 10)
            let b18 = rotl(s[17] ^ d2, 15)
            let b19 = rotl(s[23] ^ d3, 56)
            let b20 = rotl(s[2] ^ d2, 62)
            let b21 = rotl(s[8] ^ d3, 55)
            let b22 = rotl(s[14] ^ d4, 39)
            let b23 = rotl(s[15] ^ d0, 41)
            let b24 = rotl(s[21] ^ d1, 2)
            s[0] = b0 ^ (~b1 & b2)
            s[1] = b1 ^ (~b2 & b3)
            s[2] = b2 ^ (~b3 & b4)
            s[3] = b3 ^ (~b4 & b0)
            s[4] = b4 ^ (~b0 & b1)
            s[5] = b5 ^ (~b6 & b7)
            s[6] = b6 ^ (~b7 & b8)
            s[7] = b7 ^ (~b8 & b9)
            s[8] = b8 ^ (~b9 & b5)
            s[9] = b9 ^ (~b5 & b6)
            s[10] = b10 ^ (~b11 & b12)
            s[11] = b11 ^ (~b12 & b13)
            s[12] = b12 ^ (~b13 & b14)
            s[13] = b13 ^ (~b14 & b10)
            s[14] = b14 ^ (~b10 & b11)
            s[15] = b15 ^ (~b16 & b17)
            s[16] = b16 ^ (~b17 & b18)
            s[17] = b17 ^ (~b18 & b19)
            s[18] = b18 ^ (~b19 & b15)
            s[19] = b19 ^ (~b15 & b16)
            s[20] = b20 ^ (~b21 & b22)
            s[21] = b21 ^ (~b22 & b23)
            s[22] = b22 ^ (~b23 & b24)
            s[23] = b23 ^ (~b24 & b20)
            s[24] = b24 ^ (~b20 & b21)
            s[0] ^= roundConstants[round]
        }
    }
}
