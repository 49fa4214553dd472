import CStrategyHostSDK
import HostCore

/// A pointer-sized field read from plugin memory.
enum PluginAddress {
    /// The field lies beyond the struct size the plugin declared.
    case missing
    case null
    case at(UnsafeRawPointer)
}

/// Reads fields of a C struct the plugin owns, never beyond the size the plugin declared.
/// Pointer fields are read as raw addresses: a NULL in a field Swift imports as non-optional
/// must not be materialized as a non-optional pointer.
struct PluginStruct<T> {
    let base: UnsafeRawPointer
    let readable: Int

    init(_ base: UnsafeRawPointer, declaredSize: Int) {
        self.base = base
        self.readable = declaredSize
    }

    func value<V: BitwiseCopyable>(_ field: KeyPath<T, V>) -> V? {
        guard carries(field), let offset = MemoryLayout<T>.offset(of: field) else { return nil }
        return base.loadUnaligned(fromByteOffset: offset, as: V.self)
    }

    /// True when the plugin's struct holds `field` whole (`TSH_HAS_FIELD`): a field appended after
    /// the version the plugin was built for is absent from its smaller struct.
    func carries<V>(_ field: KeyPath<T, V>) -> Bool {
        ABIGrowth.carries(field, size: readable)
    }

    func address(_ field: PartialKeyPath<T>) -> PluginAddress {
        guard let offset = MemoryLayout<T>.offset(of: field), offset + MemoryLayout<UInt>.size <= readable else { return .missing }
        return UnsafeRawPointer(bitPattern: base.loadUnaligned(fromByteOffset: offset, as: UInt.self)).map(PluginAddress.at) ?? .null
    }
}

/// What a manifest declared, as far as it could be read.
struct ManifestContents {
    var abi: tsh_version
    var pluginID: String?
    var name: String?
    var version: String?
    var description: String?
    var kinds: [KindSpec] = []
    var descriptors: [String: UnsafePointer<tsh_kind_descriptor>] = [:]
}

/// Validates a whole `tsh_manifest`, collecting every problem instead of stopping at the first.
///
/// It calls no plugin code except `get_extension`, which the ABI requires to be side-effect free.
/// Pointers are checked for NULL, counts are capped and strings are read with a length limit;
/// a pointer into unmapped memory cannot be detected without syscalls and would still crash,
/// but by then the plugin's own code has already run in the process anyway.
struct ManifestReader {
    static let maxStringBytes = 4096
    static let maxKinds: UInt32 = 256
    static let maxParams: UInt32 = 1024
    static let maxRoles: UInt32 = 64
    static let maxListItems: UInt32 = 1024

    private(set) var problems: [String] = []
    private(set) var abiMismatch = false
    private(set) var fingerprintMismatch = false

