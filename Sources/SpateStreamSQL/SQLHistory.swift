/// Which batches a stream's SQL query sees (`over:`), as `ssc.remember(_:)` keeps a stream's past batches:
/// the current batch only, or the last few, whose rows the query's tables keep (each tagged with its
/// `batch_time`) and drop as they leave, so memory is bounded by the history.
///
/// ```swift
/// // Each batch, the top words of the last 30 batches.
/// words.sql("SELECT value, COUNT(*) AS n FROM batch GROUP BY value ORDER BY n DESC LIMIT 10",
///           over: .batches(30)) { row in (row.text(0), row.integer(1)) }
/// ```
public struct SQLHistory: Sendable, Equatable, CustomStringConvertible {
    enum Span: Sendable, Equatable {
        case batch
        case batches(Int)
        case length(Duration)
    }

    let span: Span

    /// Only the current batch (the default): the tables are refilled each batch.
    public static let batch = SQLHistory(span: .batch)

    /// The last `count` batch intervals (at least 1), the current batch included.
    public static func batches(_ count: Int) -> SQLHistory { SQLHistory(span: .batches(count)) }

    /// The batches in the last `length` of time, the current one included (`length` a multiple of the batch
    /// interval, as for `window(length:)`).
    public static func window(_ length: Duration) -> SQLHistory { SQLHistory(span: .length(length)) }

    /// The history's length for a stream of `intervalMs` batches; nil for `.batch`. Throws the reason a count
    /// or length is refused.
    func length(intervalMs: Int) throws(HistoryRefused) -> Duration? {
        switch span {
        case .batch: return nil
        case let .batches(n):
            guard n >= 1 else { throw HistoryRefused(reason: ".batches(\(n)): give a count of at least 1") }
            let (ms, overflow) = n.multipliedReportingOverflow(by: intervalMs)
            guard !overflow else { throw HistoryRefused(reason: ".batches(\(n)): give a count that fits in time") }
            return .milliseconds(ms)
        case let .length(d):
            guard d > .zero else { throw HistoryRefused(reason: ".window(\(d)): give a positive length") }
            return d
        }
    }

    /// `.batch`, `.batches(n)` or `.window(length)`.
    public var description: String {
        switch span {
        case .batch: ".batch"
        case let .batches(n): ".batches(\(n))"
        case let .length(d): ".window(\(d))"
        }
    }
}

/// Why an `over:` history was refused.
struct HistoryRefused: Error {
    let reason: String
}
