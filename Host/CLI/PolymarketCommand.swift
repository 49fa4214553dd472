import ArgumentParser
import Foundation
import HostPolymarket
import Logging
import PolymarketFakes
import PolymarketSigning

/// `host polymarket …`: tools for the live Polymarket venue.
struct PolymarketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polymarket",
        abstract: "Polymarket tools: audit exactly what the host signs and sends.",
        subcommands: [SignOrderCommand.self, FakeVenueCommand.self])
}

/// `host polymarket sign-order`: builds and signs one CLOB V2 order exactly as the live venue
/// does and prints the `POST /order` body and headers — without sending anything.
struct SignOrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-order",
        abstract: "Print the signed POST /order body and L2 headers the host would send (nothing is sent).",
        discussion: """
        The key and API credentials come from the environment only: POLYMARKET_PRIVATE_KEY, and
        POLYMARKET_API_KEY / POLYMARKET_API_SECRET / POLYMARKET_API_PASSPHRASE (POLYMARKET_FUNDER for
        proxy/safe wallets). The passphrase is masked unless --show-secrets is given; the API secret is
        never printed (only the HMAC it produces). Pass --salt, --timestamp-ms and --timestamp for
        byte-identical output across runs.
        """)

    enum SideArgument: String, ExpressibleByArgument, CaseIterable { case buy, sell }

    @Option(name: .long, help: "CLOB token id (decimal).")
    var tokenID: String
    @Option(name: .long, help: "buy or sell.")
    var side: SideArgument
    @Option(name: .long, help: "Limit price (on the tick grid, within [tick, 1 - tick]).")
    var price: String
    @Option(name: .long, help: "Size in shares.")
    var size: String
    @Option(name: .long, help: "GTC, GTD, FOK or FAK.")
    var orderType = "GTC"
    @Option(name: .long, help: "Market tick size: 0.1, 0.01, 0.005, 0.0025, 0.001 or 0.0001.")
    var tickSize = "0.01"
    @Flag(name: .long, help: "The market is neg-risk (signs for the Neg-Risk CTF Exchange).")
    var negRisk = false
    @Option(name: .long, help: "eoa (0), proxy (1) or safe (2); default from POLYMARKET_SIGNATURE_TYPE or eoa.")
    var signatureType: String?
    @Flag(name: .long, help: "Post-only (GTC/GTD only).")
    var postOnly = false
    @Option(name: .long, help: "GTD expiration, unix seconds (0 = none).")
    var expiration: UInt64 = 0
    @Option(name: .long, help: "Fixed salt (default random, as the live venue does).")
    var salt: UInt64?
    @Option(name: .long, help: "Fixed order timestamp, unix ms (default now).")
    var timestampMs: UInt64?
    @Option(name: .long, help: "Fixed L2 header timestamp, unix seconds (default now).")
    var timestamp: Int64?
    @Flag(name: .long, help: "Print the passphrase instead of masking it.")
    var showSecrets = false
    @Flag(name: .long, help: "Print one JSON object (body, headers, order hash, signer).")
    var json = false

    func run() throws {
        try reportingFailures {
            let output = try SignOrderAudit.make(
                tokenID: tokenID, side: side == .buy ? .buy : .sell, price: price, size: size, orderType: orderType, tickSize: tickSize,
                negRisk: negRisk, signatureType: signatureType, postOnly: postOnly, expiration: expiration, salt: salt,
                timestampMs: timestampMs, timestamp: timestamp, showSecrets: showSecrets, environment: ProcessInfo.processInfo.environment)
            print(json ? output.json : output.text)
        }
    }
}

/// The audit output of `host polymarket sign-order` (built without any I/O so tests check it).
struct SignOrderAudit {
    var body: String
    var headers: [(name: String, value: String)]
    var orderHash: String
    var signer: String
    var maker: String
    var exchange: String

