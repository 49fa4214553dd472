/// A plugin kind written in Swift: conform, list the type in a `PluginManifest`, and
/// export the manifest with one `@_cdecl("tsh_plugin_entry")` function.
///
/// Every method is called on the host's engine thread. A thrown error becomes a status
/// code plus message for the host; nothing Swift crosses the C boundary.
public protocol StrategyPlugin: AnyObject {
    /// The kind's id, roles, events and parameters.
    static var kind: PluginKind { get }
    /// Creates an instance for one configured entry; read parameters here.
    init(context: PluginContext) throws
    func start() throws
    func onQuote(_ quote: Quote) throws
    func onTrade(_ trade: Trade) throws
    func onBook(_ book: BookUpdate) throws
    func onBar(_ bar: Bar) throws
    func onTimer(_ timer: TimerFired) throws
    func onSignal(_ signal: Signal) throws
    func onOracle(_ tick: OracleTick) throws
    func onOrder(_ update: OrderEvent) throws
    /// No more events follow; working orders may still be canceled.
    func stop() throws
}

extension StrategyPlugin {
    public func start() throws {}
    public func onQuote(_ quote: Quote) throws {}
    public func onTrade(_ trade: Trade) throws {}
    public func onBook(_ book: BookUpdate) throws {}
    public func onBar(_ bar: Bar) throws {}
    public func onTimer(_ timer: TimerFired) throws {}
    public func onSignal(_ signal: Signal) throws {}
    public func onOracle(_ tick: OracleTick) throws {}
    public func onOrder(_ update: OrderEvent) throws {}
    public func stop() throws {}
}

/// The host services one instance may call (wraps `tsh_host`).
///
/// - Important: Use it only on the engine thread, from the plugin's callbacks.
public struct PluginContext {
    public let host: UnsafePointer<tsh_host>
    public let instanceID: String
    public let kindID: String
    public let venue: String
    public let mode: Mode
    /// The instance's symbols, in configuration order.
    public let symbols: [SymbolID]

    init(host: UnsafePointer<tsh_host>, info: UnsafePointer<tsh_instance_info>) {
        self.host = host
        // Only what the host wrote (its struct_size); a field added after 1.0 would be read only
        // when `ABIGrowth.carries(\tsh_instance_info.field, size: i.struct_size)`.
        let i: tsh_instance_info = ABIGrowth.load(info, size: info.pointee.struct_size)
        instanceID = makeString(i.instance_id)
        kindID = makeString(i.kind_id)
        venue = makeString(i.venue)
        mode = Mode(rawValue: i.mode) ?? .paper
        symbols = i.symbol_ids.map { ids in (0..<Int(i.symbol_count)).map { SymbolID(ids[$0]) } } ?? []
    }

    /// True when the host's service table has `service` (a service added after 1.0 is absent
    /// from an older host's smaller `tsh_host`); call such a service only when this holds.
    func hostOffers<V>(_ service: KeyPath<tsh_host, V>) -> Bool {
        ABIGrowth.carries(service, size: host.pointee.struct_size)
    }

    /// Engine time in ns since the Unix epoch (simulated in replay).
    public func now() -> Int64 { host.pointee.now_ns(host) }

    public func log(_ level: LogLevel, _ message: String) {
        message.withSlice { host.pointee.log(host, level.rawValue, $0) }
    }

    // MARK: Orders

    /// Submits an order; throws `PluginError` with `isDenied` when host risk refuses it.
    /// Returns the client order id.
    @discardableResult
    public func submitOrder(symbol: SymbolID, side: Side, type: OrderType, size: Double, price: Double = .nan,
                            timeInForce: TimeInForce = .gtc, postOnly: Bool = false, reduceOnly: Bool = false,
                            expireAt: Int64 = 0, tag: String = "") throws(PluginError) -> UInt64 {
        var id: UInt64 = 0
        var error = tsh_error()
        error.struct_size = UInt32(MemoryLayout<tsh_error>.size)
        let flags = (postOnly ? TSH_ORDER_FLAG_POST_ONLY : 0) | (reduceOnly ? TSH_ORDER_FLAG_REDUCE_ONLY : 0)
        let status = tag.withSlice { tagSlice in
            var request = tsh_order_request(
                struct_size: UInt32(MemoryLayout<tsh_order_request>.size), symbol_id: symbol.rawValue, side: side.rawValue,
                type: type.rawValue, time_in_force: timeInForce.rawValue, flags: flags, price: price, size: size,
                expire_at_ns: expireAt, tag: tagSlice)
            return host.pointee.submit_order(host, &request, &id, &error)
        }
        guard status == TSH_OK else {
            throw PluginError(status: status, denyReason: status == TSH_ERR_DENIED ? error.code : 0, Self.message(error))
        }
        return id
    }

