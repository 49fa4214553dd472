/// Why a plugin could not be found, validated or loaded.
///
/// `description` is a complete CLI-style report: the file, what is wrong, every problem found
/// (the loader collects them all before it throws) and how to fix it. Nothing in it is secret.
/// It carries no `error:` prefix: whoever prints it adds one (the CLI writes `error: \(error)`).
public struct PluginLoadError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; stable, suitable for metric labels and tests.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notFound, notAFile, notSharedObject, truncated, wrongArchitecture, notAPlugin, loadFailed,
                 entryReturnedNull, abiMismatch, fingerprintMismatch, invalidManifest, duplicatePluginID,
                 swiftRuntimeMismatch
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// No file matched the name in any searched place.
        public static let notFound = Code(.notFound)
        /// The path exists but is not a readable regular file.
        public static let notAFile = Code(.notAFile)
        /// The file is not an ELF shared library (text, archive, executable, other format).
        public static let notSharedObject = Code(.notSharedObject)
        /// The ELF file is cut short or its tables point outside it.
        public static let truncated = Code(.truncated)
        /// The library was built for another CPU, word size or byte order.
        public static let wrongArchitecture = Code(.wrongArchitecture)
        /// A shared library that does not define `tsh_plugin_entry`.
        public static let notAPlugin = Code(.notAPlugin)
        /// `dlopen` or `dlsym` failed.
        public static let loadFailed = Code(.loadFailed)
        /// `tsh_plugin_entry` returned NULL.
        public static let entryReturnedNull = Code(.entryReturnedNull)
        /// The plugin was built against an incompatible SDK version.
        public static let abiMismatch = Code(.abiMismatch)
        /// The build fingerprint differs from the host's.
        public static let fingerprintMismatch = Code(.fingerprintMismatch)
        /// The manifest breaks one or more rules of the ABI.
        public static let invalidManifest = Code(.invalidManifest)
        /// A Swift plugin built by a different Swift compiler than the host (refused before loading).
        public static let swiftRuntimeMismatch = Code(.swiftRuntimeMismatch)
        /// Two different files declare the same plugin id.
        public static let duplicatePluginID = Code(.duplicatePluginID)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The file concerned (for `notFound`, the name that was asked for).
    public var path: String
    /// One sentence saying what is wrong.
    public var message: String
    /// Every individual problem, when there are several (manifest validation).
    public var problems: [String]
    /// Every place looked in, for `notFound`.
    public var searched: [String]
    /// How to fix it.
    public var fix: String
    /// Where the error was raised, for debugging the host itself.
    public var fileID: String
    public var line: Int

    public init(_ code: Code, path: String, message: String, problems: [String] = [], searched: [String] = [],
                fix: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.path = path
        self.message = message
        self.problems = problems
        self.searched = searched
        self.fix = fix
        self.fileID = fileID
        self.line = line
    }

    /// The code name without context, for metric labels.
    public var shortDescription: String { code.description }

    public var description: String {
        let subject = code == .notFound ? "plugin '\(path)' not found" : "cannot load plugin '\(path)'"
        var lines = ["\(subject): \(message)"]
        if !problems.isEmpty {
            lines.append(problems.count == 1 ? "problem:" : "\(problems.count) problems:")
            lines += problems.map { "  - \($0)" }
        }
        if !searched.isEmpty {
            lines.append("searched:")
            lines += searched.map { "  \($0)" }
        }
        lines.append("fix: \(fix)")
        return lines.joined(separator: "\n")
    }
}