    mutating func read(_ manifest: UnsafePointer<tsh_manifest>) -> ManifestContents {
        let base = UnsafeRawPointer(manifest)
        let abi = base.loadUnaligned(as: tsh_version.self)
        var contents = ManifestContents(abi: abi)
        let theirs = "\(abi.major).\(abi.minor)", ours = "\(HostABI.major).\(HostABI.minor)"
        guard abi.major == HostABI.major else {
            // Another major version may lay out everything after the version differently.
            abiMismatch = true
            problems.append("plugin built for SDK \(theirs), host speaks \(ours): the major versions must be equal")
            return contents
        }
        if abi.minor > HostABI.minor {
            abiMismatch = true
            problems.append("plugin built for SDK \(theirs), host speaks \(ours): the plugin's minor version must not be newer than the host's")
        }

        let sizeOffset = MemoryLayout<tsh_manifest>.offset(of: \.struct_size)!
        let declared = Int(base.loadUnaligned(fromByteOffset: sizeOffset, as: UInt32.self))
        if declared < Int(TSH_MANIFEST_SIZE_V1_0) {
            problems.append("manifest.struct_size is \(declared), smaller than tsh_manifest in ABI 1.0 (TSH_MANIFEST_SIZE_V1_0 = \(TSH_MANIFEST_SIZE_V1_0) bytes); set it to sizeof(tsh_manifest)")
        }
        let fields = PluginStruct<tsh_manifest>(base, declaredSize: declared)

        if let fingerprint = fields.value(\.fingerprint) {
            let bytes = withUnsafeBytes(of: fingerprint) { Array($0) }
            let differences = HostABI.fingerprintDifferences(plugin: bytes)
            if !differences.isEmpty {
                fingerprintMismatch = true
                problems += differences
            }
        }

        contents.pluginID = string(fields.address(\.plugin_id), "manifest.plugin_id")
        if let id = contents.pluginID, !ManifestRules.isReverseDNS(id) {
            problems.append("manifest.plugin_id '\(id)' is not a reverse-DNS id (lowercase, dot-separated, e.g. dev.example.price_move)")
        }
        contents.name = string(fields.address(\.name), "manifest.name")
        if contents.name?.isEmpty == true { problems.append("manifest.name is empty") }
        contents.version = string(fields.address(\.version), "manifest.version")
        if let version = contents.version, !ManifestRules.isSemanticVersion(version) {
            problems.append("manifest.version '\(version)' is not a semantic version (MAJOR.MINOR.PATCH[-pre][+build], e.g. 1.2.0)")
        }
        contents.description = string(fields.address(\.description), "manifest.description")

        guard let count = fields.value(\.kind_count) else { return contents }
        if count == 0 { problems.append("manifest.kind_count is 0: a plugin must offer at least one kind") }
        guard count <= Self.maxKinds else {
            problems.append("manifest.kind_count is \(count), more than the \(Self.maxKinds) kinds a plugin may offer")
            return contents
        }
        switch fields.address(\.kinds) {
        case .missing: break
        case .null: if count > 0 { problems.append("manifest.kinds is NULL but kind_count is \(count)") }
        case .at(let array):
            var seen = Set<String>()
            for index in 0..<Int(count) {
                let entry = array.loadUnaligned(fromByteOffset: index * MemoryLayout<UInt>.stride, as: UInt.self)
                guard let kind = UnsafeRawPointer(bitPattern: entry) else {
                    problems.append("manifest.kinds[\(index)] is NULL")
                    continue
                }
                if let (spec, descriptor) = readKind(kind, index: index, seen: &seen) {
                    contents.kinds.append(spec)
                    contents.descriptors[spec.id] = descriptor
                }
            }
        }
        return contents
    }

    // MARK: - Kinds

    private mutating func readKind(_ base: UnsafeRawPointer, index: Int, seen: inout Set<String>)
        -> (KindSpec, UnsafePointer<tsh_kind_descriptor>)?
    {
        let declared = Int(base.loadUnaligned(as: UInt32.self))
        let kind = PluginStruct<tsh_kind_descriptor>(base, declaredSize: declared)
        var label = "manifest.kinds[\(index)]"
        let id = string(kind.address(\.kind_id), "\(label).kind_id")
        if let id {
            label = "kind '\(id)'"
            if !ManifestRules.isSnakeCase(id) {
                problems.append("\(label): kind_id is not snake_case (lowercase letters, digits and _, starting with a letter)")
            }
            if !seen.insert(id).inserted { problems.append("\(label): kind_id is used by more than one kind") }
        }
        if declared < Int(TSH_KIND_DESCRIPTOR_SIZE_V1_0) {
            problems.append("\(label): struct_size is \(declared), smaller than tsh_kind_descriptor in ABI 1.0 (TSH_KIND_DESCRIPTOR_SIZE_V1_0 = \(TSH_KIND_DESCRIPTOR_SIZE_V1_0) bytes)")
        }
        let description = string(kind.address(\.description), "\(label).description")
        let roles = stringList(count: kind.value(\.role_count), array: kind.address(\.roles), label: "\(label).roles",
                               countName: "role_count", limit: Self.maxRoles)
        checkVTable(kind.address(\.vtable), label: label)
        let parameters = readParams(kind, label: label)
        let descriptor = base.assumingMemoryBound(to: tsh_kind_descriptor.self)
        let signals = readSignalSource(kind, descriptor: descriptor, label: label)
        let consumed = readSignalSink(kind, descriptor: descriptor, label: label)
        let tables = readRecords(kind, descriptor: descriptor, label: label)
        guard let id else { return nil }
        let spec = KindSpec(id: id, description: description ?? "", roles: roles, eventMask: kind.value(\.event_mask) ?? 0,
                            parameters: parameters, emittedSignals: signals, consumedSignals: consumed, recordTables: tables)
        return (spec, descriptor)
    }

