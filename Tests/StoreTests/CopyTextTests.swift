import Foundation
import HostCore
import NIOCore
import Testing
@testable import HostStore

/// The COPY text encoder against Foundation's formatting.
struct CopyTextTests {
    static func line(_ body: (inout CopyLine) -> Void) -> String {
        var line = CopyLine(capacity: 64)
        body(&line)
        line.end()
        return line.buffer.getString(at: 0, length: line.buffer.readableBytes) ?? ""
    }

    @Test("timestamps equal Foundation's UTC formatting to the microsecond, before and after 1970 and across leap days",
          arguments: [Int64(0), 1_704_067_200_123_456_789, 951_782_400_000_001_000, -1_000, 4_102_444_799_999_999_999, 1_709_164_800_000_000_000])
    func timestamps(nanos: Int64) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        var micros = nanos / 1_000
        if nanos < 0 && nanos % 1_000 != 0 { micros -= 1 }
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) + String(format: ".%06lld+00", fraction) + "\n"
        #expect(Self.line { $0.timestamp(nanos: nanos) } == expected)
    }

    @Test("decimals in plain notation, integers, booleans, nulls and escaped text")
    func values() {
        let text = Self.line {
            $0.fixed(Fixed8(parsing: "60000.12")!); $0.fixed(Fixed8(parsing: "-0.00000001")!); $0.fixed(Fixed8(parsing: "3")!)
            $0.int(-42); $0.bool(true); $0.text(nil); $0.text("a\tb\\c\nd")
        }
        #expect(text == "60000.12\t-0.00000001\t3\t-42\tt\t\\N\ta\\tb\\\\c\\nd\n")
    }
}
