/// How a table sink retries a batch after an error that is not about its rows (the connection lost, a full
/// disk, a locked database, a deadlock): each try in a new transaction, after a delay that doubles from
/// 100 ms up to 3.2 s, 8 tries in all (about 10 s), so a database restart or a moment of full disk passes;
/// then the error fails the batch. A row the database refuses for its values is not retried (see
/// ``RejectedRowPolicy``).
package enum WriteRetry {
    /// How many times a batch is tried in all.
    package static let attempts = 8

    /// The delay before try `attempt + 1`.
    package static func delay(after attempt: Int) -> Duration {
        .milliseconds(100 << Swift.min(Swift.max(0, attempt - 1), 5))
    }

    /// Runs `body`, again while it throws an error `retryable` accepts, up to ``attempts`` times.
    package static func run<R: Sendable>(
        retryable: (any Error) -> Bool, _ body: () async throws -> R
    ) async throws -> R {
        var attempt = 1
        while true {
            do {
                return try await body()
            } catch where attempt < attempts && retryable(error) {
                try await Task.sleep(for: delay(after: attempt))
                attempt += 1
            }
        }
    }
}
