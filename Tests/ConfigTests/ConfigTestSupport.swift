import HostConfig
import HostCore

/// The problems `parse` reports for `yaml`; empty when it parses.
func problems(in yaml: String, file: String = "test.yaml") -> [ConfigProblem] {
    do {
        _ = try StrategyConfigLoader.parse(yaml, file: file)
        return []
    } catch {
        return error.problems
    }
}

/// The one problem whose key path is `keyPath`, if exactly one.
func problem(at keyPath: String, in yaml: String) -> ConfigProblem? {
    let matching = problems(in: yaml).filter { $0.keyPath == keyPath }
    return matching.count == 1 ? matching[0] : nil
}
