import Foundation
import PolymarketSigning
import Testing
@testable import HostCLI

/// `host polymarket sign-order`: prints exactly what the live venue would send.
@Suite("polymarket sign-order")
struct SignOrderAuditTests {
    static let key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    static let environment = [
        "POLYMARKET_PRIVATE_KEY": key, "POLYMARKET_API_KEY": "11111111-2222-3333-4444-555555555555",
        "POLYMARKET_API_SECRET": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==", "POLYMARKET_API_PASSPHRASE": "pass-phrase-value",
    ]
    static let token = "71321045679252212594626385532706912750332728571942532289631379312455583992563"

    static func audit(_ env: [String: String] = environment, price: String = "0.95", negRisk: Bool = false,
                      signatureType: String? = nil, showSecrets: Bool = false) throws -> SignOrderAudit {
        try SignOrderAudit.make(tokenID: token, side: .buy, price: price, size: "10", orderType: "FOK", tickSize: "0.01", negRisk: negRisk,
                                signatureType: signatureType, postOnly: false, expiration: 0, salt: 123_456_789, timestampMs: 1_760_000_000_000,
                                timestamp: 1_760_000_000, showSecrets: showSecrets, environment: env)
    }

    @Test("the printed body is a valid POST /order body whose signature recovers to the key's address")
    func bodyVerifies() throws {
        let audit = try Self.audit()
        let body = try PostOrderBody.decode(Array(audit.body.utf8))
        let digest = try EIP712.orderDigest(body.order, exchange: .ctfV2)
        let signer = try Secp256k1Recovery.recoverAddress(digest: digest, signature: body.signature)
        #expect(signer == (try PrivateKey(hex: Self.key)).address)
        #expect(body.orderType == .fok && body.owner == Self.environment["POLYMARKET_API_KEY"])
        #expect(body.order.makerAmount == 9_500_000 && body.order.takerAmount == 10_000_000)
        #expect(audit.orderHash == "0x" + digest.map { String(format: "%02x", $0) }.joined())
    }

    @Test("the printed HMAC is the L2 signature over the exact printed body")
    func headersSignTheBody() throws {
        let audit = try Self.audit()
        let headers = Dictionary(uniqueKeysWithValues: audit.headers.map { ($0.name, $0.value) })
        let expected = try L2Auth.signature(secret: Self.environment["POLYMARKET_API_SECRET"]!, timestamp: "1760000000", method: "POST",
                                            path: "/order", body: Array(audit.body.utf8))
        #expect(headers["POLY_SIGNATURE"] == expected)
        #expect(headers["POLY_TIMESTAMP"] == "1760000000")
        #expect(headers["POLY_ADDRESS"] == audit.signer)
    }

    @Test("secrets are masked unless asked for, and the API secret is never printed")
    func secretsMasked() throws {
        let masked = try Self.audit()
        #expect(!masked.text.contains("pass-phrase-value") && !masked.json.contains("pass-phrase-value"))
        #expect(!masked.text.contains(Self.environment["POLYMARKET_API_SECRET"]!))
        let shown = try Self.audit(showSecrets: true)
        #expect(shown.text.contains("pass-phrase-value"))
        #expect(!shown.text.contains(Self.environment["POLYMARKET_API_SECRET"]!))
    }

    @Test("fixed salt and timestamps give byte-identical output")
    func deterministic() throws {
        #expect(try Self.audit().json == (try Self.audit().json))
    }

    @Test("a neg-risk market is signed for the Neg-Risk CTF Exchange")
    func negRiskExchange() throws {
        #expect(try Self.audit(negRisk: true).exchange == ClobExchange.negRiskV2.address.checksummed)
    }

    @Test("a price off the tick grid is refused with a message naming price and tick")
    func offTickRefused() {
        #expect { try Self.audit(price: "0.955") } throws: { "\($0)".contains("0.955") && "\($0)".contains("0.01") }
    }

    @Test("without the key in the environment the command says which variable to set")
    func missingKeyExplained() {
        var env = Self.environment
        env["POLYMARKET_PRIVATE_KEY"] = nil
        #expect { try Self.audit(env) } throws: { "\($0)".contains("POLYMARKET_PRIVATE_KEY") }
    }

    @Test("a proxy signature type needs the funder, which becomes the maker")
    func proxyUsesFunder() throws {
        #expect { try Self.audit(signatureType: "proxy") } throws: { "\($0)".contains("funder") }
        var env = Self.environment
        env["POLYMARKET_FUNDER"] = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
        let audit = try Self.audit(env, signatureType: "proxy")
        #expect(audit.maker == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed" && audit.signer != audit.maker)
    }
}
