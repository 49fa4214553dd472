import GRDB

/// A failure to open, migrate, read or write the host's SQLite database.
///
/// `description` names the file, what went wrong and how to fix it; it never contains
/// row contents (order payloads appear only in `debugDescription` through `cause`).
public struct PersistenceError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case cannotOpen, notADatabase, newerSchema, readOnly, writeFailed, readFailed, closed, locked, foreignDatabase, olderSchema }
        private let base: Base
        /// The file or its directory could not be created or opened.
        public static let cannotOpen = Code(base: .cannotOpen)
        /// The file exists but is not an SQLite database, or is corrupt.
        public static let notADatabase = Code(base: .notADatabase)
        /// The database was migrated by a newer host (it has migrations this build does not know).
        public static let newerSchema = Code(base: .newerSchema)
        /// The file or its directory cannot be written.
        public static let readOnly = Code(base: .readOnly)
        /// A write failed (disk full, I/O error, constraint); the rows stay queued for retry.
        public static let writeFailed = Code(base: .writeFailed)
        /// A query failed.
        public static let readFailed = Code(base: .readFailed)
        /// The journal was closed; nothing more is written.
        public static let closed = Code(base: .closed)
        /// Another host holds the data directory's writer lock.
        public static let locked = Code(base: .locked)
        /// The file is an SQLite database of another program: it is left untouched.
        public static let foreignDatabase = Code(base: .foreignDatabase)
        /// A reader (report, replay) met a database of an older schema, which only a writer migrates.
        public static let olderSchema = Code(base: .olderSchema)
        public var description: String { base.rawValue }
    }

    public var code: Code
    /// The database file.
    public var path: String
    /// What went wrong, for people.
    public var message: String
    /// What to do about it.
    public var fix: String
    /// The underlying error (usually a GRDB `DatabaseError`), if any.
    public var cause: (any Error)?
    public var file: String
    public var line: Int

    public init(code: Code, path: String, message: String, fix: String, cause: (any Error)? = nil,
                file: String = #fileID, line: Int = #line) {
        self.code = code
        self.path = path
        self.message = message
        self.fix = fix
        self.cause = cause
        self.file = file
        self.line = line
    }

    public var description: String {
        fix.isEmpty ? "\(path): \(message)" : "\(path): \(message) — \(fix)"
    }

    /// The code alone, for metric labels.
    public var shortDescription: String { code.description }

    public var debugDescription: String {
        var text = "PersistenceError(\(code), \(description)"
        if let cause { text += ", cause: \(String(reflecting: cause))" }
        return text + ", at: \(file):\(line))"
    }
}

extension PersistenceError {
    /// Classifies an SQLite/GRDB error into a code with a message and a fix for people.
    static func mapping(_ error: any Error, path: String, as fallback: Code,
                        file: String = #fileID, line: Int = #line) -> PersistenceError {
        if let error = error as? PersistenceError { return error }
        guard let db = error as? DatabaseError else {
            return PersistenceError(code: fallback, path: path, message: "\(error)", fix: "", cause: error, file: file, line: line)
        }
        let detail = db.message ?? "\(db.resultCode)"
        switch db.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return PersistenceError(
                code: .notADatabase, path: path, message: "is not an SQLite database, or is corrupt (\(detail))",
                fix: "move the file aside (the host then creates a fresh database), restore it from a backup, or point --data-dir at another directory",
                cause: error, file: file, line: line)
        case .SQLITE_READONLY, .SQLITE_PERM:
            return PersistenceError(
                code: .readOnly, path: path, message: "cannot be written (\(detail))",
                fix: "make the file, its -wal/-shm files and its directory writable by the host's user, or point --data-dir at a writable directory",
                cause: error, file: file, line: line)
        case .SQLITE_FULL:
            return PersistenceError(
                code: .writeFailed, path: path, message: "the disk is full (\(detail))",
                fix: "free disk space; queued rows are kept and retried, and trading stays halted until they are written",
                cause: error, file: file, line: line)
        case .SQLITE_IOERR:
            return PersistenceError(
                code: .writeFailed, path: path, message: "I/O error (\(detail))",
                fix: "check the disk and file system; queued rows are kept and retried", cause: error, file: file, line: line)
        case .SQLITE_CANTOPEN:
            return PersistenceError(
                code: .cannotOpen, path: path, message: "cannot be opened (\(detail))",
                fix: "check that the path is a file in an existing, writable directory, or point --data-dir elsewhere",
                cause: error, file: file, line: line)
        default:
            return PersistenceError(code: fallback, path: path, message: detail, fix: "", cause: error, file: file, line: line)
        }
    }
}
