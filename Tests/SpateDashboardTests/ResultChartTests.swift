import Spate
@testable import SpateDashboard
import Testing

/// Given a batch, when a result chart turns it into a frame, then it shows what a reference computation says.
struct ResultChartTests {
    let t1 = BatchTime(milliseconds: 1000)
    let t2 = BatchTime(milliseconds: 2000)

    @Test func barsAreTheTopKKeysWithEqualKeysAddedUp() {
        let chart = ResultChart(.bar(title: "c", topK: 2))
        let frame = chart.keyedFrame([("x", 1), ("y", 5), ("x", 3), ("z", 4)], at: t1)
        #expect(frame.bars == [.init(label: "y", value: 5), .init(label: "x", value: 4)])
        #expect(frame.kind == "bar")
    }

    @Test func equalValuesRankByLabel() {
        let frame = ResultChart(.bar(title: "c", topK: 3)).keyedFrame([("b", 1), ("a", 1), ("c", 1)], at: t1)
        #expect(frame.bars?.map(\.label) == ["a", "b", "c"])
    }

    @Test func numericLineKeepsOnePointPerBatch() {
        let chart = ResultChart(.line(title: "sum"))
        _ = chart.numericFrame([1, 2], at: t1)
        let frame = chart.numericFrame([10], at: t2)
        #expect(frame.points == [.init(time: 1000, values: ["sum": 3]), .init(time: 2000, values: ["sum": 10])])
    }

    @Test func lineHistoryIsBounded() {
        let chart = ResultChart(.line(title: "n"))
        var frame: ChartFrame?
        for i in 1...(ResultChart.linePoints + 5) { frame = chart.numericFrame([Double(i)], at: BatchTime(milliseconds: i)) }
        #expect(frame?.points?.count == ResultChart.linePoints)
        #expect(frame?.points?.first?.time == 6)
    }

    @Test func keyedTableIsSortedByValue() {
        let frame = ResultChart(.table(title: "t")).keyedFrame([("a", 1), ("b", 2.5)], at: t1)
        #expect(frame.columns == ["key", "value"])
        #expect(frame.rows == [["b", "2.5"], ["a", "1"]])
    }

    @Test func anyStreamBarsCountDistinctRecordsAndLinesCountRecords() {
        let bars = ResultChart(.bar(title: "b", topK: 5)).recordsFrame(["u", "v", "u"], count: 3, at: t1)
        #expect(bars.bars == [.init(label: "u", value: 2), .init(label: "v", value: 1)])
        let line = ResultChart(.line(title: "l")).recordsFrame([], count: 7, at: t1)
        #expect(line.points == [.init(time: 1000, values: ["records": 7])])
    }
}
