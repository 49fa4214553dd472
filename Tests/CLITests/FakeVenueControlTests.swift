import BinanceFakes
import Foundation
import Logging
import Testing
@testable import HostCLI

/// `host fake-venue binance`: generated symbols for load runs and the failure-injection
/// commands read from standard input.
@Suite("fake-venue binance controls")
struct FakeVenueControlTests {
    static func fake(symbols: Int = 3) -> FakeBinanceVenue {
        var configuration = FakeBinanceVenue.Configuration(stepInterval: .milliseconds(10))
        configuration.symbols = FakeVenueRootCommand.generatedSymbols(symbols)
        return FakeBinanceVenue(configuration: configuration, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test("generated symbols are distinct USDT pairs ranked by falling 24 h quote volume")
    func generatedSymbols() {
        let symbols = FakeVenueRootCommand.generatedSymbols(200)
        #expect(Set(symbols.map(\.symbol)).count == 200)
        #expect(symbols.allSatisfy { $0.quoteAsset == "USDT" && $0.symbol.hasSuffix("USDT") })
        #expect(zip(symbols, symbols.dropFirst()).allSatisfy { $0.quoteVolume24h > $1.quoteVolume24h })
    }

    @Test("pause freezes every market and resume moves them again")
    func pauseAndResume() async throws {
        let fake = Self.fake()
        _ = try await fake.start(port: 0)
        #expect(FakeVenueRootCommand.control(fake, "pause") == "ok pause")
        try await Task.sleep(for: .milliseconds(50))
        let frozen = fake.steps
        try await Task.sleep(for: .milliseconds(200))
        #expect(fake.steps == frozen)
        #expect(FakeVenueRootCommand.control(fake, "resume") == "ok resume")
        // Markets step every 10 ms; allow a loaded machine plenty of time to run the next one.
        let resumed = ContinuousClock.now
        while fake.steps == frozen && ContinuousClock.now - resumed < .seconds(20) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(fake.steps > frozen)
        await fake.stop()
    }

    @Test("gap takes a listed symbol and a positive count; anything else is refused with the expected form")
    func gapValidation() {
        let fake = Self.fake()
        #expect(FakeVenueRootCommand.control(fake, "gap S0001USDT 2") == "ok gap S0001USDT 2")
        #expect(FakeVenueRootCommand.control(fake, "gap s0002usdt") == "ok gap s0002usdt")
        #expect(FakeVenueRootCommand.control(fake, "gap NOPEUSDT").hasPrefix("error: gap needs a listed symbol"))
        #expect(FakeVenueRootCommand.control(fake, "gap S0001USDT 0").hasPrefix("error: gap: N must be a positive integer"))
        #expect(FakeVenueRootCommand.control(fake, "silent maybe") == "error: silent takes on or off")
        #expect(FakeVenueRootCommand.control(fake, "explode").hasPrefix("error: unknown command 'explode'"))
    }
}
