/// Drops market-channel data that is older than the last `book` snapshot of its token.
///
/// The channel delivers as received: a snapshot can be repeated (same `hash` and time) and
/// a `price_change` can arrive after a newer snapshot already includes it. Levels in
/// `price_change` are absolute, so applying a stale one would overwrite the fresher
/// snapshot's size. Entries with the snapshot's own timestamp are kept (the venue sends the
/// trade's price changes and the resulting book with the same time, changes first).
public struct BookSequenceGuard: Sendable {
    private var lastBook: [String: (timestampMs: Int64, hash: String)] = [:]

    public init() {}

    /// The message to apply, trimmed of stale entries, or nil when nothing of it is current.
    public mutating func admit(_ message: MarketChannelMessage) -> MarketChannelMessage? {
        switch message {
        case .book(let book):
            if let last = lastBook[book.assetID] {
                if book.timestampMs < last.timestampMs { return nil }
                if book.timestampMs == last.timestampMs, book.hash == last.hash { return nil }
            }
            lastBook[book.assetID] = (book.timestampMs, book.hash)
            return message
        case .priceChange(var change):
            let before = change.changes.count
            change.changes.removeAll { entry in
                guard let last = lastBook[entry.assetID] else { return false }
                return change.timestampMs < last.timestampMs
            }
            if change.changes.isEmpty { return nil }
            return change.changes.count == before ? message : .priceChange(change)
        case .tickSizeChange(let tick):
            // The next snapshot is on the new grid; accept it whatever its time.
            lastBook[tick.assetID] = nil
            return message
        default:
            return message
        }
    }

    /// Forgets a token (unsubscribed or reconnecting: the next snapshot starts afresh).
    public mutating func reset(assetID: String) { lastBook[assetID] = nil }

    /// Forgets every token.
    public mutating func resetAll() { lastBook.removeAll() }
}
