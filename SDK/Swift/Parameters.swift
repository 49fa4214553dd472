/// A parameter a kind declares: the host validates configuration against it and
/// `host plugins inspect` prints it.
public struct Parameter: Sendable {
    let name: String
    let type: Int32
    let doc: String
    let defaultText: String
    let minimum: Double?
    let maximum: Double?
    let allowed: [String]
    let unit: String?
    let perSymbol: Bool

    public static func double(_ name: String, default value: Double, range: ClosedRange<Double>? = nil, unit: String? = nil,
                              perSymbol: Bool = true, doc: String) -> Parameter {
        Parameter(name: name, type: TSH_PARAM_DOUBLE, doc: doc, defaultText: "\(value)", minimum: range?.lowerBound,
                  maximum: range?.upperBound, allowed: [], unit: unit, perSymbol: perSymbol)
    }

    public static func int(_ name: String, default value: Int64, range: ClosedRange<Int64>? = nil, unit: String? = nil,
                           perSymbol: Bool = true, doc: String) -> Parameter {
        Parameter(name: name, type: TSH_PARAM_INT, doc: doc, defaultText: "\(value)", minimum: range.map { Double($0.lowerBound) },
                  maximum: range.map { Double($0.upperBound) }, allowed: [], unit: unit, perSymbol: perSymbol)
    }

    public static func bool(_ name: String, default value: Bool, perSymbol: Bool = true, doc: String) -> Parameter {
        Parameter(name: name, type: TSH_PARAM_BOOL, doc: doc, defaultText: value ? "true" : "false", minimum: nil, maximum: nil,
                  allowed: [], unit: nil, perSymbol: perSymbol)
    }

    public static func string(_ name: String, default value: String, perSymbol: Bool = true, doc: String) -> Parameter {
        Parameter(name: name, type: TSH_PARAM_STRING, doc: doc, defaultText: value, minimum: nil, maximum: nil, allowed: [],
                  unit: nil, perSymbol: perSymbol)
    }

    public static func choice(_ name: String, default value: String, allowed: [String], perSymbol: Bool = true, doc: String) -> Parameter {
        Parameter(name: name, type: TSH_PARAM_ENUM, doc: doc, defaultText: value, minimum: nil, maximum: nil, allowed: allowed,
                  unit: nil, perSymbol: perSymbol)
    }
}

/// What one kind of plugin is: its id, what it listens to, its parameters.
public struct PluginKind: Sendable {
    public var id: String
    public var description: String
    public var roles: [Role]
    public var events: EventMask
    public var parameters: [Parameter]
    /// Signal names this kind may emit (published as `tsh.signal-source/1`).
    public var emits: [String]
    /// SDK 1.1: the signal names this kind consumes (a trailing `*` matches a prefix, e.g.
    /// `trigger.*`); empty = every signal on its symbols, as in 1.0.
    public var consumes: [String]
    /// SDK 1.1: tables whose rows the kind emits (`PluginContext.upsert`) and the host persists
    /// (published as `tsh.records/1`).
    public var tables: [RecordTable]

    public init(id: String, description: String, roles: [Role], events: EventMask, parameters: [Parameter] = [], emits: [String] = [],
                consumes: [String] = [], tables: [RecordTable] = []) {
        self.consumes = consumes
        self.tables = tables
        self.id = id
        self.description = description
        self.roles = roles
        self.events = events
        self.parameters = parameters
        self.emits = emits
    }
}

/// A table a kind declares (SDK 1.1): the host creates it and upserts the rows the kind emits,
/// replacing a row whose key columns are equal.
public struct RecordTable: Sendable {
    public struct Column: Sendable {
        public enum Kind: Int32, Sendable { case int = 1, double, text, time }
        public var name: String
        public var kind: Kind
        public var isKey: Bool
        public var isNullable: Bool
        public var doc: String

        public static func key(_ name: String, _ kind: Kind, doc: String = "") -> Column {
            Column(name: name, kind: kind, isKey: true, isNullable: false, doc: doc)
        }
        public static func value(_ name: String, _ kind: Kind, nullable: Bool = false, doc: String = "") -> Column {
            Column(name: name, kind: kind, isKey: false, isNullable: nullable, doc: doc)
        }
    }
    public var name: String
    public var doc: String
    public var columns: [Column]
    public init(_ name: String, doc: String = "", columns: [Column]) {
        self.name = name
        self.doc = doc
        self.columns = columns
    }
}

/// A value of a record row (`tsh_value`).
public enum RecordValue: Sendable, Equatable {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
    /// ns since the Unix epoch.
    case time(Int64)

    /// `.double`, or `.null` for nil (NaN and infinities are not values: they become null too).
    public static func number(_ value: Double?) -> RecordValue {
        guard let value, value.isFinite else { return .null }
        return .double(value)
    }
}
