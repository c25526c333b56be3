/// How an AWS client retries a request that was throttled (`ProvisionedThroughputExceededException`,
/// `ThrottlingException`, `LimitExceededException`), failed on the server (HTTP 5xx) or did not connect:
/// exponential backoff with full jitter (AWS's recommendation), `base` x 2^attempt capped at `cap`.
public struct AWSRetry: Sendable, Equatable {
    /// How many times a request is sent at most (the first try included).
    public var maxAttempts: Int
    /// The first backoff's upper bound.
    public var base: Duration
    /// The largest backoff.
    public var cap: Duration

    /// Eight attempts, 100 ms doubling up to 5 s (about 15 s in all before a request fails).
    public init(maxAttempts: Int = 8, base: Duration = .milliseconds(100), cap: Duration = .seconds(5)) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
    }

    /// The pause before retry `attempt` (1 for the first retry): a random time up to base x 2^(attempt-1),
    /// capped.
    func backoff(attempt: Int) -> Duration {
        let ceiling = min(cap / .milliseconds(1), (base / .milliseconds(1)) * Double(1 << min(20, max(0, attempt - 1))))
        return .milliseconds(Int64(Double.random(in: 0...max(1, ceiling))))
    }

    /// Whether an AWS error code (the part of `__type` after `#`) or an HTTP status is worth retrying.
    static func isRetryable(code: String, status: Int) -> Bool {
        status >= 500 || status == 429 || code.contains("Throttl") || code.contains("ProvisionedThroughputExceeded")
            || code.contains("LimitExceeded") || code.contains("RequestLimitExceeded")
            || code.contains("InternalFailure") || code.contains("ServiceUnavailable")
    }
}
