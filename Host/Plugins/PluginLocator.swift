import Foundation

/// Finds plugin files by name or path.
///
/// Search order: (a) the name as given (absolute, or relative to the current directory);
/// (b) every directory in `TSH_PLUGIN_PATH` (colon-separated); (c) `./plugins`; (d) the
/// directory of the running executable, so a plain `swift build` finds
/// `.build/debug/lib<name>.so` next to `host`. In each directory the name is tried as given,
/// with the `lib` prefix SwiftPM adds, and with and without `.so` when none was given.
public struct PluginLocator: Sendable {
    /// The environment variable holding extra plugin directories.
    public static let searchPathVariable = "TSH_PLUGIN_PATH"

    public let environment: [String: String]
    public let currentDirectory: String
    public let executableDirectory: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                executableDirectory: String? = PluginLocator.runningExecutableDirectory()) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.executableDirectory = executableDirectory
    }

    /// The directory of `/proc/self/exe`, or nil when it cannot be read.
    public static func runningExecutableDirectory() -> String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        return (exe as NSString).deletingLastPathComponent
    }

    /// The directories searched after the name as given, in order, without duplicates.
    public var searchDirectories: [String] {
        var dirs: [String] = []
        for entry in (environment[Self.searchPathVariable] ?? "").split(separator: ":") where !entry.isEmpty {
            dirs.append(absolute(String(entry)))
        }
        dirs.append(absolute("plugins"))
        if let executableDirectory { dirs.append(absolute(executableDirectory)) }
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }

    /// The path of the plugin file `name` refers to.
    /// - Throws: `PluginLoadError` with code `.notFound`, listing every place looked in; or
    ///   `.notAFile` when no file matches but a candidate is a directory (saying so, and naming
    ///   the plugin files inside it to pass instead).
    public func locate(_ name: String) throws(PluginLoadError) -> String {
        let candidates = candidates(for: name)
        for candidate in candidates where Self.isRegularFile(candidate) {
            return candidate
        }
        if let directory = candidates.first(where: Self.isDirectory) {
            throw Self.directoryError(directory)
        }
        throw PluginLoadError(
            .notFound, path: name,
            message: "no file matches it in \(candidates.count) place\(candidates.count == 1 ? "" : "s")",
            searched: candidates,
            fix: "pass the path to the .so, or add its directory to \(Self.searchPathVariable) (colon-separated)")
    }

    /// Every path `locate(name)` tries, in order.
    public func candidates(for name: String) -> [String] {
        guard !name.isEmpty else { return [] }
        if name.hasPrefix("/") { return [Self.normalize(name)] }
        var paths = [absolute(name)]
        let (folder, file) = Self.split(name)
        for dir in searchDirectories {
            for variant in Self.variants(of: file) {
                paths.append(Self.normalize(folder.isEmpty ? "\(dir)/\(variant)" : "\(dir)/\(folder)/\(variant)"))
            }
        }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    /// Every shared library in the search directories that exports `tsh_plugin_entry`, sorted,
    /// for `host plugins list`. Files are checked without being loaded.
    public func allPlugins() -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        for dir in searchDirectories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
            for name in names.sorted() where name.hasSuffix(".so") {
                let path = "\(dir)/\(name)"
                guard Self.isRegularFile(path) else { continue }
                let real = (path as NSString).resolvingSymlinksInPath
                guard !seen.contains(real), (try? ELFPluginCheck.validate(path: path)) != nil else { continue }
                seen.insert(real)
                found.append(path)
            }
        }
        return found
    }

    static func variants(of file: String) -> [String] {
        let hasSuffix = file.hasSuffix(".so") || file.contains(".so.")
        let bases = file.hasPrefix("lib") ? [file] : [file, "lib" + file]
        var out = [file]
        for base in bases {
            if hasSuffix { out.append(base) } else { out += [base + ".so", base] }
        }
        var seen = Set<String>()
        return out.filter { seen.insert($0).inserted }
    }

    /// A plugin path that is a directory: what to pass instead (its .so files, if it has any).
    static func directoryError(_ directory: String) -> PluginLoadError {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".so") && isRegularFile("\(directory)/\($0)") }.sorted()
        let inside = names.prefix(5).map { "\(directory)/\($0)" }
        let fix = inside.isEmpty
            ? "pass the path of the plugin's .so file (e.g. \(directory)/lib<name>.so), not a directory; to search a directory, add it to \(searchPathVariable) and pass the plugin's name"
            : "pass the path of a plugin file inside it, e.g. \(inside.joined(separator: " or ")); or add the directory to \(searchPathVariable) and pass the plugin's name"
        return PluginLoadError(.notAFile, path: directory, message: "it is a directory, not a plugin file (.so)", fix: fix)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    private func absolute(_ path: String) -> String {
        Self.normalize(path.hasPrefix("/") ? path : "\(currentDirectory)/\(path)")
    }

    private static func split(_ name: String) -> (folder: String, file: String) {
        guard let slash = name.lastIndex(of: "/") else { return ("", name) }
        return (String(name[..<slash]), String(name[name.index(after: slash)...]))
    }

    /// Removes `.` components and duplicate slashes, so listed paths read cleanly; `..` is kept.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }
}
