import Foundation
import HostCore

/// An order transition that the lifecycle does not allow.
public struct OrderStateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of violation; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case illegalTransition, invalidFillSize }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The event is not allowed in the current status.
        public static let illegalTransition = Code(.illegalTransition)
        /// A fill of zero, a negative size or more than the remaining size.
        public static let invalidFillSize = Code(.invalidFillSize)
        public var description: String {
            switch base {
            case .illegalTransition: "illegal_transition"
            case .invalidFillSize: "invalid_fill_size"
            }
        }
    }

    public var code: Code
    public var status: OrderStatus
    public var event: OrderStateMachine.Event

    public var description: String { "\(code): \(event) is not allowed in status \(status)" }
}

/// The lifecycle of one order at a venue:
///
/// ```
/// submitted ─accept→ accepted ─fill→ partially filled ─fill→ filled
///     │                 │ │                 │ │
///     └reject→ rejected │ └cancel/expire┐   │ └cancel/expire→ canceled / expired
///                       └fill (all)→ filled └───────────────→ canceled / expired
/// ```
///
/// Terminal statuses (filled, canceled, rejected, expired) accept no event.
public struct OrderStateMachine: Sendable, Hashable {
    public enum Event: Sendable, Hashable, CustomStringConvertible {
        case accept
        case reject
        case fill(size: Decimal)
        case cancel
        case expire

        public var description: String {
            switch self {
            case .accept: "accept"
            case .reject: "reject"
            case .fill(let size): "fill(\(size))"
            case .cancel: "cancel"
            case .expire: "expire"
            }
        }
    }

    public private(set) var status: OrderStatus = .submitted
    public let size: Decimal
    public private(set) var filledSize: Decimal = 0
    public var remainingSize: Decimal { size - filledSize }
    /// Accepted or partially filled: the order can still trade.
    public var isWorking: Bool { status == .accepted || status == .partiallyFilled }

    public init(size: Decimal) {
        self.size = size
    }

    /// Applies `event` and returns the new status.
    ///
    /// - Throws: `OrderStateError` when the event is not allowed; the state is then unchanged.
    @discardableResult
    public mutating func apply(_ event: Event) throws(OrderStateError) -> OrderStatus {
        switch (status, event) {
        case (.submitted, .accept):
            status = .accepted
        case (.submitted, .reject):
            status = .rejected
        case (.accepted, .fill(let fill)), (.partiallyFilled, .fill(let fill)):
            guard fill > 0, fill <= remainingSize else {
                throw OrderStateError(code: .invalidFillSize, status: status, event: event)
            }
            filledSize += fill
            status = filledSize == size ? .filled : .partiallyFilled
        case (.accepted, .cancel), (.partiallyFilled, .cancel):
            status = .canceled
        case (.accepted, .expire), (.partiallyFilled, .expire):
            status = .expired
        default:
            throw OrderStateError(code: .illegalTransition, status: status, event: event)
        }
        return status
    }
}
