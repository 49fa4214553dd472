import Foundation
import HostCore
import Synchronization

/// A directory of Tardis.dev CSV files (`quotes`, `trades`, `incremental_book_L2`, plain or
/// `.csv.gz`), replayed as one stream of market events in `local_timestamp` order.
///
/// Opening the data set finds the files, applies the filters, checks every header and
/// registers the symbols (`Instrument.generic(symbol:venue:)`, venue = the exchange in the
/// file name; instruments already in the table are kept as they are). Replaying reads the
/// files as the events are consumed, a few hundred KB per file at a time.
///
/// Files of one exchange, data type and symbol form a *stream*, read date after date.
/// Streams merge by `local_timestamp` (the event's `tsRecv`); **ties** go to the stream that
/// sorts first by data type (quotes < trades < incremental_book_L2), then symbol (byte order
/// of the name's symbol part), then exchange. Rows of one file keep their order, so a
/// message of L2 rows (one local_timestamp) is never split by rows of another file.
///
/// Symbols: the symbol column's spelling of a file's first row (Tardis replaces `/` and `:`
/// in file names). Files named with a Tardis group (`OPTIONS`, `FUTURES`, `PERPETUALS`,
/// `SPOT`) hold many symbols: their symbol column is read once when the data set opens.
///
/// The time filter drops rows outside `from <= local_timestamp < to` from every stream;
/// starting an L2 stream after its snapshot leaves the book incomplete until the next one.
public struct TardisDataSet: Sendable {
    public let directory: String
    public let options: TardisOptions
    /// The symbols, with the data set's ones registered.
    public private(set) var symbols: SymbolTable
    let streams: [TardisStreamPlan]

    /// The files to replay, stream by stream in tie-break order, dates ascending.
    public var files: [TardisFile] { streams.flatMap { $0.files.map(\.file) } }

    /// Finds, filters and checks the files in `directory` (not recursive).
    /// - Parameter symbols: a table to register into (for example one with configured
    ///   instruments); the result is in ``symbols``.
    public init(directory: String, options: TardisOptions = TardisOptions(), symbols: SymbolTable = SymbolTable()) throws(TardisError) {
        self.directory = directory
        self.options = options
        var table = symbols
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory)
        if exists && !isDirectory.boolValue {
            throw TardisError(code: .missingDirectory, path: directory, message: "this is a file, not a directory; the data must be a directory of Tardis files",
                              fix: "pass the directory that holds the file (or the file alone in a directory of its own)")
        }
        guard exists else {
            throw TardisError(code: .missingDirectory, path: directory, message: "the Tardis data directory does not exist",
                              fix: "pass the directory that holds the downloaded {exchange}_{data_type}_{date}_{symbol}.csv.gz files")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw TardisError(code: .unreadableFile, path: directory, message: "cannot list the directory: \(error.localizedDescription)",
                              fix: "check the directory's permissions")
        }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let recognized = names.compactMap { TardisFile(path: base + $0) }
        var candidates: [TardisFile] = []
        var seen: [String: String] = [:]
        for file in recognized where options.dataTypes?.contains(file.dataType) ?? true {
            let key = "\(file.exchange)_\(file.dataType.rawValue)_\(file.date)_\(file.symbol)"
            if let other = seen[key] {
                throw TardisError(code: .duplicateFile, path: file.path, message: "the same data is also in \(other)",
                                  fix: "keep either the .csv or the .csv.gz file")
            }
            seen[key] = file.path
            if file.isGrouped || Self.nameMatches(file.symbol, options.symbols) { candidates.append(file) }
        }

