import CStrategyHostSDK

/// Reading and writing structs across minor versions of the ABI (append-only growth).
///
/// A struct a plugin hands over is refused only when its `struct_size` is below that struct's
/// frozen 1.0 size (`TSH_*_SIZE_V1_0` in the header); anything larger comes from a newer SDK and
/// the bytes beyond this host's layout are ignored. A field appended after 1.0 is read only when
/// `carries` says the struct holds it; `load` leaves such fields zero otherwise.
public enum ABIGrowth {
    /// True when a struct declared `size` bytes long holds `field` whole (the header's `TSH_HAS_FIELD`).
    public static func carries<T, V>(_ field: KeyPath<T, V>, size: Int) -> Bool {
        guard let offset = MemoryLayout<T>.offset(of: field) else { return false }
        return size >= offset + MemoryLayout<V>.size
    }

    /// The first `declaredSize` bytes at `pointer` as a `T`, zero beyond them: never reads past the
    /// size the writer declared, nor past this host's `T`. Only for structs whose every field is
    /// valid when zero (numbers, `tsh_str`, optional pointers).
    public static func load<T: BitwiseCopyable>(_ pointer: UnsafeRawPointer, declaredSize: Int, as type: T.Type = T.self) -> T {
        let size = MemoryLayout<T>.size
        if declaredSize >= size { return pointer.loadUnaligned(as: T.self) }
        return withUnsafeTemporaryAllocation(byteCount: size, alignment: MemoryLayout<T>.alignment) { buffer in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            buffer.baseAddress!.copyMemory(from: pointer, byteCount: max(0, declaredSize))
            return buffer.load(as: T.self)
        }
    }

    /// Fills a plugin-allocated out-struct that starts with `uint32_t struct_size`: refuses one whose
    /// declared size is below `minimum` (its 1.0 size) with `TSH_ERR_INVALID_ARGUMENT`; otherwise
    /// writes at most the declared size (a 1.0 plugin's struct is never overrun by a later host's
    /// layout) and sets `struct_size` to the bytes written, so the plugin knows what was filled.
    public static func fill<T: BitwiseCopyable>(_ out: UnsafeMutableRawPointer, with value: T, minimum: UInt32) -> tsh_status {
        let declared = out.loadUnaligned(as: UInt32.self)
        guard declared >= minimum else { return TSH_ERR_INVALID_ARGUMENT }
        let written = min(Int(declared), MemoryLayout<T>.size)
        withUnsafeBytes(of: value) { out.copyMemory(from: $0.baseAddress!, byteCount: written) }
        out.storeBytes(of: UInt32(written), as: UInt32.self)
        return TSH_OK
    }
}
