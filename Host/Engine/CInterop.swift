import CStrategyHostSDK
import HostPlugins

/// Helpers for moving strings and errors across the C ABI.
enum CInterop {
    /// Longest string the host accepts from a plugin (names, tags, payloads).
    static let maximumStringBytes: UInt64 = 1 << 20

    /// Reads a plugin-owned slice; nil when it is malformed (NULL with a length, too long,
    /// or invalid UTF-8).
    static func string(_ s: tsh_str) -> String? {
        if s.len == 0 { return "" }
        guard let ptr = s.ptr, s.len <= maximumStringBytes else { return nil }
        let buffer = UnsafeRawBufferPointer(start: ptr, count: Int(s.len))
        // ASCII (every payload the bundled plugins write) is checked eight bytes at a time and
        // copied without the general validator, which took a third of the host's signal
        // handling in the screener benchmark (perf); anything else is validated as UTF-8.
        if isASCII(buffer) {
            return String(unsafeUninitializedCapacity: buffer.count) { out in
                _ = out.initialize(from: buffer)
                return buffer.count
            }
        }
        return String(validating: buffer, as: UTF8.self)
    }

    /// Whether every byte is below 0x80.
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let count = bytes.count
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= count {
            high |= base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            high |= UInt64(base.load(fromByteOffset: i, as: UInt8.self))
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Writes a status and message into a caller-owned error (truncated to capacity).
    static func write(_ error: UnsafeMutablePointer<tsh_error>?, code: Int32, message: String) {
        guard let error else { return }
        error.pointee.code = code
        var utf8 = Array(message.utf8)
        let capacity = Int(TSH_ERROR_MESSAGE_CAPACITY) - 1
        if utf8.count > capacity {
            // Back up to a character boundary so the message stays valid UTF-8.
            var end = capacity
            while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
            utf8.removeSubrange(end...)
        }
        error.pointee.message_len = UInt32(utf8.count)
        withUnsafeMutableBytes(of: &error.pointee.message) { raw in
            raw.copyBytes(from: utf8)
            raw[utf8.count] = 0
        }
    }

    /// The message a plugin wrote into an error.
    static func message(_ error: UnsafePointer<tsh_error>) -> String {
        let length = min(Int(error.pointee.message_len), Int(TSH_ERROR_MESSAGE_CAPACITY) - 1)
        return withUnsafeBytes(of: error.pointee.message) { raw in
            String(decoding: raw.prefix(length), as: UTF8.self)
        }
    }

    /// A plugin-owned struct that starts with `uint32_t struct_size`, read across ABI minor
    /// versions: the fields its declared size carries, zero beyond (never reading past it), and
    /// bytes beyond this host's layout ignored. The caller compares `struct_size` with the
    /// struct's frozen 1.0 size (`TSH_*_SIZE_V1_0`); `struct_size` is always the declared size.
    static func readPluginStruct<T: BitwiseCopyable>(_ pointer: UnsafePointer<T>) -> T {
        let declared = UnsafeRawPointer(pointer).loadUnaligned(as: UInt32.self)
        var value: T = ABIGrowth.load(UnsafeRawPointer(pointer), declaredSize: max(Int(declared), MemoryLayout<UInt32>.size))
        withUnsafeMutableBytes(of: &value) { $0.storeBytes(of: declared, as: UInt32.self) }
        return value
    }

    static func emptyError() -> tsh_error {
        var error = tsh_error()
        error.struct_size = UInt32(MemoryLayout<tsh_error>.size)
        return error
    }
}

/// NUL-terminated copies of strings whose pointers must stay valid for a long time
/// (instrument names, instance ids); freed when the pool goes away.
final class CStringPool {
    private var allocations: [UnsafeMutableRawPointer] = []

    /// A stable slice of `text`, valid while the pool lives.
    func slice(_ text: String) -> tsh_str {
        let bytes = Array(text.utf8)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + 1, alignment: 1)
        memory.copyMemory(from: bytes, byteCount: bytes.count)
        memory.storeBytes(of: 0, toByteOffset: bytes.count, as: UInt8.self)
        allocations.append(memory)
        return tsh_str(ptr: memory.assumingMemoryBound(to: CChar.self), len: UInt64(bytes.count))
    }

    func array<T>(_ values: [T]) -> UnsafePointer<T>? {
        guard !values.isEmpty else { return nil }
        let memory = UnsafeMutablePointer<T>.allocate(capacity: values.count)
        memory.initialize(from: values, count: values.count)
        allocations.append(UnsafeMutableRawPointer(memory))
        return UnsafePointer(memory)
    }

    deinit { for memory in allocations { memory.deallocate() } }
}

extension String {
    /// Runs `body` with a tsh_str over this string's UTF-8 (valid inside `body` only).
    @inline(__always)
    func withTSHStr<R>(_ body: (tsh_str) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { buffer in
            try body(tsh_str(ptr: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self), len: UInt64(buffer.count)))
        }
    }
}
