import VenueKit
import Foundation

/// A V2 order with its EIP-712 signature, ready to post.
public struct SignedOrder: Sendable {
    public var order: ClobOrder
    /// 65 bytes r‖s‖v.
    public var signature: [UInt8]
    /// GTD expiry in unix seconds, 0 for none; sent in the body but not signed in V2.
    public var expiration: UInt64

    public init(order: ClobOrder, signature: [UInt8], expiration: UInt64 = 0) {
        self.order = order
        self.signature = signature
        self.expiration = expiration
    }

    /// Exact compact JSON body of POST /order, key order as py-clob-client-v2 (the HMAC is over these bytes).
    ///
    /// Written byte by byte rather than through an encoder: the key order is part of the contract and
    /// the order path should not pay for a JSON library.
    public func body(owner: String, orderType: ClobOrderType, postOnly: Bool = false, deferExec: Bool = false) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(720 + owner.utf8.count)
        func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        func string(_ s: String) { JSONText.appendString(s, to: &out) }
        raw(#"{"order":{"salt":"#); raw(String(order.salt))
        raw(#","maker":"#); string(order.maker.checksummed)
        raw(#","signer":"#); string(order.signer.checksummed)
        raw(#","tokenId":"#); string(order.tokenID)
        raw(#","makerAmount":""#); raw(String(order.makerAmount))
        raw(#"","takerAmount":""#); raw(String(order.takerAmount))
        raw(#"","side":""#); raw(order.side.wire)
        raw(#"","expiration":""#); raw(String(expiration))
        raw(#"","signatureType":"#); raw(String(order.signatureType.rawValue))
        raw(#","timestamp":""#); raw(String(order.timestampMs))
        raw(#"","metadata":""#); raw(Hex.encode(order.metadata))
        raw(#"","builder":""#); raw(Hex.encode(order.builder))
        raw(#"","signature":""#); raw(Hex.encode(signature))
        raw(#""},"owner":"#); string(owner)
        raw(#","orderType":""#); raw(orderType.rawValue)
        raw(#"","deferExec":"#); raw(deferExec ? "true" : "false")
        raw(#","postOnly":"#); raw(postOnly ? "true" : "false")
        raw("}")
        return out
    }
}

/// JSON string literals as Python's `json.dumps(..., ensure_ascii=False)` writes them.
enum JSONText {
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20: out.append(contentsOf: #"\u00"#.utf8); out.append(contentsOf: Hex.encode([byte], prefix: false).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// The decoded POST /order body (for the fake server and audits).
public struct PostOrderBody: Sendable {
    public var order: ClobOrder
    public var signature: [UInt8]
    public var expiration: UInt64
    public var owner: String
    public var orderType: ClobOrderType
    public var postOnly: Bool
    public var deferExec: Bool

    private struct Wire: Decodable {
        struct Order: Decodable {
            var salt: UInt64
            var maker: String
            var signer: String
            var tokenId: String
            var makerAmount: String
            var takerAmount: String
            var side: String
            var expiration: String
            var signatureType: Int
            var timestamp: String
            var metadata: String
            var builder: String
            var signature: String
        }
        var order: Order
        var owner: String
        var orderType: String
        // The unified SDK omits these when false.
        var deferExec: Bool?
        var postOnly: Bool?
    }

    /// Parses and validates a body as `SignedOrder.body` writes it (any key order).
    public static func decode(_ bytes: [UInt8]) throws(SigningError) -> PostOrderBody {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw SigningError(.invalidBody, "order body: \(describe(error))")
        } catch {
            throw SigningError(.invalidBody, "order body is not JSON: \(error)")
        }
        let o = wire.order
        func field<T>(_ name: String, _ value: T?) throws(SigningError) -> T {
            guard let value else { throw SigningError(.invalidBody, "order.\(name) is invalid") }
            return value
        }
        func integer(_ name: String, _ text: String) throws(SigningError) -> UInt64 {
            guard let value = UInt64(text), String(value) == text else {
                throw SigningError(.invalidBody, "order.\(name) must be a decimal integer string, got '\(text)'")
            }
            return value
        }
        func bytes32(_ name: String, _ text: String) throws(SigningError) -> [UInt8] {
            guard text.hasPrefix("0x"), let value = Hex.decode(text, expectedBytes: 32) else {
                throw SigningError(.invalidBody, "order.\(name) must be 0x + 64 hex digits, got '\(text)'")
            }
            return value
        }
        let maker: EthereumAddress, signer: EthereumAddress
        do { maker = try EthereumAddress(hex: o.maker) } catch { throw SigningError(.invalidBody, "order.maker: \(error.message)") }
        do { signer = try EthereumAddress(hex: o.signer) } catch { throw SigningError(.invalidBody, "order.signer: \(error.message)") }
        do { _ = try UInt256.bigEndian(decimal: o.tokenId) } catch { throw SigningError(.invalidBody, "order.tokenId: \(error.message)") }
        guard o.signature.hasPrefix("0x"), let signature = Hex.decode(o.signature, expectedBytes: 65) else {
            throw SigningError(.invalidBody, "order.signature must be 0x + 130 hex digits")
        }
        let side = try field("side (BUY or SELL)", OrderSide(wire: o.side))
        let signatureType = try field("signatureType (0, 1 or 2)", UInt8(exactly: o.signatureType).flatMap(SignatureType.init(rawValue:)))
        guard let orderType = ClobOrderType(rawValue: wire.orderType) else {
            throw SigningError(.invalidBody, "orderType must be GTC, GTD, FOK or FAK, got '\(wire.orderType)'")
        }
        let order = ClobOrder(
            salt: o.salt, maker: maker, signer: signer, tokenID: o.tokenId,
            makerAmount: try integer("makerAmount", o.makerAmount), takerAmount: try integer("takerAmount", o.takerAmount),
            side: side, signatureType: signatureType, timestampMs: try integer("timestamp", o.timestamp),
            metadata: try bytes32("metadata", o.metadata), builder: try bytes32("builder", o.builder))
        return PostOrderBody(
            order: order, signature: signature, expiration: try integer("expiration", o.expiration), owner: wire.owner,
            orderType: orderType, postOnly: wire.postOnly ?? false, deferExec: wire.deferExec ?? false)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing key '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
        case .typeMismatch(let type, let context): return "'\(path(context))' must be \(type)"
        case .valueNotFound(let type, let context): return "'\(path(context))' is null, expected \(type)"
        case .dataCorrupted(let context): return "invalid JSON at '\(path(context))': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