    public func cancelOrder(_ clientOrderID: UInt64) throws(PluginError) {
        var error = tsh_error()
        error.struct_size = UInt32(MemoryLayout<tsh_error>.size)
        let status = host.pointee.cancel_order(host, clientOrderID, &error)
        guard status == TSH_OK else { throw PluginError(status: status, Self.message(error)) }
    }

    // MARK: Signals and timers

    /// Publishes a signal. `fields` (SDK 1.1) are named numbers consumers read without parsing
    /// the payload; names are static strings so emitting them costs no allocation.
    public func emitSignal(_ name: String, symbol: SymbolID = .none, direction: Int32 = 0, value: Double = 0,
                           confidence: Double = 1, payload: String = "", fields: KeyValuePairs<StaticString, Double> = [:]) throws(PluginError) {
        let status = payload.withSlice { payloadSlice in
            emitSignal(name, symbol: symbol, direction: direction, value: value, confidence: confidence, payload: payloadSlice, fields: fields)
        }
        if let failure = status { throw failure }
    }

    /// Publishes a signal whose payload is `json`'s object (closed here), handed to the host as
    /// bytes: no `String` is made for a payload a plugin may emit on every bar.
    public func emitSignal(_ name: String, symbol: SymbolID = .none, direction: Int32 = 0, value: Double = 0,
                           confidence: Double = 1, json: inout JSONWriter, fields: KeyValuePairs<StaticString, Double> = [:]) throws(PluginError) {
        let status = json.finishBytes { bytes in
            let slice = tsh_str(ptr: UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self), len: UInt64(bytes.count))
            return emitSignal(name, symbol: symbol, direction: direction, value: value, confidence: confidence, payload: slice, fields: fields)
        }
        if let failure = status { throw failure }
    }

    /// The host's answer: nil when it took the signal.
    private func emitSignal(_ name: String, symbol: SymbolID, direction: Int32, value: Double, confidence: Double, payload: tsh_str,
                            fields: KeyValuePairs<StaticString, Double>) -> PluginError? {
        var error = tsh_error()
        error.struct_size = UInt32(MemoryLayout<tsh_error>.size)
        let status = name.withSlice { nameSlice in
            var signal = tsh_signal(
                struct_size: UInt32(MemoryLayout<tsh_signal>.size), symbol_id: symbol.rawValue, name: nameSlice,
                payload: payload, direction: direction, reserved: 0, value: value, confidence: confidence,
                fields: nil, field_count: 0, reserved_1_1: 0)
            guard !fields.isEmpty else { return host.pointee.emit_signal(host, &signal, &error) }
            return withUnsafeTemporaryAllocation(of: tsh_signal_field.self, capacity: fields.count) { buffer in
                for (i, field) in fields.enumerated() {
                    buffer[i] = tsh_signal_field(
                        name: tsh_str(ptr: UnsafeRawPointer(field.key.utf8Start).assumingMemoryBound(to: CChar.self), len: UInt64(field.key.utf8CodeUnitCount)),
                        value: field.value)
                }
                signal.fields = UnsafePointer(buffer.baseAddress)
                signal.field_count = UInt32(fields.count)
                return host.pointee.emit_signal(host, &signal, &error)
            }
        }
        return status == TSH_OK ? nil : PluginError(status: status, Self.message(error))
    }

    /// A one-shot timer at `time` (ns), repeating every `interval` ns when > 0.
    @discardableResult
    public func setTimer(at time: Int64, every interval: Int64 = 0, tag: UInt64 = 0) throws(PluginError) -> UInt64 {
        var id: UInt64 = 0
        let status = host.pointee.set_timer(host, time, interval, tag, &id)
        guard status == TSH_OK else { throw PluginError(status: status, "set_timer failed with status \(status)") }
        return id
    }

    public func cancelTimer(_ id: UInt64) -> Bool { host.pointee.cancel_timer(host, id) == TSH_OK }

    // MARK: Parameters (the symbol's override, else the instance value, else the default)

    public func double(_ name: String, symbol: SymbolID = .none) throws(PluginError) -> Double {
        var value = 0.0
        try check(name.withSlice { host.pointee.param_double(host, symbol.rawValue, $0, &value) }, name)
        return value
    }

    public func int(_ name: String, symbol: SymbolID = .none) throws(PluginError) -> Int64 {
        var value: Int64 = 0
        try check(name.withSlice { host.pointee.param_int(host, symbol.rawValue, $0, &value) }, name)
        return value
    }

    public func bool(_ name: String, symbol: SymbolID = .none) throws(PluginError) -> Bool {
        var value = false
        try check(name.withSlice { host.pointee.param_bool(host, symbol.rawValue, $0, &value) }, name)
        return value
    }

    public func string(_ name: String, symbol: SymbolID = .none) throws(PluginError) -> String {
        var length: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: 256)
        var status = name.withSlice { slice in
            buffer.withUnsafeMutableBytes { host.pointee.param_string(host, symbol.rawValue, slice, $0.baseAddress, UInt64($0.count), &length) }
        }
        if status == TSH_ERR_BUFFER_TOO_SMALL {
            buffer = [UInt8](repeating: 0, count: Int(length))
            status = name.withSlice { slice in
                buffer.withUnsafeMutableBytes { host.pointee.param_string(host, symbol.rawValue, slice, $0.baseAddress, UInt64($0.count), &length) }
            }
        }
        try check(status, name)
        return String(decoding: buffer.prefix(Int(length)), as: UTF8.self)
    }

    private func check(_ status: Int32, _ name: String) throws(PluginError) {
        switch status {
        case TSH_OK: return
        case TSH_ERR_NOT_FOUND: throw PluginError(status: status, "parameter '\(name)' is not declared by this kind (or the symbol is not the instance's)")
        case TSH_ERR_INVALID_ARGUMENT: throw PluginError(status: status, "parameter '\(name)' has another type")
        default: throw PluginError(status: status, "reading parameter '\(name)' failed with status \(status)")
        }
    }

    // MARK: Market state and account

    public func instrument(_ symbol: SymbolID) throws(PluginError) -> InstrumentInfo {
        var record = tsh_instrument()
        record.struct_size = UInt32(MemoryLayout<tsh_instrument>.size)
        let status = host.pointee.instrument(host, symbol.rawValue, &record)
        guard status == TSH_OK else { throw PluginError(status: status, "no instrument for symbol \(symbol)") }
        try Self.checkFilled(record.struct_size, minimum: TSH_INSTRUMENT_SIZE_V1_0, "tsh_instrument")
        return InstrumentInfo(symbol: makeString(record.symbol), venue: makeString(record.venue), baseAsset: makeString(record.base_asset),
                              quoteAsset: makeString(record.quote_asset), tickSize: record.tick_size, lotSize: record.lot_size,
                              minSize: record.min_size, minNotional: record.min_notional)
    }

    /// The best `depth` levels of each side of the host's book, best first.
    public func bookLevels(_ symbol: SymbolID, depth: Int = 10) -> (bids: [BookLevel], asks: [BookLevel]) {
        var bids = [tsh_book_level](repeating: tsh_book_level(), count: depth)
        var asks = [tsh_book_level](repeating: tsh_book_level(), count: depth)
        var nb: UInt32 = 0
        var na: UInt32 = 0
        let status = bids.withUnsafeMutableBufferPointer { b in
            asks.withUnsafeMutableBufferPointer { a in
                host.pointee.book_levels(host, symbol.rawValue, b.baseAddress, a.baseAddress, UInt32(depth), &nb, &na)
            }
        }
        guard status == TSH_OK else { return ([], []) }
        return (bids.prefix(Int(nb)).map { BookLevel(price: $0.price, size: $0.size) },
                asks.prefix(Int(na)).map { BookLevel(price: $0.price, size: $0.size) })
    }

    // MARK: The host's book, before the message (SDK 1.2)

    /// The host's `tsh.book/1` service (ABI 1.2): one level's size, and the book as it was before
    /// the L2 message being delivered. nil from an older host. Look it up once (e.g. in `init`)
    /// and keep it: it lives as long as the instance.
    public func hostBook() -> HostBook? {
        guard let service = host.pointee.get_service(host, TSH_SERVICE_BOOK) else { return nil }
        let table = service.assumingMemoryBound(to: tsh_book_service.self)
        // A host that sent a shorter table than this SDK's 1.2 layout offers no usable service.
        guard table.pointee.struct_size >= UInt32(MemoryLayout<tsh_book_service>.size) else { return nil }
        return HostBook(host: host, table: table)
    }

    /// This instance's position in `symbol` (its own mode only).
    ///
    /// - Throws: `PluginError` with the host's status when the host cannot answer — e.g.
    ///   `TSH_ERR_NOT_FOUND` for a symbol that is not one of the instance's, or
    ///   `TSH_ERR_WRONG_THREAD` off the engine thread — never a zero position standing in for one.
    public func position(_ symbol: SymbolID) throws(PluginError) -> Position {
        var p = tsh_position()
        p.struct_size = UInt32(MemoryLayout<tsh_position>.size)
        let status = host.pointee.position(host, symbol.rawValue, &p)
        guard status == TSH_OK else { throw PluginError(status: status, "position(\(symbol)) failed with status \(status)\(Self.statusHint(status))") }
        try Self.checkFilled(p.struct_size, minimum: TSH_POSITION_SIZE_V1_0, "tsh_position")
        return Position(quantity: p.quantity, averagePrice: p.average_price, realizedPnL: p.realized_pnl,
                        unrealizedPnL: p.unrealized_pnl, fees: p.fees)
    }

    /// This instance's balance of `asset` (e.g. "USDC").
    ///
    /// - Throws: `PluginError` with the host's status when the host cannot answer — e.g.
    ///   `TSH_ERR_INVALID_ARGUMENT` for an empty asset name, or `TSH_ERR_WRONG_THREAD` —
    ///   never a zero balance standing in for one.
    public func balance(_ asset: String) throws(PluginError) -> Balance {
        var b = tsh_balance()
        b.struct_size = UInt32(MemoryLayout<tsh_balance>.size)
        let status = asset.withSlice { host.pointee.balance(host, $0, &b) }
        guard status == TSH_OK else { throw PluginError(status: status, "balance('\(asset)') failed with status \(status)\(Self.statusHint(status))") }
        try Self.checkFilled(b.struct_size, minimum: TSH_BALANCE_SIZE_V1_0, "tsh_balance")
        return Balance(total: b.total, available: b.available, locked: b.locked)
    }

    /// This instance's working orders in `symbol` (all its symbols for `.none`).
    ///
    /// - Throws: `PluginError` with the host's status when the host cannot answer — e.g.
    ///   `TSH_ERR_NOT_FOUND` for a symbol that is not one of the instance's — never an empty
    ///   list standing in for one. An empty list means there are no working orders.
    public func openOrders(_ symbol: SymbolID = .none) throws(PluginError) -> [OpenOrder] {
        var count: UInt32 = 0
        var status = host.pointee.open_orders(host, symbol.rawValue, nil, 0, &count)
        guard status == TSH_OK else { throw PluginError(status: status, "openOrders(\(symbol)) failed with status \(status)\(Self.statusHint(status))") }
        guard count > 0 else { return [] }
        var records = [tsh_open_order](repeating: tsh_open_order(), count: Int(count))
        let capacity = count
        status = records.withUnsafeMutableBufferPointer { host.pointee.open_orders(host, symbol.rawValue, $0.baseAddress, capacity, &count) }
        guard status == TSH_OK else { throw PluginError(status: status, "openOrders(\(symbol)) failed with status \(status)\(Self.statusHint(status))") }
        return records.prefix(Int(min(count, capacity))).map {
            OpenOrder(clientOrderID: $0.client_order_id, symbol: SymbolID($0.symbol_id), side: Side(rawValue: $0.side) ?? .buy,
                      type: OrderType(rawValue: $0.type) ?? .limit, status: OrderStatus(rawValue: $0.status) ?? .accepted,
                      price: $0.price, size: $0.size, filledSize: $0.filled_size)
        }
    }

    // MARK: Persistent key-value state

    public func state(_ key: String) -> [UInt8]? {
        var length: UInt64 = 0
        guard key.withSlice({ host.pointee.state_get(host, $0, nil, 0, &length) }) != TSH_ERR_NOT_FOUND else { return nil }
        var buffer = [UInt8](repeating: 0, count: Int(length))
        let status = key.withSlice { slice in buffer.withUnsafeMutableBufferPointer { host.pointee.state_get(host, slice, $0.baseAddress, length, &length) } }
        return status == TSH_OK ? buffer : nil
    }

    public func setState(_ key: String, _ value: [UInt8]) throws(PluginError) {
        let status = key.withSlice { slice in value.withUnsafeBufferPointer { host.pointee.state_set(host, slice, $0.baseAddress, UInt64($0.count)) } }
        guard status == TSH_OK else { throw PluginError(status: status, "state_set('\(key)') failed with status \(status)") }
    }

    public func deleteState(_ key: String) { _ = key.withSlice { host.pointee.state_delete(host, $0) } }

    // MARK: Optional metrics service

    public func counterAdd(_ name: String, _ delta: UInt64 = 1) {
        guard let service = host.pointee.get_service(host, TSH_SERVICE_METRICS) else { return }
        let table = service.assumingMemoryBound(to: tsh_metrics_service.self)
        name.withSlice { table.pointee.counter_add(host, $0, delta) }
    }

    public func gaugeSet(_ name: String, _ value: Double) {
        guard let service = host.pointee.get_service(host, TSH_SERVICE_METRICS) else { return }
        let table = service.assumingMemoryBound(to: tsh_metrics_service.self)
        name.withSlice { table.pointee.gauge_set(host, $0, value) }
    }

    // MARK: Bar history (SDK 1.1)

    /// The last `count` final bars of `symbol` with `interval` ns (oldest first): the bars the
    /// host aggregates for the instance's `bars:` timeframes and those a feed delivered. Empty
    /// before the first final bar. Throws when the host has no bar history (ABI 1.0) or the
    /// symbol is not the instance's.
    public func barHistory(_ symbol: SymbolID, interval: Int64, count: Int) throws(PluginError) -> [Bar] {
        guard let service = host.pointee.get_service(host, TSH_SERVICE_BARS) else {
            throw PluginError(status: TSH_ERR_UNSUPPORTED, "this host offers no \(TSH_SERVICE_BARS) service (it speaks ABI 1.0)")
        }
        let bars = service.assumingMemoryBound(to: tsh_bars_service.self)
        var events = [tsh_bar_event](repeating: tsh_bar_event(), count: max(0, count))
        var written: UInt32 = 0
        let status = events.withUnsafeMutableBytes { raw in
            bars.pointee.history(host, symbol.rawValue, interval, raw.baseAddress, UInt32(MemoryLayout<tsh_bar_event>.stride), UInt32(count), &written)
        }
        guard status == TSH_OK else { throw PluginError(status: status, "bar history of symbol \(symbol.rawValue) failed with status \(status)\(Self.statusHint(status))") }
        // Bytes past what the host wrote (header.size) are still the zeros they started as.
        return events.prefix(Int(written)).map { Bar($0, info: EventInfo($0.header)) }
    }

    // MARK: Records (SDK 1.1)

    /// Inserts a row into one of the kind's declared tables (`PluginKind.tables`), or replaces
    /// the row with the same key; values in column order. The host persists it with its other
    /// writes. Throws when the host has no records service (an ABI 1.0 host) or refuses the row.
    public func upsert(_ table: String, _ values: [RecordValue]) throws(PluginError) {
        guard let service = host.pointee.get_service(host, TSH_SERVICE_RECORDS) else {
            throw PluginError(status: TSH_ERR_UNSUPPORTED, "this host offers no \(TSH_SERVICE_RECORDS) service (it speaks ABI 1.0)")
        }
        let records = service.assumingMemoryBound(to: tsh_records_service.self)
        var text: [UInt8] = []
        for case .text(let s) in values { text += s.utf8 }
        var error = tsh_error()
        error.struct_size = UInt32(MemoryLayout<tsh_error>.size)
        let status = table.withSlice { name in
            text.withUnsafeBufferPointer { bytes in
                withUnsafeTemporaryAllocation(of: tsh_value.self, capacity: max(1, values.count)) { buffer in
                    let base = UnsafeRawPointer(bytes.baseAddress)?.assumingMemoryBound(to: CChar.self)
                    var offset = 0
                    for (i, value) in values.enumerated() {
                        var v = tsh_value()
                        switch value {
                        case .null: v.type = TSH_VALUE_NULL
                        case .int(let x): v.type = TSH_COLUMN_INT; v.int_value = x
                        case .time(let x): v.type = TSH_COLUMN_TIME; v.int_value = x
                        case .double(let x): v.type = TSH_COLUMN_DOUBLE; v.double_value = x
                        case .text(let s):
                            let length = s.utf8.count
                            v.type = TSH_COLUMN_TEXT
                            v.text_value = tsh_str(ptr: length == 0 ? nil : base! + offset, len: UInt64(length))
                            offset += length
                        }
                        buffer[i] = v
                    }
                    return records.pointee.upsert(host, name, UnsafePointer(buffer.baseAddress!), UInt32(values.count), &error)
                }
            }
        }
        guard status == TSH_OK else { throw PluginError(status: status, Self.message(error)) }
    }

    /// A host that wrote less than the 1.0 layout of an out-struct is broken: refuse its answer.
    private static func checkFilled(_ written: UInt32, minimum: UInt32, _ name: String) throws(PluginError) {
        guard written >= minimum else {
            throw PluginError(status: TSH_ERR_INTERNAL, "the host filled \(written) bytes of \(name), less than its ABI 1.0 size (\(minimum))")
        }
    }

    private static func statusHint(_ status: tsh_status) -> String {
        switch status {
        case TSH_ERR_NOT_FOUND: " (not found: the symbol is not one of this instance's)"
        case TSH_ERR_INVALID_ARGUMENT: " (invalid argument)"
        case TSH_ERR_WRONG_THREAD: " (called off the engine thread)"
        case TSH_ERR_UNSUPPORTED: " (not supported by this host)"
        default: ""
        }
    }

    static func message(_ error: tsh_error) -> String {
        var e = error
        let length = min(Int(e.message_len), Int(TSH_ERROR_MESSAGE_CAPACITY) - 1)
        return withUnsafeBytes(of: &e.message) { String(decoding: $0.prefix(length), as: UTF8.self) }
    }
}

