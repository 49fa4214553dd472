import Foundation
@testable import HostPlugins
import Testing

struct ELFPluginCheckTests {
    @Test("randomly corrupted plugin files are refused or accepted, never crash the host")
    func corruptedFilesNeverCrash() throws {
        let dir = try FixtureDirectory()
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.compile(FixtureSources.valid, as: "libfuzz.so"))))
        let fileErrors: Set<PluginLoadError.Code> = [.notSharedObject, .truncated, .wrongArchitecture, .notAPlugin]
        var generator = SplitMix64(seed: 0x5EED)
        var refused = 0
        for round in 0..<400 {
            var bytes = original
            // Header fields and table entries are where corruption matters: bias mutations there.
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let index = round % 2 == 0 ? Int.random(in: 0..<64, using: &generator) : Int.random(in: 0..<bytes.count, using: &generator)
                bytes[index] = UInt8.random(in: 0...255, using: &generator)
            }
            if round % 5 == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &generator)) }
            do {
                _ = try ELFPluginCheck.validate(bytes: bytes, path: "fuzz")
            } catch {
                refused += 1
                #expect(fileErrors.contains(error.code), "round \(round): \(error)")
            }
        }
        #expect(refused > 0)
    }

    @Test("identifiers follow the manifest spelling rules", arguments: [
        ("dev.example.price_move", true), ("a.b", true), ("dev.my-co.x_1", true), ("nodots", false), ("Dev.example", false),
        ("dev..x", false), ("dev.example.", false), ("1dev.x", false),
    ])
    func reverseDNS(id: String, valid: Bool) {
        #expect(ManifestRules.isReverseDNS(id) == valid)
    }

    @Test("versions must be semantic versions", arguments: [
        ("1.2.0", true), ("0.0.1-alpha.1+build.7", true), ("10.20.30-rc-1", true), ("1.2", false), ("01.2.3", false),
        ("1.2.3-", false), ("1.2.3-01", false), ("1.2.3+", false), ("v1.2.3", false), ("1.2.3.4", false),
    ])
    func semanticVersion(version: String, valid: Bool) {
        #expect(ManifestRules.isSemanticVersion(version) == valid)
    }

    @Test("the host fingerprint has the layout of TSH_BUILD_FINGERPRINT_INIT")
    func hostFingerprintLayout() {
        #expect(HostABI.fingerprint.count == 16)
        #expect(Array(HostABI.fingerprint.prefix(4)) == Array("TSHF".utf8))
        #expect(HostABI.fingerprint[4] == UInt8(MemoryLayout<UnsafeRawPointer>.size))
        #expect(HostABI.fingerprint.suffix(5).allSatisfy { $0 == 0 })
    }
}

/// A small deterministic generator, so a failing round can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
