import Foundation
import HostCore
import Yams

/// The configuration's text as sessions record it: the values of secret keys (`host.dashboard_token`,
/// anything `Secrets.looksSecret` names) and the passwords of URLs (`redis://:password@host`) are
/// replaced by `[redacted]`, in place, so that the rest of the text — comments, order, layout — is
/// recorded as written and still parses. A secret the edit cannot find in the text (a multi-line
/// scalar) makes the whole text unrecordable: `unrecordable` is recorded instead, never the secret.
public enum ConfigRedaction {
    public static let marker = "[redacted]"
    /// What is recorded when a secret cannot be redacted in place.
    public static let unrecordable = "# not recorded: the configuration holds a secret that could not be redacted in place\n"

    /// `yaml` with its secrets redacted (see the type's doc); `root` is `yaml` composed.
    public static func redact(_ yaml: String, root: Node) -> String {
        var found: [(scalar: Node.Scalar, password: Range<String.Index>?)] = []
        collect(root, into: &found)
        guard !found.isEmpty else { return yaml }
        var lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { Array(String($0).unicodeScalars) }
        // Right to left within a line, so that earlier columns stay valid.
        let ordered = found.sorted { ($0.scalar.mark?.line ?? 0, $0.scalar.mark?.column ?? 0) > ($1.scalar.mark?.line ?? 0, $1.scalar.mark?.column ?? 0) }
        for (scalar, password) in ordered {
            guard let mark = scalar.mark, mark.line >= 1, mark.line <= lines.count,
                  let extent = extent(of: scalar, in: lines[mark.line - 1], at: mark.column - 1) else { return unrecordable }
            let replacement: [Unicode.Scalar]
            if let password {
                // The password is replaced inside the value as written: the rest of the URL stays.
                let value = scalar.string
                let redacted = value.replacingCharacters(in: password, with: "redacted")
                guard let written = written(redacted, style: scalar.style) else { return unrecordable }
                replacement = Array(written.unicodeScalars)
            } else {
                replacement = Array("\"\(marker)\"".unicodeScalars)
            }
            lines[mark.line - 1].replaceSubrange(extent, with: replacement)
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: lines.joined(separator: ["\n"]))
        // A last guard: none of the secrets' text is left.
        for (scalar, password) in found {
            let secret = password.map { String(scalar.string[$0]) } ?? scalar.string
            if secret.count >= 4, text.contains(secret) { return unrecordable }
        }
        return text
    }

    /// Secret scalars below `node`: whole values of secret keys, and URLs with a password.
    private static func collect(_ node: Node, into found: inout [(scalar: Node.Scalar, password: Range<String.Index>?)]) {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                if case .scalar(let k) = key, Secrets.looksSecret(k.string), case .scalar(let v) = value, !v.string.isEmpty {
                    found.append((v, nil))
                } else {
                    collect(value, into: &found)
                }
            }
        case .sequence(let sequence):
            for item in sequence { collect(item, into: &found) }
        case .scalar(let scalar):
            if let range = urlPassword(scalar.string) { found.append((scalar, range)) }
        case .alias:
            break
        }
    }

    /// The password of `scheme://user:password@host...`, if any (an empty password is none).
    static func urlPassword(_ text: String) -> Range<String.Index>? {
        guard let scheme = text.range(of: "://") else { return nil }
        let schemeName = text[..<scheme.lowerBound]
        guard !schemeName.isEmpty, schemeName.allSatisfy({ $0.isLetter || $0.isNumber || "+.-".contains($0) }) else { return nil }
        let authorityEnd = text[scheme.upperBound...].firstIndex { "/?#".contains($0) } ?? text.endIndex
        let authority = text[scheme.upperBound..<authorityEnd]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
        let password = authority.index(after: colon)..<at
        return password.isEmpty ? nil : password
    }

    /// The columns the scalar's value takes in its line, for the single-line styles; nil otherwise.
    private static func extent(of scalar: Node.Scalar, in line: [Unicode.Scalar], at start: Int) -> Range<Int>? {
        guard start >= 0, start < line.count else { return nil }
        switch scalar.style {
        case .plain, .singleQuoted:
            guard let written = written(scalar.string, style: scalar.style) else { return nil }
            let scalars = Array(written.unicodeScalars)
            guard start + scalars.count <= line.count, Array(line[start..<start + scalars.count]) == scalars else { return nil }
            return start..<start + scalars.count
        case .doubleQuoted:
            guard line[start] == "\"" else { return nil }
            var i = start + 1
            while i < line.count {
                if line[i] == "\\" { i += 2; continue }
                if line[i] == "\"" { return start..<i + 1 }
                i += 1
            }
            return nil
        default:
            return nil
        }
    }

    /// How `value` is written in `style` on one line; nil for the styles not written that way.
    private static func written(_ value: String, style: Node.Scalar.Style) -> String? {
        switch style {
        case .plain: return value.contains("\n") ? nil : value
        case .singleQuoted: return value.contains("\n") ? nil : "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
        case .doubleQuoted: return JSONString.quoted(value)  // JSON's escapes are YAML double-quoted escapes
        default: return nil
        }
    }
}