extension String {
    @inline(__always)
    func withSlice<R>(_ body: (tsh_str) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { buffer in
            try body(tsh_str(ptr: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self), len: UInt64(buffer.count)))
        }
    }
}

/// Reads of the host's L2 book (`PluginContext.hostBook()`, ABI 1.2) — no mirror of the book in
/// the plugin. "Before" is the book without the L2 message being delivered: during `onBook`,
/// the book before that event's changes; in any other callback, the book as the last book
/// event left it. The host's book holds levels from quotes for a symbol with no L2 feed, so read
/// it for L2 only once a book event for the symbol arrived.
///
/// - Important: Engine thread only (from the plugin's callbacks), like `PluginContext`.
public struct HostBook {
    let host: UnsafePointer<tsh_host>
    let table: UnsafePointer<tsh_book_service>
    /// Reused buffers of the level reads.
    private var bidBuffer: [tsh_book_level] = []
    private var askBuffer: [tsh_book_level] = []

    init(host: UnsafePointer<tsh_host>, table: UnsafePointer<tsh_book_service>) {
        self.host = host
        self.table = table
    }

    /// The size of the level at `price` on `side` (`.buy` = bid) before the message; 0 when
    /// there is none (or the host refused the call).
    @inline(__always)
    public func levelSize(_ symbol: SymbolID, side: Side, price: Double) -> Double {
        var size = 0.0
        guard table.pointee.level_size(host, symbol.rawValue, side.rawValue, price, &size) == TSH_OK else { return 0 }
        return size
    }

