import Foundation
import PolymarketFakes
import PolymarketREST
import PolymarketSigning
import Testing

/// How `POST /order` answers are classified when they do not say "accepted".
struct ClobOrderOutcomeTests {
    @Test("a 500 answered after the venue placed the order is outcomeUnknown, never a rejection, and the order exists")
    func serverErrorAfterPlacing() async throws {
        try await ClobHarness.run { venue in
            venue.fake.failNextOrderPosts(.serverErrorAfterPlacing)
            let order = try venue.limit(.buy, price: "0.40", size: 10)
            let error = try #require(await ClobHarness.clobError { _ = try await venue.client.postOrder(order, type: .gtc) })
            #expect(error.kind == .outcomeUnknown)
            #expect(error.status == 500)
            let accepted = try #require(venue.fake.acceptedOrders.first)
            #expect(try await venue.client.openOrders().map(\.id) == [accepted.orderID])
        }
    }

    @Test("a 503 cancel-only answer still proves the order was refused: cancelOnly")
    func cancelOnlyStillRefused() async throws {
        try await ClobHarness.run { venue in
            venue.fake.failNextOrderPosts(.cancelOnly)
            let error = try #require(await ClobHarness.clobError {
                _ = try await venue.client.postOrder(try venue.limit(.buy, price: "0.40", size: 10), type: .gtc)
            })
            #expect(error.kind == .cancelOnly)
            #expect(venue.fake.acceptedOrders.isEmpty)
        }
    }

    @Test("an FOK kill carries the response's status: unmatched, whatever the message")
    func fokKillStatus() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setKillMessage("reworded kill")
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 3)])
            let error = try #require(await ClobHarness.clobError {
                _ = try await venue.client.postOrder(try venue.limit(.buy, price: "0.60", size: 10), type: .fok)
            })
            #expect(error.kind == .rejected)
            #expect(error.orderStatus == "unmatched")
            #expect(error.isUnmatchedKill)
            #expect(error.venueMessage == "reworded kill")
        }
    }

    @Test("a validation refusal is a rejection that is not a kill")
    func validationIsNotKill() async throws {
        try await ClobHarness.run { venue in
            venue.fake.setBook(tokenID: ClobHarness.tokenID, bids: [], asks: [(Decimal(string: "0.55")!, 100)])
            let error = try #require(await ClobHarness.clobError {
                _ = try await venue.client.postOrder(try venue.limit(.buy, price: "0.60", size: 10), type: .gtc, postOnly: true)
            })
            #expect(error.kind == .rejected)
            #expect(!error.isUnmatchedKill)
        }
    }
}
