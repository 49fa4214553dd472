import Foundation
import HostCore

/// Everything a plugin's manifest declares, validated, plus facts about its file.
public struct PluginManifestInfo: Sendable, Hashable, Encodable {
    /// Reverse-DNS id, unique among loaded plugins ("dev.example.price_move").
    public var pluginID: String
    public var name: String
    /// The plugin's own semantic version.
    public var version: String
    public var description: String
    /// The SDK ABI the plugin was built against.
    public var abiMajor: UInt32
    public var abiMinor: UInt32
    public var abiRevision: UInt32
    public var kinds: [KindSpec]
    /// The file it was loaded from, as given to the loader.
    public var path: String
    public var fileSize: Int
    /// FNV-1a 64 of the file's bytes, 16 hex digits: tells two builds apart, not a security hash.
    public var fileFingerprint: String
    /// The Swift compiler a Swift plugin was built with (checked against the host's); nil for C.
    public var swiftCompiler: String? = nil

    public init(pluginID: String, name: String, version: String, description: String, abiMajor: UInt32, abiMinor: UInt32,
                abiRevision: UInt32, kinds: [KindSpec], path: String, fileSize: Int, fileFingerprint: String) {
        self.pluginID = pluginID
        self.name = name
        self.version = version
        self.description = description
        self.abiMajor = abiMajor
        self.abiMinor = abiMinor
        self.abiRevision = abiRevision
        self.kinds = kinds
        self.path = path
        self.fileSize = fileSize
        self.fileFingerprint = fileFingerprint
    }

    /// "1.0.0".
    public var abiVersion: String { "\(abiMajor).\(abiMinor).\(abiRevision)" }

    public func kind(_ id: String) -> KindSpec? { kinds.first { $0.id == id } }