    /// Every level of each side of the book before the message, best first, into `bids` and
    /// `asks` (replacing their contents). False (both empty) when the host refused the call.
    @discardableResult
    public mutating func levelsBefore(_ symbol: SymbolID, bids: inout [BookLevel], asks: inout [BookLevel]) -> Bool {
        let levels = table.pointee.levels_before
        return read(symbol, bids: &bids, asks: &asks) { host, symbol, b, a, capacity, nb, na in levels(host, symbol, b, a, capacity, nb, na) }
    }

    /// Every level of each side of the host's current book (`tsh_host.book_levels`: during
    /// `onBook`, with that event's changes), best first.
    @discardableResult
    public mutating func levels(_ symbol: SymbolID, bids: inout [BookLevel], asks: inout [BookLevel]) -> Bool {
        let levels = host.pointee.book_levels
        return read(symbol, bids: &bids, asks: &asks) { host, symbol, b, a, capacity, nb, na in levels(host, symbol, b, a, capacity, nb, na) }
    }

    private typealias LevelRead = (UnsafePointer<tsh_host>, tsh_symbol_id, UnsafeMutablePointer<tsh_book_level>?, UnsafeMutablePointer<tsh_book_level>?,
                                   UInt32, UnsafeMutablePointer<UInt32>, UnsafeMutablePointer<UInt32>) -> tsh_status

