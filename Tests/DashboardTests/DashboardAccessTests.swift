import Testing
@testable import HostDashboard

struct DashboardAccessTests {
    static let token = "0123456789abcdef-token"

    @Test func loopbackWithoutTokenIsReadOnly() throws {
        let access = try DashboardAccess(host: "127.0.0.1", token: nil)
        #expect(!access.controlsEnabled)
        #expect(!access.authorizes("Bearer anything"))
    }

    @Test(arguments: ["0.0.0.0", "192.168.1.20", "example.org", "::"])
    func nonLoopbackWithoutTokenIsRefused(host: String) {
        #expect(throws: DashboardError.self) { try DashboardAccess(host: host, token: nil) }
    }

    @Test func nonLoopbackWithTokenIsAllowed() throws {
        let access = try DashboardAccess(host: "0.0.0.0", token: Self.token)
        #expect(access.controlsEnabled)
    }

    @Test func shortTokenIsRefused() {
        #expect(throws: DashboardError.self) { try DashboardAccess(host: "127.0.0.1", token: "short") }
    }

    @Test func onlyTheExactBearerTokenAuthorizes() throws {
        let access = try DashboardAccess(host: "127.0.0.1", token: Self.token)
        #expect(access.authorizes("Bearer " + Self.token))
        #expect(!access.authorizes(Self.token))
        #expect(!access.authorizes("Bearer " + Self.token + "x"))
        #expect(!access.authorizes("Bearer " + String(Self.token.dropLast())))
        #expect(!access.authorizes("Basic " + Self.token))
        #expect(!access.authorizes(nil))
    }

    @Test(arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1"])
    func loopbackAddressesAreRecognized(host: String) {
        #expect(DashboardAccess.isLoopback(host))
    }

    @Test func environmentTokenWinsOverConfiguration() {
        #expect(DashboardAccess.token(configured: "from-config", environment: [DashboardAccess.tokenEnvironmentVariable: "from-env"]) == "from-env")
        #expect(DashboardAccess.token(configured: "from-config", environment: [:]) == "from-config")
    }

    @Test func constantTimeComparisonComparesEveryByte() {
        #expect(DashboardAccess.constantTimeEquals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!DashboardAccess.constantTimeEquals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!DashboardAccess.constantTimeEquals(Array("abc".utf8), Array("abcd".utf8)))
        #expect(!DashboardAccess.constantTimeEquals([], Array("a".utf8)))
    }
}
