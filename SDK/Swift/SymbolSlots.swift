/// An instance's symbols numbered 0..<count in the order given, looked up by `SymbolID` in one
/// array read: the host numbers symbols densely from 0, so a table indexed by the id is small
/// and beats hashing on a per-event path (a `[SymbolID: Int]` lookup cost more than some
/// triggers' whole update, measured with perf). Ids too large for a table fall back to a
/// dictionary.
public struct SymbolSlots: Sendable {
    /// Slot + 1 by `SymbolID.rawValue` (0: not one of ours).
    @usableFromInline var table: [Int32] = []
    @usableFromInline var overflow: [SymbolID: Int] = [:]
    public private(set) var count = 0

    /// Ids below this are looked up in the table.
    @usableFromInline static let tableLimit: UInt32 = 1 << 20

    public init(_ symbols: some Sequence<SymbolID>) {
        for symbol in symbols where self[symbol] == nil {
            if symbol.rawValue < Self.tableLimit {
                let index = Int(symbol.rawValue)
                if index >= table.count { table += repeatElement(0, count: index + 1 - table.count) }
                table[index] = Int32(count + 1)
            } else {
                overflow[symbol] = count
            }
            count += 1
        }
    }

    /// The symbol's slot, or nil for a symbol not in the set.
    @inlinable public subscript(_ symbol: SymbolID) -> Int? {
        let index = Int(symbol.rawValue)
        if symbol.rawValue < Self.tableLimit {
            guard index < table.count else { return nil }
            let slot = Int(table[index])
            return slot == 0 ? nil : slot - 1
        }
        return overflow[symbol]
    }
}
