/// Reading host structs across ABI minor versions (append-only growth), the plugin side of
/// the header's `TSH_HAS_FIELD` rule.
///
/// The host states how much it wrote: `struct_size` for `tsh_instance_info`, `tsh_host` and the
/// out-structs it fills (`tsh_instrument`, `tsh_position`, `tsh_balance`), `header.size` for
/// events. A host built for an older minor version writes less than this SDK's layout; the SDK
/// copies only what the host wrote (later fields stay zero) and reads a field added after 1.0
/// only when `carries` says the host sent it. Every field today is a 1.0 field.
enum ABIGrowth {
    /// True when a struct the host declared `size` bytes long holds `field` whole.
    @inline(__always)
    static func carries<T, V>(_ field: KeyPath<T, V>, size: some BinaryInteger) -> Bool {
        guard let offset = MemoryLayout<T>.offset(of: field) else { return false }
        return Int(size) >= offset + MemoryLayout<V>.size
    }

    /// The first `size` bytes at `pointer` as a `T`, zero beyond them: never reads past what the
    /// host declared. Only for structs whose every field is valid when zero (numbers, `tsh_str`,
    /// optional pointers), which every host-to-plugin struct is.
    @inline(__always)
    static func load<T: BitwiseCopyable>(_ pointer: UnsafeRawPointer, size: some BinaryInteger, as type: T.Type = T.self) -> T {
        let full = MemoryLayout<T>.size
        if Int(size) >= full { return pointer.loadUnaligned(as: T.self) }
        return withUnsafeTemporaryAllocation(byteCount: full, alignment: MemoryLayout<T>.alignment) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.baseAddress!.copyMemory(from: pointer, byteCount: max(0, Int(size)))
            return buffer.load(as: T.self)
        }
    }
}
