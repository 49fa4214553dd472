#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(ucrt)
import ucrt
#endif

/// The manifest of a Swift plugin library, built once and never freed (it must outlive
/// every use by the host, which ends only when the library is unloaded).
///
/// Export it with one function:
/// ```swift
/// let manifest = PluginManifest(id: "dev.example.ema", name: "EMA", version: "1.0.0",
///                               description: "…", kinds: [EMATrigger.self])
/// @_cdecl("tsh_plugin_entry") public func tshPluginEntry() -> UnsafeRawPointer { manifest.pointer }
/// ```
public final class PluginManifest: Sendable {
    // The pointer refers to immutable, never-freed C data.
    nonisolated(unsafe) private let storage: UnsafeMutablePointer<tsh_manifest>
    /// Keeps the compiler marker in the library, where the host looks for it before loading.
    nonisolated(unsafe) private let toolchainMarker: UnsafePointer<UInt8>

    /// The `const tsh_manifest *` to return from `tsh_plugin_entry`.
    public var pointer: UnsafeRawPointer { UnsafeRawPointer(storage) }

    public init(id: String, name: String, version: String, description: String, kinds: [any StrategyPlugin.Type]) {
        let descriptors = kinds.map { KindExport.descriptor(for: $0) }
        let kindArray = UnsafeMutablePointer<UnsafePointer<tsh_kind_descriptor>>.allocate(capacity: max(1, descriptors.count))
        for (i, d) in descriptors.enumerated() { kindArray[i] = UnsafePointer(d) }
        var fingerprint = tsh_build_fingerprint()
        fingerprint.magic = (UInt8(ascii: "T"), UInt8(ascii: "S"), UInt8(ascii: "H"), UInt8(ascii: "F"))
        fingerprint.pointer_bytes = UInt8(MemoryLayout<UnsafeRawPointer>.size)
        fingerprint.endianness = UInt8(1.littleEndian == 1 ? TSH_ENDIAN_LITTLE : TSH_ENDIAN_BIG)
        fingerprint.timestamp_unit = UInt8(TSH_TIMESTAMP_UNIX_NANOS)
        fingerprint.float_format = UInt8(TSH_FLOAT_IEEE754_BINARY64)
        fingerprint.bool_bytes = UInt8(MemoryLayout<Bool>.size)
        fingerprint.status_bytes = UInt8(MemoryLayout<Int32>.size)
        fingerprint.size_bytes = UInt8(MemoryLayout<Int>.size)
        toolchainMarker = SwiftToolchain.marker.utf8Start
        storage = .allocate(capacity: 1)
        storage.initialize(to: tsh_manifest(
            abi: tsh_version(major: UInt32(TSH_ABI_MAJOR), minor: UInt32(TSH_ABI_MINOR), revision: UInt32(TSH_ABI_REVISION)),
            struct_size: UInt32(MemoryLayout<tsh_manifest>.size),
            fingerprint: fingerprint,
            plugin_id: CString.make(id), name: CString.make(name), version: CString.make(version),
            description: CString.make(description),
            kinds: UnsafePointer(kindArray), kind_count: UInt32(descriptors.count), reserved: 0))
    }
}

/// Immortal C strings for the manifest.
enum CString {
    static func make(_ text: String) -> UnsafePointer<CChar> {
        let bytes = Array(text.utf8CString)
        let memory = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        memory.initialize(from: bytes, count: bytes.count)
        return UnsafePointer(memory)
    }
    static func array(_ texts: [String]) -> UnsafePointer<UnsafePointer<CChar>>? {
        guard !texts.isEmpty else { return nil }
        let array = UnsafeMutablePointer<UnsafePointer<CChar>>.allocate(capacity: texts.count)
        for (i, t) in texts.enumerated() { array[i] = make(t) }
        return UnsafePointer(array)
    }
}

