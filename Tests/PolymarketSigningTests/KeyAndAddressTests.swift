import Testing
import PolymarketSigning

@Suite("Keys, addresses and recovery")
struct KeyAndAddressTests {
    @Test("a private key derives the address eth_account derives, EIP-55 checksummed")
    func addressDerivation() throws {
        for key in try SigningVectors.load().keys {
            #expect(try PrivateKey(hex: key.privateKey).address.checksummed == key.address)
        }
    }

    @Test("EIP-55 checksum matches the EIP's own examples")
    func eip55Examples() throws {
        for text in ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                     "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"] {
            let address = try EthereumAddress(hex: text.lowercased())
            #expect(address.checksummed == text)
            #expect(address.description == text)
        }
    }

    @Test("an all-lowercase or all-uppercase address parses without a checksum, with or without 0x")
    func caseInsensitiveParsing() throws {
        let expected = try EthereumAddress(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        #expect(try EthereumAddress(hex: "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == expected)
        #expect(try EthereumAddress(hex: "0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED") == expected)
    }

    @Test("a mixed-case address with a wrong checksum is rejected naming the right one")
    func badChecksumRejected() {
        #expect {
            _ = try EthereumAddress(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")
        } throws: { error in
            let e = error as? SigningError
            return e?.code == .invalidAddress && e!.message.contains("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        }
    }

    @Test("addresses of the wrong length or with non-hex characters are rejected")
    func malformedAddressesRejected() {
        for text in ["", "0x", "0x1234", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedaa", "0xzaaeb6053f3e94c9b9a09f33669435e7ef1beaed"] {
            #expect(throws: SigningError.self) { try EthereumAddress(hex: text) }
        }
    }

    @Test("the zero address is twenty zero bytes")
    func zeroAddress() {
        #expect(EthereumAddress.zero.bytes == [UInt8](repeating: 0, count: 20))
        #expect(EthereumAddress.zero.checksummed == "0x0000000000000000000000000000000000000000")
    }

    @Test("zero, the group order and malformed text are refused as private keys")
    func invalidKeysRejected() {
        for text in [String(repeating: "0", count: 64),
                     "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
                     "0x1234", String(repeating: "g", count: 64)] {
            #expect { _ = try PrivateKey(hex: text) } throws: { ($0 as? SigningError)?.code == .invalidKey }
        }
    }

    @Test("a signature recovers to the signing key's address, with v 27/28 or 0/1")
    func recoveryRoundTrip() throws {
        let key = try PrivateKey(hex: "0x" + String(repeating: "42", count: 32))
        let digest = Keccak256.hash("recover me".utf8)
        var signature = try key.sign(digest: digest)
        #expect(signature.count == 65 && (signature[64] == 27 || signature[64] == 28))
        #expect(try Secp256k1Recovery.recoverAddress(digest: digest, signature: signature) == key.address)
        signature[64] -= 27
        #expect(try Secp256k1Recovery.recoverAddress(digest: digest, signature: signature) == key.address)
    }

    @Test("a signature over one digest does not recover the signer for another digest")
    func recoveryDetectsTampering() throws {
        let key = try PrivateKey(hex: "0x" + String(repeating: "42", count: 32))
        let signature = try key.sign(digest: Keccak256.hash("a".utf8))
        let recovered = try? Secp256k1Recovery.recoverAddress(digest: Keccak256.hash("b".utf8), signature: signature)
        #expect(recovered != key.address)
    }

    @Test("signatures have low s (≤ n/2), as Ethereum requires")
    func lowS() throws {
        let halfOrder = bytes("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0")
        let key = try PrivateKey(hex: "0x" + String(repeating: "07", count: 32))
        for i in 0..<32 {
            let s = Array(try key.sign(digest: Keccak256.hash([UInt8(i)]))[32..<64])
            #expect(s.lexicographicallyPrecedes(halfOrder) || s == halfOrder)
        }
    }

    @Test("recovery rejects a signature of the wrong length or with an invalid v")
    func recoveryRejectsMalformed() {
        let digest = [UInt8](repeating: 1, count: 32)
        #expect(throws: SigningError.self) { try Secp256k1Recovery.recoverAddress(digest: digest, signature: [UInt8](repeating: 1, count: 64)) }
        #expect(throws: SigningError.self) { try Secp256k1Recovery.recoverAddress(digest: digest, signature: [UInt8](repeating: 1, count: 64) + [29]) }
    }

    @Test("a private key's description and reflection never contain the key")
    func privateKeyMasked() throws {
        let secret = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
        let key = try PrivateKey(hex: secret)
        var dumped = ""
        dump(key, to: &dumped)
        for text in [key.description, String(reflecting: key), "\(key)", dumped] {
            #expect(!text.lowercased().contains(secret))
            #expect(!text.lowercased().contains(secret.prefix(16)))
        }
        #expect(key.description.contains(key.address.checksummed))
    }
}
