import Foundation

/// Builds and signs V2 CLOB orders for one key (and funder).
public struct OrderBuilder: Sendable {
    public let privateKey: PrivateKey
    public let signatureType: SignatureType
    /// The order `maker`: the funder (proxy wallet) for signature types 1/2, the key's address for EOA.
    public let maker: EthereumAddress
    public let chainID: UInt64

    /// For `.polyProxy`/`.polyGnosisSafe` the funder (proxy wallet holding the funds) is required;
    /// for `.eoa` it must be absent or equal to the key's address.
    public init(privateKey: PrivateKey, signatureType: SignatureType = .eoa, funder: EthereumAddress? = nil, chainID: UInt64 = 137) throws(SigningError) {
        switch (signatureType, funder) {
        case (.eoa, nil):
            maker = privateKey.address
        case (.eoa, let funder?):
            guard funder == privateKey.address else {
                throw SigningError(.invalidOrder, "funder \(funder) differs from the key's address \(privateKey.address) but signature type is EOA; use polyProxy or polyGnosisSafe for a proxy wallet")
            }
            maker = funder
        case (_, let funder?):
            maker = funder
        case (_, nil):
            throw SigningError(.missingFunder, "signature type \(signatureType) needs the funder (proxy wallet) address that holds the funds")
        }
        self.privateKey = privateKey
        self.signatureType = signatureType
        self.chainID = chainID
    }

    /// Limit order (GTC/GTD, or FOK/FAK at a limit price). Validates price on the tick grid and within [tick, 1-tick].
    public func limitOrder(tokenID: String, side: OrderSide, price: Decimal, size: Decimal, tick: TickSize, negRisk: Bool,
                           expiration: UInt64 = 0, salt: UInt64? = nil, timestampMs: UInt64? = nil) throws(SigningError) -> SignedOrder {
        let amounts = try OrderAmounts.limit(side: side, price: price, size: size, tick: tick)
        return try sign(tokenID: tokenID, side: side, amounts: amounts, negRisk: negRisk, expiration: expiration, salt: salt, timestampMs: timestampMs)
    }

    /// Marketable order: BUY `amount` in pUSD, SELL `amount` in shares; `price` is the worst acceptable price.
    public func marketOrder(tokenID: String, side: OrderSide, amount: Decimal, price: Decimal, tick: TickSize, negRisk: Bool,
                            salt: UInt64? = nil, timestampMs: UInt64? = nil) throws(SigningError) -> SignedOrder {
        let amounts = try OrderAmounts.market(side: side, amount: amount, price: price, tick: tick)
        return try sign(tokenID: tokenID, side: side, amounts: amounts, negRisk: negRisk, expiration: 0, salt: salt, timestampMs: timestampMs)
    }

    private func sign(tokenID: String, side: OrderSide, amounts: (maker: UInt64, taker: UInt64), negRisk: Bool,
                      expiration: UInt64, salt: UInt64?, timestampMs: UInt64?) throws(SigningError) -> SignedOrder {
        let now = timestampMs ?? Self.nowMs()
        let order = ClobOrder(
            // As py-clob-client-v2: int(random() * now_ms).
            salt: salt ?? UInt64.random(in: 0..<max(now, 1)),
            maker: maker, signer: privateKey.address, tokenID: tokenID,
            makerAmount: amounts.maker, takerAmount: amounts.taker, side: side,
            signatureType: signatureType, timestampMs: now)
        let digest = try EIP712.orderDigest(order, exchange: .forNegRisk(negRisk), chainID: chainID)
        return SignedOrder(order: order, signature: try privateKey.sign(digest: digest), expiration: expiration)
    }

    static func nowMs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
