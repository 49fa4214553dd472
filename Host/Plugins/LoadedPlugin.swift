import CStrategyHostSDK
import HostCore

/// A plugin library that was opened and whose manifest passed validation.
///
/// `@unchecked Sendable` because it holds raw pointers, which Swift never treats as Sendable:
/// every stored property is immutable after init, and the pointers address the library's own
/// constant manifest data (the ABI requires it to be static and side-effect free to read),
/// which stays valid while the library is mapped. The `dlopen` handle is kept here and never
/// closed: Swift-built plugins register metadata with the Swift runtime that cannot be
/// unregistered, and engine instances may outlive any one owner of this object, so unloading
/// is never safe. Reopening the same file later only bumps the loader's reference count.
public final class LoadedPlugin: @unchecked Sendable, CustomStringConvertible {
    public let info: PluginManifestInfo
    /// The plugin's manifest, as its entry returned it.
    public let manifest: UnsafePointer<tsh_manifest>
    /// The `dlopen` handle, kept so the library stays mapped.
    let handle: UnsafeMutableRawPointer
    private let descriptors: [String: UnsafePointer<tsh_kind_descriptor>]

    init(info: PluginManifestInfo, manifest: UnsafePointer<tsh_manifest>, handle: UnsafeMutableRawPointer,
         descriptors: [String: UnsafePointer<tsh_kind_descriptor>]) {
        self.info = info
        self.manifest = manifest
        self.handle = handle
        self.descriptors = descriptors
    }

    public var pluginID: String { info.pluginID }
    public var path: String { info.path }

    /// The C descriptor of a kind, for creating instances through its vtable.
    public func kindDescriptor(_ kindID: String) -> UnsafePointer<tsh_kind_descriptor>? { descriptors[kindID] }

    public func kind(_ kindID: String) -> KindSpec? { info.kind(kindID) }

    public var description: String { "\(info.pluginID) \(info.version) (\(info.path))" }
}
