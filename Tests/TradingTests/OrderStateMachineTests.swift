import Foundation
import HostCore
import HostExecution
import Testing

struct OrderStateMachineTests {
    @Test("an order goes submitted → accepted → partially filled → filled")
    func happyPath() throws {
        var machine = OrderStateMachine(size: 3)
        #expect(try machine.apply(.accept) == .accepted)
        #expect(try machine.apply(.fill(size: 1)) == .partiallyFilled)
        #expect(try machine.apply(.fill(size: 2)) == .filled)
        #expect(machine.remainingSize == 0)
    }

    @Test("no event is allowed after a terminal status",
          arguments: [OrderStateMachine.Event.fill(size: 3), .cancel, .expire],
          [OrderStateMachine.Event.cancel, .expire, .fill(size: 3)])
    func terminalIsFinal(closing: OrderStateMachine.Event, next: OrderStateMachine.Event) throws {
        var machine = OrderStateMachine(size: 3)
        try machine.apply(.accept)
        try machine.apply(closing)
        let status = machine.status
        #expect(throws: OrderStateError.self) { try machine.apply(next) }
        #expect(machine.status == status)
    }

    @Test("a submitted order cannot fill, cancel or expire before it is accepted",
          arguments: [OrderStateMachine.Event.fill(size: 1), .cancel, .expire])
    func submittedNeedsAcceptance(event: OrderStateMachine.Event) {
        var machine = OrderStateMachine(size: 3)
        #expect { try machine.apply(event) } throws: { ($0 as? OrderStateError)?.code == .illegalTransition }
    }

    @Test("a fill larger than the remaining size or not positive is refused", arguments: [dec("4"), 0, -1])
    func invalidFillSize(size: Decimal) throws {
        var machine = OrderStateMachine(size: 3)
        try machine.apply(.accept)
        #expect { try machine.apply(.fill(size: size)) } throws: { ($0 as? OrderStateError)?.code == .invalidFillSize }
        #expect(machine.filledSize == 0)
    }
}
