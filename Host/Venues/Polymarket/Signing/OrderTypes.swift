import VenueKit
import Foundation

/// Who signs for whom: `maker` is the funder for the proxy types, the signing EOA otherwise.
public enum SignatureType: UInt8, Sendable {
    case eoa = 0
    /// Magic/email proxy wallet.
    case polyProxy = 1
    /// Browser (Gnosis Safe) proxy wallet.
    case polyGnosisSafe = 2
}

/// Time in force of a CLOB order.
public enum ClobOrderType: String, Sendable, CaseIterable {
    case gtc = "GTC", gtd = "GTD", fok = "FOK", fak = "FAK"
}

/// Order side; the raw value is the `uint8` in the signed struct.
public enum OrderSide: UInt8, Sendable {
    case buy = 0, sell = 1

    /// The JSON body spelling.
    public var wire: String { self == .buy ? "BUY" : "SELL" }

    init?(wire: String) {
        switch wire {
        case "BUY": self = .buy
        case "SELL": self = .sell
        default: return nil
        }
    }
}

/// A market's minimum tick and the decimals the venue accepts at that tick (py-clob-client-v2 `ROUNDING_CONFIG`).
public struct TickSize: Sendable, Hashable, CustomStringConvertible {
    /// The tick as an exact decimal.
    public let value: Decimal
    /// Decimals of a price on this tick grid.
    public let priceDecimals: Int
    /// Decimals kept of a share size.
    public let sizeDecimals: Int
    /// Decimals kept of a derived amount (price × size or amount / price).
    public let amountDecimals: Int

    /// The six ticks the CLOB uses: (tick text, price, size, amount decimals).
    static let table: [(String, Int, Int, Int)] = [
        ("0.1", 1, 2, 3), ("0.01", 2, 2, 4), ("0.005", 3, 2, 5),
        ("0.0025", 4, 2, 6), ("0.001", 3, 2, 5), ("0.0001", 4, 2, 6),
    ]

    /// The supported ticks, coarsest first.
    public static let all: [TickSize] = table.map { TickSize(row: $0) }

    private init(row: (String, Int, Int, Int)) {
        value = Decimal(string: row.0, locale: Locale(identifier: "en_US_POSIX"))!
        priceDecimals = row.1
        sizeDecimals = row.2
        amountDecimals = row.3
    }

    /// Parses "0.1", "0.01", "0.005", "0.0025", "0.001" or "0.0001" (trailing zeros allowed, e.g. "0.010").
    public init(_ text: String) throws(SigningError) {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw SigningError(.invalidTickSize, "tick size '\(text)' is not a number; expected one of 0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001")
        }
        try self.init(value: value)
    }

    /// The tick whose value equals `value` exactly.
    public init(value: Decimal) throws(SigningError) {
        guard let match = TickSize.all.first(where: { $0.value == value }) else {
            throw SigningError(.invalidTickSize, "tick size \(value) is not supported; expected one of 0.1, 0.01, 0.005, 0.0025, 0.001, 0.0001")
        }
        self = match
    }

    public var description: String { "\(value)" }
}

/// A CTF exchange contract: the EIP-712 `verifyingContract` and domain `version` of the orders it settles.
public struct ClobExchange: Sendable, Hashable {
    public var address: EthereumAddress
    public var version: String

    public init(address: EthereumAddress, version: String) {
        self.address = address
        self.version = version
    }

    /// CTF Exchange V2 (binary markets, such as the crypto up/down series).
    public static let ctfV2 = ClobExchange(
        address: EthereumAddress(unchecked: Hex.decode("E111180000d2663C0091e4f400237545B87B996B")!), version: "2")
    /// Neg-Risk CTF Exchange V2 (multi-outcome events).
    public static let negRiskV2 = ClobExchange(
        address: EthereumAddress(unchecked: Hex.decode("e2222d279d744050d28e00520010520000310F59")!), version: "2")

    /// The V2 exchange for a market's `negRisk` flag.
    public static func forNegRisk(_ negRisk: Bool) -> ClobExchange { negRisk ? negRiskV2 : ctfV2 }
}

/// The V2 order struct that is signed (EIP-712 type `Order`). `expiration` is not part of it.
public struct ClobOrder: Sendable, Hashable {
    public var salt: UInt64
    /// The funder (proxy wallet for signature types 1/2, the EOA otherwise).
    public var maker: EthereumAddress
    /// The EOA whose key signs.
    public var signer: EthereumAddress
    /// The outcome token id, a decimal uint256.
    public var tokenID: String
    /// 6-decimal base units the maker gives (pUSD for BUY, shares for SELL).
    public var makerAmount: UInt64
    /// 6-decimal base units the maker receives.
    public var takerAmount: UInt64
    public var side: OrderSide
    public var signatureType: SignatureType
    /// Creation time in milliseconds.
    public var timestampMs: UInt64
    /// 32 bytes, zero unless the venue asks otherwise.
    public var metadata: [UInt8]
    /// 32-byte builder code for attribution, zero when none.
    public var builder: [UInt8]

    public init(salt: UInt64, maker: EthereumAddress, signer: EthereumAddress, tokenID: String, makerAmount: UInt64,
                takerAmount: UInt64, side: OrderSide, signatureType: SignatureType, timestampMs: UInt64,
                metadata: [UInt8] = [UInt8](repeating: 0, count: 32), builder: [UInt8] = [UInt8](repeating: 0, count: 32)) {
        self.salt = salt
        self.maker = maker
        self.signer = signer
        self.tokenID = tokenID
        self.makerAmount = makerAmount
        self.takerAmount = takerAmount
        self.side = side
        self.signatureType = signatureType
        self.timestampMs = timestampMs
        self.metadata = metadata
        self.builder = builder
    }
}

/// Decimal text → 32-byte big-endian uint256 (token ids have up to 78 digits).
enum UInt256 {
    static func bigEndian(decimal text: String) throws(SigningError) -> [UInt8] {
        let digits = text.utf8
        guard !digits.isEmpty, digits.count <= 78, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw SigningError(.invalidTokenID, "token id '\(text)' must be a decimal integer of 1…78 digits")
        }
        guard digits.count == 1 || digits.first != UInt8(ascii: "0") else {
            throw SigningError(.invalidTokenID, "token id '\(text)' has leading zeros; pass it exactly as the venue lists it")
        }
        // Four 64-bit limbs, least significant first: limbs = limbs·10 + digit, failing on carry out.
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        for d in digits {
            var carry = UInt64(d - 0x30)
            func step(_ limb: inout UInt64) {
                let (high, low) = limb.multipliedFullWidth(by: 10)
                let (sum, overflow) = low.addingReportingOverflow(carry)
                limb = sum
                carry = high + (overflow ? 1 : 0)
            }
            step(&limbs.0); step(&limbs.1); step(&limbs.2); step(&limbs.3)
            guard carry == 0 else {
                throw SigningError(.invalidTokenID, "token id '\(text)' exceeds 2^256 - 1")
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(32)
        appendBigEndian(limbs.3, to: &out); appendBigEndian(limbs.2, to: &out)
        appendBigEndian(limbs.1, to: &out); appendBigEndian(limbs.0, to: &out)
        return out
    }

    /// Appends `value` as a 32-byte big-endian word.
    static func appendWord(_ value: UInt64, to buffer: inout [UInt8]) {
        buffer.append(contentsOf: repeatElement(0, count: 24))
        appendBigEndian(value, to: &buffer)
    }

    private static func appendBigEndian(_ value: UInt64, to buffer: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { buffer.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
