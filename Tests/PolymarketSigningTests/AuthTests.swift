import Testing
import PolymarketSigning

@Suite("L1 and L2 authentication")
struct AuthTests {
    @Test("the ClobAuth digest and signature equal eth_account's for each key, timestamp and nonce")
    func clobAuthDigestAndSignature() throws {
        for vector in try SigningVectors.load().clobAuth {
            let key = try PrivateKey(hex: vector.privateKey)
            let digest = EIP712.clobAuthDigest(address: key.address, timestamp: String(vector.timestamp), nonce: vector.nonce)
            #expect("0x" + hex(digest) == vector.digest)
            #expect("0x" + hex(try key.sign(digest: digest)) == vector.signature)
        }
    }

    @Test("L1 headers equal py-clob-client-v2's create_level_1_headers, in order")
    func l1Headers() throws {
        for vector in try SigningVectors.load().clobAuth {
            let headers = try L1Auth.headers(privateKey: PrivateKey(hex: vector.privateKey), timestamp: vector.timestamp, nonce: vector.nonce)
            #expect(headers.map { [$0.name, $0.value] } == vector.headers)
        }
    }

    @Test("the L2 HMAC equals Python's for padded and unpadded base64url secrets, with and without a body")
    func hmacSignature() throws {
        for vector in try SigningVectors.load().hmac {
            let signature = try L2Auth.signature(secret: vector.secret, timestamp: String(vector.timestamp), method: vector.method,
                                                 path: vector.path, body: vector.body.map { Array($0.utf8) })
            #expect(signature == vector.signature, "\(vector.method) \(vector.path)")
        }
    }

    @Test("L2 headers equal py-clob-client-v2's create_level_2_headers, in order")
    func l2Headers() throws {
        for vector in try SigningVectors.load().hmac {
            let credentials = ApiCredentials(apiKey: vector.apiKey, secret: vector.secret, passphrase: vector.passphrase)
            let headers = try L2Auth.headers(credentials: credentials, address: EthereumAddress(hex: vector.address), timestamp: vector.timestamp,
                                             method: vector.method, path: vector.path, body: vector.body.map { Array($0.utf8) })
            #expect(headers.map { [$0.name, $0.value] } == vector.headers)
        }
    }

    @Test("an L2 signature over the exact order body bytes matches the vector's POST /order HMAC")
    func hmacOverBuiltBody() throws {
        let vectors = try SigningVectors.load()
        let order = vectors.orders[0]
        let hmacCase = try #require(vectors.hmac.first { $0.path == "/order" })
        let body = try order.build().body(owner: order.owner!, orderType: .gtc)
        #expect(try L2Auth.signature(secret: hmacCase.secret, timestamp: String(hmacCase.timestamp), method: "POST", path: "/order",
                                     body: body) == hmacCase.signature)
    }

    @Test("a secret that is not base64url is rejected")
    func invalidSecret() {
        for secret in ["", "abcde", "not base64!"] {
            #expect {
                _ = try L2Auth.signature(secret: secret, timestamp: "1", method: "GET", path: "/", body: nil)
            } throws: { ($0 as? SigningError)?.code == .invalidSecret }
        }
    }

    @Test("credentials' description and reflection never contain the key, the secret or the passphrase")
    func credentialsMasked() {
        let credentials = ApiCredentials(apiKey: "key-1", secret: "c2VjcmV0LXZhbHVlLTEyMw==", passphrase: "hunter2-passphrase")
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, String(reflecting: credentials), "\(credentials)", dumped] {
            #expect(!text.contains("c2VjcmV0LXZhbHVlLTEyMw") && !text.contains("hunter2") && !text.contains("key-1"))
        }
    }
}
