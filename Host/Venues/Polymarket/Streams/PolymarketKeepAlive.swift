import VenueKit

extension HeartbeatPolicy {
    /// CLOB market and user channels: `PING` every 10 s, dead after 30 s without `PONG`
    /// (py SDK `CLOB_HEARTBEAT_INTERVAL_S`, `CLOB_HEARTBEAT_STALE_S`).
    public static let clob = HeartbeatPolicy(interval: .seconds(10), staleAfter: .seconds(30))
    /// RTDS: `PING` every 5 s; price ticks arrive every second, so a minute of silence is dead.
    public static let rtds = HeartbeatPolicy(interval: .seconds(5), staleAfter: .seconds(60))
}

extension KeepAlive {
    /// Polymarket's text keep-alive: `PING` every interval; `PONG` is life; a `PING` from the
    /// server is answered with `PONG`.
    static let polymarket = KeepAlive(ping: "PING") { text in
        switch text {
        case "PONG": .pong
        case "PING": .reply("PONG")
        default: .data
        }
    }
}
