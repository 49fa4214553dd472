import CStrategyHostSDK
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import HostCore
import Synchronization

/// A host-internal kind that publishes a market script's `signal` lines on the signal bus, as if
/// another plugin emitted them, so a scorer or strategy can be checked alone. It receives the
/// script's market events and emits each signal at the first event at or after its time.
public enum ScriptSignalSource {
    public static let instanceID = "script-signals"
    public static let pluginID = "host.script-signals"
    public static let kindID = "script_signals"

    public struct Pending: Sendable {
        public var time: Int64
        public var symbol: SymbolID
        public var name: String
        public var direction: Int32
        public var value: Double
        public var confidence: Double
        public init(time: Int64, symbol: SymbolID, name: String, direction: Int32, value: Double, confidence: Double) {
            self.time = time
            self.symbol = symbol
            self.name = name
            self.direction = direction
            self.value = value
            self.confidence = confidence
        }
    }

    private struct State {
        var pending: [Pending] = []
        var next = 0
        /// The host table's address (pointers are not Sendable; it is used on the engine thread only).
        var host: UInt = 0
    }

    private static let state = Mutex(State())

    public static var kind: KindSpec {
        KindSpec(id: kindID, description: "Signals from a market script", roles: [], eventMask: eventMask, parameters: [])
    }

    private static let eventMask = UInt32(1 << TSH_EVENT_QUOTE) | UInt32(1 << TSH_EVENT_TRADE) | UInt32(1 << TSH_EVENT_BOOK)

    /// The descriptor to run; `signals` must be in time order.
    public static func descriptor(signals: [Pending]) -> UnsafePointer<tsh_kind_descriptor> {
        state.withLock { $0.pending = signals }
        let table = UnsafeMutablePointer<tsh_plugin_vtable>.allocate(capacity: 1)
        table.initialize(to: tsh_plugin_vtable(
            struct_size: UInt32(MemoryLayout<tsh_plugin_vtable>.size), reserved: 0,
            create: { _, host, _, out, _ in
                let address = UInt(bitPattern: host)
                ScriptSignalSource.state.withLock { $0.host = address }
                out.pointee = nil
                return TSH_OK
            },
            start: { _, _ in TSH_OK },
            on_event: { _, event, err in ScriptSignalSource.emitDue(upTo: event.pointee.ts_recv_ns, err: err) },
            stop: { _, _ in TSH_OK },
            destroy: { _ in }))
        let descriptor = UnsafeMutablePointer<tsh_kind_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: tsh_kind_descriptor(
            struct_size: UInt32(MemoryLayout<tsh_kind_descriptor>.size), event_mask: eventMask,
            kind_id: strdup(kindID).map { UnsafePointer($0) }!, description: strdup("Signals from a market script").map { UnsafePointer($0) }!,
            roles: nil, role_count: 0, param_count: 0, params: nil, vtable: UnsafePointer(table), get_extension: nil, user_data: nil))
        return UnsafePointer(descriptor)
    }

    private static func emitDue(upTo time: Int64, err: UnsafeMutablePointer<tsh_error>) -> tsh_status {
        let (due, address) = state.withLock { s -> ([Pending], UInt) in
            var due: [Pending] = []
            while s.next < s.pending.count, s.pending[s.next].time <= time {
                due.append(s.pending[s.next])
                s.next += 1
            }
            return (due, s.host)
        }
        guard let host = UnsafePointer<tsh_host>(bitPattern: address) else { return TSH_OK }
        for signal in due {
            var name = Array(signal.name.utf8)
            let status = name.withUnsafeMutableBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                    var record = tsh_signal()
                    record.struct_size = UInt32(MemoryLayout<tsh_signal>.size)
                    record.symbol_id = signal.symbol.rawValue
                    record.name = tsh_str(ptr: UnsafePointer(chars), len: UInt64(bytes.count))
                    record.direction = signal.direction
                    record.value = signal.value
                    record.confidence = signal.confidence
                    return host.pointee.emit_signal(host, &record, err)
                }
            }
            if status != TSH_OK { return status }
        }
        return TSH_OK
    }
}
