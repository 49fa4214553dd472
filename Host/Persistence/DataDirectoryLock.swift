import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One writer per data directory: the host that runs a session holds an exclusive `flock` on
/// `<data_dir>/host.lock` for its whole life (the kernel releases it when the process ends,
/// even by SIGKILL), with its pid written inside. A second host is refused with the first
/// one's pid; `host kill-switch` signals only a process proven to hold that lock.
public final class DataDirectoryLock: Sendable {
    public static let fileName = "host.lock"

    /// The lock file.
    public let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Takes the data directory's writer lock (creating the directory and the file when
    /// missing) and writes this process's pid into it.
    ///
    /// - Throws: `PersistenceError` with code `locked` naming the pid of the host that holds
    ///   it, or `cannotOpen` when the directory or file is unusable.
    public static func acquire(dataDirectory: String) throws(PersistenceError) -> DataDirectoryLock {
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw PersistenceError(code: .cannotOpen, path: dataDirectory, message: "cannot create the data directory (\(error.localizedDescription))",
                                   fix: "create it, or point --data-dir at a writable directory", cause: error)
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PersistenceError(code: .cannotOpen, path: path, message: "cannot open the data directory's lock file: \(String(cString: strerror(errno)))",
                                   fix: "make the data directory writable by the host's user, or point --data-dir at another directory")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = readPID(fd)
            close(fd)
            guard reason == EWOULDBLOCK else {
                throw PersistenceError(code: .cannotOpen, path: path, message: "cannot lock the data directory: \(String(cString: strerror(reason)))",
                                       fix: "use a local file system for --data-dir")
            }
            throw PersistenceError(
                code: .locked, path: dataDirectory,
                message: "another host (pid \(holder.map(String.init) ?? "unknown")) is running on this data directory; one data directory has exactly one writer",
                fix: "stop that host first (SIGINT), or give this run another --data-dir (host.data_dir)")
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return DataDirectoryLock(path: path, fd: fd)
    }

    /// The pid of the running host that holds the data directory's lock, proven: the lock is
    /// held, and that process has this very lock file open. nil when no host runs there (a
    /// stale pid — from a killed host, since reused by another program — is never returned).
    public static func runningHost(dataDirectory: String) -> Int32? {
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return nil  // nobody holds it
        }
        guard errno == EWOULDBLOCK, let pid = readPID(fd), pid > 0 else { return nil }
        return holdsFile(pid: pid, path: path) ? pid : nil
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether process `pid` has `path` open (its /proc/<pid>/fd links).
    static func holdsFile(pid: Int32, path: String) -> Bool {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let directory = "/proc/\(pid)/fd"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return false }
        for entry in entries {
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(entry)"), link == target { return true }
        }
        return false
    }
}
