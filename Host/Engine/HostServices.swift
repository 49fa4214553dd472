import CStrategyHostSDK
import Foundation
import HostCore
import HostPlugins

/// The `tsh_host` function table: C entry points that find their instance through
/// `context` and forward to the engine.
enum HostServices {
    static func table(context: UnsafeMutableRawPointer?) -> tsh_host {
        tsh_host(
            abi: tsh_version(major: UInt32(TSH_ABI_MAJOR), minor: UInt32(TSH_ABI_MINOR), revision: UInt32(TSH_ABI_REVISION)),
            struct_size: UInt32(MemoryLayout<tsh_host>.size),
            reserved: 0,
            context: context,
            now_ns: { host in hostRuntime(host).engine.engineNow() },
            log: { host, level, message in
                let rt = hostRuntime(host)
                rt.engine.pluginLog(rt, level: level, message: CInterop.string(message) ?? "<invalid UTF-8 log message>")
            },
            submit_order: { host, request, outID, error in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return hostWrongThread(error, "submit_order") }
                return rt.engine.submitOrder(rt, request, outID, error)
            },
            cancel_order: { host, id, error in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return hostWrongThread(error, "cancel_order") }
                return rt.engine.cancelOrder(rt, ClientOrderID(id), error)
            },
            emit_signal: { host, signal, error in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return hostWrongThread(error, "emit_signal") }
                return rt.engine.emitSignal(rt, signal, error)
            },
            set_timer: { host, fireAt, interval, tag, outID in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard interval >= 0 else { return TSH_ERR_INVALID_ARGUMENT }
                outID.pointee = rt.engine.timers.add(owner: rt.index, fireAt: fireAt, interval: interval, userTag: tag)
                return TSH_OK
            },
            cancel_timer: { host, id in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                return rt.engine.timers.cancel(id, owner: rt.index) ? TSH_OK : TSH_ERR_NOT_FOUND
            },
            param_double: { host, symbol, name, out in
                hostParameter(host, symbol, name) { value in
                    switch value {
                    case .double(let v): out.pointee = v
                    case .int(let v): out.pointee = Double(v)
                    default: return false
                    }
                    return true
                }
            },
            param_int: { host, symbol, name, out in
                hostParameter(host, symbol, name) { value in
                    guard case .int(let v) = value else { return false }
                    out.pointee = v
                    return true
                }
            },
            param_bool: { host, symbol, name, out in
                hostParameter(host, symbol, name) { value in
                    guard case .bool(let v) = value else { return false }
                    out.pointee = v
                    return true
                }
            },
            param_string: { host, symbol, name, buffer, capacity, outLength in
                var fits = true
                let status = hostParameter(host, symbol, name) { value in
                    guard case .string(let text) = value else { return false }
                    fits = hostCopy(Array(text.utf8), into: UnsafeMutableRawPointer(buffer), capacity: capacity, length: outLength)
                    return true
                }
                return status == TSH_OK && !fits ? TSH_ERR_BUFFER_TOO_SMALL : status
            },
            instrument: { host, symbol, out in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard let instrument = rt.engine.instrumentRecord(SymbolID(symbol)) else { return TSH_ERR_NOT_FOUND }
                return ABIGrowth.fill(out, with: instrument, minimum: TSH_INSTRUMENT_SIZE_V1_0)
            },
            book_levels: { host, symbol, bids, asks, capacity, outBids, outAsks in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                let id = SymbolID(symbol)
                guard id.index < rt.engine.books.count else { return TSH_ERR_NOT_FOUND }
                let book = rt.engine.books[id.index]
                outBids.pointee = hostFill(bids, from: book.bids, capacity: Int(capacity))
                outAsks.pointee = hostFill(asks, from: book.asks, capacity: Int(capacity))
                return TSH_OK
            },
            position: { host, symbol, out in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard rt.isSubscribed(SymbolID(symbol)) else { return TSH_ERR_NOT_FOUND }
                let record = rt.engine.router.positionRecord(instance: rt.index, mode: rt.spec.mode, symbol: SymbolID(symbol), books: rt.engine.books)
                return ABIGrowth.fill(out, with: record, minimum: TSH_POSITION_SIZE_V1_0)
            },
            balance: { host, asset, out in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard let asset = CInterop.string(asset), !asset.isEmpty else { return TSH_ERR_INVALID_ARGUMENT }
                let record = rt.engine.router.balanceRecord(instance: rt.index, mode: rt.spec.mode, asset: asset, symbols: rt.engine.symbols)
                return ABIGrowth.fill(out, with: record, minimum: TSH_BALANCE_SIZE_V1_0)
            },
            open_orders: { host, symbol, orders, capacity, outCount in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard symbol == TSH_NO_SYMBOL || rt.isSubscribed(SymbolID(symbol)) else { return TSH_ERR_NOT_FOUND }
                let symbolFilter: SymbolID? = symbol == TSH_NO_SYMBOL ? nil : SymbolID(symbol)
                let open = rt.engine.router.openOrderRecords(instance: rt.index, symbol: symbolFilter)
                outCount.pointee = UInt32(open.count)
                if let orders {
                    for (i, order) in open.prefix(Int(capacity)).enumerated() { orders[i] = order }
                }
                return TSH_OK
            },
            state_get: { host, key, buffer, capacity, outLength in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard let key = CInterop.string(key) else { return TSH_ERR_INVALID_ARGUMENT }
                guard let value = rt.state[key] else { return TSH_ERR_NOT_FOUND }
                return hostCopy(value, into: buffer.map(UnsafeMutableRawPointer.init), capacity: capacity, length: outLength) ? TSH_OK : TSH_ERR_BUFFER_TOO_SMALL
            },
            state_set: { host, key, value, length in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard let key = CInterop.string(key), !key.isEmpty, key.utf8.count <= 256,
                      length <= 65_536, length == 0 || value != nil else { return TSH_ERR_INVALID_ARGUMENT }
                let bytes = length == 0 ? [] : Array(UnsafeBufferPointer(start: value, count: Int(length)))
                rt.engine.setState(rt, key: key, value: bytes)
                return TSH_OK
            },
            state_delete: { host, key in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
                guard let key = CInterop.string(key) else { return TSH_ERR_INVALID_ARGUMENT }
                guard rt.state[key] != nil else { return TSH_ERR_NOT_FOUND }
                rt.engine.setState(rt, key: key, value: nil)
                return TSH_OK
            },
            get_service: { _, id in
                switch String(cString: id) {
                case TSH_SERVICE_METRICS: UnsafeRawPointer(HostServices.metricsService)
                case TSH_SERVICE_RECORDS: UnsafeRawPointer(HostServices.recordsService)
                case TSH_SERVICE_BARS: UnsafeRawPointer(HostServices.barsService)
                case TSH_SERVICE_BOOK: HostServices.offersBookService ? UnsafeRawPointer(HostServices.bookService) : nil
                default: nil
                }
            })
    }

    /// False when the environment has `TSH_BOOK_SERVICE=0`: the host then answers `tsh.book/1`
    /// like an ABI 1.1 host (NULL), so plugins fall back to their own book mirror — for comparing
    /// the two paths (`scripts/determinism.sh`, the smart-candle benchmark).
    static let offersBookService: Bool = getenv("TSH_BOOK_SERVICE").map { String(cString: $0) != "0" } ?? true

    /// The `tsh.book/1` table (ABI 1.2); static storage for the life of the process.
    nonisolated(unsafe) static let bookService: UnsafeMutablePointer<tsh_book_service> = {
        let table = UnsafeMutablePointer<tsh_book_service>.allocate(capacity: 1)
        table.initialize(to: tsh_book_service(
            struct_size: UInt32(MemoryLayout<tsh_book_service>.size),
            reserved: 0,
            level_size: { host, symbol, side, price, out in
                out.pointee = 0
                let (engine, id, status) = bookTarget(host, symbol)
                guard status == TSH_OK else { return status }
                guard let bookSide = Side(rawValue: side), let price = Fixed8(price) else { return TSH_ERR_INVALID_ARGUMENT }
                out.pointee = engine.levelSizeBefore(id, side: bookSide, price: price).double
                return TSH_OK
            },
            levels_before: { host, symbol, bids, asks, capacity, outBids, outAsks in
                outBids.pointee = 0
                outAsks.pointee = 0
                let (engine, id, status) = bookTarget(host, symbol)
                guard status == TSH_OK else { return status }
                let book = engine.bookBefore(id)
                outBids.pointee = hostFill(bids, from: book.bids, capacity: Int(capacity))
                outAsks.pointee = hostFill(asks, from: book.asks, capacity: Int(capacity))
                return TSH_OK
            }))
        return table
    }()

    /// The `tsh.bars/1` table; static storage for the life of the process.
    nonisolated(unsafe) static let barsService: UnsafeMutablePointer<tsh_bars_service> = {
        let table = UnsafeMutablePointer<tsh_bars_service>.allocate(capacity: 1)
        table.initialize(to: tsh_bars_service(
            struct_size: UInt32(MemoryLayout<tsh_bars_service>.size),
            reserved: 0,
            history: { host, symbol, interval, out, elementSize, capacity, count in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { count.pointee = 0; return TSH_ERR_WRONG_THREAD }
                return rt.engine.barHistory(rt, symbol: symbol, interval: interval, out: out, elementSize: elementSize, capacity: capacity, count: count)
            }))
        return table
    }()

    /// The `tsh.records/1` table; static storage for the life of the process.
    nonisolated(unsafe) static let recordsService: UnsafeMutablePointer<tsh_records_service> = {
        let table = UnsafeMutablePointer<tsh_records_service>.allocate(capacity: 1)
        table.initialize(to: tsh_records_service(
            struct_size: UInt32(MemoryLayout<tsh_records_service>.size),
            reserved: 0,
            upsert: { host, name, values, count, error in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread else { return hostWrongThread(error, "records.upsert") }
                return rt.engine.upsertRecord(rt, table: name, values: values, count: count, error)
            }))
        return table
    }()

    /// The `tsh.metrics/1` table; static storage for the life of the process.
    nonisolated(unsafe) static let metricsService: UnsafeMutablePointer<tsh_metrics_service> = {
        let table = UnsafeMutablePointer<tsh_metrics_service>.allocate(capacity: 1)
        table.initialize(to: tsh_metrics_service(
            struct_size: UInt32(MemoryLayout<tsh_metrics_service>.size),
            reserved: 0,
            counter_add: { host, name, delta in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread, let name = CInterop.string(name) else { return }
                rt.customCounters[name, default: 0] &+= delta
            },
            gauge_set: { host, name, value in
                let rt = hostRuntime(host)
                guard rt.engine.isOnEngineThread, let name = CInterop.string(name) else { return }
                rt.customGauges[name] = value
            }))
        return table
    }()
}

