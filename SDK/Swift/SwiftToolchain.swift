/// The Swift compiler a Swift plugin (and this SDK inside it) was built with.
///
/// A Swift plugin runs on the host's Swift runtime (`libswiftCore.so` is loaded once per
/// process, by the host), so a plugin built by another Swift toolchain may fail to load or
/// misbehave in ways that look like crashes in the plugin. `PluginManifest` keeps `marker` — a
/// constant C string in the library's read-only data — referenced, and the host searches the
/// file's bytes for it before `dlopen` and refuses a plugin whose compiler differs from its own,
/// naming both versions. C plugins carry no marker and are not affected.
public enum SwiftToolchain {
    /// What the host searches a plugin file for; the version and a NUL follow it.
    public static let markerPrefix = "tsh.swift-compiler="

    /// `major.minor.patch` of the compiler that built this module, e.g. "6.3.1".
    public static var compilerVersion: String {
        String(decoding: UnsafeBufferPointer(start: marker.utf8Start, count: marker.utf8CodeUnitCount), as: UTF8.self)
            .dropFirst(markerPrefix.utf8.count).description
    }

    /// Swift has no literal for the compiler version, so it is chosen by a `#if compiler(>=…)`
    /// ladder; a compiler newer than the ladder's top reads as the top (extend it then).
    #if compiler(>=6.9.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.9.3"
    #elseif compiler(>=6.9.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.9.2"
    #elseif compiler(>=6.9.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.9.1"
    #elseif compiler(>=6.9)
    public static let marker: StaticString = "tsh.swift-compiler=6.9.0"
    #elseif compiler(>=6.8.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.8.3"
    #elseif compiler(>=6.8.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.8.2"
    #elseif compiler(>=6.8.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.8.1"
    #elseif compiler(>=6.8)
    public static let marker: StaticString = "tsh.swift-compiler=6.8.0"
    #elseif compiler(>=6.7.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.7.3"
    #elseif compiler(>=6.7.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.7.2"
    #elseif compiler(>=6.7.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.7.1"
    #elseif compiler(>=6.7)
    public static let marker: StaticString = "tsh.swift-compiler=6.7.0"
    #elseif compiler(>=6.6.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.6.3"
    #elseif compiler(>=6.6.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.6.2"
    #elseif compiler(>=6.6.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.6.1"
    #elseif compiler(>=6.6)
    public static let marker: StaticString = "tsh.swift-compiler=6.6.0"
    #elseif compiler(>=6.5.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.5.3"
    #elseif compiler(>=6.5.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.5.2"
    #elseif compiler(>=6.5.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.5.1"
    #elseif compiler(>=6.5)
    public static let marker: StaticString = "tsh.swift-compiler=6.5.0"
    #elseif compiler(>=6.4.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.4.3"
    #elseif compiler(>=6.4.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.4.2"
    #elseif compiler(>=6.4.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.4.1"
    #elseif compiler(>=6.4)
    public static let marker: StaticString = "tsh.swift-compiler=6.4.0"
    #elseif compiler(>=6.3.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.3.3"
    #elseif compiler(>=6.3.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.3.2"
    #elseif compiler(>=6.3.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.3.1"
    #elseif compiler(>=6.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.3.0"
    #elseif compiler(>=6.2.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.2.3"
    #elseif compiler(>=6.2.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.2.2"
    #elseif compiler(>=6.2.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.2.1"
    #elseif compiler(>=6.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.2.0"
    #elseif compiler(>=6.1.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.1.3"
    #elseif compiler(>=6.1.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.1.2"
    #elseif compiler(>=6.1.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.1.1"
    #elseif compiler(>=6.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.1.0"
    #elseif compiler(>=6.0.3)
    public static let marker: StaticString = "tsh.swift-compiler=6.0.3"
    #elseif compiler(>=6.0.2)
    public static let marker: StaticString = "tsh.swift-compiler=6.0.2"
    #elseif compiler(>=6.0.1)
    public static let marker: StaticString = "tsh.swift-compiler=6.0.1"
    #elseif compiler(>=6.0)
    public static let marker: StaticString = "tsh.swift-compiler=6.0.0"
    #elseif compiler(>=5.10.3)
    public static let marker: StaticString = "tsh.swift-compiler=5.10.3"
    #elseif compiler(>=5.10.2)
    public static let marker: StaticString = "tsh.swift-compiler=5.10.2"
    #elseif compiler(>=5.10.1)
    public static let marker: StaticString = "tsh.swift-compiler=5.10.1"
    #elseif compiler(>=5.10)
    public static let marker: StaticString = "tsh.swift-compiler=5.10.0"
    #elseif compiler(>=5.9.3)
    public static let marker: StaticString = "tsh.swift-compiler=5.9.3"
    #elseif compiler(>=5.9.2)
    public static let marker: StaticString = "tsh.swift-compiler=5.9.2"
    #elseif compiler(>=5.9.1)
    public static let marker: StaticString = "tsh.swift-compiler=5.9.1"
    #elseif compiler(>=5.9)
    public static let marker: StaticString = "tsh.swift-compiler=5.9.0"
    #else
    public static let marker: StaticString = "tsh.swift-compiler=older-than-5.9"
    #endif
}
