import Foundation

extension DStream {
    /// Prints the first `count` records of every batch to standard output, in Spark's format:
    /// a header with the batch time, the records, and `...` when there are more.
    /// ```swift
    /// counts.print()
    /// ```
    public func print(_ count: Int = 10) {
        let n = Swift.max(0, count)
        foreachBatch(name: "print") { batch, time in
            FileHandle.standardOutput.write(Data(PrintFormat.render(batch, time: time, count: n).utf8))
        }
    }
}

enum PrintFormat {
    /// Spark's `DStream.print` text for one batch.
    static func render<T>(_ batch: Batch<T>, time: BatchTime, count n: Int) -> String {
        var taken: [T] = []
        outer: for part in batch.partitions {
            for x in part {
                if taken.count > n { break outer }
                taken.append(x)
            }
        }
        var text = "-------------------------------------------\nTime: \(time.milliseconds) ms\n"
            + "-------------------------------------------\n"
        for x in taken.prefix(n) { text += SparkFormat.render(x) + "\n" }
        if taken.count > n { text += "...\n" }
        return text + "\n"
    }
}