        // Open each candidate: header check, symbol spelling (a full symbol scan for grouped files).
        var planned: [TardisFilePlan] = []
        for file in candidates {
            let reader = try TardisFileReader(file: file, plan: TardisSymbolPlan(fileSymbol: .none), options: options)
            if file.isGrouped {
                let all = try reader.scanSymbols()
                let keepAll = options.symbols == nil || options.keeps(symbol: file.symbol)
                let kept = all.filter { keepAll || options.keeps(symbol: $0) }
                guard !kept.isEmpty else { continue }
                var grouped: [String: SymbolID] = [:]
                for name in all { grouped[name] = kept.contains(name) ? Self.register(name, venue: file.exchange, in: &table) : SymbolID.none }
                planned.append(TardisFilePlan(file: file, plan: TardisSymbolPlan(fileSymbol: .none, grouped: grouped)))
            } else {
                // The symbol column's spelling names the instrument; an empty one is malformed
                // and left to the row check, so the name's symbol stands in.
                let spelling = try reader.firstRowSymbol().flatMap { $0.isEmpty ? nil : $0 }
                let id = Self.register(spelling ?? file.symbol, venue: file.exchange, in: &table)
                planned.append(TardisFilePlan(file: file, plan: TardisSymbolPlan(fileSymbol: id, spelling: spelling.map { Array($0.utf8) })))
            }
        }
        guard !planned.isEmpty else {
            let message = recognized.isEmpty
                ? "no file in the directory is named {exchange}_{quotes|trades|incremental_book_L2}_{YYYY-MM-DD}_{symbol}.csv[.gz]"
                : "no Tardis file matches the filters; found \(recognized.count) Tardis files, with symbols "
                    + Set(recognized.map(\.symbol)).sorted().joined(separator: ", ")
                    + " and data types \(Set(recognized.map(\.dataType.rawValue)).sorted().joined(separator: ", "))"
            throw TardisError(code: .noMatchingFiles, path: directory, message: message,
                              fix: "check the directory, the symbols and the data types asked for")
        }

        self.symbols = table
        let groups = Dictionary(grouping: planned) { "\($0.file.dataType.rawValue)\u{0}\($0.file.exchange)\u{0}\($0.file.symbol)" }
        streams = groups.values
            .map { TardisStreamPlan(files: $0.sorted { $0.file.date < $1.file.date }) }
            .sorted { a, b in
                let x = a.files[0].file, y = b.files[0].file
                if x.dataType != y.dataType { return x.dataType < y.dataType }
                if x.symbol != y.symbol { return x.symbol.utf8.lexicographicallyPrecedes(y.symbol.utf8) }
                return x.exchange.utf8.lexicographicallyPrecedes(y.exchange.utf8)
            }
    }

    /// Symbols whose rows come from more than one exchange, each with the files that hold it
    /// (in ``files`` order); empty when every symbol has one exchange. The data set replays
    /// them as separate instruments, but a consumer that names instruments by symbol alone
    /// (a strategy configuration) cannot tell them apart.
    public var symbolsOnSeveralExchanges: [(symbol: String, files: [TardisFile])] {
        var exchanges: [String: Set<String>] = [:]
        var holders: [String: [TardisFile]] = [:]
        var order: [String] = []
        for plan in streams.flatMap(\.files) {
            let ids = plan.plan.grouped.map { Array($0.values.filter { $0 != .none }) } ?? [plan.plan.fileSymbol]
            for name in Set(ids.compactMap { symbols.instrument($0)?.symbol }) {
                if holders[name] == nil { order.append(name) }
                exchanges[name, default: []].insert(plan.file.exchange)
                holders[name, default: []].append(plan.file)
            }
        }
        return order.filter { exchanges[$0]!.count > 1 }.map { ($0, holders[$0]!) }
    }

    private static func register(_ symbol: String, venue: String, in table: inout SymbolTable) -> SymbolID {
        table.id(venue: venue, symbol: symbol) ?? table.register(Instrument.generic(symbol: symbol, venue: venue))
    }

    /// Whether a file-name symbol passes the filter, allowing for the `/` and `:` that Tardis
    /// turns into `-` in names.
    private static func nameMatches(_ name: String, _ filter: Set<String>?) -> Bool {
        guard let filter else { return true }
        let upper = name.uppercased()
        return filter.contains {
            let wanted = $0.uppercased()
            return wanted == upper || wanted.replacingOccurrences(of: "/", with: "-").replacingOccurrences(of: ":", with: "-") == upper
        }
    }

    /// Most `.gz` streams that get an inflate thread each; beyond it they inflate inline.
    public static let maximumInflateThreads = 16

    /// A source that reads and parses on the consumer's thread as it goes.
    /// - Parameter inflateAhead: inflate `.gz` files on helper threads (one per stream, at
    ///   most ``maximumInflateThreads``), overlapping inflating with parsing.
    public func replay(inflateAhead: Bool = false) -> TardisReplay {
        TardisReplay(merger: makeMerger(inflateAhead: inflateAhead), startTime: options.from ?? 0)
    }

    /// A source that reads and parses on a background thread into batches of `batchSize`
    /// events, at most `buffers` batches in flight; the events are the same as ``replay(inflateAhead:)``'s.
    /// - Parameter inflateAhead: as for ``replay(inflateAhead:)``; on by default here.
    /// - Parameter parseThreads: threads parsing the streams' next blocks ahead of the merge
    ///   (0: the merge thread parses). Never changes the events, only how fast they come.
    public func threadedReplay(batchSize: Int = 4_096, buffers: Int = 3, inflateAhead: Bool = true,
                               parseThreads: Int = Self.defaultParseThreads) -> TardisThreadedReplay {
        TardisThreadedReplay(merger: makeMerger(inflateAhead: inflateAhead, parseThreads: parseThreads), batchSize: batchSize,
                             buffers: buffers, startTime: options.from ?? 0)
    }

    /// Parse-ahead threads of ``threadedReplay(batchSize:buffers:inflateAhead:parseThreads:)``
    /// by default: one per core beyond the engine's, at least one.
    public static let defaultParseThreads = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    private func makeMerger(inflateAhead: Bool, parseThreads: Int = 0) -> TardisMerger {
        let gzipStreams = streams.filter { $0.files.contains { $0.file.isGzip } }.count
        return TardisMerger(streams: streams, options: options, inflateAhead: inflateAhead && gzipStreams <= Self.maximumInflateThreads,
                            parseThreads: streams.count > 1 ? parseThreads : 0)
    }
}

