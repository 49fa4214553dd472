import Foundation

/// How report figures are written: rounded only for display, from exact decimals.
public enum ReportFormat {
    /// `value` rounded half away from zero to `scale` fraction digits.
    public static func rounded(_ value: Decimal, scale: Int) -> Decimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, .plain)
        return result
    }

    /// Money with 2 to 4 fraction digits: `12.50`, `0.1235`, `-3.00`.
    public static func money(_ value: Decimal) -> String { fixed(value, minDigits: 2, maxDigits: 4) }

    /// `value` rounded to `maxDigits` fraction digits, written with at least `minDigits`.
    public static func fixed(_ value: Decimal, minDigits: Int, maxDigits: Int) -> String {
        let r = rounded(value, scale: maxDigits)
        let parts = (r == 0 ? "0" : "\(r)").split(separator: ".", maxSplits: 1)
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let digits = fraction.padding(toLength: max(minDigits, fraction.count), withPad: "0", startingAt: 0)
        return digits.isEmpty ? String(parts[0]) : "\(parts[0]).\(digits)"
    }

    /// Money with an explicit sign on gains: `+1.25`, `-0.50`, `0.00`.
    public static func signedMoney(_ value: Decimal) -> String {
        rounded(value, scale: 4) > 0 ? "+" + money(value) : money(value)
    }

    /// A ratio as a percentage with two decimals (`58.33%`); `-` when undefined.
    public static func percent(_ ratio: Decimal?) -> String {
        guard let ratio else { return "-" }
        return fixed(ratio * 100, minDigits: 2, maxDigits: 2) + "%"
    }

    /// A derived figure (average, ratio) for JSON: exact text of the value rounded to `scale` digits.
    public static func json(_ value: Decimal?, scale: Int = 8) -> Any {
        guard let value else { return NSNull() }
        let r = rounded(value, scale: scale)
        return r == 0 ? "0" : "\(r)"
    }

    /// Columns padded to their widest cell; the first column left-aligned, the others
    /// right-aligned with their decimal points in line.
    public static func table(_ header: [String], _ rows: [[String]], indent: String = "  ") -> [String] {
        // Digits after the point (a number without one counts its would-be point too).
        func fractionWidth(_ cell: String) -> Int? {
            guard cell.first.map({ $0.isNumber || $0 == "-" || $0 == "+" }) == true, cell.contains(where: \.isNumber) else { return nil }
            guard let dot = cell.firstIndex(of: ".") else { return 0 }
            return cell.distance(from: dot, to: cell.endIndex)
        }
        let fractions = header.indices.map { column in rows.compactMap { fractionWidth($0[column]) }.max() ?? 0 }
        let aligned = rows.map { cells in
            cells.enumerated().map { column, cell in
                guard column > 0, let width = fractionWidth(cell) else { return cell }
                return cell + String(repeating: " ", count: fractions[column] - width)
            }
        }
        let all = [header] + aligned
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { cells in
            let padded = cells.enumerated().map { column, cell in
                let gap = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + gap : gap + cell
            }
            var line = indent + padded.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            return line
        }
    }
}
