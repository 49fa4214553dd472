/// A failure to build, sign, verify or decode Polymarket CLOB requests.
///
/// `message` says what was wrong and, where there is one, how to fix it; it never contains key material.
public struct SigningError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Code: String, Sendable, Equatable {
        case invalidKey
        case invalidAddress
        case invalidAmount
        case priceOffTick
        case invalidTickSize
        case invalidSignature
        case invalidSecret
        case invalidTokenID
        case invalidOrder
        case missingFunder
        case invalidBody
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "SigningError.\(code.rawValue): \(message)" }
}