    /// Reads with buffers that double until neither side fills them.
    private mutating func read(_ symbol: SymbolID, bids: inout [BookLevel], asks: inout [BookLevel], _ call: LevelRead) -> Bool {
        bids.removeAll(keepingCapacity: true)
        asks.removeAll(keepingCapacity: true)
        if bidBuffer.isEmpty {
            bidBuffer = Array(repeating: tsh_book_level(), count: 256)
            askBuffer = bidBuffer
        }
        while true {
            var nb: UInt32 = 0, na: UInt32 = 0
            let capacity = bidBuffer.count
            let status = bidBuffer.withUnsafeMutableBufferPointer { b in
                askBuffer.withUnsafeMutableBufferPointer { a in call(host, symbol.rawValue, b.baseAddress, a.baseAddress, UInt32(capacity), &nb, &na) }
            }
            guard status == TSH_OK else { return false }
            if Int(nb) < capacity && Int(na) < capacity {
                // In bulk: a book is read whole (~2,000 levels) at every candle end.
                Self.append(bidBuffer, count: Int(nb), to: &bids)
                Self.append(askBuffer, count: Int(na), to: &asks)
                return true
            }
            bidBuffer = Array(repeating: tsh_book_level(), count: capacity * 2)
            askBuffer = bidBuffer
        }
    }

    /// `BookLevel` and `tsh_book_level` are both two doubles, price then size.
    private static let sameLayout = MemoryLayout<BookLevel>.stride == MemoryLayout<tsh_book_level>.stride
        && MemoryLayout<BookLevel>.offset(of: \.price) == 0 && MemoryLayout<BookLevel>.offset(of: \.size) == MemoryLayout<Double>.stride

    /// Appends the first `count` levels of `buffer`: one block copy when the layouts agree (a
    /// level at a time cost ~2 ns a level, ~5 ms of a smart-candle backtest by perf).
    @inline(__always)
    private static func append(_ buffer: [tsh_book_level], count: Int, to levels: inout [BookLevel]) {
        buffer.withUnsafeBufferPointer { source in
            let slice = UnsafeBufferPointer(rebasing: source[0..<count])
            if sameLayout, let base = slice.baseAddress {
                base.withMemoryRebound(to: BookLevel.self, capacity: count) { levels.append(contentsOf: UnsafeBufferPointer(start: $0, count: count)) }
            } else {
                levels.append(contentsOf: slice.lazy.map { BookLevel(price: $0.price, size: $0.size) })
            }
        }
    }
}
