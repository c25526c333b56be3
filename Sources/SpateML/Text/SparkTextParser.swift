import Logging
import Spate

/// Turns streams of text lines in Spark's formats into vectors and labeled points, counting (and skipping)
/// the lines it cannot read, as Spark's examples do with `Vectors.parse` and `LabeledPoint.parse`.
///
/// ```swift
/// let parser = SparkTextParser()
/// let training = parser.vectors(ssc.textFileStream(directory: "train"))
/// let test = parser.labeledPoints(ssc.textFileStream(directory: "test"))
/// // later: parser.droppedLines[.unparsable]
/// ```
/// Blank lines are skipped without being counted.
public final class SparkTextParser: Sendable {
    private let drops: DropCounter
    private let maximumDimension: Int

    /// A parser with its own counters; sparse vectors larger than `maximumDimension` are dropped as unparsable.
    public init(maximumDimension: Int = Vector.defaultMaximumDimension) {
        drops = DropCounter(logger: Logger(label: "spate.ml.parser"), what: "lines")
        self.maximumDimension = maximumDimension
    }

    /// Lines that were not in the expected format, so far.
    public var droppedLines: DroppedRecords { drops.snapshot }

    /// Each line parsed as a vector (`[1.0,2.0]` or sparse `(size,[indices],[values])`).
    public func vectors(_ lines: DStream<String>) -> DStream<Vector> {
        let maximum = maximumDimension
        return parse(lines, "vectors") { try Vector(parsing: $0, maximumDimension: maximum) }
    }

    /// Each line parsed as a labeled point (`(label,[features])` or legacy `label,f1 f2`).
    public func labeledPoints(_ lines: DStream<String>) -> DStream<LabeledPoint> {
        let maximum = maximumDimension
        return parse(lines, "labeledPoints") { try LabeledPoint(parsing: $0, maximumDimension: maximum) }
    }

    private func parse<U: Sendable>(
        _ lines: DStream<String>, _ name: String, _ read: @escaping @Sendable (String) throws -> U
    ) -> DStream<U> {
        let drops = self.drops
        return lines.mapPartitions { part in
            var out: [U] = []
            out.reserveCapacity(part.count)
            var dropped = DroppedRecords()
            var firstError: String?
            for line in part where !line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
                do { out.append(try read(line)) } catch {
                    dropped.add(.unparsable)
                    if firstError == nil { firstError = "\(error)" }
                }
            }
            drops.record(dropped, context: "\(name): \(firstError ?? "")")
            return out
        }
    }
}
