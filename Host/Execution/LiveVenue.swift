import HostCore

/// A real venue behind the engine's live instances (signed requests over the network).
///
/// The engine calls these on its own thread; they must not block: an adapter hands the
/// work to its own tasks and reports every outcome (accepted, filled, canceled, rejected)
/// as `OrderUpdate`s pushed onto the engine's inbound queue, so a recorded live session
/// replays to the same decisions.
public protocol LiveVenue: AnyObject, Sendable {
    /// The venue name instances name in their configuration (`venue:`).
    var name: String { get }
    /// Sends an order that passed the host's risk checks.
    func submit(_ order: OrderRequest, instrument: Instrument)
    /// Asks the venue to cancel one working order.
    func cancel(_ id: ClientOrderID, symbol: SymbolID)
}

/// The live venue of a replay: orders go nowhere; their outcomes are the venue updates the
/// session recorded, fed back in order — so a recorded live session replays to the same
/// decisions without touching the venue.
public final class RecordedOutcomesVenue: LiveVenue {
    public let name: String
    public init(name: String) { self.name = name }
    public func submit(_ order: OrderRequest, instrument: Instrument) {}
    public func cancel(_ id: ClientOrderID, symbol: SymbolID) {}
}
