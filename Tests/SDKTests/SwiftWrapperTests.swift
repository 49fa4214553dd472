import StrategySDK
import Testing

/// A Swift plugin kind used to check what the wrapper exports.
final class WrapperProbe: StrategyPlugin {
    static let kind = PluginKind(
        id: "probe", description: "Test probe.", roles: [.trigger], events: [.quote, .signal],
        parameters: [
            .double("threshold", default: 2.5, range: 0...10, unit: "bps", doc: "A threshold."),
            .choice("side", default: "up", allowed: ["up", "down"], doc: "A side."),
        ],
        emits: ["probe.fired"])
    init(context: PluginContext) throws {}
}

struct SwiftWrapperTests {
    let manifest = PluginManifest(id: "dev.test.probe", name: "Probe", version: "1.2.3", description: "d", kinds: [WrapperProbe.self])

    var pointer: UnsafePointer<tsh_manifest> { manifest.pointer.assumingMemoryBound(to: tsh_manifest.self) }

    @Test("a Swift manifest carries this SDK's ABI version and the plugin identity")
    func manifestIdentity() {
        let m = pointer.pointee
        #expect(m.abi.major == UInt32(TSH_ABI_MAJOR))
        #expect(m.abi.minor == UInt32(TSH_ABI_MINOR))
        #expect(m.struct_size == UInt32(MemoryLayout<tsh_manifest>.size))
        #expect(String(cString: m.plugin_id) == "dev.test.probe")
        #expect(String(cString: m.version) == "1.2.3")
        #expect(m.kind_count == 1)
    }

    @Test("a Swift kind declares its parameters with text defaults, ranges and allowed values")
    func kindParameters() throws {
        let kind = try #require(pointer.pointee.kinds?[0]).pointee
        #expect(String(cString: kind.kind_id) == "probe")
        #expect(kind.event_mask == (1 << 1 | 1 << 6))
        #expect(kind.param_count == 2)
        let threshold = try #require(kind.params?[0])
        #expect(String(cString: threshold.name) == "threshold")
        #expect(threshold.type == TSH_PARAM_DOUBLE)
        #expect(Double(String(cString: threshold.default_value)) == 2.5)
        #expect(threshold.flags & TSH_PARAM_HAS_MAX != 0 && threshold.max_value == 10)
        let side = try #require(kind.params?[1])
        #expect(side.allowed_count == 2)
        #expect(String(cString: side.allowed_values![1]) == "down")
    }

    @Test("the signal-source extension lists the names a kind emits")
    func signalSourceExtension() throws {
        let kind = try #require(pointer.pointee.kinds?[0])
        let ext = try #require(kind.pointee.get_extension?(kind, TSH_EXT_SIGNAL_SOURCE))
        let source = ext.assumingMemoryBound(to: tsh_signal_source_ext.self).pointee
        #expect(source.name_count == 1)
        #expect(String(cString: source.names![0]) == "probe.fired")
        #expect(kind.pointee.get_extension?(kind, "tsh.unknown/1") == nil)
    }

    @Test("the build fingerprint matches the C header's TSH_BUILD_FINGERPRINT_INIT rules")
    func fingerprint() {
        let f = pointer.pointee.fingerprint
        #expect(f.magic.0 == UInt8(ascii: "T") && f.magic.3 == UInt8(ascii: "F"))
        #expect(f.pointer_bytes == 8)
        #expect(f.endianness == UInt8(TSH_ENDIAN_LITTLE))
        #expect(f.timestamp_unit == UInt8(TSH_TIMESTAMP_UNIX_NANOS))
        #expect(MemoryLayout<tsh_build_fingerprint>.size == 16)
    }
}
