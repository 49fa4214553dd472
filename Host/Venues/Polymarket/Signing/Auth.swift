import VenueKit
import Crypto
import Foundation

/// CLOB API credentials (L2). `description` never shows the key, the secret or the passphrase.
public struct ApiCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable, Equatable {
    public var apiKey: String
    public var secret: String
    public var passphrase: String

    public init(apiKey: String, secret: String, passphrase: String) {
        self.apiKey = apiKey
        self.secret = secret
        self.passphrase = passphrase
    }

    public var description: String { "ApiCredentials(apiKey: redacted, secret: redacted, passphrase: redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["apiKey": "redacted"]) }
}

/// L1 headers: an EIP-712 `ClobAuth` signature by the wallet key (create/derive API keys).
public enum L1Auth {
    /// POLY_ADDRESS, POLY_SIGNATURE, POLY_TIMESTAMP (unix seconds), POLY_NONCE.
    public static func headers(privateKey: PrivateKey, timestamp: Int64, nonce: UInt64 = 0, chainID: UInt64 = 137) throws(SigningError) -> [(name: String, value: String)] {
        let digest = EIP712.clobAuthDigest(address: privateKey.address, timestamp: String(timestamp), nonce: nonce, chainID: chainID)
        return [
            ("POLY_ADDRESS", privateKey.address.checksummed),
            ("POLY_SIGNATURE", Hex.encode(try privateKey.sign(digest: digest))),
            ("POLY_TIMESTAMP", String(timestamp)),
            ("POLY_NONCE", String(nonce)),
        ]
    }
}

/// L2 headers: HMAC-SHA256 of timestamp + METHOD + path (+ body) keyed by the API secret.
public enum L2Auth {
    /// base64url(HMAC-SHA256(base64url-decode(secret), timestamp + method + path + body)) with `=` padding.
    /// `path` excludes the query string; a nil or empty body adds nothing.
    public static func signature(secret: String, timestamp: String, method: String, path: String, body: [UInt8]?) throws(SigningError) -> String {
        let key = try decodeSecret(secret)
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array(timestamp.utf8))
        hmac.update(data: Array(method.utf8))
        hmac.update(data: Array(path.utf8))
        if let body, !body.isEmpty { hmac.update(data: body) }
        let mac = Data(hmac.finalize())
        var text = mac.base64EncodedString()
        text = String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
        return text
    }

    /// POLY_ADDRESS (the signing EOA, not the funder), POLY_SIGNATURE, POLY_TIMESTAMP, POLY_API_KEY, POLY_PASSPHRASE.
    public static func headers(credentials: ApiCredentials, address: EthereumAddress, timestamp: Int64, method: String, path: String, body: [UInt8]?) throws(SigningError) -> [(name: String, value: String)] {
        [
            ("POLY_ADDRESS", address.checksummed),
            ("POLY_SIGNATURE", try signature(secret: credentials.secret, timestamp: String(timestamp), method: method, path: path, body: body)),
            ("POLY_TIMESTAMP", String(timestamp)),
            ("POLY_API_KEY", credentials.apiKey),
            ("POLY_PASSPHRASE", credentials.passphrase),
        ]
    }

    static func decodeSecret(_ secret: String) throws(SigningError) -> SymmetricKey {
        var standard = String(secret.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 })
        let remainder = standard.utf8.count % 4
        if remainder == 1 {
            throw SigningError(.invalidSecret, "API secret is not base64url: its length is 1 more than a multiple of 4")
        }
        if remainder > 0 { standard += String(repeating: "=", count: 4 - remainder) }
        guard !secret.isEmpty, let key = Data(base64Encoded: standard) else {
            throw SigningError(.invalidSecret, "API secret is not base64url text (as returned by /auth/api-key)")
        }
        return SymmetricKey(data: key)
    }
}
