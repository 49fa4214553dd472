import VenueKit
/// EIP-712 digests of the two typed messages the CLOB needs: V2 orders and the L1 `ClobAuth` attestation.
public enum EIP712 {
    static let orderTypeHash = Keccak256.hash(
        "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,bytes32 builder)".utf8)
    static let exchangeDomainTypeHash = Keccak256.hash(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)".utf8)
    static let exchangeNameHash = Keccak256.hash("Polymarket CTF Exchange".utf8)

    static let clobAuthTypeHash = Keccak256.hash("ClobAuth(address address,string timestamp,uint256 nonce,string message)".utf8)
    static let clobAuthDomainTypeHash = Keccak256.hash("EIP712Domain(string name,string version,uint256 chainId)".utf8)
    /// The fixed attestation text the server expects in `ClobAuth.message`.
    public static let clobAuthMessage = "This message attests that I control the given wallet"
    static let clobAuthMessageHash = Keccak256.hash(clobAuthMessage.utf8)

    /// Domain separators of the two production exchanges on Polygon, computed once.
    static let polygonSeparators: [ClobExchange: [UInt8]] = [
        .ctfV2: exchangeDomainSeparator(.ctfV2, chainID: 137),
        .negRiskV2: exchangeDomainSeparator(.negRiskV2, chainID: 137),
    ]

    /// keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(order)) — the digest the order signature covers.
    /// The venue's id of an order: `0x` + the hex of its EIP-712 digest (known before it is sent).
    public static func orderID(_ order: ClobOrder, exchange: ClobExchange, chainID: UInt64 = 137) throws(SigningError) -> String {
        Hex.encode(try orderDigest(order, exchange: exchange, chainID: chainID))
    }

    public static func orderDigest(_ order: ClobOrder, exchange: ClobExchange, chainID: UInt64 = 137) throws(SigningError) -> [UInt8] {
        guard order.metadata.count == 32, order.builder.count == 32 else {
            throw SigningError(.invalidOrder, "metadata and builder must be 32 bytes (got \(order.metadata.count) and \(order.builder.count))")
        }
        var encoded = [UInt8]()
        encoded.reserveCapacity(12 * 32)
        encoded.append(contentsOf: orderTypeHash)
        UInt256.appendWord(order.salt, to: &encoded)
        order.maker.appendWord(to: &encoded)
        order.signer.appendWord(to: &encoded)
        encoded.append(contentsOf: try UInt256.bigEndian(decimal: order.tokenID))
        UInt256.appendWord(order.makerAmount, to: &encoded)
        UInt256.appendWord(order.takerAmount, to: &encoded)
        UInt256.appendWord(UInt64(order.side.rawValue), to: &encoded)
        UInt256.appendWord(UInt64(order.signatureType.rawValue), to: &encoded)
        UInt256.appendWord(order.timestampMs, to: &encoded)
        encoded.append(contentsOf: order.metadata)
        encoded.append(contentsOf: order.builder)
        let separator = chainID == 137 ? polygonSeparators[exchange] : nil
        return typedDataDigest(domainSeparator: separator ?? exchangeDomainSeparator(exchange, chainID: chainID),
                               structHash: Keccak256.hash(encoded))
    }

    /// The L1 digest: `ClobAuth{address, timestamp (unix seconds as text), nonce, message}` in the
    /// `ClobAuthDomain` v1 domain, which has no verifyingContract.
    public static func clobAuthDigest(address: EthereumAddress, timestamp: String, nonce: UInt64, chainID: UInt64 = 137) -> [UInt8] {
        var domain = [UInt8]()
        domain.reserveCapacity(4 * 32)
        domain.append(contentsOf: clobAuthDomainTypeHash)
        domain.append(contentsOf: Keccak256.hash("ClobAuthDomain".utf8))
        domain.append(contentsOf: Keccak256.hash("1".utf8))
        UInt256.appendWord(chainID, to: &domain)

        var message = [UInt8]()
        message.reserveCapacity(5 * 32)
        message.append(contentsOf: clobAuthTypeHash)
        address.appendWord(to: &message)
        message.append(contentsOf: Keccak256.hash(timestamp.utf8))
        UInt256.appendWord(nonce, to: &message)
        message.append(contentsOf: clobAuthMessageHash)
        return typedDataDigest(domainSeparator: Keccak256.hash(domain), structHash: Keccak256.hash(message))
    }

    /// hashStruct(EIP712Domain{name, version, chainId, verifyingContract}) of an exchange.
    static func exchangeDomainSeparator(_ exchange: ClobExchange, chainID: UInt64) -> [UInt8] {
        var domain = [UInt8]()
        domain.reserveCapacity(5 * 32)
        domain.append(contentsOf: exchangeDomainTypeHash)
        domain.append(contentsOf: exchangeNameHash)
        domain.append(contentsOf: Keccak256.hash(exchange.version.utf8))
        UInt256.appendWord(chainID, to: &domain)
        exchange.address.appendWord(to: &domain)
        return Keccak256.hash(domain)
    }

    static func typedDataDigest(domainSeparator: [UInt8], structHash: [UInt8]) -> [UInt8] {
        var message: [UInt8] = [0x19, 0x01]
        message.reserveCapacity(66)
        message.append(contentsOf: domainSeparator)
        message.append(contentsOf: structHash)
        return Keccak256.hash(message)
    }
}
