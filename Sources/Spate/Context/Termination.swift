import Synchronization

/// Signals the end of a context to everyone awaiting it.
final class Termination: Sendable {
    private let state = Mutex<(done: Bool, error: (any Error)?, waiters: [CheckedContinuation<Void, Never>])>(
        (false, nil, []))

    var isFinished: Bool { state.withLock { $0.done } }

    func finish(error: (any Error)?) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if s.done { return [] }
            s.done = true
            s.error = error
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Waits for the end, ignoring the error that caused it.
    func waitQuietly() async {
        do { try await wait() } catch {}
    }

    func wait() async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow = state.withLock { s -> Bool in
                if s.done { return true }
                s.waiters.append(c)
                return false
            }
            if resumeNow { c.resume() }
        }
        if let error = state.withLock({ $0.error }) { throw error }
    }
}
