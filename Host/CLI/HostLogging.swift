import Foundation
import Logging
import Synchronization

/// Process-wide logging set-up: one line per record on stderr, `key=value` metadata,
/// or JSON lines with `--log-format json`. Only the executable calls `bootstrap()`.
public enum HostLogging {
    static let level = Mutex(Logger.Level.info)
    static let json = Atomic<Bool>(false)

    public static func bootstrap() {
        LoggingSystem.bootstrap { label in
            var handler = LineLogHandler(label: label)
            handler.logLevel = level.withLock { $0 }
            return handler
        }
    }

    static func configure(level newLevel: Logger.Level, json useJSON: Bool) {
        level.withLock { $0 = newLevel }
        json.store(useJSON, ordering: .relaxed)
    }
}

/// Writes `time level label: message key=value…` (or a JSON object) to stderr.
struct LineLogHandler: LogHandler {
    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level {
        get { HostLogging.level.withLock { $0 } }
        set {}
    }

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        let line: String
        if HostLogging.json.load(ordering: .relaxed) {
            var object: [String: String] = ["time": time, "level": event.level.rawValue, "logger": label, "message": "\(event.message)"]
            for (key, value) in merged { object[key] = "\(value)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quote("\($0.value)"))" }.joined(separator: " ")
            line = "\(time) \(event.level.rawValue.uppercased()) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    private static func quote(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }
}