struct TardisFilePlan: Sendable {
    var file: TardisFile
    var plan: TardisSymbolPlan
}

struct TardisStreamPlan: Sendable {
    var files: [TardisFilePlan]
}

/// Row counters of one file.
public struct TardisFileStatistics: Sendable, Hashable {
    public var path: String
    /// Data rows read (header excluded), including skipped and filtered ones.
    public var rowsRead: Int64 = 0
    /// Malformed rows skipped (`skipMalformed`).
    public var rowsSkipped: Int64 = 0
    /// Rows outside the time or symbol filter.
    public var rowsFiltered: Int64 = 0
    /// Bytes read from the file (compressed size for `.gz`).
    public var bytesRead: Int64 = 0
    /// Bytes of CSV text (equal to `bytesRead` for plain files).
    public var bytesDecoded: Int64 = 0
    /// XXH3-64 of the `bytesRead` bytes read from the file (compressed bytes for `.gz`).
    public var contentDigest: UInt64 = ContentDigest.empty

    public init(path: String) { self.path = path }
}

/// Row counters of a replay so far.
public struct TardisStatistics: Sendable, Hashable {
    public var files: [TardisFileStatistics]
    public init(files: [TardisFileStatistics]) { self.files = files }
    public var rowsRead: Int64 { files.reduce(0) { $0 + $1.rowsRead } }
    public var rowsSkipped: Int64 { files.reduce(0) { $0 + $1.rowsSkipped } }
    public var rowsFiltered: Int64 { files.reduce(0) { $0 + $1.rowsFiltered } }
    public var bytesRead: Int64 { files.reduce(0) { $0 + $1.bytesRead } }
    public var bytesDecoded: Int64 { files.reduce(0) { $0 + $1.bytesDecoded } }
}

// MARK: - Merge

/// One stream's files read in date order, parsed a block of events ahead.
///
/// Without a ``TardisParsePool`` `refill()` parses on the caller's thread. With one, the
/// next block is parsed on a pool thread while the merge consumes the current one
/// (double-buffered): `refill()` waits for that block, swaps it in and asks for the next.
/// The blocks, their order and the errors are the same either way: a block is what the
/// synchronous parse would have produced, and an error ends the stream at the same block.
///
/// - Important: Not thread-safe; lives inside `TardisMerger`'s lock. While a block is being
///   parsed ahead only the pool thread touches the reader state; the merge reads the
///   statistics snapshot taken when the block was finished.
final class TardisStream: @unchecked Sendable {
    /// Events per block, parsed ahead or not (so the statistics as of a block agree).
    static let blockSize = 4_096

    let rank: Int
    /// The current block: `capacity` slots of a trivial type, so reuse needs no deinit.
    private(set) var events: UnsafeMutablePointer<MarketEvent>
    private let capacity: Int
    private let files: [TardisFilePlan]
    private let options: TardisOptions
    private let inflateAhead: Bool
    private var nextFile = 0
    private var reader: TardisFileReader?
    private var lastLocal = Int64.min
    private var finished: [TardisFileStatistics] = []

    // Parse-ahead state (pool != nil).
    private let pool: TardisParsePool?
    /// The block being parsed ahead (owned by the pool thread until `ready` is signalled).
    private var spare: UnsafeMutablePointer<MarketEvent>?
    private var aheadResult: Result<Int, TardisError> = .success(0)
    private var aheadStatistics: [TardisFileStatistics] = []
    private let ready = DispatchSemaphore(value: 0)
    private var requested = false
    /// Statistics as of the block swapped in last (parse-ahead only).
    private var swappedStatistics: [TardisFileStatistics]

