import Foundation
import Logging
import Synchronization

/// Runs a `Receiver` in its own task: calls `onStart`, and on a restart request or failure calls `onStop`,
/// waits and starts it again, until stopped.
final class ReceiverSupervisor<R: Receiver>: Sendable {
    let receiver: R
    let context: ReceiverContext<R.Element>
    private let logger: Logger
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Restart delay after `onStart` threw: 100 ms, doubling while failures follow each other, up to 2 s.
    static var firstFailureDelay: Duration { .milliseconds(100) }
    static var maximumFailureDelay: Duration { .seconds(2) }

    private enum Outcome: Sendable {
        case returned, threw(String), signalled
    }

    /// A supervisor of `receiver`, which stores into `context`.
    init(receiver: R, context: ReceiverContext<R.Element>, logger: Logger) {
        self.receiver = receiver
        self.logger = logger
        self.context = context
    }

    /// Runs the receiver in a task of its own.
    func start() {
        let task = Task { [self] in await supervise() }
        self.task.withLock { $0 = task }
        logger.info("receiver started")
    }

    /// Stops the receiver and waits for its task; `graceful` keeps what it stored for the final batches.
    func stop(graceful: Bool) async {
        context.markStopped(keepBuffer: graceful)
        let task = self.task.withLock { t in
            defer { t = nil }
            return t
        }
        task?.cancel()
        await task?.value
        logger.info("receiver stopped", metadata: ["graceful": "\(graceful)"])
    }

    private func supervise() async {
        var failureDelay = Self.firstFailureDelay
        while context.beginRun() {
            let outcome = await runOnce()
            if context.isStopped || Task.isCancelled { return }
            let delay: Duration
            switch (context.pendingSignal, outcome) {
            case let (.restart(message, requested)?, _):
                logger.warning("restarting receiver", metadata: ["reason": "\(message)", "delay": "\(requested)"])
                delay = requested
            case let (_, .threw(error)):
                context.recordFailure()
                if context.storedSinceStart > 0 { failureDelay = Self.firstFailureDelay }
                logger.error("receiver failed; restarting", metadata: ["error": "\(error)", "delay": "\(failureDelay)"])
                delay = failureDelay
                failureDelay = Swift.min(failureDelay * 2, Self.maximumFailureDelay)
            default:
                return
            }
            context.recordRestart()
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// Runs `onStart` until it throws, or a restart or stop is requested; then calls `onStop` once (after
    /// a clean return, only when a signal arrives) and waits for `onStart` to finish.
    private func runOnce() async -> Outcome {
        let receiver = self.receiver, context = self.context
        return await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do {
                    try await receiver.onStart(context)
                    return .returned
                } catch {
                    return .threw("\(error)")
                }
            }
            group.addTask {
                await context.waitForSignal()
                return .signalled
            }
            var first = await group.next() ?? .signalled
            if case .returned = first {
                // onStart started its work and returned (Spark style): keep running until a signal.
                first = await group.next() ?? .signalled
            }
            // Let a blocking onStart return before awaiting it, then cancel whatever still runs.
            await receiver.onStop()
            group.cancelAll()
            for await _ in group {}
            return first
        }
    }
}