    private mutating func checkVTable(_ address: PluginAddress, label: String) {
        guard case .at(let base) = address else {
            if case .null = address { problems.append("\(label).vtable is NULL") }
            return
        }
        let declared = Int(base.loadUnaligned(as: UInt32.self))
        if declared < Int(TSH_PLUGIN_VTABLE_SIZE_V1_0) {
            problems.append("\(label).vtable.struct_size is \(declared), smaller than tsh_plugin_vtable in ABI 1.0 (TSH_PLUGIN_VTABLE_SIZE_V1_0 = \(TSH_PLUGIN_VTABLE_SIZE_V1_0) bytes)")
        }
        let vtable = PluginStruct<tsh_plugin_vtable>(base, declaredSize: declared)
        let required: [(String, PartialKeyPath<tsh_plugin_vtable>)] = [
            ("create", \.create), ("start", \.start), ("on_event", \.on_event), ("stop", \.stop), ("destroy", \.destroy),
        ]
        for (name, field) in required {
            if case .null = vtable.address(field) { problems.append("\(label).vtable.\(name) is NULL") }
        }
    }

    private typealias GetExtension = @convention(c) (UnsafePointer<tsh_kind_descriptor>, UnsafePointer<CChar>) -> UnsafeRawPointer?

    /// The names from the optional `tsh.signal-source/1` extension.
    private mutating func readSignalSource(_ kind: PluginStruct<tsh_kind_descriptor>, descriptor: UnsafePointer<tsh_kind_descriptor>,
                                           label: String) -> [String] {
        guard case .at(let function) = kind.address(\.get_extension) else { return [] }
        let getExtension = unsafeBitCast(function, to: GetExtension.self)
        guard let ext = TSH_EXT_SIGNAL_SOURCE.withCString({ getExtension(descriptor, $0) }) else { return [] }
        let extLabel = "\(label) extension \(TSH_EXT_SIGNAL_SOURCE)"
        let declared = Int(ext.loadUnaligned(as: UInt32.self))
        if declared < Int(TSH_SIGNAL_SOURCE_EXT_SIZE_V1_0) {
            problems.append("\(extLabel): struct_size is \(declared), smaller than tsh_signal_source_ext in ABI 1.0 (TSH_SIGNAL_SOURCE_EXT_SIZE_V1_0 = \(TSH_SIGNAL_SOURCE_EXT_SIZE_V1_0) bytes)")
        }
        let fields = PluginStruct<tsh_signal_source_ext>(ext, declaredSize: declared)
        let names = stringList(count: fields.value(\.name_count), array: fields.address(\.names), label: "\(extLabel) names",
                               countName: "name_count", limit: Self.maxListItems)
        for name in names where name.isEmpty { problems.append("\(extLabel): a signal name is empty") }
        return names
    }

    /// The patterns of the optional `tsh.signal-sink/1` extension (ABI 1.1); nil without it.
    private mutating func readSignalSink(_ kind: PluginStruct<tsh_kind_descriptor>, descriptor: UnsafePointer<tsh_kind_descriptor>,
                                         label: String) -> [String]? {
        guard case .at(let function) = kind.address(\.get_extension) else { return nil }
        let getExtension = unsafeBitCast(function, to: GetExtension.self)
        guard let ext = TSH_EXT_SIGNAL_SINK.withCString({ getExtension(descriptor, $0) }) else { return nil }
        let extLabel = "\(label) extension \(TSH_EXT_SIGNAL_SINK)"
        let declared = Int(ext.loadUnaligned(as: UInt32.self))
        let minimum = MemoryLayout<tsh_signal_sink_ext>.size
        if declared < minimum {
            problems.append("\(extLabel): struct_size is \(declared), smaller than tsh_signal_sink_ext (\(minimum) bytes)")
            return nil
        }
        let fields = PluginStruct<tsh_signal_sink_ext>(ext, declaredSize: declared)
        let names = stringList(count: fields.value(\.name_count), array: fields.address(\.names), label: "\(extLabel) names",
                               countName: "name_count", limit: Self.maxListItems)
        for name in names where name.isEmpty || name.dropLast().contains("*") {
            problems.append("\(extLabel): '\(name)' is not a signal name or a prefix ending in a single '*'")
        }
        return names
    }

    static let maxTables: UInt32 = 64
    static let maxColumns: UInt32 = 256

