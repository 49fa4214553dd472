import Foundation
import Testing
import PolymarketSigning

@Suite("EIP-712 order signing against eth_account / py-clob-client-v2 vectors")
struct OrderSigningTests {
    static func orderCase(_ name: String) throws -> SigningVectors.OrderCase {
        try #require(try SigningVectors.load().orders.first { $0.name == name })
    }

    func checkDigestAndSignature(_ name: String) throws {
        let vector = try Self.orderCase(name)
        let signed = try vector.build()
        #expect(signed.order == (try vector.clobOrder()))
        let digest = try EIP712.orderDigest(signed.order, exchange: .forNegRisk(vector.negRisk))
        #expect("0x" + hex(digest) == vector.digest)
        #expect("0x" + hex(signed.signature) == vector.signature)
    }

    @Test("EOA limit BUY on the CTF exchange: digest and RFC 6979 signature equal eth_account's bytes")
    func eoaLimitBuy() throws { try checkDigestAndSignature("eoa_limit_buy_ctf") }

    @Test("POLY_PROXY limit SELL signs with the funder as maker and the EOA as signer")
    func proxyLimitSell() throws {
        try checkDigestAndSignature("proxy_limit_sell_ctf")
        let vector = try Self.orderCase("proxy_limit_sell_ctf")
        let order = try vector.build().order
        #expect(order.maker == (try EthereumAddress(hex: vector.funder!)))
        #expect(order.signer == (try PrivateKey(hex: vector.privateKey)).address)
        #expect(order.signatureType == .polyProxy)
    }

    @Test("market BUY on the neg-risk exchange signs over the neg-risk verifyingContract")
    func negRiskMarketBuy() throws {
        try checkDigestAndSignature("eoa_market_buy_negrisk")
        let order = try Self.orderCase("eoa_market_buy_negrisk").build().order
        #expect(try EIP712.orderDigest(order, exchange: .negRiskV2) != (try EIP712.orderDigest(order, exchange: .ctfV2)))
    }

    @Test("Gnosis-safe market SELL on the neg-risk exchange matches the vector")
    func safeMarketSell() throws { try checkDigestAndSignature("safe_market_sell_negrisk") }

    @Test("the largest token id, 64-bit amounts and non-zero metadata/builder encode as eth_account does")
    func rawStructWithBuilderCode() throws {
        for vector in try SigningVectors.load().rawOrders {
            let order = try vector.clobOrder()
            let digest = try EIP712.orderDigest(order, exchange: .forNegRisk(vector.negRisk))
            #expect("0x" + hex(digest) == vector.digest)
            #expect("0x" + hex(try PrivateKey(hex: vector.privateKey).sign(digest: digest)) == vector.signature)
        }
    }

    @Test("every vector signature recovers to the order's signer")
    func vectorSignaturesRecover() throws {
        let vectors = try SigningVectors.load()
        for vector in vectors.orders + vectors.rawOrders {
            let recovered = try Secp256k1Recovery.recoverAddress(digest: bytes(vector.digest), signature: bytes(vector.signature))
            #expect(recovered.checksummed == vector.signer, "\(vector.name)")
        }
    }

    @Test("a token id above 2^256 - 1, with non-digits or with leading zeros is rejected")
    func invalidTokenIDs() throws {
        var order = try Self.orderCase("eoa_limit_buy_ctf").clobOrder()
        for tokenID in ["115792089237316195423570985008687907853269984665640564039457584007913129639936", "", "12a", "-1", "0123",
                        String(repeating: "9", count: 79)] {
            order.tokenID = tokenID
            #expect(throws: SigningError.self, "\(tokenID)") { try EIP712.orderDigest(order, exchange: .ctfV2) }
        }
    }

    @Test("metadata or builder of other than 32 bytes is rejected")
    func metadataLength() throws {
        var order = try Self.orderCase("eoa_limit_buy_ctf").clobOrder()
        order.builder = [1, 2, 3]
        #expect { try EIP712.orderDigest(order, exchange: .ctfV2) } throws: { ($0 as? SigningError)?.code == .invalidOrder }
    }

    @Test("the exchanges carry the V2 contract addresses and domain version 2")
    func exchanges() {
        #expect(ClobExchange.ctfV2.address.checksummed == "0xE111180000d2663C0091e4f400237545B87B996B")
        #expect(ClobExchange.negRiskV2.address.checksummed == "0xe2222d279d744050d28e00520010520000310F59")
        #expect(ClobExchange.ctfV2.version == "2" && ClobExchange.negRiskV2.version == "2")
        #expect(ClobExchange.forNegRisk(true) == .negRiskV2 && ClobExchange.forNegRisk(false) == .ctfV2)
    }

    @Test("proxy and safe signature types need a funder")
    func funderRequired() throws {
        let key = try PrivateKey(hex: "0x" + String(repeating: "11", count: 32))
        for type in [SignatureType.polyProxy, .polyGnosisSafe] {
            #expect { _ = try OrderBuilder(privateKey: key, signatureType: type) } throws: { ($0 as? SigningError)?.code == .missingFunder }
        }
    }

    @Test("an EOA builder refuses a funder other than its own address")
    func eoaRejectsForeignFunder() throws {
        let key = try PrivateKey(hex: "0x" + String(repeating: "11", count: 32))
        #expect(throws: SigningError.self) { try OrderBuilder(privateKey: key, funder: .zero) }
        #expect(try OrderBuilder(privateKey: key, funder: key.address).maker == key.address)
    }

    @Test("without explicit values the salt is below the timestamp and the timestamp is now in milliseconds")
    func defaultSaltAndTimestamp() throws {
        let builder = try OrderBuilder(privateKey: PrivateKey(hex: "0x" + String(repeating: "11", count: 32)))
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let order = try builder.limitOrder(tokenID: "1", side: .buy, price: 0.5, size: 10, tick: TickSize("0.01"), negRisk: false).order
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        #expect(order.timestampMs >= before - 1 && order.timestampMs <= after + 1)
        #expect(order.salt < order.timestampMs)
    }
}
