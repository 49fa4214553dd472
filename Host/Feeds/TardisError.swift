/// A problem with a Tardis CSV data set: where it is (file and line) and how to fix it.
///
/// `description` is one line meant for a terminal: `path:line: message (fix: …)`.
public struct TardisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as a stable value for tests and metric labels.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case missingDirectory = "missing_directory"
            case noMatchingFiles = "no_matching_files"
            case duplicateFile = "duplicate_file"
            case unreadableFile = "unreadable_file"
            case wrongHeader = "wrong_header"
            case malformedRow = "malformed_row"
            case nonMonotonicTimestamp = "non_monotonic_timestamp"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The data directory does not exist or is not a directory.
        public static let missingDirectory = Code(.missingDirectory)
        /// No file in the directory has a Tardis name that passes the filters.
        public static let noMatchingFiles = Code(.noMatchingFiles)
        /// The same file exists both plain and gzipped.
        public static let duplicateFile = Code(.duplicateFile)
        /// A file cannot be opened, read or decompressed.
        public static let unreadableFile = Code(.unreadableFile)
        /// The first line is not the header of the file's data type.
        public static let wrongHeader = Code(.wrongHeader)
        /// A data row has the wrong field count, a bad number, side, flag or symbol.
        public static let malformedRow = Code(.malformedRow)
        /// A row's local_timestamp is earlier than the previous row's.
        public static let nonMonotonicTimestamp = Code(.nonMonotonicTimestamp)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The file (or directory) concerned.
    public var path: String
    /// 1-based line in the (decompressed) file; the header is line 1. Nil when not about a line.
    public var line: Int?
    public var message: String
    /// What the user can do about it.
    public var fix: String

    public init(code: Code, path: String, line: Int? = nil, message: String, fix: String) {
        self.code = code
        self.path = path
        self.line = line
        self.message = message
        self.fix = fix
    }

    /// The code alone, for metric labels.
    public var shortDescription: String { "tardis.\(code)" }

    public var description: String {
        let location = line.map { "\(path):\($0)" } ?? path
        return "\(location): \(message) (fix: \(fix))"
    }
}