    /// The tables of the optional `tsh.records/1` extension (ABI 1.1); none without it.
    private mutating func readRecords(_ kind: PluginStruct<tsh_kind_descriptor>, descriptor: UnsafePointer<tsh_kind_descriptor>,
                                      label: String) -> [RecordTableSpec] {
        guard case .at(let function) = kind.address(\.get_extension) else { return [] }
        let getExtension = unsafeBitCast(function, to: GetExtension.self)
        guard let ext = TSH_EXT_RECORDS.withCString({ getExtension(descriptor, $0) }) else { return [] }
        let extLabel = "\(label) extension \(TSH_EXT_RECORDS)"
        let declared = Int(ext.loadUnaligned(as: UInt32.self))
        guard declared >= MemoryLayout<tsh_records_ext>.size else {
            problems.append("\(extLabel): struct_size is \(declared), smaller than tsh_records_ext (\(MemoryLayout<tsh_records_ext>.size) bytes)")
            return []
        }
        let fields = PluginStruct<tsh_records_ext>(ext, declaredSize: declared)
        let count = fields.value(\.table_count) ?? 0
        guard count > 0 else {
            problems.append("\(extLabel): table_count is 0; a kind without tables returns NULL for the extension")
            return []
        }
        guard count <= Self.maxTables else {
            problems.append("\(extLabel): table_count is \(count), more than the \(Self.maxTables) tables a kind may declare")
            return []
        }
        guard case .at(let array) = fields.address(\.tables) else {
            problems.append("\(extLabel): tables is NULL but table_count is \(count)")
            return []
        }
        let stride = Int(array.loadUnaligned(as: UInt32.self))
        guard stride >= MemoryLayout<tsh_table_descriptor>.size, stride % MemoryLayout<tsh_table_descriptor>.alignment == 0 else {
            problems.append("\(extLabel): tables[0].struct_size is \(stride), expected at least \(MemoryLayout<tsh_table_descriptor>.size) (a multiple of \(MemoryLayout<tsh_table_descriptor>.alignment))")
            return []
        }
        var tables: [RecordTableSpec] = []
        var seen = Set<String>()
        for index in 0..<Int(count) {
            let table = PluginStruct<tsh_table_descriptor>(array + index * stride, declaredSize: stride)
            if let spec = readTable(table, label: "\(extLabel) tables[\(index)]", seen: &seen) { tables.append(spec) }
        }
        return tables
    }

    private mutating func readTable(_ table: PluginStruct<tsh_table_descriptor>, label: String, seen: inout Set<String>) -> RecordTableSpec? {
        var label = label
        guard let name = string(table.address(\.name), "\(label).name") else { return nil }
        label = "table '\(name)'"
        if !ManifestRules.isSnakeCase(name) { problems.append("\(label): the name is not snake_case (lowercase letters, digits and _, starting with a letter)") }
        if !seen.insert(name).inserted { problems.append("\(label): declared more than once by the kind") }
        let doc = string(table.address(\.doc), "\(label).doc") ?? ""
        let count = table.value(\.column_count) ?? 0
        guard count > 0, count <= Self.maxColumns else {
            problems.append("\(label): column_count is \(count); a table has 1 to \(Self.maxColumns) columns")
            return nil
        }
        guard case .at(let array) = table.address(\.columns) else {
            problems.append("\(label): columns is NULL but column_count is \(count)")
            return nil
        }
        let stride = Int(array.loadUnaligned(as: UInt32.self))
        guard stride >= MemoryLayout<tsh_column_descriptor>.size, stride % MemoryLayout<tsh_column_descriptor>.alignment == 0 else {
            problems.append("\(label): columns[0].struct_size is \(stride), expected at least \(MemoryLayout<tsh_column_descriptor>.size)")
            return nil
        }
        var columns: [RecordColumnSpec] = []
        var names = Set<String>()
        for index in 0..<Int(count) {
            let column = PluginStruct<tsh_column_descriptor>(array + index * stride, declaredSize: stride)
            guard let columnName = string(column.address(\.name), "\(label).columns[\(index)].name") else { continue }
            let columnLabel = "\(label) column '\(columnName)'"
            if !ManifestRules.isSnakeCase(columnName) { problems.append("\(columnLabel): the name is not snake_case") }
            if !names.insert(columnName).inserted { problems.append("\(columnLabel): declared more than once") }
            let rawType = column.value(\.type) ?? 0
            guard let type = RecordColumnType(rawValue: rawType) else {
                problems.append("\(columnLabel): type \(rawType) is not one of 1 (int), 2 (double), 3 (text), 4 (time)")
                continue
            }
            let flags = column.value(\.flags) ?? 0
            let isKey = flags & TSH_COLUMN_KEY != 0, isNullable = flags & TSH_COLUMN_NULLABLE != 0
            if isKey && isNullable { problems.append("\(columnLabel): a key column cannot be nullable") }
            columns.append(RecordColumnSpec(name: columnName, type: type, isKey: isKey, isNullable: isNullable,
                                            doc: string(column.address(\.doc), "\(columnLabel).doc") ?? ""))
        }
        if !columns.isEmpty && !columns.contains(where: \.isKey) {
            problems.append("\(label): no column is flagged TSH_COLUMN_KEY; upserts need a key")
        }
        return RecordTableSpec(name: name, doc: doc, columns: columns)
    }

