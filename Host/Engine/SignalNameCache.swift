import Foundation

/// The signal names one instance emitted lately, each as the host's `String` with the
/// instances that consume it. A plugin emits a few names over and over (a trigger kind one,
/// QDE one): a hit compares bytes, so the host makes no `String` and hashes no name per
/// signal (both were a tenth of the screener benchmark's signal handling, perf).
///
/// - Important: Confined to the engine thread, like its ``InstanceRuntime``.
struct SignalNameCache {
    struct Entry {
        var bytes: [UInt8]
        var name: String
        var consumers: [Int]
    }

    /// Entries beyond this are not cached (a plugin inventing names is served, just not faster).
    static let capacity = 16

    private var entries: [Entry] = []
    /// The engine's routing generation the consumers were computed for.
    private var generation = -1

    /// The cached name and consumers for these bytes, when they are cached for `generation`.
    func lookup(_ bytes: UnsafeRawBufferPointer, generation: Int) -> (name: String, consumers: [Int])? {
        guard generation == self.generation else { return nil }
        for entry in entries where entry.bytes.count == bytes.count {
            let equal = entry.bytes.withUnsafeBytes { cached in
                bytes.count == 0 || memcmp(cached.baseAddress!, bytes.baseAddress!, bytes.count) == 0
            }
            if equal { return (entry.name, entry.consumers) }
        }
        return nil
    }

    /// Remembers a name (validated by the caller) and its consumers for `generation`.
    mutating func insert(_ name: String, consumers: [Int], generation: Int) {
        if generation != self.generation {
            entries.removeAll(keepingCapacity: true)
            self.generation = generation
        }
        guard entries.count < Self.capacity else { return }
        entries.append(Entry(bytes: Array(name.utf8), name: name, consumers: consumers))
    }
}
