import Foundation
import Testing
import PolymarketSigning

@Suite("POST /order body")
struct OrderBodyTests {
    @Test("the body bytes equal py-clob-client-v2's json.dumps output for every order vector")
    func exactBodies() throws {
        for vector in try SigningVectors.load().orders {
            let body = try vector.build().body(
                owner: vector.owner!, orderType: ClobOrderType(rawValue: vector.orderType!)!,
                postOnly: vector.postOnly!, deferExec: vector.deferExec!)
            #expect(String(decoding: body, as: UTF8.self) == vector.body!, "\(vector.name)")
        }
    }

    @Test("decoding a body gives back the order, signature, expiration and flags it was written from")
    func roundTrip() throws {
        for vector in try SigningVectors.load().orders {
            let signed = try vector.build()
            let type = ClobOrderType(rawValue: vector.orderType!)!
            let decoded = try PostOrderBody.decode(signed.body(owner: vector.owner!, orderType: type, postOnly: vector.postOnly!,
                                                               deferExec: vector.deferExec!))
            #expect(decoded.order == signed.order)
            #expect(decoded.signature == signed.signature)
            #expect(decoded.expiration == signed.expiration)
            #expect(decoded.owner == vector.owner && decoded.orderType == type)
            #expect(decoded.postOnly == vector.postOnly && decoded.deferExec == vector.deferExec)
        }
    }

    @Test("an owner with quotes, backslashes, control and non-ASCII characters is escaped as Python's json.dumps does")
    func ownerEscaping() throws {
        let signed = try SigningVectors.load().orders[0].build()
        let body = String(decoding: signed.body(owner: "a\"b\\c\nd\u{01}é", orderType: .gtc), as: UTF8.self)
        #expect(body.contains(#""owner":"a\"b\\c\nd\u0001é","#))
        #expect(try PostOrderBody.decode(Array(body.utf8)).owner == "a\"b\\c\nd\u{01}é")
    }

    @Test("a body without deferExec/postOnly (as the unified SDK sends) decodes them as false")
    func optionalFlags() throws {
        let vector = try SigningVectors.load().orders[0]
        let trimmed = vector.body!.replacingOccurrences(of: #","deferExec":false,"postOnly":false"#, with: "")
        let decoded = try PostOrderBody.decode(Array(trimmed.utf8))
        #expect(!decoded.postOnly && !decoded.deferExec)
    }

    @Test("a body with a missing, mistyped or malformed field is rejected naming the field")
    func invalidBodies() throws {
        let body = try SigningVectors.load().orders[0].body!
        let mutations: [(String, String, String)] = [
            (#""salt":479001600,"#, "", "salt"),
            (#""side":"BUY""#, #""side":"HOLD""#, "side"),
            (#""makerAmount":"5700000""#, #""makerAmount":"5.7""#, "makerAmount"),
            (#""makerAmount":"5700000""#, #""makerAmount":5700000"#, "makerAmount"),
            (#""signatureType":0"#, #""signatureType":9"#, "signatureType"),
            (#""orderType":"GTC""#, #""orderType":"IOC""#, "orderType"),
            (#""metadata":"0x00"#, #""metadata":"0x0"#, "metadata"),
            (#""maker":"0x2c"#, #""maker":"0x2C"#, "maker"),
            (#""tokenId":"7"#, #""tokenId":"x7"#, "tokenId"),
            (#""signature":"0xe2"#, #""signature":"0xe"#, "signature"),
        ]
        for (from, to, field) in mutations {
            let bad = body.replacingOccurrences(of: from, with: to)
            #expect(bad != body, "mutation for \(field) did not apply")
            #expect {
                _ = try PostOrderBody.decode(Array(bad.utf8))
            } throws: { error in
                guard let e = error as? SigningError else { return false }
                return e.code == .invalidBody && e.message.contains(field)
            }
        }
    }

    @Test("text that is not JSON is rejected as an invalid body")
    func notJSON() {
        #expect { _ = try PostOrderBody.decode(Array("not json".utf8)) } throws: { ($0 as? SigningError)?.code == .invalidBody }
    }
}