    // MARK: - Parameters

    private mutating func readParams(_ kind: PluginStruct<tsh_kind_descriptor>, label: String) -> [ParameterSpec] {
        guard let count = kind.value(\.param_count), count > 0 else { return [] }
        guard count <= Self.maxParams else {
            problems.append("\(label): param_count is \(count), more than the \(Self.maxParams) parameters a kind may declare")
            return []
        }
        guard case .at(let array) = kind.address(\.params) else {
            if case .null = kind.address(\.params) { problems.append("\(label).params is NULL but param_count is \(count)") }
            return []
        }
        // The array's stride is the plugin's sizeof(tsh_param_descriptor), which its struct_size
        // states: a plugin built for a later minor version has larger elements.
        let v1Size = Int(TSH_PARAM_DESCRIPTOR_SIZE_V1_0)
        let stride = Int(array.loadUnaligned(as: UInt32.self))
        guard stride >= v1Size, stride % MemoryLayout<tsh_param_descriptor>.alignment == 0 else {
            problems.append("\(label).params[0].struct_size is \(stride), expected at least TSH_PARAM_DESCRIPTOR_SIZE_V1_0 = \(v1Size) (a multiple of \(MemoryLayout<tsh_param_descriptor>.alignment)); the parameters cannot be read")
            return []
        }
        var specs: [ParameterSpec] = []
        var seen = Set<String>()
        for index in 0..<Int(count) {
            let element = array + index * stride
            let declared = Int(element.loadUnaligned(as: UInt32.self))
            if declared != stride {
                problems.append("\(label).params[\(index)].struct_size is \(declared), but params[0] declares \(stride); all elements must have the same size")
            }
            if let spec = readParam(PluginStruct(element, declaredSize: min(declared, stride)), index: index, kindLabel: label, seen: &seen) {
                specs.append(spec)
            }
        }
        return specs
    }

    private mutating func readParam(_ param: PluginStruct<tsh_param_descriptor>, index: Int, kindLabel: String,
                                    seen: inout Set<String>) -> ParameterSpec? {
        var label = "\(kindLabel).params[\(index)]"
        let name = string(param.address(\.name), "\(label).name")
        if let name {
            label = "\(kindLabel) parameter '\(name)'"
            if !ManifestRules.isSnakeCase(name) {
                problems.append("\(label): name is not snake_case (lowercase letters, digits and _, starting with a letter)")
            }
            if !seen.insert(name).inserted { problems.append("\(label): the name is declared more than once in the kind") }
        }
        let rawType = param.value(\.type)
        let type = rawType.flatMap(ParameterType.init(rawValue:))
        if let rawType, type == nil {
            problems.append("\(label): type \(rawType) is not one of 1 (bool), 2 (int), 3 (double), 4 (string), 5 (enum)")
        }
        let doc = string(param.address(\.doc), "\(label).doc")
        let defaultText = string(param.address(\.default_value), "\(label).default_value")
        let unit = string(param.address(\.unit), "\(label).unit", required: false)
        let flags = param.value(\.flags) ?? 0

        var minimum: Double?, maximum: Double?
        if flags & TSH_PARAM_HAS_MIN != 0 { minimum = param.value(\.min_value) }
        if flags & TSH_PARAM_HAS_MAX != 0 { maximum = param.value(\.max_value) }
        if let type, minimum != nil || maximum != nil, type != .int, type != .double {
            problems.append("\(label): declares a min/max but is a \(type) parameter; ranges apply to int and double only")
        }
        for (bound, value) in [("min_value", minimum), ("max_value", maximum)] {
            if let value, !value.isFinite { problems.append("\(label): \(bound) \(value) is not a finite number") }
        }
        if let minimum, let maximum, minimum > maximum {
            problems.append("\(label): min_value \(minimum) is greater than max_value \(maximum)")
        }
        var allowed: [String] = []
        if type == .enumeration {
            let count = param.value(\.allowed_count)
            if count == 0 { problems.append("\(label): an enum parameter needs allowed values, but allowed_count is 0") }
            allowed = stringList(count: count, array: param.address(\.allowed_values), label: "\(label).allowed_values",
                                 countName: "allowed_count", limit: Self.maxListItems)
        }

        guard let name, let type, let doc, let defaultText else { return nil }
        var spec = ParameterSpec(name: name, type: type, doc: doc, defaultValue: .string(defaultText), minimum: minimum,
                                 maximum: maximum, allowedValues: allowed,
                                 perSymbol: flags & TSH_PARAM_PER_SYMBOL != 0, unit: unit)
        guard let value = spec.parse(defaultText) else {
            problems.append("\(label): default_value '\(defaultText)' is not valid: expected \(spec.expectedForm)")
            return nil
        }
        spec.defaultValue = value
        if type == .enumeration, !allowed.isEmpty, !allowed.contains(defaultText) {
            problems.append("\(label): default_value '\(defaultText)' is not one of its allowed values (\(allowed.joined(separator: ", ")))")
        } else if type != .enumeration, let problem = spec.problem(with: value) {
            problems.append("\(label): default_value '\(defaultText)' is out of range: \(problem)")
        }
        return spec
    }

