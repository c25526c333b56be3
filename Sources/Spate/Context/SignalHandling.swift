import Dispatch
import Foundation
import Synchronization

extension StreamingContext {
    /// Stops the context gracefully when the process receives one of `signals` (SIGTERM and SIGINT by
    /// default): receiving stops, every received record is processed, a final checkpoint is written, and
    /// `awaitTermination()` returns, so the program can exit 0. Call before or after `start()`.
    public func stopGracefullyOnSignals(_ signals: [Int32] = [SIGTERM, SIGINT]) {
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [self] in
                logger.notice("signal received; stopping gracefully", metadata: ["signal": "\(sig)"])
                Task { await self.stop(graceful: true) }
            }
            source.resume()
            signalHandlers.keep(source)
        }
    }
}

/// Keeps the signal sources alive as long as the context.
final class SignalHandlers: Sendable {
    /// Dispatch sources are not Sendable; they are only stored here and never touched again.
    private let sources = Mutex<[UncheckedSignalSource]>([])

    func keep(_ source: any DispatchSourceSignal) {
        sources.withLock { $0.append(UncheckedSignalSource(source: source)) }
    }
}

/// `@unchecked Sendable`: the wrapped source is created, resumed and then only retained (never read or
/// mutated) while behind the Mutex above, so no two threads ever use it concurrently.
private struct UncheckedSignalSource: @unchecked Sendable {
    let source: any DispatchSourceSignal
}