/// Links a C kind descriptor to the Swift type that implements it.
final class KindBox {
    let type: any StrategyPlugin.Type
    let signalSource: UnsafeMutablePointer<tsh_signal_source_ext>
    /// nil when the kind consumes every signal (no `tsh.signal-sink/1` extension).
    let signalSink: UnsafeMutablePointer<tsh_signal_sink_ext>?
    /// nil when the kind declares no tables (no `tsh.records/1` extension).
    let records: UnsafeMutablePointer<tsh_records_ext>?
    init(type: any StrategyPlugin.Type, emits: [String], consumes: [String], tables: [RecordTable]) {
        self.type = type
        if tables.isEmpty {
            records = nil
        } else {
            let descriptors = UnsafeMutablePointer<tsh_table_descriptor>.allocate(capacity: tables.count)
            for (i, table) in tables.enumerated() {
                let columns = UnsafeMutablePointer<tsh_column_descriptor>.allocate(capacity: table.columns.count)
                for (j, c) in table.columns.enumerated() {
                    columns[j] = tsh_column_descriptor(
                        struct_size: UInt32(MemoryLayout<tsh_column_descriptor>.size), type: c.kind.rawValue, name: CString.make(c.name),
                        doc: CString.make(c.doc), flags: (c.isKey ? TSH_COLUMN_KEY : 0) | (c.isNullable ? TSH_COLUMN_NULLABLE : 0), reserved: 0)
                }
                descriptors[i] = tsh_table_descriptor(
                    struct_size: UInt32(MemoryLayout<tsh_table_descriptor>.size), column_count: UInt32(table.columns.count),
                    name: CString.make(table.name), doc: CString.make(table.doc), columns: UnsafePointer(columns))
            }
            let ext = UnsafeMutablePointer<tsh_records_ext>.allocate(capacity: 1)
            ext.initialize(to: tsh_records_ext(struct_size: UInt32(MemoryLayout<tsh_records_ext>.size), table_count: UInt32(tables.count),
                                               tables: UnsafePointer(descriptors)))
            records = ext
        }
        signalSource = .allocate(capacity: 1)
        signalSource.initialize(to: tsh_signal_source_ext(
            struct_size: UInt32(MemoryLayout<tsh_signal_source_ext>.size), name_count: UInt32(emits.count), names: CString.array(emits)))
        if consumes.isEmpty {
            signalSink = nil
        } else {
            let sink = UnsafeMutablePointer<tsh_signal_sink_ext>.allocate(capacity: 1)
            sink.initialize(to: tsh_signal_sink_ext(
                struct_size: UInt32(MemoryLayout<tsh_signal_sink_ext>.size), name_count: UInt32(consumes.count), names: CString.array(consumes)))
            signalSink = sink
        }
    }
}

/// One live instance: the plugin object.
final class InstanceBox {
    let plugin: any StrategyPlugin
    /// Signal names and sources this instance receives (only on its event thread).
    let strings = ReceivedStrings()
    init(_ plugin: any StrategyPlugin) { self.plugin = plugin }
}

/// The short strings an instance receives over and over — signal names, the emitting instances
/// and plugins —, each made into a `String` once: a hit compares bytes instead of allocating
/// (three allocations per signal were most of a consumer's per-signal cost in the screener
/// benchmark, perf). Payloads are not kept.
///
/// - Important: Used only on the instance's event thread.
final class ReceivedStrings {
    private var entries: [(bytes: [UInt8], string: String)] = []
    /// At most this many strings, each at most `maximumBytes` long, are kept.
    static let capacity = 32
    static let maximumBytes = 64

    func string(_ s: tsh_str) -> String {
        guard let ptr = s.ptr, s.len > 0 else { return "" }
        let count = Int(s.len)
        guard count <= Self.maximumBytes else { return makeString(s) }
        for entry in entries where entry.bytes.count == count {
            if entry.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, ptr, count) == 0 }) { return entry.string }
        }
        let string = makeString(s)
        if entries.count < Self.capacity { entries.append((Array(UnsafeRawBufferPointer(start: ptr, count: count)), string)) }
        return string
    }
}

