import Foundation
import Logging
import PolymarketSigning

/// The account a live Polymarket instance trades with, read from the environment only
/// (never from configuration files, never logged).
///
/// ## Environment variables
/// - `POLYMARKET_PRIVATE_KEY`: the signer's secp256k1 key (hex, `0x` optional). Required.
/// - `POLYMARKET_API_KEY`, `POLYMARKET_API_SECRET`, `POLYMARKET_API_PASSPHRASE`: L2 API
///   credentials. When all three are absent the host creates or derives them with the key (L1).
/// - `POLYMARKET_FUNDER`: the proxy/safe wallet holding the funds (signature types 1 and 2).
/// - `POLYMARKET_SIGNATURE_TYPE`: `eoa` (0, default), `proxy` (1) or `safe` (2).
public struct PolymarketAccount: Sendable, CustomStringConvertible {
    public var privateKey: PrivateKey
    public var credentials: ApiCredentials?
    public var funder: EthereumAddress?
    public var signatureType: SignatureType

    public struct MissingError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public static let keyVariable = "POLYMARKET_PRIVATE_KEY"

    public init(privateKey: PrivateKey, credentials: ApiCredentials?, funder: EthereumAddress?, signatureType: SignatureType) {
        self.privateKey = privateKey
        self.credentials = credentials
        self.funder = funder
        self.signatureType = signatureType
    }

    /// Reads the account; every problem names the variable and how to fix it, never a value.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) throws -> PolymarketAccount {
        guard let keyText = env[keyVariable], !keyText.isEmpty else {
            throw MissingError(description: "\(keyVariable) is not set; export the signer's private key (hex) in the environment — it is never read from files")
        }
        let key: PrivateKey
        do { key = try PrivateKey(hex: keyText) } catch {
            throw MissingError(description: "\(keyVariable) is not a valid secp256k1 private key (expected 64 hex digits, 0x optional)")
        }
        let parts = ["POLYMARKET_API_KEY", "POLYMARKET_API_SECRET", "POLYMARKET_API_PASSPHRASE"].map { env[$0].flatMap { $0.isEmpty ? nil : $0 } }
        var credentials: ApiCredentials?
        if parts.allSatisfy({ $0 != nil }) {
            credentials = ApiCredentials(apiKey: parts[0]!, secret: parts[1]!, passphrase: parts[2]!)
        } else if parts.contains(where: { $0 != nil }) {
            throw MissingError(description: "set all of POLYMARKET_API_KEY, POLYMARKET_API_SECRET and POLYMARKET_API_PASSPHRASE, or none (the host then derives them with the key)")
        }
        var funder: EthereumAddress?
        if let text = env["POLYMARKET_FUNDER"], !text.isEmpty {
            do { funder = try EthereumAddress(hex: text) } catch {
                throw MissingError(description: "POLYMARKET_FUNDER is not a valid address: \(error)")
            }
        }
        let type = try signatureType(env["POLYMARKET_SIGNATURE_TYPE"] ?? "eoa")
        return PolymarketAccount(privateKey: key, credentials: credentials, funder: funder, signatureType: type)
    }

    /// `eoa`/`0`, `proxy`/`1`, `safe`/`2`.
    public static func signatureType(_ text: String) throws -> SignatureType {
        switch text.lowercased() {
        case "eoa", "0": return .eoa
        case "proxy", "poly_proxy", "1": return .polyProxy
        case "safe", "gnosis_safe", "poly_gnosis_safe", "2": return .polyGnosisSafe
        default: throw MissingError(description: "signature type '\(text)' is not one of eoa (0), proxy (1), safe (2)")
        }
    }

    /// Safe to log: no account value appears — the signer and funder addresses are masked to their
    /// first and last four hex digits, the API key, secret and passphrase only said to be set.
    public var description: String {
        "PolymarketAccount(signer: \(Self.mask(privateKey.address.checksummed)), funder: \(funder.map { Self.mask($0.checksummed) } ?? "none"), type: \(signatureType), credentials: \(credentials == nil ? "derived at start" : "from the environment (redacted)"))"
    }

    /// Logs which account the host trades with, masked (see `description`).
    public func log(to logger: Logger) {
        logger.notice("Polymarket account", metadata: [
            "account.signer": "\(Self.mask(privateKey.address.checksummed))",
            "account.funder": "\(funder.map { Self.mask($0.checksummed) } ?? "none")",
            "account.signature_type": "\(signatureType)",
            "account.credentials": "\(credentials == nil ? "derived at start" : "from the environment (redacted)")",
        ])
    }

    /// `0x1234…abcd`: enough to tell accounts apart, not the value.
    public static func mask(_ text: String) -> String {
        let body = text.hasPrefix("0x") ? String(text.dropFirst(2)) : text
        guard body.count > 8 else { return "redacted" }
        return (text.hasPrefix("0x") ? "0x" : "") + body.prefix(4) + "…" + body.suffix(4)
    }
}
