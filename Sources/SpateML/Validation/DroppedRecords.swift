import Logging
import Synchronization

/// Why SpateML dropped an input record instead of using it.
public enum DropReason: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The point's dimension differs from the model's.
    case wrongDimension = "wrong dimension"
    /// A feature (or the label) is NaN or infinite.
    case nonFinite = "NaN or infinite value"
    /// A logistic-regression label other than 0 or 1.
    case invalidLabel = "label not 0 or 1"
    /// A text line not in Spark's vector or labeled-point format.
    case unparsable = "not in Spark's text format"

    /// The reason in words.
    public var description: String { rawValue }
}

/// Counts of dropped records by reason: bad input is counted and skipped, never fatal, never trained on.
public struct DroppedRecords: Sendable, Hashable, CustomStringConvertible {
    /// The count for each reason that occurred.
    public private(set) var counts: [DropReason: Int] = [:]

    /// No drops.
    public init() {}

    /// The number dropped for `reason`.
    public subscript(reason: DropReason) -> Int { counts[reason] ?? 0 }

    /// The number dropped for any reason.
    public var total: Int { counts.values.reduce(0, +) }

    /// Counts `n` more records dropped for `reason`.
    public mutating func add(_ reason: DropReason, _ n: Int = 1) {
        if n != 0 { counts[reason, default: 0] += n }
    }

    /// Adds every count of `other`.
    public mutating func add(_ other: DroppedRecords) {
        for (reason, n) in other.counts { add(reason, n) }
    }

    /// For example `3 dropped (wrong dimension: 2, NaN or infinite value: 1)`.
    public var description: String {
        let parts = DropReason.allCases.compactMap { r in counts[r].map { "\(r): \($0)" } }
        return "\(total) dropped" + (parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")")
    }
}

/// A running, thread-safe tally of drops owned by a model or parser; logs each batch's drops once.
final class DropCounter: Sendable {
    private let tally = Mutex(DroppedRecords())
    private let logger: Logger
    private let what: String

    init(logger: Logger, what: String) {
        self.logger = logger
        self.what = what
    }

    var snapshot: DroppedRecords { tally.withLock { $0 } }

    /// Adds one batch's (or partition's) drops and logs them in one line.
    func record(_ drops: DroppedRecords, context: String) {
        guard drops.total > 0 else { return }
        tally.withLock { $0.add(drops) }
        logger.warning("dropped bad input \(what)", metadata: [
            "where": "\(context)", "dropped": "\(drops)",
        ])
    }
}