enum KindExport {
    static func descriptor(for type: any StrategyPlugin.Type) -> UnsafeMutablePointer<tsh_kind_descriptor> {
        let kind = type.kind
        let params = UnsafeMutablePointer<tsh_param_descriptor>.allocate(capacity: max(1, kind.parameters.count))
        for (i, p) in kind.parameters.enumerated() {
            var flags: UInt32 = p.perSymbol ? TSH_PARAM_PER_SYMBOL : 0
            if p.minimum != nil { flags |= TSH_PARAM_HAS_MIN }
            if p.maximum != nil { flags |= TSH_PARAM_HAS_MAX }
            params[i] = tsh_param_descriptor(
                struct_size: UInt32(MemoryLayout<tsh_param_descriptor>.size), type: p.type, name: CString.make(p.name),
                doc: CString.make(p.doc), default_value: CString.make(p.defaultText), flags: flags, allowed_count: UInt32(p.allowed.count),
                min_value: p.minimum ?? 0, max_value: p.maximum ?? 0, allowed_values: CString.array(p.allowed),
                unit: p.unit.map(CString.make))
        }
        let box = KindBox(type: type, emits: kind.emits, consumes: kind.consumes, tables: kind.tables)
        let descriptor = UnsafeMutablePointer<tsh_kind_descriptor>.allocate(capacity: 1)
        descriptor.initialize(to: tsh_kind_descriptor(
            struct_size: UInt32(MemoryLayout<tsh_kind_descriptor>.size), event_mask: kind.events.rawValue,
            kind_id: CString.make(kind.id), description: CString.make(kind.description),
            roles: CString.array(kind.roles.map(\.rawValue)), role_count: UInt32(kind.roles.count),
            param_count: UInt32(kind.parameters.count), params: kind.parameters.isEmpty ? nil : UnsafePointer(params),
            vtable: UnsafePointer(vtable),
            get_extension: { kind, id in
                guard let data = kind.pointee.user_data else { return nil }
                let box = Unmanaged<KindBox>.fromOpaque(data).takeUnretainedValue()
                switch String(cString: id) {
                case TSH_EXT_SIGNAL_SOURCE: return UnsafeRawPointer(box.signalSource)
                case TSH_EXT_SIGNAL_SINK: return box.signalSink.map { UnsafeRawPointer($0) }
                case TSH_EXT_RECORDS: return box.records.map { UnsafeRawPointer($0) }
                default: return nil
                }
            },
            user_data: UnsafeRawPointer(Unmanaged.passRetained(box).toOpaque())))
        return descriptor
    }

    /// One function table serves every Swift kind; `create` finds the type through the
    /// descriptor's user_data.
    nonisolated(unsafe) static let vtable: UnsafeMutablePointer<tsh_plugin_vtable> = {
        let table = UnsafeMutablePointer<tsh_plugin_vtable>.allocate(capacity: 1)
        table.initialize(to: tsh_plugin_vtable(
            struct_size: UInt32(MemoryLayout<tsh_plugin_vtable>.size), reserved: 0,
            create: { kind, host, info, out, errorOut in
                guard let data = kind.pointee.user_data else {
                    return fail(errorOut, TSH_ERR_INTERNAL, message: "kind descriptor has no Swift type attached")
                }
                let box = Unmanaged<KindBox>.fromOpaque(data).takeUnretainedValue()
                do {
                    let plugin = try box.type.init(context: PluginContext(host: host, info: info))
                    out.pointee = Unmanaged.passRetained(InstanceBox(plugin)).toOpaque()
                    return TSH_OK
                } catch {
                    return fail(errorOut, message: "\(error)")
                }
            },
            start: { instance, error in call(instance, error) { try $0.start() } },
            on_event: { instance, event, errorOut in
                // Guaranteed reference: no retain/release on the per-event path.
                Unmanaged<InstanceBox>.fromOpaque(instance!)._withUnsafeGuaranteedRef { box in
                    do {
                        try dispatch(box.plugin, event, strings: box.strings)
                        return TSH_OK
                    } catch {
                        return fail(errorOut, message: "\(error)")
                    }
                }
            },
            stop: { instance, error in call(instance, error) { try $0.stop() } },
            destroy: { instance in
                guard let instance else { return }
                Unmanaged<InstanceBox>.fromOpaque(instance).release()
            }))
        return table
    }()

    @inline(__always)
    /// The named fields of a 1.1 signal event (none when the host's event is a 1.0 one:
    /// ABIGrowth.load leaves what the host did not write at zero).
    static func signalFields(_ e: tsh_signal_event) -> [(name: String, value: Double)] {
        guard e.field_count > 0, let fields = e.fields else { return [] }
        return (0..<Int(e.field_count)).map { (makeString(fields[$0].name), fields[$0].value) }
    }

