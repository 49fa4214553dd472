import CXXHash
import CZlib
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Streams one file's bytes — inflating `.gz` — through a single reused buffer and exposes
/// the complete lines in it, so rows are parsed in place without copies.
///
/// With `inflateAhead`, a `.gz` file is inflated on a helper thread a few chunks ahead
/// (`TardisInflatePipe`), so inflating and parsing overlap; the bytes are the same.
///
/// - Important: Not thread-safe; owned by one reader.
final class TardisByteSource {
    /// Decoded bytes per refill. Small enough that inflate's output is still in cache when
    /// the parser reads it; lines longer than this grow the buffer.
    static let chunkSize = 512 * 1024
    /// Bytes of the first read.
    static let firstReadSize = 16 * 1024
    /// Slack after the buffer: fast paths may compare a few bytes past a line's end.
    static let padding = 512

    let path: String
    private let input: TardisRawInput?
    private let pipe: TardisInflatePipe?
    private var chunk: TardisInflatePipe.Chunk?
    private var chunkOffset = 0

    private(set) var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// First byte not yet consumed.
    var start = 0
    /// One past the last decoded byte.
    private(set) var end = 0
    /// One past the last '\n' at or after `start`: [start, lineLimit) holds complete lines.
    private(set) var lineLimit = 0
    private(set) var atEOF = false

    /// Bytes read from the file (compressed size for `.gz`).
    private(set) var bytesRead: Int64 = 0
    /// Bytes of CSV text produced.
    private(set) var bytesDecoded: Int64 = 0
    /// XXH3-64 of the file's bytes read so far (`bytesRead` of them), as read from disk.
    var contentDigest: UInt64 { input?.digest ?? pipeDigest }
    private var pipeDigest = ContentDigest.empty

    init(path: String, isGzip: Bool, inflateAhead: Bool = false) throws(TardisError) {
        self.path = path
        if isGzip && inflateAhead {
            pipe = TardisInflatePipe(path: path, chunkSize: Self.chunkSize)
            input = nil
        } else {
            input = try TardisRawInput(path: path, isGzip: isGzip)
            pipe = nil
        }
        capacity = Self.chunkSize
        buffer = .allocate(capacity: capacity + Self.padding)
        buffer.initialize(repeating: 0, count: capacity + Self.padding)
    }

    deinit {
        pipe?.cancel()
        buffer.deallocate()
    }

    /// Makes at least one complete line available in [start, lineLimit); false when the
    /// file has no more lines. A last line without '\n' gets one.
    func fill() throws(TardisError) -> Bool {
        if start < lineLimit { return true }
        let remaining = end - start
        if start > 0 {
            if remaining > 0 { memmove(buffer, buffer + start, remaining) }
            start = 0
            end = remaining
            lineLimit = 0
        }
        while true {
            if atEOF {
                guard end > start else { return false }
                buffer[end] = UInt8(ascii: "\n")
                end += 1
                lineLimit = end
                return true
            }
            if end == capacity { grow() }
            // The first read is small: opening a data set only needs the header and one row.
            let count = try readMore(into: buffer + end, count: bytesDecoded == 0 ? min(Self.firstReadSize, capacity - end) : capacity - end)
            if count == 0 {
                atEOF = true
                continue
            }
            let chunkStart = end
            end += count
            bytesDecoded += Int64(count)
            var i = end - 1
            while i >= chunkStart && buffer[i] != UInt8(ascii: "\n") { i -= 1 }
            if i >= chunkStart {
                lineLimit = i + 1
                return true
            }
        }
    }

    private func grow() {
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2 + Self.padding)
        bigger.initialize(repeating: 0, count: capacity * 2 + Self.padding)
        bigger.update(from: buffer, count: end)
        buffer.deallocate()
        buffer = bigger
        capacity *= 2
    }

    private func readMore(into target: UnsafeMutablePointer<UInt8>, count: Int) throws(TardisError) -> Int {
        if let input {
            let n = try input.read(into: target, count: count)
            bytesRead = input.bytesRead
            return n
        }
        guard let pipe else { return 0 }
        if chunk.map({ chunkOffset == $0.count }) ?? true {
            if let spent = chunk { pipe.recycle(spent.bytes) }
            chunk = nil
            guard let next = try pipe.next() else {
                if let end = pipe.end {
                    bytesRead = end.bytesRead
                    pipeDigest = end.digest
                }
                return 0
            }
            chunk = next
            chunkOffset = 0
            bytesRead = next.bytesRead
            pipeDigest = next.digest
        }
        guard let current = chunk else { return 0 }
        let n = min(count, current.count - chunkOffset)
        current.bytes.withUnsafeBufferPointer { target.update(from: $0.baseAddress! + chunkOffset, count: n) }
        chunkOffset += n
        return n
    }
}