/// The engine and symbol of a `tsh.book/1` call, and TSH_OK — or why it cannot be answered
/// (not on the engine thread, a symbol id the host does not know). The engine is read from the
/// instance's runtime once: each read of the runtime's `unowned` engine is a strong retain and
/// release (three per call before, ~1.5 % of a smart-candle backtest's engine thread by perf).
@inline(__always)
private func bookTarget(_ host: UnsafePointer<tsh_host>, _ symbol: tsh_symbol_id) -> (Engine, SymbolID, tsh_status) {
    let engine = Unmanaged<InstanceRuntime>.fromOpaque(host.pointee.context!)._withUnsafeGuaranteedRef { $0.engine }
    let id = SymbolID(symbol)
    guard engine.isOnEngineThread else { return (engine, id, TSH_ERR_WRONG_THREAD) }
    return (engine, id, id.index < engine.books.count ? TSH_OK : TSH_ERR_NOT_FOUND)
}

private func hostRuntime(_ host: UnsafePointer<tsh_host>) -> InstanceRuntime {
    Unmanaged<InstanceRuntime>.fromOpaque(host.pointee.context!).takeUnretainedValue()
}

private func hostWrongThread(_ error: UnsafeMutablePointer<tsh_error>?, _ service: String) -> tsh_status {
    CInterop.write(error, code: TSH_ERR_WRONG_THREAD, message: "\(service) may only be called on the engine thread (from a plugin callback)")
    return TSH_ERR_WRONG_THREAD
}

