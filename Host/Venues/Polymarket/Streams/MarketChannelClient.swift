public import Logging
import VenueKit
import Synchronization

/// The CLOB market channel (`/ws/market`): order books, price changes and trades for a
/// set of tokens, spread over as many connections (shards) as ``maxAssetsPerConnection``
/// requires (the venue sends no snapshots beyond 500 assets on one connection).
///
/// Each shard reconnects on its own and re-sends its full subscription; the host learns
/// of this through `onConnection` (with the shard's assets) and should treat those books as
/// stale until fresh `book` snapshots arrive. Messages are delivered as received: duplicates
/// and out-of-order messages are passed through (see ``BookSequenceGuard``).
///
/// - Important: `onMessages` and `onConnection` are called on the shard's connection task;
///   keep them short (hand off to the engine's queue).
public final class MarketChannelClient: Sendable {
    public let url: String
    public let customFeatures: Bool
    public let maxAssetsPerConnection: Int
    public let heartbeat: HeartbeatPolicy
    public let backoff: BackoffPolicy
    private let logger: Logger
    private let onMessages: @Sendable ([MarketChannelMessage], _ receivedNs: Int64) -> Void
    private let onConnection: @Sendable (ConnectionEvent, _ assets: [String]) -> Void

    private struct Shard {
        var assets: [String] = []
        var outbox: Outbox?
    }

    private struct State {
        var shards: [Shard] = []
        var shardOfAsset: [String: Int] = [:]
        var control: AsyncStream<Int>.Continuation?
        var running = false
        var stopped = false
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - url: `wss://ws-subscriptions-clob.polymarket.com/ws/market` (or a fake's URL).
    ///   - customFeatures: sets `custom_feature_enabled` (adds `best_bid_ask`, `new_market`, `market_resolved`).
    ///   - maxAssetsPerConnection: shard size (the venue's limit is 500).
    ///   - onMessages: parsed messages of one frame, with the wall-clock receive time in ns.
    ///   - onConnection: a shard's connection event with the shard's current assets.
    public init(url: String, customFeatures: Bool = true, maxAssetsPerConnection: Int = 500, heartbeat: HeartbeatPolicy = .clob,
                backoff: BackoffPolicy = .standard, logger: Logger,
                onMessages: @escaping @Sendable ([MarketChannelMessage], _ receivedNs: Int64) -> Void,
                onConnection: @escaping @Sendable (ConnectionEvent, _ assets: [String]) -> Void) {
        self.url = url
        self.customFeatures = customFeatures
        self.maxAssetsPerConnection = max(1, maxAssetsPerConnection)
        self.heartbeat = heartbeat
        self.backoff = backoff
        var logger = logger
        logger[metadataKey: "ws.channel"] = "market"
        self.logger = logger
        self.onMessages = onMessages
        self.onConnection = onConnection
    }

    /// Adds tokens. Before `run()` they go into the initial subscription; afterwards a shard
    /// with room sends `{"operation":"subscribe",…}`, or a new shard connects.
    public func subscribe(_ assetIDs: [String]) {
        state.withLock { state in
            var added: [Int: [String]] = [:]
            var newShards: [Int] = []
            for id in assetIDs where state.shardOfAsset[id] == nil {
                let index: Int
                if let free = state.shards.firstIndex(where: { $0.assets.count < maxAssetsPerConnection }) {
                    index = free
                } else {
                    state.shards.append(Shard())
                    index = state.shards.count - 1
                    newShards.append(index)
                }
                state.shards[index].assets.append(id)
                state.shardOfAsset[id] = index
                added[index, default: []].append(id)
            }
            for (index, ids) in added.sorted(by: { $0.key < $1.key }) {
                state.shards[index].outbox?.send(Self.subscribeFrame(ids, customFeatures: customFeatures))
            }
            for index in newShards { state.control?.yield(index) }
        }
    }

    /// Removes tokens; connected shards send `{"operation":"unsubscribe",…}`.
    public func unsubscribe(_ assetIDs: [String]) {
        state.withLock { state in
            var removed: [Int: [String]] = [:]
            for id in assetIDs {
                guard let index = state.shardOfAsset.removeValue(forKey: id) else { continue }
                state.shards[index].assets.removeAll { $0 == id }
                removed[index, default: []].append(id)
            }
            for (index, ids) in removed.sorted(by: { $0.key < $1.key }) {
                state.shards[index].outbox?.send(Self.unsubscribeFrame(ids))
            }
        }
    }

    /// The tokens currently subscribed, per shard.
    public var shardAssets: [[String]] { state.withLock { $0.shards.map(\.assets) } }

    /// Runs every shard until `stop()` or cancellation. Call once.
    public func run() async throws {
        let (control, continuation) = AsyncStream<Int>.makeStream()
        let initial: [Int]? = state.withLock { state in
            guard !state.running, !state.stopped else { return nil }
            state.running = true
            state.control = continuation
            return Array(state.shards.indices)
        }
        guard let initial else { return }
        logger.info("Market channel starting", metadata: ["ws.shards": "\(initial.count)", "ws.url": "\(url)"])
        await withDiscardingTaskGroup { group in
            for index in initial { group.addTask { await self.makeSocket(shard: index).run() } }
            for await index in control { group.addTask { await self.makeSocket(shard: index).run() } }
            group.cancelAll()
        }
        state.withLock { state in
            state.running = false
            state.control = nil
        }
        logger.info("Market channel stopped")
    }

    /// Stops `run()`: closes every connection.
    public func stop() {
        state.withLock { state in
            state.stopped = true
            state.control?.finish()
        }
    }

    private func assets(of shard: Int) -> [String] { state.withLock { $0.shards[shard].assets } }

    private func makeSocket(shard: Int) -> ReconnectingWebSocket {
        let customFeatures = customFeatures
        let onMessages = onMessages
        let logger = logger
        let hooks = SocketHooks(
            keepAlive: .polymarket,
            opened: { [self] outbox in
                state.withLock { state in
                    state.shards[shard].outbox = outbox
                    let assets = state.shards[shard].assets
                    return ([Self.initialFrame(assets, customFeatures: customFeatures)], assets.count)
                }
            },
            closed: { [self] in state.withLock { $0.shards[shard].outbox = nil } },
            makeReceiver: {
                var parser = MarketChannelParser()
                return { text, receivedNs in
                    do throws(StreamParseError) {
                        let messages = try parser.parse(text)
                        if !messages.isEmpty { onMessages(messages, receivedNs) }
                    } catch {
                        logger.frameRejected("Market frame rejected", error)
                    }
                }
            },
            event: { [self] event in onConnection(event, assets(of: shard)) }
        )
        return ReconnectingWebSocket(url: url, shard: shard, heartbeat: heartbeat, backoff: backoff, logger: logger, hooks: hooks)
    }

    // MARK: Frames

    /// `{"type":"market","assets_ids":[…],"custom_feature_enabled":…}`, sent on every (re)connect.
    static func initialFrame(_ assets: [String], customFeatures: Bool) -> String {
        "{\"type\":\"market\",\"assets_ids\":\(JSONText.array(assets)),\"custom_feature_enabled\":\(customFeatures)}"
    }

    static func subscribeFrame(_ assets: [String], customFeatures: Bool) -> String {
        "{\"operation\":\"subscribe\",\"assets_ids\":\(JSONText.array(assets)),\"custom_feature_enabled\":\(customFeatures)}"
    }

    static func unsubscribeFrame(_ assets: [String]) -> String {
        "{\"operation\":\"unsubscribe\",\"assets_ids\":\(JSONText.array(assets))}"
    }
}
