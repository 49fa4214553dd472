import Synchronization

/// A boxed atomic Int64 so that final classes can share it and stay `Sendable`.
public final class Atomic64: Sendable {
    private let value: Atomic<Int64>
    public init(_ initial: Int64 = 0) { value = Atomic(initial) }
    @inlinable public func load() -> Int64 { _load() }
    @usableFromInline func _load() -> Int64 { value.load(ordering: .relaxed) }
    @inlinable public func store(_ newValue: Int64) { _store(newValue) }
    @usableFromInline func _store(_ newValue: Int64) { value.store(newValue, ordering: .relaxed) }
    @discardableResult public func add(_ delta: Int64) -> Int64 { value.wrappingAdd(delta, ordering: .relaxed).newValue }
    /// Raises the value to `candidate` if larger.
    public func max(_ candidate: Int64) {
        var current = value.load(ordering: .relaxed)
        while candidate > current {
            let (exchanged, original) = value.compareExchange(expected: current, desired: candidate, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}
