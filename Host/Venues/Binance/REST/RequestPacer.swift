import Foundation
import Synchronization

/// Admits requests one at a time, first come first served, against a ``RequestWeightBudget``:
/// the request at the head of the queue waits (sleeping) until the budget has room, the others
/// wait behind it. So 200 symbols that resync at once send their snapshot requests spread over
/// as many windows as the budget needs, in the order they asked.
///
/// - Important: Thread-safe. The budget is guarded by one lock; sleeping happens outside it.
final class RequestPacer: Sendable {
    /// What an admission came to.
    enum Admission: Sendable, Hashable {
        /// Send now with this weight.
        case proceed(weight: Int)
        /// Banned until this unix ms: send nothing.
        case banned(untilMs: Int64)
        /// The waiting task was cancelled.
        case cancelled
    }

    private struct State {
        var budget: RequestWeightBudget
        var headBusy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>
    let nowMs: @Sendable () -> Int64

    init(configuration: RequestWeightBudget.Configuration, nowMs: @escaping @Sendable () -> Int64) {
        self.state = Mutex(State(budget: RequestWeightBudget(configuration: configuration)))
        self.nowMs = nowMs
    }

    /// Waits for room in the budget (behind every earlier request) and books the weight.
    func admit(_ need: RequestWeightBudget.Need) async -> Admission {
        await acquireHead()
        defer { releaseHead() }
        while true {
            if Task.isCancelled { return .cancelled }
            let now = nowMs()
            let decision = state.withLock { $0.budget.admit(need, nowMs: now, othersWaiting: !$0.waiters.isEmpty) }
            switch decision {
            case .proceed(let weight): return .proceed(weight: weight)
            case .banned(let until): return .banned(untilMs: until)
            case .wait(let until):
                // Re-evaluate at least every second: a new report may free or take room.
                let delay = min(max(until - now, 1), 1_000)
                do { try await Task.sleep(for: .milliseconds(delay)) } catch { return .cancelled }
            }
        }
    }

    /// Runs `body` on the budget under the lock.
    func withBudget<T>(_ body: (inout RequestWeightBudget) -> T) -> T {
        state.withLock { body(&$0.budget) }
    }

    /// Requests waiting behind the head.
    var queued: Int { state.withLock { $0.waiters.count } }

    private func acquireHead() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let immediate = state.withLock { state -> Bool in
                guard state.headBusy else {
                    state.headBusy = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if immediate { continuation.resume() }
        }
    }

    /// Hands the head to the next waiter (the head stays busy) or frees it.
    private func releaseHead() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.headBusy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
