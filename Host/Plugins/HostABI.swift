import CStrategyHostSDK
import StrategySDK

/// The ABI this host speaks, as the plugin SDK header defines it.
public enum HostABI {
    public static let major = UInt32(TSH_ABI_MAJOR)
    public static let minor = UInt32(TSH_ABI_MINOR)
    public static let revision = UInt32(TSH_ABI_REVISION)
    public static let entrySymbol = TSH_PLUGIN_ENTRY_SYMBOL

    /// "1.0.0".
    public static var versionString: String { "\(major).\(minor).\(revision)" }
    /// The optional services this host offers through `get_service` (ABI 1.1 adds records and bars).
    public static let services = [TSH_SERVICE_METRICS, TSH_SERVICE_RECORDS, TSH_SERVICE_BARS]
    /// The kind extensions this host reads.
    public static let kindExtensions = [TSH_EXT_SIGNAL_SOURCE, TSH_EXT_SIGNAL_SINK, TSH_EXT_RECORDS]

    /// The 16 bytes of `TSH_BUILD_FINGERPRINT_INIT` as this host was built. The C macro is a
    /// braced initializer and does not import into Swift, so it is rebuilt from the same rules.
    public static let fingerprint: [UInt8] = {
        let littleEndian = 1.littleEndian == 1
        return [
            UInt8(ascii: "T"), UInt8(ascii: "S"), UInt8(ascii: "H"), UInt8(ascii: "F"),
            UInt8(MemoryLayout<UnsafeRawPointer>.size),
            UInt8(littleEndian ? TSH_ENDIAN_LITTLE : TSH_ENDIAN_BIG),
            UInt8(TSH_TIMESTAMP_UNIX_NANOS),
            UInt8(TSH_FLOAT_IEEE754_BINARY64),
            UInt8(MemoryLayout<Bool>.size),
            UInt8(MemoryLayout<tsh_status>.size),
            UInt8(MemoryLayout<Int>.size), // size_t
            0, 0, 0, 0, 0,
        ]
    }()

    /// Byte ranges of `tsh_build_fingerprint`, for naming the field that differs.
    static let fingerprintFields: [(name: String, range: Range<Int>)] = [
        ("magic", 0..<4), ("pointer_bytes", 4..<5), ("endianness", 5..<6), ("timestamp_unit", 6..<7),
        ("float_format", 7..<8), ("bool_bytes", 8..<9), ("status_bytes", 9..<10), ("size_bytes", 10..<11),
        ("reserved", 11..<16),
    ]

    /// One sentence per fingerprint field that differs, both sides printed.
    static func fingerprintDifferences(plugin: [UInt8]) -> [String] {
        fingerprintFields.compactMap { field in
            let theirs = Array(plugin[field.range]), ours = Array(fingerprint[field.range])
            guard theirs != ours else { return nil }
            return "build fingerprint field \(field.name) differs: plugin \(describe(field.name, theirs)), host \(describe(field.name, ours))"
        }
    }

    private static func describe(_ field: String, _ bytes: [UInt8]) -> String {
        switch field {
        case "magic":
            let text = String(decoding: bytes, as: UTF8.self)
            return bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? "'\(text)'" : bytes.map(String.init).joined(separator: " ")
        case "endianness":
            let value = Int32(bytes[0])
            return value == TSH_ENDIAN_LITTLE ? "1 (little)" : value == TSH_ENDIAN_BIG ? "2 (big)" : "\(value)"
        case "timestamp_unit":
            return bytes[0] == UInt8(TSH_TIMESTAMP_UNIX_NANOS) ? "9 (Unix nanoseconds)" : "\(bytes[0])"
        case "float_format":
            return bytes[0] == UInt8(TSH_FLOAT_IEEE754_BINARY64) ? "1 (IEEE-754 binary64)" : "\(bytes[0])"
        case "reserved":
            return bytes.map(String.init).joined(separator: " ")
        default:
            return "\(bytes[0])"
        }
    }
}

/// The toolchain facts a plugin must match beyond the C ABI.
public enum HostToolchain {
    /// The Swift compiler this host was built with ("6.3.1"); a Swift plugin must have been built
    /// with the same one (`ELFPluginCheck` compares it with the plugin's marker).
    public static var swiftCompiler: String { SwiftToolchain.compilerVersion }
}
