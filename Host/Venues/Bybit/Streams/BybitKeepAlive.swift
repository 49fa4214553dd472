import VenueKit

extension HeartbeatPolicy {
    /// Bybit v5 public streams: `{"op":"ping"}` every 20 s (the docs' recommendation; the server
    /// drops a connection after 10 minutes without ping or data); dead after a minute of silence
    /// (three missed pongs).
    public static let bybit = HeartbeatPolicy(interval: .seconds(20), staleAfter: .seconds(60))
}

/// Bybit's text keep-alive and the cheap split between topic messages and control frames.
enum BybitKeepAlive {
    /// The application ping (a `req_id` is optional; spot answers without one).
    static let ping = #"{"op":"ping"}"#

    /// Whether `text` is certainly a topic message: its first key is `topic`, as in every
    /// recorded market-data frame. Anything else (op responses, pongs, a topic message with
    /// another key first) needs a parse to tell.
    static func startsWithTopic(_ text: String) -> Bool {
        if let result = text.utf8.withContiguousStorageIfAvailable({ startsWithTopic($0) }) { return result }
        return Array(text.utf8.prefix(64)).withUnsafeBufferPointer { startsWithTopic($0) }
    }

    private static func startsWithTopic(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        func skipBlank() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
        skipBlank()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return false }
        i += 1
        skipBlank()
        let key: StaticString = #""topic""#
        guard bytes.count - i >= key.utf8CodeUnitCount else { return false }
        for k in 0..<key.utf8CodeUnitCount where bytes[i + k] != key.utf8Start[k] { return false }
        return true
    }
}
