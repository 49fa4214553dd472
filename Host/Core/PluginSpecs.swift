/// Type of a declared plugin parameter; raw values match `tsh_param_type`.
public enum ParameterType: Int32, Sendable, Hashable, CustomStringConvertible {
    case bool = 1
    case int = 2
    case double = 3
    case string = 4
    /// A string from a fixed list of allowed values.
    case enumeration = 5

    public var description: String {
        switch self {
        case .bool: "bool"
        case .int: "int"
        case .double: "double"
        case .string: "string"
        case .enumeration: "enum"
        }
    }
}

/// A typed parameter value.
public enum ParameterValue: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)

    public var description: String {
        switch self {
        case .bool(let v): String(v)
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .string(let v): v
        }
    }

    /// The value as JSON-compatible `Any` for `--json` output.
    public var jsonValue: any Sendable {
        switch self {
        case .bool(let v): v
        case .int(let v): v
        case .double(let v): v
        case .string(let v): v
        }
    }
}

/// A parameter as a plugin kind declares it (decoded from `tsh_param_descriptor`).
public struct ParameterSpec: Sendable, Hashable {
    public var name: String
    public var type: ParameterType
    public var doc: String
    /// The declared default, parsed into `type`.
    public var defaultValue: ParameterValue
    /// Inclusive bounds for numbers.
    public var minimum: Double?
    public var maximum: Double?
    /// For `.enumeration`.
    public var allowedValues: [String]
    /// Whether a per-symbol override is allowed.
    public var perSymbol: Bool
    public var unit: String?

    public init(name: String, type: ParameterType, doc: String, defaultValue: ParameterValue, minimum: Double? = nil,
                maximum: Double? = nil, allowedValues: [String] = [], perSymbol: Bool = true, unit: String? = nil) {
        self.name = name
        self.type = type
        self.doc = doc
        self.defaultValue = defaultValue
        self.minimum = minimum
        self.maximum = maximum
        self.allowedValues = allowedValues
        self.perSymbol = perSymbol
        self.unit = unit
    }

    /// Parses text in this parameter's type ("true", "42", "0.25", "btc"); nil when it is not one.
    public func parse(_ text: String) -> ParameterValue? {
        switch type {
        case .bool:
            switch text.lowercased() {
            case "true", "yes", "on", "1": return .bool(true)
            case "false", "no", "off", "0": return .bool(false)
            default: return nil
            }
        case .int: return Int64(text).map(ParameterValue.int)
        case .double:
            guard let value = Double(text), value.isFinite else { return nil }
            return .double(value)
        case .string, .enumeration: return .string(text)
        }
    }

    /// A sentence saying what is wrong with `value` for this parameter, or nil when it is valid.
    public func problem(with value: ParameterValue) -> String? {
        switch (type, value) {
        case (.bool, .bool): return nil
        case (.int, .int(let v)): return rangeProblem(Double(v))
        case (.double, .double(let v)): return v.isFinite ? rangeProblem(v) : "expected a finite number, found \(v)"
        case (.double, .int(let v)): return rangeProblem(Double(v))
        case (.string, .string): return nil
        case (.enumeration, .string(let v)):
            return allowedValues.contains(v) ? nil : "expected one of \(allowedValues.joined(separator: ", ")), found '\(v)'"
        default:
            return "expected \(expectedForm), found \(value.kindName) '\(value)'"
        }
    }

    /// What a valid value looks like, for error messages ("a number in 0...100").
    public var expectedForm: String {
        switch type {
        case .bool: return "true or false"
        case .int, .double:
            let noun = type == .int ? "an integer" : "a number"
            switch (minimum, maximum) {
            case let (lo?, hi?): return "\(noun) in \(Self.format(lo))...\(Self.format(hi))"
            case let (lo?, nil): return "\(noun) >= \(Self.format(lo))"
            case let (nil, hi?): return "\(noun) <= \(Self.format(hi))"
            case (nil, nil): return noun
            }
        case .string: return "a string"
        case .enumeration: return "one of \(allowedValues.joined(separator: ", "))"
        }
    }

    private func rangeProblem(_ v: Double) -> String? {
        if let minimum, v < minimum { return "expected \(expectedForm), found \(Self.format(v))" }
        if let maximum, v > maximum { return "expected \(expectedForm), found \(Self.format(v))" }
        return nil
    }

    static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

extension ParameterValue {
    /// "bool", "integer", "number" or "string", for error messages.
    public var kindName: String {
        switch self {
        case .bool: "bool"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        }
    }
}

/// Event types a kind subscribes to; bit (1 << raw) as in `TSH_EVENT_MASK`.
public enum PluginEventType: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case quote = 1, trade, book, bar, timer, signal, oracle, order
    public var maskBit: UInt32 { 1 << UInt32(rawValue) }
    public var description: String {
        switch self {
        case .quote: "quote"
        case .trade: "trade"
        case .book: "book"
        case .bar: "bar"
        case .timer: "timer"
        case .signal: "signal"
        case .oracle: "oracle"
        case .order: "order"
        }
    }
}

