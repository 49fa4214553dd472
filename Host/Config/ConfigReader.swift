import Foundation
import HostCore
import Yams

/// Reads typed values out of a composed YAML tree and records every problem instead of
/// stopping at the first, so a user sees all of them in one run.
struct ConfigReader {
    let file: String
    /// Whether instances may only trade symbols the `feed:` section produces (false when the
    /// caller supplies the data, as backtests do).
    let checkFeedSymbols: Bool
    private(set) var problems: [ConfigProblem] = []

    init(file: String, checkFeedSymbols: Bool = true) {
        self.file = file
        self.checkFeedSymbols = checkFeedSymbols
    }

    /// Problems in document order (the walk reports a mapping's unknown keys before its values).
    var sortedProblems: [ConfigProblem] {
        problems.enumerated().sorted { a, b in
            (a.element.line ?? .max, a.element.column ?? .max, a.offset) < (b.element.line ?? .max, b.element.column ?? .max, b.offset)
        }.map(\.element)
    }

    mutating func report(_ node: Node?, _ path: String, _ message: String) {
        problems.append(ConfigProblem(file: file, line: node?.mark?.line, column: node?.mark?.column, keyPath: path, message: message))
    }

    mutating func expected(_ what: String, _ node: Node, _ path: String) {
        report(node, path, "expected \(what), found \(Self.describe(node))")
    }

    // MARK: - Mappings

