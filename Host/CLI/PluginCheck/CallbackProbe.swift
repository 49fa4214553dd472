import CStrategyHostSDK
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Wraps a plugin kind's vtable for `host plugins check`: before every callback it writes where
/// it is (callback, instance, event type, sequence, symbol, time) into a file mapped shared with
/// the parent process, so a crash can be reported with its callback and last event; after each
/// callback it adds the duration and keeps the first error messages.
///
/// - Important: Used only in the check's child process. The wrapped callbacks run on the engine
///   thread; the registry is locked only at create.
enum CallbackProbe {
    /// Callbacks, as numbered in the progress record.
    enum Callback: UInt32, CaseIterable, Sendable {
        case none = 0, create, start, onEvent, stop, destroy
        var name: String {
            switch self {
            case .none: "none"
            case .create: "create"
            case .start: "start"
            case .onEvent: "on_event"
            case .stop: "stop"
            case .destroy: "destroy"
            }
        }
    }

    /// Layout of the progress file (little-endian, fixed offsets).
    enum Layout {
        static let size = 256
        static let magic = 0       // UInt32 'TSHP'
        static let callback = 4    // UInt32 Callback
        static let eventType = 8   // UInt32 tsh_event_type (on_event)
        static let symbol = 12     // UInt32 symbol id
        static let seq = 16        // UInt64
        static let time = 24       // Int64 ts_recv_ns
        static let callbacks = 32  // UInt64 callbacks entered so far
        static let instance = 64   // 64 bytes, NUL-padded instance id
        static let magicValue: UInt32 = 0x5448_5350
    }

    /// Per-callback timing and errors of one instance.
    struct Timing: Sendable, Codable {
        var calls = 0
        var totalNanos: Int64 = 0
        var maxNanos: Int64 = 0
    }

    struct InstanceReport: Sendable, Codable {
        var instance: String
        var timings: [String: Timing] = [:]
        var errors = 0
        var firstErrors: [String] = []
    }

    /// What an instance's wrapper keeps.
    final class Box {
        let real: tsh_plugin_vtable
        var instance: UnsafeMutableRawPointer?
        let slot: Int
        init(real: tsh_plugin_vtable, slot: Int) {
            self.real = real
            self.slot = slot
        }
    }

    struct State {
        /// Probe descriptor address → the plugin's own descriptor address.
        var originals: [UInt: UInt] = [:]
        var reports: [InstanceReport] = []
        var progress: UnsafeMutableRawPointer?
        var symbolNames: [String] = []
    }

    nonisolated(unsafe) private static var state = State()
    private static let lock = Mutex(())