/// One kind of plugin a `.so` offers, as its manifest declares it.
public struct KindSpec: Sendable, Hashable {
    public var id: String
    public var description: String
    public var roles: [String]
    public var eventMask: UInt32
    public var parameters: [ParameterSpec]
    /// Signal names the kind declares it may emit (`tsh.signal-source/1`).
    public var emittedSignals: [String]
    /// Signal names (a trailing `*` matches a prefix) the kind consumes (`tsh.signal-sink/1`,
    /// ABI 1.1); nil = every signal on its symbols.
    public var consumedSignals: [String]?
    /// Tables the kind writes rows to (`tsh.records/1`, ABI 1.1).
    public var recordTables: [RecordTableSpec]

    public init(id: String, description: String, roles: [String], eventMask: UInt32, parameters: [ParameterSpec], emittedSignals: [String] = [],
                consumedSignals: [String]? = nil, recordTables: [RecordTableSpec] = []) {
        self.consumedSignals = consumedSignals
        self.recordTables = recordTables
        self.id = id
        self.description = description
        self.roles = roles
        self.eventMask = eventMask
        self.parameters = parameters
        self.emittedSignals = emittedSignals
    }

    public func parameter(named name: String) -> ParameterSpec? { parameters.first { $0.name == name } }

    /// Whether a signal of this name reaches the kind.
    public func consumes(_ signal: String) -> Bool {
        guard let patterns = consumedSignals else { return true }
        return patterns.contains { pattern in
            pattern.hasSuffix("*") ? signal.hasPrefix(pattern.dropLast()) : signal == pattern
        }
    }

    public var events: [PluginEventType] { PluginEventType.allCases.filter { eventMask & $0.maskBit != 0 } }
}

/// Parameters of one plugin instance after validation: defaults, the instance's values
/// and per-symbol overrides, laid out for O(1) lookup on the engine thread.
public struct ResolvedParameters: Sendable, Hashable {
    public let specs: [ParameterSpec]
    /// Instance-level values, one per spec (default when not configured).
    public private(set) var values: [ParameterValue]
    /// Per symbol (by position in the instance's symbol list): spec index → value.
    public private(set) var overrides: [[Int: ParameterValue]]
    private let indexByName: [String: Int]

    public init(specs: [ParameterSpec], symbolCount: Int) {
        self.specs = specs
        self.values = specs.map(\.defaultValue)
        self.overrides = Array(repeating: [:], count: symbolCount)
        var index: [String: Int] = [:]
        for (i, spec) in specs.enumerated() { index[spec.name] = i }
        self.indexByName = index
    }

    public func index(of name: String) -> Int? { indexByName[name] }

    public mutating func set(_ name: String, _ value: ParameterValue, symbolPosition: Int? = nil) {
        guard let i = indexByName[name] else { return }
        let stored = Self.coerce(value, to: specs[i].type)
        if let symbolPosition { overrides[symbolPosition][i] = stored } else { values[i] = stored }
    }

    /// The value for a symbol position (nil = instance level).
    public func value(_ name: String, symbolPosition: Int? = nil) -> ParameterValue? {
        guard let i = indexByName[name] else { return nil }
        if let symbolPosition, symbolPosition < overrides.count, let v = overrides[symbolPosition][i] { return v }
        return values[i]
    }

    private static func coerce(_ value: ParameterValue, to type: ParameterType) -> ParameterValue {
        if type == .double, case .int(let v) = value { return .double(Double(v)) }
        return value
    }
}

/// The type of a record column (`TSH_COLUMN_*`).
public enum RecordColumnType: Int32, Sendable, Hashable, CustomStringConvertible {
    case int = 1, double, text, time
    public var description: String {
        switch self {
        case .int: "int"
        case .double: "double"
        case .text: "text"
        case .time: "time"
        }
    }
}

/// One column of a record table a kind declares.
public struct RecordColumnSpec: Sendable, Hashable {
    public var name: String
    public var type: RecordColumnType
    public var isKey: Bool
    public var isNullable: Bool
    public var doc: String

    public init(name: String, type: RecordColumnType, isKey: Bool = false, isNullable: Bool = false, doc: String = "") {
        self.name = name
        self.type = type
        self.isKey = isKey
        self.isNullable = isNullable
        self.doc = doc
    }
}

/// A table whose rows a kind emits and the host persists, upserting by the key columns.
public struct RecordTableSpec: Sendable, Hashable {
    public var name: String
    public var doc: String
    public var columns: [RecordColumnSpec]

    public init(name: String, doc: String = "", columns: [RecordColumnSpec]) {
        self.name = name
        self.doc = doc
        self.columns = columns
    }

    public var keyColumns: [RecordColumnSpec] { columns.filter(\.isKey) }

    /// The same table: names, types, keys and nullability of the columns in order (docs aside).
    public func hasSameShape(as other: RecordTableSpec) -> Bool {
        name == other.name && columns.count == other.columns.count
            && zip(columns, other.columns).allSatisfy { $0.name == $1.name && $0.type == $1.type && $0.isKey == $1.isKey && $0.isNullable == $1.isNullable }
    }

    /// "symbol text key, price double, …" for messages.
    public var shapeDescription: String {
        columns.map { "\($0.name) \($0.type)\($0.isKey ? " key" : "")\($0.isNullable ? " null" : "")" }.joined(separator: ", ")
    }
}

/// A value of a record row.
public enum RecordValue: Sendable, Hashable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
}

/// One row upserted into a record table, values in column order.
public struct RecordRow: Sendable, Hashable {
    public var table: String
    public var values: [RecordValue]
    public init(table: String, values: [RecordValue]) {
        self.table = table
        self.values = values
    }
}
