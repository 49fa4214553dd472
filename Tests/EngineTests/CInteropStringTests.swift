import CStrategyHostSDK
@testable import HostEngine
import Testing

/// Strings a plugin hands the host (signal names and payloads, tags): ASCII takes a fast path,
/// everything else is validated as UTF-8 — the same answers either way.
struct CInteropStringTests {
    private func read(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { buffer in
            CInterop.string(tsh_str(ptr: UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self), len: UInt64(buffer.count)))
        }
    }

    @Test("ASCII of every length (the 8-byte steps and the tail) reads back unchanged")
    func asciiOfEveryLength() {
        for length in 0..<40 {
            let text = String((0..<length).map { Character(Unicode.Scalar(UInt8(0x20 + $0 % 90))) })
            #expect(read(Array(text.utf8)) == text)
        }
    }

    @Test("multi-byte UTF-8 anywhere in the string is kept, not mistaken for ASCII")
    func utf8IsKept() {
        for position in 0..<17 {
            let text = String(repeating: "a", count: position) + "€" + String(repeating: "b", count: 16 - position)
            #expect(read(Array(text.utf8)) == text)
        }
    }

    @Test("invalid UTF-8 is refused wherever the bad byte sits")
    func invalidUTF8IsRefused() {
        for position in 0..<17 {
            var bytes = Array(repeating: UInt8(ascii: "x"), count: 17)
            bytes[position] = 0xFF
            #expect(read(bytes) == nil, "bad byte at \(position)")
        }
    }
}