    /// Maps the progress file (created, 256 bytes) shared with the parent.
    static func attach(progressFile: String) throws {
        let fd = open(progressFile, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: progressFile]) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(Layout.size)) == 0,
              let memory = mmap(nil, Layout.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), memory != MAP_FAILED else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: progressFile])
        }
        memory.storeBytes(of: Layout.magicValue.littleEndian, toByteOffset: Layout.magic, as: UInt32.self)
        state.progress = memory
    }

    /// A copy of `descriptor` whose vtable is the probe's; the original is called through it.
    static func wrap(_ descriptor: UnsafePointer<tsh_kind_descriptor>) -> UnsafePointer<tsh_kind_descriptor> {
        let copy = UnsafeMutablePointer<tsh_kind_descriptor>.allocate(capacity: 1)
        copy.initialize(to: descriptor.pointee)
        copy.pointee.vtable = UnsafePointer(vtable)
        let key = UInt(bitPattern: copy), value = UInt(bitPattern: descriptor)
        lock.withLock { _ in state.originals[key] = value }
        return UnsafePointer(copy)
    }

    static var reports: [InstanceReport] { lock.withLock { _ in state.reports } }

    static func setSymbolNames(_ names: [String]) { state.symbolNames = names }

    // Immutable after its one initialization; read by the engine thread only.
    nonisolated(unsafe) private static let vtable: UnsafeMutablePointer<tsh_plugin_vtable> = {
        let table = UnsafeMutablePointer<tsh_plugin_vtable>.allocate(capacity: 1)
        table.initialize(to: tsh_plugin_vtable(
            struct_size: UInt32(MemoryLayout<tsh_plugin_vtable>.size), reserved: 0,
            create: { kind, host, info, out, err in
                let key = UInt(bitPattern: kind)
                let address = CallbackProbe.lock.withLock { _ in CallbackProbe.state.originals[key] ?? 0 }
                guard let original = UnsafePointer<tsh_kind_descriptor>(bitPattern: address) else { return TSH_ERR_INTERNAL }
                let id = String(decoding: UnsafeRawBufferPointer(start: info.pointee.instance_id.ptr, count: Int(info.pointee.instance_id.len)), as: UTF8.self)
                let slot = CallbackProbe.lock.withLock { _ in
                    CallbackProbe.state.reports.append(InstanceReport(instance: id))
                    return CallbackProbe.state.reports.count - 1
                }
                let box = Box(real: original.pointee.vtable.pointee, slot: slot)
                CallbackProbe.enter(.create, slot: slot, event: nil)
                var instance: UnsafeMutableRawPointer?
                let started = CallbackProbe.nanos()
                let status = box.real.create(original, host, info, &instance, err)
                CallbackProbe.leave(.create, slot: slot, started: started, status: status, error: err, event: nil)
                guard status == TSH_OK else { return status }
                box.instance = instance
                out.pointee = Unmanaged.passRetained(box).toOpaque()
                return TSH_OK
            },
            start: { opaque, err in
                let box = Unmanaged<Box>.fromOpaque(opaque!).takeUnretainedValue()
                CallbackProbe.enter(.start, slot: box.slot, event: nil)
                let started = CallbackProbe.nanos()
                let status = box.real.start(box.instance, err)
                CallbackProbe.leave(.start, slot: box.slot, started: started, status: status, error: err, event: nil)
                return status
            },
            on_event: { opaque, event, err in
                let box = Unmanaged<Box>.fromOpaque(opaque!).takeUnretainedValue()
                CallbackProbe.enter(.onEvent, slot: box.slot, event: event)
                let started = CallbackProbe.nanos()
                let status = box.real.on_event(box.instance, event, err)
                CallbackProbe.leave(.onEvent, slot: box.slot, started: started, status: status, error: err, event: event)
                return status
            },
            stop: { opaque, err in
                let box = Unmanaged<Box>.fromOpaque(opaque!).takeUnretainedValue()
                CallbackProbe.enter(.stop, slot: box.slot, event: nil)
                let started = CallbackProbe.nanos()
                let status = box.real.stop(box.instance, err)
                CallbackProbe.leave(.stop, slot: box.slot, started: started, status: status, error: err, event: nil)
                return status
            },
            destroy: { opaque in
                guard let opaque else { return }
                let box = Unmanaged<Box>.fromOpaque(opaque).takeRetainedValue()
                CallbackProbe.enter(.destroy, slot: box.slot, event: nil)
                let started = CallbackProbe.nanos()
                box.real.destroy(box.instance)
                CallbackProbe.leave(.destroy, slot: box.slot, started: started, status: TSH_OK, error: nil, event: nil)
            }))
        return table
    }()

    static func nanos() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Records where the child is before it calls into the plugin.
    static func enter(_ callback: Callback, slot: Int, event: UnsafePointer<tsh_event_header>?) {
        guard let p = state.progress else { return }
        p.storeBytes(of: callback.rawValue, toByteOffset: Layout.callback, as: UInt32.self)
        p.storeBytes(of: UInt32(event?.pointee.type ?? 0), toByteOffset: Layout.eventType, as: UInt32.self)
        p.storeBytes(of: event?.pointee.symbol_id ?? UInt32(TSH_NO_SYMBOL), toByteOffset: Layout.symbol, as: UInt32.self)
        p.storeBytes(of: event?.pointee.seq ?? 0, toByteOffset: Layout.seq, as: UInt64.self)
        p.storeBytes(of: event?.pointee.ts_recv_ns ?? 0, toByteOffset: Layout.time, as: Int64.self)
        let count = p.load(fromByteOffset: Layout.callbacks, as: UInt64.self)
        p.storeBytes(of: count &+ 1, toByteOffset: Layout.callbacks, as: UInt64.self)
        let id = Array(state.reports[slot].instance.utf8.prefix(63))
        for i in 0..<64 { p.storeBytes(of: i < id.count ? id[i] : 0, toByteOffset: Layout.instance + i, as: UInt8.self) }
    }

    static func leave(_ callback: Callback, slot: Int, started: Int64, status: tsh_status, error: UnsafeMutablePointer<tsh_error>?,
                      event: UnsafePointer<tsh_event_header>?) {
        let elapsed = nanos() - started
        var report = state.reports[slot]
        var timing = report.timings[callback.name, default: Timing()]
        timing.calls += 1
        timing.totalNanos += elapsed
        timing.maxNanos = max(timing.maxNanos, elapsed)
        report.timings[callback.name] = timing
        if status != TSH_OK {
            report.errors += 1
            if report.firstErrors.count < 5 {
                var message = "no message"
                if let error, error.pointee.message_len > 0 {
                    message = withUnsafeBytes(of: error.pointee.message) { raw in
                        String(decoding: raw.prefix(Int(min(error.pointee.message_len, UInt32(TSH_ERROR_MESSAGE_CAPACITY)))), as: UTF8.self)
                    }
                }
                report.firstErrors.append("\(callback.name)\(event.map { " (\(describe($0)))" } ?? ""): status \(status) (\(statusName(status))): \(message)")
            }
        }
        lock.withLock { _ in state.reports[slot] = report }
    }

    static func describe(_ event: UnsafePointer<tsh_event_header>) -> String {
        let symbol = Int(event.pointee.symbol_id) < state.symbolNames.count ? state.symbolNames[Int(event.pointee.symbol_id)] : "-"
        return "\(eventName(UInt32(event.pointee.type))) event #\(event.pointee.seq) on \(symbol) at \(event.pointee.ts_recv_ns) ns"
    }

    static func eventName(_ type: UInt32) -> String {
        switch Int32(type) {
        case TSH_EVENT_QUOTE: "quote"
        case TSH_EVENT_TRADE: "trade"
        case TSH_EVENT_BOOK: "book"
        case TSH_EVENT_BAR: "bar"
        case TSH_EVENT_TIMER: "timer"
        case TSH_EVENT_SIGNAL: "signal"
        case TSH_EVENT_ORACLE: "oracle"
        case TSH_EVENT_ORDER: "order"
        default: "type \(type)"
        }
    }

    static func statusName(_ status: tsh_status) -> String {
        switch status {
        case TSH_ERR_INVALID_ARGUMENT: "TSH_ERR_INVALID_ARGUMENT"
        case TSH_ERR_NOT_FOUND: "TSH_ERR_NOT_FOUND"
        case TSH_ERR_BUFFER_TOO_SMALL: "TSH_ERR_BUFFER_TOO_SMALL"
        case TSH_ERR_DENIED: "TSH_ERR_DENIED"
        case TSH_ERR_UNSUPPORTED: "TSH_ERR_UNSUPPORTED"
        case TSH_ERR_WRONG_THREAD: "TSH_ERR_WRONG_THREAD"
        case TSH_ERR_PLUGIN: "TSH_ERR_PLUGIN"
        case TSH_ERR_INTERNAL: "TSH_ERR_INTERNAL"
        default: "unknown status"
        }
    }

    /// The progress record as the parent reads it after the child died.
    struct LastPosition: Sendable, Codable {
        var callback: String
        var instance: String
        var event: String?
        var callbacksEntered: UInt64
    }

    /// Reads a progress file written by a child; nil when it holds none.
    static func read(progressFile: String, symbolNames: [String]) -> LastPosition? {
        guard let data = FileManager.default.contents(atPath: progressFile), data.count >= Layout.size else { return nil }
        return data.withUnsafeBytes { p -> LastPosition? in
            guard p.load(fromByteOffset: Layout.magic, as: UInt32.self) == Layout.magicValue else { return nil }
            let callback = Callback(rawValue: p.load(fromByteOffset: Layout.callback, as: UInt32.self)) ?? .none
            guard callback != .none else { return nil }
            let idBytes = p[Layout.instance..<(Layout.instance + 64)].prefix { $0 != 0 }
            var event: String?
            if callback == .onEvent {
                let type = p.load(fromByteOffset: Layout.eventType, as: UInt32.self)
                let symbol = Int(p.load(fromByteOffset: Layout.symbol, as: UInt32.self))
                let seq = p.load(fromByteOffset: Layout.seq, as: UInt64.self)
                let time = p.load(fromByteOffset: Layout.time, as: Int64.self)
                event = "\(eventName(type)) event #\(seq) on \(symbol < symbolNames.count ? symbolNames[symbol] : "symbol \(symbol)") at \(time) ns"
            }
            return LastPosition(callback: callback.name, instance: String(decoding: idBytes, as: UTF8.self), event: event,
                                callbacksEntered: p.load(fromByteOffset: Layout.callbacks, as: UInt64.self))
        }
    }
}