private func hostParameter(_ host: UnsafePointer<tsh_host>, _ symbol: tsh_symbol_id, _ name: tsh_str,
                              _ read: (ParameterValue) -> Bool) -> tsh_status {
    let rt = hostRuntime(host)
    guard rt.engine.isOnEngineThread else { return TSH_ERR_WRONG_THREAD }
    guard let name = CInterop.string(name) else { return TSH_ERR_INVALID_ARGUMENT }
    var position: Int?
    if symbol != TSH_NO_SYMBOL {
        guard rt.isSubscribed(SymbolID(symbol)) else { return TSH_ERR_NOT_FOUND }
        position = Int(rt.symbolPosition[Int(symbol)])
    }
    guard let value = rt.spec.parameters.value(name, symbolPosition: position) else { return TSH_ERR_NOT_FOUND }
    return read(value) ? TSH_OK : TSH_ERR_INVALID_ARGUMENT
}

/// Copies bytes into a caller buffer; reports the full length; false when they did not fit.
private func hostCopy(_ bytes: [UInt8], into buffer: UnsafeMutableRawPointer?, capacity: UInt64,
                         length: UnsafeMutablePointer<UInt64>) -> Bool {
    length.pointee = UInt64(bytes.count)
    guard UInt64(bytes.count) <= capacity else { return false }
    if let buffer, !bytes.isEmpty { buffer.copyMemory(from: bytes, byteCount: bytes.count) }
    return true
}

private func hostFill(_ out: UnsafeMutablePointer<tsh_book_level>?, from side: BookSide, capacity: Int) -> UInt32 {
    guard let out else { return 0 }
    var n = 0
    while n < capacity, let level = side.level(n) {
        out[n] = tsh_book_level(price: level.price.double, size: level.size.double)
        n += 1
    }
    return UInt32(n)
}
