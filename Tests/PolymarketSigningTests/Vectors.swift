import Foundation
import PolymarketSigning

/// The independent vectors written by scripts/polymarket_vectors.py (eth-account + py-clob-client-v2).
struct SigningVectors: Decodable {
    struct Key: Decodable { var privateKey: String; var address: String }
    struct KeccakCase: Decodable { var length: Int; var hash: String }
    struct AmountCase: Decodable {
        var kind: String; var side: String; var price: String; var quantity: String; var tick: String
        var maker: UInt64; var taker: UInt64
    }
    struct OrderCase: Decodable {
        var name: String; var privateKey: String; var signatureType: UInt8; var funder: String?; var negRisk: Bool
        var kind: String?; var side: String; var price: String?; var quantity: String?; var tick: String?
        var tokenId: String; var salt: UInt64; var timestampMs: UInt64; var expiration: UInt64?
        var orderType: String?; var postOnly: Bool?; var deferExec: Bool?
        var maker: String; var signer: String; var makerAmount: String; var takerAmount: String
        var metadata: String; var builder: String; var digest: String; var signature: String
        var owner: String?; var body: String?
    }
    struct ClobAuthCase: Decodable {
        var privateKey: String; var address: String; var timestamp: Int64; var nonce: UInt64
        var digest: String; var signature: String; var headers: [[String]]
    }
    struct HMACCase: Decodable {
        var secret: String; var timestamp: Int64; var method: String; var path: String; var body: String?
        var signature: String; var apiKey: String; var passphrase: String; var address: String; var headers: [[String]]
    }

    var keys: [Key]
    var keccak: [KeccakCase]
    var amounts: [AmountCase]
    var orders: [OrderCase]
    var rawOrders: [OrderCase]
    var clobAuth: [ClobAuthCase]
    var hmac: [HMACCase]

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Vectors/signing_vectors.json")

    static func load() throws -> SigningVectors {
        try JSONDecoder().decode(SigningVectors.self, from: Data(contentsOf: url))
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func bytes(_ hexText: String) -> [UInt8] {
    let digits = Array(hexText.hasPrefix("0x") ? hexText.dropFirst(2) : Substring(hexText))
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func decimal(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

extension SigningVectors.OrderCase {
    var orderSide: OrderSide { side == "BUY" ? .buy : .sell }

    /// Builds and signs this case through `OrderBuilder` with the vector's salt and timestamp.
    func build() throws -> SignedOrder {
        let builder = try OrderBuilder(
            privateKey: PrivateKey(hex: privateKey), signatureType: SignatureType(rawValue: signatureType)!,
            funder: try funder.map { try EthereumAddress(hex: $0) })
        let tick = try TickSize(self.tick!)
        if kind == "limit" {
            return try builder.limitOrder(
                tokenID: tokenId, side: orderSide, price: decimal(price!), size: decimal(quantity!), tick: tick,
                negRisk: negRisk, expiration: expiration ?? 0, salt: salt, timestampMs: timestampMs)
        }
        return try builder.marketOrder(
            tokenID: tokenId, side: orderSide, amount: decimal(quantity!), price: decimal(price!), tick: tick,
            negRisk: negRisk, salt: salt, timestampMs: timestampMs)
    }

    /// The struct exactly as the vector states it (no builder logic involved).
    func clobOrder() throws -> ClobOrder {
        ClobOrder(
            salt: salt, maker: try EthereumAddress(hex: maker), signer: try EthereumAddress(hex: signer), tokenID: tokenId,
            makerAmount: UInt64(makerAmount)!, takerAmount: UInt64(takerAmount)!, side: orderSide,
            signatureType: SignatureType(rawValue: signatureType)!, timestampMs: timestampMs,
            metadata: bytes(metadata), builder: bytes(builder))
    }
}