/// Reads a file's bytes with read(2), inflating gzip (`inflateInit2` with 16 + MAX_WBITS,
/// concatenated members decode as one text, like `gzip -d`).
///
/// - Important: Not thread-safe; one owner.
final class TardisRawInput {
    /// Compressed bytes per read(2).
    static let inputSize = 256 * 1024

    let path: String
    private let fd: Int32
    private var zstream: UnsafeMutablePointer<z_stream>?
    private var input: UnsafeMutablePointer<UInt8>?
    private var inputEOF = false
    private var memberEnded = false
    private(set) var bytesRead: Int64 = 0
    private let hashState: OpaquePointer

    /// XXH3-64 of the bytes read from the file so far.
    var digest: UInt64 { XXH3_64bits_digest(hashState) }

    init(path: String, isGzip: Bool) throws(TardisError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw TardisError(code: .unreadableFile, path: path, message: "cannot open the file: \(reason)",
                              fix: "check that the file exists and is readable by this user")
        }
        self.fd = fd
        hashState = ContentDigest.makeState()
        if isGzip {
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 16 + MAX_WBITS: expect a gzip wrapper (not raw zlib).
            guard inflateInit2_(stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                close(fd)
                XXH3_freeState(hashState)
                throw TardisError(code: .unreadableFile, path: path, message: "zlib could not start inflating",
                                  fix: "check the zlib installation (zlib1g)")
            }
            zstream = stream
            input = .allocate(capacity: Self.inputSize)
        }
    }

    deinit {
        if let zstream {
            inflateEnd(zstream)
            zstream.deallocate()
        }
        input?.deallocate()
        close(fd)
        XXH3_freeState(hashState)
    }

    /// Up to `count` bytes of text into `target`; 0 at the end of the file.
    func read(into target: UnsafeMutablePointer<UInt8>, count: Int) throws(TardisError) -> Int {
        guard let stream = zstream, let input else { return try readFile(into: target, count: count) }
        stream.pointee.next_out = target
        stream.pointee.avail_out = UInt32(count)
        while stream.pointee.avail_out == UInt32(count) {
            if stream.pointee.avail_in == 0 && !inputEOF {
                let n = try readFile(into: input, count: Self.inputSize)
                if n == 0 {
                    inputEOF = true
                } else {
                    stream.pointee.next_in = input
                    stream.pointee.avail_in = UInt32(n)
                }
            }
            if stream.pointee.avail_in == 0 && inputEOF {
                guard memberEnded else {
                    throw TardisError(code: .unreadableFile, path: path, message: "the gzip data ends early (truncated file)",
                                      fix: "download the file again")
                }
                return 0
            }
            if memberEnded {
                inflateReset(stream)
                memberEnded = false
            }
            let status = inflate(stream, Z_NO_FLUSH)
            if status == Z_STREAM_END {
                memberEnded = true
            } else if status != Z_OK && status != Z_BUF_ERROR {
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
                throw TardisError(code: .unreadableFile, path: path, message: "the gzip data is corrupt: \(detail)",
                                  fix: "download the file again, or check it with gzip -t")
            }
        }
        return count - Int(stream.pointee.avail_out)
    }

    private func readFile(into target: UnsafeMutablePointer<UInt8>, count: Int) throws(TardisError) -> Int {
        while true {
            let n = Glibc.read(fd, target, count)
            if n >= 0 {
                bytesRead += Int64(n)
                if n > 0 { XXH3_64bits_update(hashState, target, n) }
                return n
            }
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            throw TardisError(code: .unreadableFile, path: path, message: "cannot read the file: \(reason)",
                              fix: "check the file system and the file's permissions")
        }
    }
}

