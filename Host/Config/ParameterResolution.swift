import HostCore

extension InstanceConfig {
    /// Validates params/overrides against the plugin's declared parameters: unknown parameter (with
    /// did-you-mean from the declared names, and the list of declared names), wrong type, out of range /
    /// not allowed (`ParameterSpec.problem(with:)`), override of a parameter not marked perSymbol,
    /// override for a symbol not in `symbols`. All problems at once.
    ///
    /// String and enum parameters take a plain scalar's text as written (`timeframe: 15`); number and
    /// bool parameters need the YAML type, so a quoted `"25"` is a type error.
    public func resolveParameters(kind: KindSpec, file: String) throws(ConfigError) -> ResolvedParameters {
        var resolved = ResolvedParameters(specs: kind.parameters, symbolCount: symbols.count)
        var problems: [ConfigProblem] = []
        let declared = kind.parameters.map(\.name)

        func report(_ scalar: ConfigScalar?, _ path: String, _ message: String) {
            problems.append(ConfigProblem(file: file, line: scalar?.line ?? line, column: scalar?.column, keyPath: path, message: message))
        }
        func checked(_ name: String, _ scalar: ConfigScalar, _ path: String) -> (ParameterSpec, ParameterValue)? {
            guard let spec = kind.parameter(named: name) else {
                var message = declared.isEmpty
                    ? "unknown parameter '\(name)'; kind '\(kind.id)' declares no parameters"
                    : "unknown parameter '\(name)' for kind '\(kind.id)' (declared: \(declared.joined(separator: ", ")))"
                if let suggestion = Suggestion.closest(to: name, among: declared) { message += "; did you mean '\(suggestion)'?" }
                report(scalar, path, message)
                return nil
            }
            let value: ParameterValue = switch spec.type {
            case .string, .enumeration: .string(scalar.text)
            case .bool, .int, .double: scalar.value
            }
            if let problem = spec.problem(with: value) {
                report(scalar, path, problem)
                return nil
            }
            return (spec, value)
        }

        for (name, scalar) in params.sorted(by: { $0.key < $1.key }) {
            if let (_, value) = checked(name, scalar, "\(keyPath).params.\(name)") { resolved.set(name, value) }
        }
        for (symbol, values) in overrides.sorted(by: { $0.key < $1.key }) {
            let symbolPath = "\(keyPath).overrides.\(symbol)"
            guard let position = symbols.firstIndex(of: symbol) else {
                report(values.values.first, symbolPath, "symbol '\(symbol)' is not in this instance's symbols (\(symbols.joined(separator: ", ")))")
                continue
            }
            for (name, scalar) in values.sorted(by: { $0.key < $1.key }) {
                let path = "\(symbolPath).\(name)"
                guard let (spec, value) = checked(name, scalar, path) else { continue }
                guard spec.perSymbol else {
                    report(scalar, path, "parameter '\(name)' cannot be overridden per symbol; set it in params for the whole instance")
                    continue
                }
                resolved.set(name, value, symbolPosition: position)
            }
        }
        guard problems.isEmpty else {
            throw ConfigError(problems: problems.sorted { ($0.line ?? .max, $0.column ?? .max, $0.keyPath) < ($1.line ?? .max, $1.column ?? .max, $1.keyPath) })
        }
        return resolved
    }
}
