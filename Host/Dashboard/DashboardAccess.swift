import Foundation

/// Who may do what on the dashboard: it is read-only unless a token is configured, the kill
/// switch is its one control, and binding to anything but loopback requires a token.
///
/// ## Configuration keys:
/// - `host.dashboard_port` (int 1...65535, optional) or `--dashboard-port`: absent = no dashboard.
/// - `host.dashboard_host` (string, optional, default `127.0.0.1`) or `--dashboard-host`: the
///   address to bind; anything but loopback needs a token.
/// - `host.dashboard_token` (string, optional, secret) or the `TSH_DASHBOARD_TOKEN` environment
///   variable (which wins): enables the kill switch for requests that present it as
///   `Authorization: Bearer <token>`. Never rendered into the page.
public struct DashboardAccess: Sendable {
    public static let tokenEnvironmentVariable = "TSH_DASHBOARD_TOKEN"
    /// Shorter tokens are refused: the token is all that guards the kill switch.
    public static let minimumTokenLength = 16

    public let host: String
    private let token: [UInt8]?

    /// Checks the rules; throws a `DashboardError` saying what to fix.
    public init(host: String, token: String?) throws(DashboardError) {
        let token = token.flatMap { $0.isEmpty ? nil : $0 }
        if let token, token.utf8.count < Self.minimumTokenLength {
            throw DashboardError(.weakToken, "the dashboard token must be at least \(Self.minimumTokenLength) characters, found \(token.utf8.count)")
        }
        if !Self.isLoopback(host) && token == nil {
            throw DashboardError(.tokenRequired, """
                the dashboard binds to \(host), which is not loopback, and no token is configured
                fix: set host.dashboard_token or \(Self.tokenEnvironmentVariable), or bind to 127.0.0.1
                """)
        }
        self.host = host
        self.token = token.map { Array($0.utf8) }
    }

    /// Whether the kill switch is offered at all.
    public var controlsEnabled: Bool { token != nil }

    /// Whether an `Authorization` header value carries the token (`Bearer <token>`). Compared
    /// in constant time for tokens of the configured length.
    public func authorizes(_ authorization: String?) -> Bool {
        guard let token, let authorization, authorization.hasPrefix("Bearer ") else { return false }
        return Self.constantTimeEquals(Array(authorization.utf8.dropFirst("Bearer ".utf8.count)), token)
    }

    /// Equal bytes, in time that depends only on the lengths.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let n = max(a.count, b.count)
        for i in 0..<n {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            difference |= x ^ y
        }
        return difference == 0
    }

    /// `localhost`, `::1` and 127.0.0.0/8.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The token from the environment (preferred) or the configuration.
    public static func token(configured: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        environment[tokenEnvironmentVariable].flatMap { $0.isEmpty ? nil : $0 } ?? configured
    }
}

/// A dashboard problem: a refused configuration or a failed start.
public struct DashboardError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        enum Value { case tokenRequired, weakToken }
        let value: Value
        public static let tokenRequired = Code(value: .tokenRequired)
        public static let weakToken = Code(value: .weakToken)
    }

    public let code: Code
    public let message: String

    init(_ code: Code.Value, _ message: String) {
        self.code = Code(value: code)
        self.message = message
    }

    public var description: String { message }
}