    static func make(tokenID: String, side: OrderSide, price: String, size: String, orderType: String, tickSize: String, negRisk: Bool,
                     signatureType: String?, postOnly: Bool, expiration: UInt64, salt: UInt64?, timestampMs: UInt64?, timestamp: Int64?,
                     showSecrets: Bool, environment: [String: String]) throws -> SignOrderAudit {
        func fail(_ message: String) -> HostFailure { HostFailure(exit: .usage, message: "error: \(message)") }
        var env = environment
        if let signatureType { env["POLYMARKET_SIGNATURE_TYPE"] = signatureType }
        let account: PolymarketAccount
        do { account = try PolymarketAccount.fromEnvironment(env) } catch { throw fail("\(error)") }
        guard let credentials = account.credentials else {
            throw fail("POLYMARKET_API_KEY, POLYMARKET_API_SECRET and POLYMARKET_API_PASSPHRASE must be set: the L2 headers are signed with them")
        }
        guard let type = ClobOrderType(rawValue: orderType.uppercased()) else {
            throw fail("--order-type '\(orderType)' is not one of GTC, GTD, FOK, FAK")
        }
        guard let priceValue = Decimal(string: price, locale: Locale(identifier: "en_US_POSIX")) else { throw fail("--price '\(price)' is not a decimal number") }
        guard let sizeValue = Decimal(string: size, locale: Locale(identifier: "en_US_POSIX")), sizeValue > 0 else {
            throw fail("--size '\(size)' is not a positive decimal number")
        }
        if postOnly && type != .gtc && type != .gtd { throw fail("--post-only applies to GTC and GTD orders only") }
        if type == .gtd && expiration == 0 { throw fail("a GTD order needs --expiration (unix seconds)") }
        do {
            let tick = try TickSize(tickSize)
            let builder = try OrderBuilder(privateKey: account.privateKey, signatureType: account.signatureType, funder: account.funder)
            let signed = try builder.limitOrder(tokenID: tokenID, side: side, price: priceValue, size: sizeValue, tick: tick, negRisk: negRisk,
                                                expiration: expiration, salt: salt, timestampMs: timestampMs)
            let body = signed.body(owner: credentials.apiKey, orderType: type, postOnly: postOnly)
            let exchange = ClobExchange.forNegRisk(negRisk)
            let orderID = try EIP712.orderID(signed.order, exchange: exchange)
            let now = timestamp ?? Int64(Date().timeIntervalSince1970)
            var headers = try L2Auth.headers(credentials: credentials, address: account.privateKey.address, timestamp: now,
                                             method: "POST", path: "/order", body: body)
            if !showSecrets {
                headers = headers.map { $0.name == "POLY_PASSPHRASE" ? ($0.name, String(repeating: "*", count: 8)) : $0 }
            }
            return SignOrderAudit(body: String(decoding: body, as: UTF8.self), headers: headers,
                                  orderHash: orderID,
                                  signer: account.privateKey.address.checksummed, maker: signed.order.maker.checksummed,
                                  exchange: exchange.address.checksummed)
        } catch {
            throw fail("\(error)")
        }
    }

    var text: String {
        var lines = ["POST /order", ""]
        lines += headers.map { "\($0.name): \($0.value)" }
        lines += ["", body, "", "order hash (venue order id): \(orderHash)", "signer: \(signer)  maker: \(maker)  exchange: \(exchange)",
                  "nothing was sent"]
        return lines.joined(separator: "\n")
    }

