import Synchronization

/// Calls a ``BatchSink`` in the order its contract promises: `open` before the first write, writes one at a
/// time, and `flush` then `close` once. Each call waits for the one in progress (a stop that is not graceful
/// may close the output while the batch in progress still writes), so a sink never sees two calls at once.
final class SinkLifecycle<Sink: BatchSink>: Sendable {
    private enum Phase { case idle, open, closed }

    private struct State: Sendable {
        var phase = Phase.idle
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let sink: Sink
    private let name: String
    private let state = Mutex(State())

    init(_ sink: Sink, name: String) {
        self.sink = sink
        self.name = name
    }

    /// Writes one batch, opening the sink first if this is its first. A batch that comes after the close (the
    /// context stopped meanwhile) throws: it must not count as written.
    func write(_ batch: Batch<Sink.Element>, at time: BatchTime) async throws {
        await acquire()
        defer { release() }
        switch state.withLock({ $0.phase }) {
        case .closed:
            throw SpateError.notActive("\(name) (the output was closed) at batch \(time)")
        case .idle:
            try await sink.open()
            state.withLock { $0.phase = .open }
        case .open:
            break
        }
        try await sink.write(batch, at: time)
    }

    /// Flushes and closes the sink once, if it was opened; later calls do nothing. Both run even if `flush`
    /// throws; the first error is rethrown.
    func close() async throws {
        await acquire()
        defer { release() }
        let phase = state.withLock { s -> Phase in
            defer { s.phase = .closed }
            return s.phase
        }
        guard phase == .open else { return }
        var failure: (any Error)?
        do { try await sink.flush() } catch { failure = error }
        do { try await sink.close() } catch { failure = failure ?? error }
        if let failure { throw failure }
    }

    /// Waits until no other call is in progress, then marks one in progress.
    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                guard s.busy else {
                    s.busy = true
                    return true
                }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Ends the call in progress, handing the turn to the next waiting call.
    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.waiting.isEmpty else {
                s.busy = false
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