    init(rank: Int, files: [TardisFilePlan], options: TardisOptions, inflateAhead: Bool, pool: TardisParsePool? = nil) {
        self.rank = rank
        self.files = files
        self.options = options
        self.inflateAhead = inflateAhead
        self.pool = pool
        capacity = Self.blockSize
        events = .allocate(capacity: capacity)
        spare = pool == nil ? nil : .allocate(capacity: capacity)
        swappedStatistics = files.map { TardisFileStatistics(path: $0.file.path) }
    }

    deinit {
        // A block in flight holds a reference to the stream, so none is running here.
        events.deallocate()
        spare?.deallocate()
    }

    /// Starts parsing the first block ahead (parse-ahead only; idempotent).
    func request() {
        guard let pool, !requested else { return }
        requested = true
        pool.submit(self)
    }

    /// The next block into `events`; returns its event count, 0 at the end.
    func refill() throws(TardisError) -> Int {
        guard pool != nil, let block = spare else { return try parse(into: events) }
        request()
        ready.wait()
        let result = aheadResult
        spare = events
        events = block
        swappedStatistics = aheadStatistics
        if case .success(let count) = result, count > 0 {
            pool?.submit(self)
        } else {
            requested = false
        }
        return try result.get()
    }

    /// Runs on a pool thread: the next block into `spare`.
    fileprivate func parseAhead() {
        guard let block = spare else { return }
        do {
            aheadResult = .success(try parse(into: block))
        } catch {
            aheadResult = .failure(error)
        }
        aheadStatistics = currentStatistics
        ready.signal()
    }

    private func parse(into block: UnsafeMutablePointer<MarketEvent>) throws(TardisError) -> Int {
        var count = 0
        while true {
            if reader == nil {
                guard nextFile < files.count else { return 0 }
                let next = files[nextFile]
                nextFile += 1
                reader = try TardisFileReader(file: next.file, plan: next.plan, options: options, lastLocal: lastLocal,
                                              inflateAhead: inflateAhead)
            }
            guard let current = reader else { return 0 }
            try current.read(into: block, count: &count, capacity: capacity)
            if count > 0 { return count }
            finished.append(Self.statistics(of: current))
            lastLocal = current.lastLocal
            reader = nil
            // Later files hold later rows: past `to` they have nothing to give.
            if current.reachedTo { nextFile = files.count }
        }
    }

    var statistics: [TardisFileStatistics] {
        pool == nil ? currentStatistics : swappedStatistics
    }

    private var currentStatistics: [TardisFileStatistics] {
        var all = finished
        if let reader { all.append(Self.statistics(of: reader)) }
        let opened = all.count
        for plan in files.dropFirst(opened) { all.append(TardisFileStatistics(path: plan.file.path)) }
        return all
    }

    private static func statistics(of reader: TardisFileReader) -> TardisFileStatistics {
        var s = TardisFileStatistics(path: reader.file.path)
        s.rowsRead = reader.rowsRead
        s.rowsSkipped = reader.rowsSkipped
        s.rowsFiltered = reader.rowsFiltered
        s.bytesRead = reader.bytesRead
        s.bytesDecoded = reader.bytesDecoded
        s.contentDigest = reader.contentDigest
        return s
    }
}

/// Threads that parse streams' next blocks ahead of the merge (``TardisStream``'s
/// parse-ahead): a FIFO of blocks to parse, taken by `threads` threads. At most one block
/// per stream is queued or running, so a stream's blocks are parsed in order. Which thread
/// parses a block never changes its content. `stop()` ends the threads after their current
/// block; the owner calls it when the merge is released.
final class TardisParsePool: Sendable {
    private struct State {
        var queue: [TardisStream] = []
        var head = 0
        var stopped = false
    }

    private let state = Mutex(State())
    private let pending = DispatchSemaphore(value: 0)
    let threads: Int

    init(threads: Int) {
        self.threads = max(1, threads)
        for index in 0..<self.threads {
            let thread = Thread { [self] in run() }
            thread.name = "tsh.feed.parse.\(index)"
            thread.start()
        }
    }

    func submit(_ stream: TardisStream) {
        state.withLock { $0.queue.append(stream) }
        pending.signal()
    }

    func stop() {
        state.withLock { $0.stopped = true }
        for _ in 0..<threads { pending.signal() }
    }

