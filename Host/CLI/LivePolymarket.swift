import Foundation
import HostConfig
import HostCore
import HostEngine
import HostPolymarket
import Logging
import PolymarketREST
import PolymarketSigning
import PolymarketStreams

/// Sets up a session on live Polymarket data (`feed: source: polymarket`): series symbols,
/// the feed, and — for instances with `mode: live` when the run passed `--live` — the
/// account from the environment, API credentials and the start-up reconciliation.
enum LivePolymarket {
    static func feedConfiguration(_ feed: FeedSettings) -> PolymarketFeedConfiguration {
        var c = PolymarketFeedConfiguration()
        c.assets = feed.assets.map { $0.lowercased() }
        c.durations = feed.durations.compactMap { UpDownDuration(rawValue: $0) }
        c.oracle = switch feed.oracle {
        case "chainlink": .chainlink
        case "twap60": .twap60
        default: nil
        }
        c.leadTime = .seconds(feed.leadTimeSeconds)
        c.grace = .seconds(feed.graceSeconds)
        c.discoveryInterval = .seconds(feed.discoveryIntervalSeconds)
        c.maxAssetsPerConnection = feed.maxAssetsPerConnection
        let e = feed.endpoints, p = ClobEndpoints.production
        c.endpoints = ClobEndpoints(rest: e["clob_url"] ?? p.rest, gamma: e["gamma_url"] ?? p.gamma, marketWS: e["market_ws_url"] ?? p.marketWS,
                                    userWS: e["user_ws_url"] ?? p.userWS, rtds: e["rtds_url"] ?? p.rtds)
        return c
    }

    /// The configured series with the symbol ids the assembly registered.
    static func series(_ feed: FeedSettings, symbols: SymbolTable) -> [PolymarketSeries] {
        feed.assets.flatMap { asset in
            feed.durations.compactMap { name -> PolymarketSeries? in
                guard let duration = UpDownDuration(rawValue: name) else { return nil }
                let names = PolymarketSeries.symbolNames(asset: asset, duration: duration)
                guard let up = symbols.id(of: names.up), let down = symbols.id(of: names.down), let oracle = symbols.id(of: names.oracle) else { return nil }
                return PolymarketSeries(asset: asset.lowercased(), duration: duration, up: up, down: down, oracle: oracle)
            }
        }
    }

    static func prepare(assembly: SessionAssembly, engine: Engine, allowLive: Bool, clock: any EngineClock, logger: Logger) async throws -> PolymarketSession {
        let configuration = feedConfiguration(assembly.config.feed)
        let markets = PolymarketMarkets(series: series(assembly.config.feed, symbols: assembly.symbols))
        let liveSpecs = assembly.specs.filter { $0.mode == .live }
        if let first = liveSpecs.first, !allowLive {
            // Refused before any network access: nothing live happens without the opt-in.
            throw HostFailure(exit: .runtimeFailure, message: "error: instance '\(first.id)' is configured with mode: live, but live trading was not enabled; pass --live on the command line to trade for real, or set mode: paper")
        }
        var account: PolymarketAccount?
        var credentials: ApiCredentials?
        if !liveSpecs.isEmpty {
            do {
                account = try PolymarketAccount.fromEnvironment()
            } catch {
                throw HostFailure(exit: .invalidConfig, message: "error: live trading needs the Polymarket account in the environment: \(error)")
            }
            account!.log(to: logger)  // masked: no key, secret, passphrase or full address
            do {
                credentials = try await PolymarketSession.deriveCredentials(account: account!, configuration: configuration, clock: clock, logger: logger)
            } catch {
                throw HostFailure(exit: .runtimeFailure, message: "error: could not create or derive Polymarket API credentials: \(error)")
            }
        }
        let queue = engine.queue
        let session: PolymarketSession
        do {
            session = try PolymarketSession(configuration: configuration, markets: markets, account: account, credentials: credentials,
                                            clock: clock, logger: logger, sink: { queue.push($0) })
        } catch {
            throw HostFailure(exit: .invalidConfig, message: "error: \(error)")
        }
        let reconciliation: PolymarketVenue.Reconciliation?
        do {
            reconciliation = try await session.prepare(liveSymbols: liveSpecs.flatMap(\.symbols))
        } catch {
            throw HostFailure(exit: .runtimeFailure, message: "error: \(error)")
        }
        if let venue = session.venue, let reconciliation {
            engine.attachLiveVenue(venue)
            for spec in liveSpecs {
                engine.setVenueCash(reconciliation.cash, instanceID: spec.id, quoteAsset: "USDC")
            }
            logger.notice("Polymarket reconciled", metadata: [
                "balance": "\(reconciliation.cash)", "orders.canceled": "\(reconciliation.canceledOrders)",
                "positions": "\(reconciliation.positions.filter { $0.value != 0 }.map { "\(assembly.symbols.instrument($0.key)?.symbol ?? "?")=\($0.value)" }.sorted())",
            ])
        }
        return session
    }
}