    static func dispatch(_ plugin: any StrategyPlugin, _ event: UnsafePointer<tsh_event_header>, strings: ReceivedStrings? = nil) throws {
        let raw = UnsafeRawPointer(event)
        let info = EventInfo(event.pointee)
        // Each event is read only as far as the host built it (header.size): fields beyond it
        // read as zero; a field added after 1.0 is used only when `ABIGrowth.carries` says so.
        let size = event.pointee.size
        switch Int32(event.pointee.type) {
        case TSH_EVENT_QUOTE:
            let e = ABIGrowth.load(raw, size: size, as: tsh_quote_event.self)
            try plugin.onQuote(Quote(info: info, bidPrice: e.bid_price, bidSize: e.bid_size, askPrice: e.ask_price, askSize: e.ask_size))
        case TSH_EVENT_TRADE:
            let e = ABIGrowth.load(raw, size: size, as: tsh_trade_event.self)
            // trade_id is zero-filled by `load` when a 1.0 host sent a shorter event.
            try plugin.onTrade(Trade(info: info, price: e.price, size: e.size, aggressor: Side(rawValue: e.aggressor),
                                     tradeID: e.trade_id == 0 ? nil : e.trade_id))
        case TSH_EVENT_BOOK:
            let e = ABIGrowth.load(raw, size: size, as: tsh_book_event.self)
            try plugin.onBook(BookUpdate(
                info: info, changes: BookChanges(base: e.changes, count: Int(e.change_count)), isSnapshot: e.is_snapshot != 0,
                bestBid: e.best_bid_price.isNaN ? nil : BookLevel(price: e.best_bid_price, size: e.best_bid_size),
                bestAsk: e.best_ask_price.isNaN ? nil : BookLevel(price: e.best_ask_price, size: e.best_ask_size),
                venueSequence: e.venue_seq))  // zero-filled by `load` from a 1.0 host
        case TSH_EVENT_BAR:
            try plugin.onBar(Bar(ABIGrowth.load(raw, size: size, as: tsh_bar_event.self), info: info))
        case TSH_EVENT_TIMER:
            let e = ABIGrowth.load(raw, size: size, as: tsh_timer_event.self)
            try plugin.onTimer(TimerFired(info: info, timerID: e.timer_id, tag: e.user_tag, scheduledTime: e.scheduled_ns))
        case TSH_EVENT_SIGNAL:
            let e = ABIGrowth.load(raw, size: size, as: tsh_signal_event.self)
            let short = strings.map { $0.string } ?? makeString
            try plugin.onSignal(Signal(info: info, name: short(e.name), sourceInstance: short(e.source_instance),
                                       sourcePlugin: short(e.source_plugin), payload: makeString(e.payload),
                                       direction: e.direction, value: e.value, confidence: e.confidence,
                                       fields: Self.signalFields(e)))
        case TSH_EVENT_ORACLE:
            let e = ABIGrowth.load(raw, size: size, as: tsh_oracle_event.self)
            try plugin.onOracle(OracleTick(info: info, source: makeString(e.source), price: e.price))
        case TSH_EVENT_ORDER:
            let e = ABIGrowth.load(raw, size: size, as: tsh_order_event.self)
            try plugin.onOrder(OrderEvent(
                info: info, clientOrderID: e.client_order_id, status: OrderStatus(rawValue: e.status) ?? .rejected,
                denyReason: e.deny_reason, side: Side(rawValue: e.side) ?? .buy, lastFillPrice: e.last_fill_price,
                lastFillSize: e.last_fill_size, filledSize: e.filled_size, remainingSize: e.remaining_size,
                averageFillPrice: e.average_fill_price, fee: e.fee, reason: makeString(e.reason), venueOrderID: makeString(e.venue_order_id)))
        default:
            break  // an event type newer than this SDK: ignore, as the ABI promises
        }
    }

    private static func call(_ instance: UnsafeMutableRawPointer?, _ errorOut: UnsafeMutablePointer<tsh_error>,
                             _ body: (any StrategyPlugin) throws -> Void) -> tsh_status {
        let plugin = Unmanaged<InstanceBox>.fromOpaque(instance!).takeUnretainedValue().plugin
        do {
            try body(plugin)
            return TSH_OK
        } catch {
            return fail(errorOut, message: "\(error)")
        }
    }

    private static func fail(_ error: UnsafeMutablePointer<tsh_error>, _ status: tsh_status = TSH_ERR_PLUGIN, message: String) -> tsh_status {
        error.pointee.code = status
        let bytes = Array(message.utf8.prefix(Int(TSH_ERROR_MESSAGE_CAPACITY) - 1))
        withUnsafeMutableBytes(of: &error.pointee.message) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        error.pointee.message_len = UInt32(bytes.count)
        return status
    }
}