    /// Reads a mapping; `allowed` nil accepts any key (symbol maps, params: their callers check names).
    /// Unknown and secret-like keys are reported and left out of the result.
    mutating func table(_ node: Node, _ path: String, allowed: [String]?) -> Table? {
        guard case .mapping(let mapping) = node else {
            expected("a mapping", node, path)
            return nil
        }
        var entries: [Table.Entry] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let scalar) = keyNode, !Self.isNull(keyNode) else {
                expected("a plain key", keyNode, path)
                continue
            }
            let key = scalar.string
            let keyPath = Table.join(path, key)
            if let allowed, !allowed.contains(key) {
                if Secrets.looksSecret(key) {
                    report(keyNode, keyPath, Secrets.message(for: key, inParams: false))
                } else {
                    report(keyNode, keyPath, Self.unknownKeyMessage(key, allowed: allowed))
                }
                continue
            }
            entries.append(Table.Entry(key: key, keyNode: keyNode, value: value))
        }
        return Table(node: node, path: path, entries: entries)
    }

    /// The value of a required key, or a "missing" problem at the mapping.
    mutating func required(_ table: Table, _ key: String) -> Node? {
        if let value = table[key], !Self.isNull(value) { return value }
        if let value = table[key] {
            report(value, table.path(key), "a value is required here, found null")
        } else {
            report(table.node, table.path, "missing required key '\(key)'")
        }
        return nil
    }

    static func unknownKeyMessage(_ key: String, allowed: [String]) -> String {
        if let suggestion = Suggestion.closest(to: key, among: allowed) {
            return "unknown key '\(key)'; did you mean '\(suggestion)'?"
        }
        return "unknown key '\(key)'; allowed keys: \(allowed.joined(separator: ", "))"
    }

    // MARK: - Scalars

    /// Any non-null scalar's text: a number where a name is expected is taken as written.
    mutating func string(_ node: Node, _ path: String, expected what: String = "a string") -> String? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            expected(what, node, path)
            return nil
        }
        return scalar.string
    }

    mutating func nonEmptyString(_ node: Node, _ path: String) -> String? {
        guard let text = string(node, path, expected: "a non-empty string") else { return nil }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            expected("a non-empty string", node, path)
            return nil
        }
        return text
    }

    /// A plain integer in `range`.
    mutating func integer(_ node: Node, _ path: String, in range: ClosedRange<Int>) -> Int? {
        let what = range.upperBound == .max ? "an integer >= \(range.lowerBound)" : "an integer in \(range.lowerBound)...\(range.upperBound)"
        guard case .scalar(let scalar) = node, Self.tag(of: node) == .int else {
            expected(what, node, path)
            return nil
        }
        guard let value = Int.construct(from: scalar) else {
            report(node, path, "expected \(what), found integer \(scalar.string) (too large)")
            return nil
        }
        guard range.contains(value) else {
            report(node, path, "expected \(what), found \(value)")
            return nil
        }
        return value
    }

    /// A plain finite number (int or float) accepted by `isValid`, described by `what`.
    mutating func number(_ node: Node, _ path: String, expected what: String, isValid: (Double) -> Bool) -> Double? {
        guard let value = Self.double(node) else {
            expected(what, node, path)
            return nil
        }
        guard value.isFinite, isValid(value) else {
            report(node, path, "expected \(what), found \(Self.scalarText(node))")
            return nil
        }
        return value
    }

    /// An exact decimal from the scalar's text (plain or quoted), never through `Double`.
    mutating func decimal(_ node: Node, _ path: String, allowZero: Bool) -> Decimal? {
        let what = allowZero ? "a decimal >= 0" : "a decimal > 0"
        let tag = Self.tag(of: node)
        guard case .scalar(let scalar) = node, tag == .int || tag == .float || tag == .str,
              let value = Self.exactDecimal(scalar.string, plain: tag != .str)
        else {
            if case .scalar(let scalar) = node, Self.looksNumeric(scalar.string) {
                report(node, path, "\(scalar.string) is out of range: a decimal here has at most 38 significant digits and a magnitude below 1e38")
            } else {
                expected(what, node, path)
            }
            return nil
        }
        guard allowZero ? value >= 0 : value > 0 else {
            report(node, path, "expected \(what), found \(scalar.string)")
            return nil
        }
        return value
    }

    /// One of `allowed`, with a suggestion when the text is close to one.
    mutating func choice(_ node: Node, _ path: String, _ allowed: [String]) -> String? {
        let what = "one of \(allowed.joined(separator: ", "))"
        guard let text = string(node, path, expected: what) else { return nil }
        guard allowed.contains(text) else {
            var message = "expected \(what), found '\(text)'"
            if let suggestion = Suggestion.closest(to: text, among: allowed) { message += "; did you mean '\(suggestion)'?" }
            report(node, path, message)
            return nil
        }
        return text
    }

    /// A list of unique symbol names; `allowEmpty` false requires at least one.
    mutating func symbols(_ node: Node, _ path: String) -> [String]? {
        let what = "a non-empty list of symbols"
        guard case .sequence(let sequence) = node else {
            expected(what, node, path)
            return nil
        }
        guard !sequence.isEmpty else {
            report(node, path, "expected \(what), found an empty list")
            return nil
        }
        var symbols: [String] = []
        var valid = true
        for (i, item) in sequence.enumerated() {
            let itemPath = "\(path)[\(i)]"
            guard let symbol = string(item, itemPath, expected: "a symbol name") else {
                valid = false
                continue
            }
            if symbol.isEmpty || symbol.contains(where: \.isWhitespace) {
                report(item, itemPath, "expected a symbol name without spaces, found '\(symbol)'")
                valid = false
            } else if symbols.contains(symbol) {
                report(item, itemPath, "duplicate symbol '\(symbol)'")
                valid = false
            } else {
                symbols.append(symbol)
            }
        }
        return valid ? symbols : nil
    }

    /// A parameter value as YAML types it; collections and null are reported.
    mutating func scalar(_ node: Node, _ path: String) -> ConfigScalar? {
        guard case .scalar(let scalar) = node, !Self.isNull(node) else {
            expected("a single value (number, bool or string)", node, path)
            return nil
        }
        let value: ParameterValue
        switch Self.tag(of: node) {
        case .int:
            guard let int = Int64.construct(from: scalar) else {
                report(node, path, "expected an integer that fits in 64 bits, found \(scalar.string)")
                return nil
            }
            value = .int(int)
        case .float:
            value = .double(Double.construct(from: scalar) ?? .nan)
        case .bool:
            value = .bool(Bool.construct(from: scalar) ?? false)
        default:
            value = .string(scalar.string)
        }
        return ConfigScalar(text: scalar.string, value: value, line: node.mark?.line, column: node.mark?.column)
    }

    // MARK: - Node inspection

    static func tag(of node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    static func isNull(_ node: Node) -> Bool {
        if case .scalar = node { return tag(of: node) == .null }
        return false
    }

    /// A plain int or float as a Double; nil for anything else (including quoted numbers).
    static func double(_ node: Node) -> Double? {
        guard case .scalar(let scalar) = node else { return nil }
        switch tag(of: node) {
        case .int: return Int.construct(from: scalar).map(Double.init)
        case .float: return Double.construct(from: scalar)
        default: return nil
        }
    }

    static func scalarText(_ node: Node) -> String {
        if case .scalar(let scalar) = node { return scalar.string }
        return describe(node)
    }

    /// "string 'ten'", "integer 5", "a list" — the "found" half of a problem.
    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch tag(of: node) {
            case .null: return "null"
            case .int: return "integer \(scalar.string)"
            case .float: return "number \(scalar.string)"
            case .bool: return "bool \(scalar.string)"
            default: return "string '\(scalar.string)'"
            }
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Strict decimal text: digits with an optional fraction and exponent. `Decimal(string:)`
    /// alone accepts a valid prefix ("12abc"), so the shape is checked first.
    /// Whether `text` is written as a number (whatever its size).
    static func looksNumeric(_ text: String) -> Bool {
        text.replacingOccurrences(of: "_", with: "").trimmingCharacters(in: .whitespaces)
            .wholeMatch(of: #/[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/#) != nil
    }

    static func exactDecimal(_ text: String, plain: Bool) -> Decimal? {
        // YAML allows `_` as a digit separator in plain numbers only.
        let cleaned = plain ? text.replacingOccurrences(of: "_", with: "") : text.trimmingCharacters(in: .whitespaces)
        guard cleaned.wholeMatch(of: #/[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?/#) != nil else { return nil }
        guard let value = Decimal(string: cleaned, locale: Locale(identifier: "en_US_POSIX")), value.isFinite,
              value.magnitude < Decimal(sign: .plus, exponent: 38, significand: 1) else { return nil }
        return value
    }
}

/// The checked entries of one YAML mapping, in document order.
struct Table {
    struct Entry {
        var key: String
        var keyNode: Node
        var value: Node
    }

    let node: Node
    let path: String
    let entries: [Entry]

    /// The value of `key`; nil when absent.
    subscript(key: String) -> Node? { entries.first { $0.key == key }?.value }

    /// The value of an optional `key`; nil when absent or null (null = "use the default").
    func optional(_ key: String) -> Node? {
        guard let value = self[key], !ConfigReader.isNull(value) else { return nil }
        return value
    }

    func path(_ key: String) -> String { Self.join(path, key) }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