/// Inflates one file on its own thread, at most `chunks` chunks ahead of the reader. The
/// chunks, their order and any error (at the point it occurs) are what `TardisRawInput`
/// gives on the reader's thread.
final class TardisInflatePipe: Sendable {
    struct Chunk: Sendable {
        var bytes: [UInt8]
        var count: Int
        /// Compressed bytes read up to the end of this chunk.
        var bytesRead: Int64
        /// XXH3-64 of those compressed bytes.
        var digest: UInt64
    }

    /// The whole file's figures, once the end was reached.
    struct End: Sendable {
        var bytesRead: Int64
        var digest: UInt64
    }

    private enum Item: Sendable {
        case chunk(Chunk)
        case end(End)
        case failure(TardisError)
    }

    private struct State {
        var ready: [Item] = []
        var free: [[UInt8]] = []
        var cancelled = false
        var end: End?
    }

    private let state = Mutex(State())
    private let readyCount = DispatchSemaphore(value: 0)
    private let freeCount = DispatchSemaphore(value: 0)

    init(path: String, chunkSize: Int, chunks: Int = 8) {
        // Signalled rather than an initial value: libdispatch traps when a semaphore is
        // released below its initial value, which cancelling leaves it at.
        for _ in 0..<chunks { freeCount.signal() }
        let thread = Thread { [self] in run(path: path, chunkSize: chunkSize) }
        thread.name = "tsh.feed.tardis.inflate"
        thread.start()
    }

    private func run(path: String, chunkSize: Int) {
        let input: TardisRawInput
        do {
            input = try TardisRawInput(path: path, isGzip: true)
        } catch {
            push(.failure(error))
            return
        }
        while true {
            freeCount.wait()
            guard var bytes = state.withLock({ $0.cancelled ? nil : ($0.free.popLast() ?? []) }) else { return }
            if bytes.count != chunkSize { bytes = [UInt8](repeating: 0, count: chunkSize) }
            do {
                let n = try bytes.withUnsafeMutableBufferPointer { (buffer) throws(TardisError) -> Int in
                    try input.read(into: buffer.baseAddress!, count: chunkSize)
                }
                guard n > 0 else {
                    push(.end(End(bytesRead: input.bytesRead, digest: input.digest)))
                    return
                }
                push(.chunk(Chunk(bytes: bytes, count: n, bytesRead: input.bytesRead, digest: input.digest)))
            } catch {
                push(.failure(error))
                return
            }
        }
    }

    private func push(_ item: Item) {
        state.withLock { if !$0.cancelled { $0.ready.append(item) } }
        readyCount.signal()
    }

    /// The next chunk, waiting for it; nil at the end of the file.
    func next() throws(TardisError) -> Chunk? {
        readyCount.wait()
        let item = state.withLock { $0.ready.isEmpty ? Item.end(End(bytesRead: 0, digest: ContentDigest.empty)) : $0.ready.removeFirst() }
        switch item {
        case .chunk(let chunk): return chunk
        case .end(let end):
            state.withLock { if $0.end == nil { $0.end = end } }
            readyCount.signal()
            return nil
        case .failure(let error):
            // Later calls see the end, as the synchronous reader would stop here too.
            readyCount.signal()
            throw error
        }
    }

    /// The file's figures once `next()` returned nil at its end.
    var end: End? { state.withLock { $0.end } }

    /// Returns a spent chunk's storage for reuse.
    func recycle(_ bytes: [UInt8]) {
        state.withLock { $0.free.append(bytes) }
        freeCount.signal()
    }

    /// Stops the thread (after its current chunk) and drops the chunks ahead.
    func cancel() {
        state.withLock { state in
            state.cancelled = true
            state.ready.removeAll()
            state.free.removeAll()
        }
        freeCount.signal()
    }
}

/// XXH3-64 fingerprints of data files (xxHash): recorded per backtest session so that
/// `host replay` proves it re-read the same bytes.
public enum ContentDigest {
    /// The digest of no bytes.
    public static let empty: UInt64 = XXH3_64bits(nil, 0)

    static func makeState() -> OpaquePointer {
        guard let state = XXH3_createState() else { fatalError("xxHash could not allocate a hash state (out of memory)") }
        XXH3_64bits_reset(state)
        return state
    }

    /// 16 lowercase hex digits.
    public static func hex(_ digest: UInt64) -> String {
        let text = String(digest, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}
