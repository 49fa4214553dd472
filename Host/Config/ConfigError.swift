/// One thing wrong with a strategy configuration, located in its file.
public struct ConfigProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; nil when the problem concerns the whole file (unreadable, empty).
    public var line: Int?
    public var column: Int?
    /// Where in the document: `instances[1].risk.max_open_orders`; empty for the whole file.
    public var keyPath: String
    /// What was expected and what was found.
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, keyPath: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.keyPath = keyPath
        self.message = message
    }

    /// `strategies/x.yaml:12:7: instances[0].params.threshold_bps: expected …, found …`
    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}

/// Every problem found in a strategy configuration; thrown once, after the whole file was checked.
///
/// The description never contains the value of a secret-like key.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]
    /// What could be read despite the problems (instances with well-formed entries), so a caller
    /// can add the problems it finds itself (plugin parameters) and report all at once.
    public var partial: StrategyConfig?

    public init(problems: [ConfigProblem], partial: StrategyConfig? = nil) {
        self.problems = problems
        self.partial = partial
    }

    /// Problems in file order (line, then column).
    public static func sorted(_ problems: [ConfigProblem]) -> [ConfigProblem] {
        problems.enumerated().sorted { a, b in
            (a.element.file, a.element.line ?? .max, a.element.column ?? .max, a.offset)
                < (b.element.file, b.element.line ?? .max, b.element.column ?? .max, b.offset)
        }.map(\.element)
    }

    /// One line per problem.
    public var description: String {
        problems.map(\.description).joined(separator: "\n")
    }
}