    private func run() {
        while true {
            pending.wait()
            let next = state.withLock { state -> TardisStream? in
                if state.stopped { return nil }
                guard state.head < state.queue.count else { return nil }
                let stream = state.queue[state.head]
                state.head += 1
                if state.head > 64 && state.head * 2 > state.queue.count {
                    state.queue.removeFirst(state.head)
                    state.head = 0
                }
                return stream
            }
            guard let stream = next else {
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            stream.parseAhead()
        }
    }
}

/// The k-way merge of the streams: a binary heap keyed by (head tsRecv, rank) picks the
/// stream; it then gives its events up to the runner-up's key in one copy.
struct TardisMergeState: ~Copyable {
    private struct Entry {
        var time: Int64
        var rank: Int
        @inline(__always) func precedes(_ other: Entry) -> Bool { time < other.time || (time == other.time && rank < other.rank) }
    }

    /// The unread part of a stream's block.
    private struct Cursor {
        var next: UnsafePointer<MarketEvent>
        var end: UnsafePointer<MarketEvent>
    }

    private let streams: [TardisStream]
    private let cursors: UnsafeMutablePointer<Cursor>
    /// A binary heap of `heapCount` entries (raw storage: no bounds or uniqueness checks
    /// on the per-run path).
    private let heap: UnsafeMutablePointer<Entry>
    private var heapCount = 0
    private var started = false
    private var failure: TardisError?

    init(streams: [TardisStream]) {
        self.streams = streams
        cursors = .allocate(capacity: max(streams.count, 1))
        heap = .allocate(capacity: max(streams.count, 1))
        for (i, stream) in streams.enumerated() {
            (cursors + i).initialize(to: Cursor(next: UnsafePointer(stream.events), end: UnsafePointer(stream.events)))
        }
    }

    deinit {
        cursors.deallocate()
        heap.deallocate()
    }

    /// Appends merged events until `out.count == limit` or the end. Events appended before
    /// an error stay in `out`; the error is thrown now and by every later call.
    mutating func fill(_ out: inout [MarketEvent], limit: Int) throws(TardisError) {
        if let failure { throw failure }
        do {
            try start()
            while out.count < limit, heapCount > 0 {
                var bound = Entry(time: .max, rank: .max)
                if heapCount > 1 { bound = heap[1] }
                if heapCount > 2 && heap[2].precedes(bound) { bound = heap[2] }
                let rank = heap[0].rank
                var cursor = cursors[rank]
                var p = cursor.next
                let stop = min(cursor.end, p + (limit - out.count))
                while p < stop {
                    let time = p.pointee.tsRecv
                    if time > bound.time || (time == bound.time && rank > bound.rank) { break }
                    p += 1
                }
                out.append(contentsOf: UnsafeBufferPointer(start: cursor.next, count: p - cursor.next))
                cursor.next = p
                if p == cursor.end {
                    let count = try streams[rank].refill()
                    let events = UnsafePointer(streams[rank].events)
                    cursor = Cursor(next: events, end: events + count)
                    if count == 0 {
                        cursors[rank] = cursor
                        heapCount -= 1
                        heap[0] = heap[heapCount]
                        if heapCount > 0 { siftDown(0) }
                        continue
                    }
                }
                cursors[rank] = cursor
                heap[0].time = cursor.next.pointee.tsRecv
                siftDown(0)
            }
        } catch {
            failure = error
            throw error
        }
    }

    /// tsRecv of the next event; nil at the end or after an error (which `fill` then throws).
    mutating func peekTime() -> Int64? {
        guard failure == nil else { return nil }
        do {
            try start()
        } catch {
            failure = error
            return nil
        }
        return heapCount > 0 ? heap[0].time : nil
    }

    private mutating func start() throws(TardisError) {
        guard !started else { return }
        started = true
        for stream in streams { stream.request() }
        for stream in streams {
            let count = try stream.refill()
            guard count > 0 else { continue }
            let events = UnsafePointer(stream.events)
            cursors[stream.rank] = Cursor(next: events, end: events + count)
            heap[heapCount] = Entry(time: events.pointee.tsRecv, rank: stream.rank)
            heapCount += 1
            siftUp(heapCount - 1)
        }
    }

    private func siftUp(_ index: Int) {
        var child = index
        let moving = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard moving.precedes(heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = moving
    }

    @inline(__always)
    private func siftDown(_ index: Int) {
        var parent = index
        let moving = heap[parent]
        let count = heapCount
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var best = left
            if left + 1 < count && heap[left + 1].precedes(heap[left]) { best = left + 1 }
            guard heap[best].precedes(moving) else { break }
            heap[parent] = heap[best]
            parent = best
        }
        heap[parent] = moving
    }

    var statistics: TardisStatistics { TardisStatistics(files: streams.flatMap(\.statistics)) }
}
