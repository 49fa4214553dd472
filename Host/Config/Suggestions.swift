import Foundation

/// "Did you mean …?" for misspelled keys, values and parameter names.
enum Suggestion {
    /// The candidate closest to `word` by edit distance, when it is close enough to be a typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = word.count <= 4 ? 1 : (word.count <= 8 ? 2 : 3)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate.lowercased())
            if d <= limit, d < (best?.distance ?? .max) { best = (candidate, d) }
        }
        return best?.candidate
    }

    /// Levenshtein distance over Unicode scalars.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = Array(repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Secrets never live in configuration files, which end up in repositories and session records.
enum Secrets {
    /// Key names (and `_`-suffixes of key names) that hold credentials.
    static let names = ["api_key", "apikey", "secret", "api_secret", "secret_key", "passphrase", "private_key", "password", "passwd", "token"]

    /// True for `api_key`, `bybit_api_key`, `client_secret`, `access_token`; false for `token_id`, `api_key_env`.
    static func looksSecret(_ key: String) -> Bool {
        let normalized = key.lowercased().replacingOccurrences(of: "-", with: "_")
        return names.contains { normalized == $0 || normalized.hasSuffix("_" + $0) }
    }

    /// Inside `params` the plugin can be given the variable's name instead; elsewhere the host reads
    /// credentials from the environment on its own.
    static func message(for key: String, inParams: Bool) -> String {
        let fix = inParams
            ? "put the value in an environment variable and give its name instead: '\(key)_env: ENV_VAR_NAME'"
            : "put the value in an environment variable; the host reads credentials from the environment"
        return "'\(key)' looks like a secret, and secrets must not be written in configuration files: \(fix)"
    }

    /// Environment variable names as `<name>_env` values: letters, digits and underscores.
    static func isEnvironmentVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
