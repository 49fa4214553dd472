/// The bar timeframes of SIGNALS.md §1 by name: one table for every plugin and the host.
public enum Timeframes {
    public static let all: [(name: String, nanos: Int64)] = [
        ("1s", 1_000_000_000), ("1m", 60_000_000_000), ("5m", 300_000_000_000), ("15m", 900_000_000_000),
        ("1h", 3_600_000_000_000), ("4h", 14_400_000_000_000), ("1d", 86_400_000_000_000),
    ]

    /// "1s, 1m, 5m, 15m, 1h, 4h, 1d" for messages.
    public static let names = all.map(\.name).joined(separator: ", ")

    public static func nanos(_ name: String) -> Int64? { all.first { $0.name == name }?.nanos }
    public static func name(_ nanos: Int64) -> String? { all.first { $0.nanos == nanos }?.name }

    /// A comma-separated list ("1m,1h") as ns, in ascending order without repeats; nil with the
    /// first unknown name.
    public static func parseList(_ text: String) -> (values: [Int64], unknown: String?) {
        var values: [Int64] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: " ")
            guard let v = nanos(name) else { return ([], name) }
            if !values.contains(v) { values.append(v) }
        }
        return (values.sorted(), nil)
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