    private enum CodingKeys: String, CodingKey {
        case pluginID, name, version, description, abi, kinds, path, fileSize, fileFingerprint, swiftCompiler
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pluginID, forKey: .pluginID)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(description, forKey: .description)
        try container.encode(abiVersion, forKey: .abi)
        try container.encode(kinds.map(KindView.init), forKey: .kinds)
        try container.encode(path, forKey: .path)
        try container.encode(fileSize, forKey: .fileSize)
        try container.encode(fileFingerprint, forKey: .fileFingerprint)
        try container.encodeIfPresent(swiftCompiler, forKey: .swiftCompiler)
    }

    /// The manifest as `host plugins inspect` prints it: identity, ABI, then every kind with
    /// its roles, events, emitted signals and an aligned parameter table.
    public func textReport() -> String {
        var out: [String] = []
        let header: [(String, String)] = [
            ("Plugin", pluginID),
            ("Name", name),
            ("Version", version),
            ("Description", description.isEmpty ? "-" : description),
            ("ABI", "\(abiVersion) (host speaks \(HostABI.versionString); services \(HostABI.services.joined(separator: ", ")); kind extensions \(HostABI.kindExtensions.joined(separator: ", ")))"),
            ("File", path),
            ("Size", "\(fileSize) bytes"),
            ("Fingerprint", "fnv1a64:\(fileFingerprint)"),
            ("Built with", swiftCompiler.map { "Swift \($0) (the host's: it runs on the host's Swift runtime)" } ?? "C ABI only (no Swift runtime)"),
            ("Kinds", kinds.map(\.id).joined(separator: ", ")),
        ]
        out += Self.aligned(header)
        for kind in kinds {
            out.append("")
            out.append("Kind \(kind.id)")
            let rows: [(String, String)] = [
                ("Description", kind.description.isEmpty ? "-" : kind.description),
                ("Roles", kind.roles.isEmpty ? "-" : kind.roles.joined(separator: ", ")),
                ("Events", kind.events.isEmpty ? "-" : kind.events.map(\.description).joined(separator: ", ")),
                ("Emits", kind.emittedSignals.isEmpty ? "-" : kind.emittedSignals.joined(separator: ", ")),
                ("Consumes", kind.consumedSignals.map { $0.joined(separator: ", ") } ?? (kind.events.contains(.signal) ? "every signal" : "-")),
            ]
            out += Self.aligned(rows).map { "  " + $0 }
            for table in kind.recordTables {
                out.append("  Table \(table.name)\(table.doc.isEmpty ? "" : " — \(table.doc)") (key: \(table.keyColumns.map(\.name).joined(separator: ", ")))")
                let rows = [["COLUMN", "TYPE", "KEY", "NULL", "DOC"]]
                    + table.columns.map { [$0.name, $0.type.description, $0.isKey ? "key" : "-", $0.isNullable ? "null" : "-", $0.doc] }
                out += Self.table(rows).map { "    " + $0 }
            }
            guard !kind.parameters.isEmpty else {
                out.append("  Parameters   none")
                continue
            }
            out.append("  Parameters (\(kind.parameters.count))")
            let table = [["NAME", "TYPE", "DEFAULT", "RANGE / ALLOWED", "UNIT", "PER-SYMBOL", "DOC"]]
                + kind.parameters.map { p in
                    [p.name, p.type.description, Self.quoted(p.defaultValue, p.type), Self.range(p), p.unit ?? "-",
                     p.perSymbol ? "yes" : "no", p.doc]
                }
            out += Self.table(table).map { "    " + $0 }
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func aligned(_ rows: [(String, String)]) -> [String] {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }
    }

    private static func table(_ rows: [[String]]) -> [String] {
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }
    }

    private static func quoted(_ value: ParameterValue, _ type: ParameterType) -> String {
        type == .string || type == .enumeration ? "\"\(value)\"" : value.description
    }

    private static func range(_ p: ParameterSpec) -> String {
        if p.type == .enumeration { return p.allowedValues.joined(separator: " | ") }
        switch (p.minimum, p.maximum) {
        case let (lo?, hi?): return "\(number(lo)) ... \(number(hi))"
        case let (lo?, nil): return ">= \(number(lo))"
        case let (nil, hi?): return "<= \(number(hi))"
        case (nil, nil): return "-"
        }
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

// MARK: - Encodable views (KindSpec and ParameterSpec live in HostCore and are not Codable)

private struct KindView: Encodable {
    var id: String
    var description: String
    var roles: [String]
    var events: [String]
    var eventMask: UInt32
    var emittedSignals: [String]
    /// null: every signal (no `tsh.signal-sink/1`).
    var consumedSignals: [String]?
    var recordTables: [TableView]
    var parameters: [ParameterView]

    init(_ kind: KindSpec) {
        id = kind.id
        description = kind.description
        roles = kind.roles
        events = kind.events.map(\.description)
        eventMask = kind.eventMask
        emittedSignals = kind.emittedSignals
        consumedSignals = kind.consumedSignals
        recordTables = kind.recordTables.map(TableView.init)
        parameters = kind.parameters.map(ParameterView.init)
    }
}

private struct TableView: Encodable {
    struct Column: Encodable {
        var name: String, type: String, key: Bool, nullable: Bool, doc: String
    }
    var name: String
    var doc: String
    var key: [String]
    var columns: [Column]

    init(_ table: RecordTableSpec) {
        name = table.name
        doc = table.doc
        key = table.keyColumns.map(\.name)
        columns = table.columns.map { Column(name: $0.name, type: $0.type.description, key: $0.isKey, nullable: $0.isNullable, doc: $0.doc) }
    }
}

private struct ParameterView: Encodable {
    var name: String
    var type: String
    var doc: String
    var defaultValue: ParameterValueView
    var minimum: Double?
    var maximum: Double?
    var allowedValues: [String]?
    var perSymbol: Bool
    var unit: String?

    init(_ spec: ParameterSpec) {
        name = spec.name
        type = spec.type.description
        doc = spec.doc
        defaultValue = ParameterValueView(value: spec.defaultValue)
        minimum = spec.minimum
        maximum = spec.maximum
        allowedValues = spec.type == .enumeration ? spec.allowedValues : nil
        perSymbol = spec.perSymbol
        unit = spec.unit
    }
}

/// Encodes a parameter value as the JSON scalar of its type.
private struct ParameterValueView: Encodable {
    var value: ParameterValue

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch value {
        case .bool(let v): try container.encode(v)
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        }
    }
}