    var json: String {
        let object: [String: Any] = [
            "method": "POST", "path": "/order", "body": body, "order_hash": orderHash, "signer": signer, "maker": maker, "exchange": exchange,
            "headers": Dictionary(uniqueKeysWithValues: headers.map { ($0.name, $0.value) }),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// `host polymarket fake-venue`: a whole fake Polymarket on loopback with moving markets, to
/// try live mode end to end without money.
struct FakeVenueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-venue",
        abstract: "Run a fake Polymarket (Gamma, CLOB REST, market/user channels, RTDS) on 127.0.0.1 — simulated markets, no money.",
        discussion: """
        It verifies what the venue verifies (EIP-712 order signatures, L2 HMACs, tick grid, clock) and fills
        marketable orders against its books. The account it accepts is the one in the environment
        (POLYMARKET_PRIVATE_KEY and POLYMARKET_API_KEY/SECRET/PASSPHRASE); --print-test-env prints a
        throwaway test account to export. It prints the feed: keys that point a host at it (and writes them
        to --feed-file), then runs until SIGINT or --seconds.
        """)

    @Option(name: .long, parsing: .upToNextOption, help: "Assets (btc, eth, sol, xrp).")
    var assets: [String] = ["btc"]
    @Option(name: .long, parsing: .upToNextOption, help: "Window durations: 5m, 15m, 4h.")
    var durations: [String] = ["5m"]
    @Option(name: .long, help: "Collateral (pUSD) of the account.")
    var collateral = "1000"
    @Option(name: .long, help: "Write the feed: keys (YAML) to this file.")
    var feedFile: String?
    @Option(name: .long, help: "Stop after this many seconds (0 = until SIGINT).")
    var seconds = 0
    @Flag(name: .long, help: "Print export lines for a throwaway test account and exit.")
    var printTestEnv = false

    static let testKey = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"

    func run() async throws {
        if printTestEnv {
            print("""
            # A throwaway TEST account for the fake venue only (the key is a published test vector: never fund it).
            export POLYMARKET_PRIVATE_KEY=\(Self.testKey)
            export POLYMARKET_API_KEY=00000000-0000-4000-8000-00000000fa6e
            export POLYMARKET_API_SECRET=ZmFrZS12ZW51ZS1zZWNyZXQtZmFrZS12ZW51ZS1zZWNyZXQ=
            export POLYMARKET_API_PASSPHRASE=fake-venue
            """)
            return
        }
        try await reportingFailures {
            let account: PolymarketAccount
            do { account = try PolymarketAccount.fromEnvironment() } catch {
                throw HostFailure(exit: .usage, message: "error: \(error)\nfix: export a test account (`host polymarket fake-venue --print-test-env`)")
            }
            guard let credentials = account.credentials else {
                throw HostFailure(exit: .usage, message: "error: the fake venue needs POLYMARKET_API_KEY, POLYMARKET_API_SECRET and POLYMARKET_API_PASSPHRASE")
            }
            var configuration = FakePolymarketVenue.Configuration()
            configuration.assets = assets.map { $0.lowercased() }
            configuration.durations = try durations.map { d in
                guard let seconds = ["5m": Int64(300), "15m": 900, "4h": 14_400][d] else { throw HostFailure(exit: .usage, message: "error: --durations '\(d)' is not one of 5m, 15m, 4h") }
                return (d, seconds)
            }
            guard let amount = Decimal(string: collateral, locale: Locale(identifier: "en_US_POSIX")), amount >= 0 else {
                throw HostFailure(exit: .usage, message: "error: --collateral '\(collateral)' is not a non-negative decimal")
            }
            configuration.collateral = amount
            let venue = FakePolymarketVenue(configuration: configuration, credentials: credentials, signer: account.privateKey.address,
                                            funder: account.funder, logger: Logger(label: "tsh.fake-venue"))
            try await venue.start()
            let yaml = venue.feedKeys.map { "  \($0.0): \($0.1)" }.joined(separator: "\n")
            print("fake Polymarket running (SIMULATED markets, no money). Point a host at it with these feed: keys:\n\(yaml)")
            if let feedFile { try (yaml + "\n").write(toFile: feedFile, atomically: true, encoding: .utf8) }
            let task = Task { await venue.run() }
            let stop = Task {
                if seconds > 0 { try? await Task.sleep(for: .seconds(seconds)) } else { try? await Task.sleep(for: .seconds(86_400 * 365)) }
            }
            let signals = ShutdownSignals { _ in stop.cancel() }
            _ = await stop.result
            signals.cancel()
            await venue.stop()
            await task.value
        }
    }
}