    // MARK: - Strings

    /// A NUL-terminated UTF-8 string, or nil after recording why it cannot be read.
    private mutating func string(_ address: PluginAddress, _ what: String, required: Bool = true) -> String? {
        switch address {
        case .missing:
            return nil // reported once, as a struct_size problem
        case .null:
            if required { problems.append("\(what) is NULL") }
            return nil
        case .at(let pointer):
            var length = 0
            while length < Self.maxStringBytes, pointer.load(fromByteOffset: length, as: UInt8.self) != 0 { length += 1 }
            guard length < Self.maxStringBytes else {
                problems.append("\(what) is not NUL-terminated within \(Self.maxStringBytes) bytes")
                return nil
            }
            guard let text = String(validating: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self) else {
                problems.append("\(what) is not valid UTF-8")
                return nil
            }
            return text
        }
    }

    /// An array of `count` non-NULL strings.
    private mutating func stringList(count: UInt32?, array: PluginAddress, label: String, countName: String, limit: UInt32) -> [String] {
        guard let count, count > 0 else { return [] }
        guard count <= limit else {
            problems.append("\(label): \(countName) is \(count), more than the limit of \(limit)")
            return []
        }
        guard case .at(let base) = array else {
            if case .null = array { problems.append("\(label) is NULL but \(countName) is \(count)") }
            return []
        }
        return (0..<Int(count)).compactMap { index in
            let entry = base.loadUnaligned(fromByteOffset: index * MemoryLayout<UInt>.stride, as: UInt.self)
            return string(UnsafeRawPointer(bitPattern: entry).map(PluginAddress.at) ?? .null, "\(label)[\(index)]")
        }
    }
}

/// Spelling rules for manifest identifiers.
enum ManifestRules {
    private static func isLower(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isAlphanumeric(_ c: UInt8) -> Bool { isLower(c) || isDigit(c) || (c >= 0x41 && c <= 0x5A) }

    /// `^[a-z][a-z0-9_]*$`
    static func isSnakeCase(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, isLower(first) else { return false }
        return bytes.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// `^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)+$`
    static func isReverseDNS(_ text: String) -> Bool {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count >= 2, let first = parts[0].first, isLower(first) else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
        }
    }

    /// `MAJOR.MINOR.PATCH[-pre][+build]` as semver.org defines it.
    static func isSemanticVersion(_ text: String) -> Bool {
        var rest = Substring(text)
        var build: Substring?, pre: Substring?
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        if let dash = rest.firstIndex(of: "-") {
            pre = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3, core.allSatisfy(isNumericIdentifier) else { return false }
        if let pre, !identifiers(pre, numericRule: true) { return false }
        if let build, !identifiers(build, numericRule: false) { return false }
        return true
    }

    private static func isNumericIdentifier(_ part: Substring) -> Bool {
        let bytes = Array(part.utf8)
        return !bytes.isEmpty && bytes.allSatisfy(isDigit) && (bytes.count == 1 || bytes[0] != UInt8(ascii: "0"))
    }

    private static func identifiers(_ text: Substring, numericRule: Bool) -> Bool {
        text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            let bytes = Array(part.utf8)
            guard !bytes.isEmpty, bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
            return !numericRule || !bytes.allSatisfy(isDigit) || isNumericIdentifier(part)
        }
    }
}
