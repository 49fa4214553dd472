import Foundation
import HTTPTypes
import HostCore
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
@testable import HostDashboard

/// The dashboard's HTTP routes through Hummingbird's router test framework (no socket).
struct DashboardServerTests {
    static let token = "a-token-of-sufficient-length"

    /// Kill switch requests that reached the host's mechanism.
    final class KillSwitchCalls: Sendable {
        let calls = Mutex<[Bool]>([])
    }

    static func server(token: String?, calls: KillSwitchCalls = KillSwitchCalls()) throws -> DashboardServer {
        var symbols = SymbolTable()
        symbols.register(Instrument.generic(symbol: "BTCUSDT", venue: "simulated"))
        let board = DashboardBoard(symbols: symbols, instances: [])
        return DashboardServer(board: board, access: try DashboardAccess(host: "127.0.0.1", token: token), port: 0,
                               health: { DashboardHealth() }, killSwitch: { engage, _ in
                                   calls.calls.withLock { $0.append(engage) }
                                   return engage ? "engaged" : "released"
                               })
    }

    static func engage(_ client: some TestClientProtocol, authorization: String?) async throws -> HTTPResponse.Status {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let authorization { headers[.authorization] = authorization }
        return try await client.execute(uri: "/api/kill-switch", method: .post, headers: headers,
                                        body: ByteBuffer(string: #"{"action":"engage","reason":"test"}"#)) { $0.status }
    }

    @Test func killSwitchIsRefusedWhenNoTokenIsConfigured() async throws {
        let calls = KillSwitchCalls()
        let app = Application(router: try Self.server(token: nil, calls: calls).router())
        try await app.test(.router) { client in
            let status = try await Self.engage(client, authorization: "Bearer " + Self.token)
            #expect(status == .forbidden)
        }
        #expect(calls.calls.withLock { $0 }.isEmpty)
    }

    @Test func killSwitchNeedsTheRightBearerToken() async throws {
        let calls = KillSwitchCalls()
        let app = Application(router: try Self.server(token: Self.token, calls: calls).router())
        try await app.test(.router) { client in
            let missing = try await Self.engage(client, authorization: nil)
            let wrong = try await Self.engage(client, authorization: "Bearer wrong-token-of-some-length")
            #expect(missing == .unauthorized)
            #expect(wrong == .unauthorized)
            #expect(calls.calls.withLock { $0 }.isEmpty)
            let right = try await Self.engage(client, authorization: "Bearer " + Self.token)
            #expect(right == .ok)
        }
        #expect(calls.calls.withLock { $0 } == [true])
    }

    @Test func pageScriptAndSnapshotNeverContainTheToken() async throws {
        let app = Application(router: try Self.server(token: Self.token).router())
        try await app.test(.router) { client in
            for uri in ["/", "/app.js", "/app.css", "/api/snapshot"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(!String(buffer: response.body).contains(Self.token), "\(uri)")
                }
            }
        }
    }

    @Test func pageAllowsOnlyItsOwnOrigin() async throws {
        let app = Application(router: try Self.server(token: nil).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
                #expect(!String(buffer: response.body).contains("http://") && !String(buffer: response.body).contains("https://"))
            }
        }
    }

    @Test func snapshotSaysWhetherControlsAreOffered() async throws {
        for (token, expected) in [(nil, false), (Self.token, true)] as [(String?, Bool)] {
            let app = Application(router: try Self.server(token: token).router())
            try await app.test(.router) { client in
                try await client.execute(uri: "/api/snapshot", method: .get) { response in
                    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                    let kill = (object?["trading"] as? [String: Any])?["kill"] as? [String: Any]
                    #expect(kill?["controls"] as? Bool == expected)
                }
            }
        }
    }

    @Test func unknownChartSymbolIsNotFound() async throws {
        let app = Application(router: try Self.server(token: nil).router())
        try await app.test(.router) { client in
            try await client.execute(uri: "/charts/candles.svg?symbol=NOPE&tf=1m", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/charts/candles.svg?symbol=BTCUSDT&tf=1m", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/charts/equity.svg", method: .get) { #expect($0.status == .ok) }
        }
    }
}
