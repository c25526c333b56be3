import Spate
import Testing
@testable import SpateML

@Suite("Spark text formats")
struct SparkTextFormatTests {
    @Test("dense and sparse vectors parse as Spark's Vectors.parse")
    func vectors() throws {
        #expect(try Vector(parsing: "[1.0,2.5,-3e2]") == [1, 2.5, -300])
        #expect(try Vector(parsing: " [ 1 , 2 ] ") == [1, 2])
        #expect(try Vector(parsing: "[]") == [])
        #expect(try Vector(parsing: "(4,[0,3],[1.5,2.0])") == [1.5, 0, 0, 2])
        #expect(Vector([1, 2.5]).description == "[1.0,2.5]")
        #expect(try Vector(parsing: Vector([0.1, -2]).description) == [0.1, -2])
    }

    @Test("labeled points parse in Spark's form and the legacy form")
    func labeledPoints() throws {
        #expect(try LabeledPoint(parsing: "(1.0,[2.0,3.0])") == LabeledPoint(label: 1, features: [2, 3]))
        #expect(try LabeledPoint(parsing: "(0,(3,[1],[4.0]))") == LabeledPoint(label: 0, features: [0, 4, 0]))
        #expect(try LabeledPoint(parsing: "2.5,1 2 3") == LabeledPoint(label: 2.5, features: [1, 2, 3]))
        #expect(LabeledPoint(label: 1, features: [2]).description == "(1.0,[2.0])")
    }

    @Test("malformed lines throw errors that show the line and the expected format", arguments: [
        "[1.0,2.0", "1.0,2.0]", "[1.0,abc]", "[1.0,,2.0]", "(1.0,[2.0]", "(3,[5],[1.0])", "(3,[0,1],[1.0])", "hello",
    ])
    func malformed(_ line: String) {
        #expect(throws: SpateMLError.self) {
            if line.hasPrefix("(") && !line.hasPrefix("(3") { _ = try LabeledPoint(parsing: line) } else { _ = try Vector(parsing: line) }
        }
    }

    /// Found by Fuzz/SparkText: the refusal's message converted a size past Int.max with `Int(size)`, a trap.
    @Test("a sparse size past Int.max is refused, not a trap")
    func sparseSizePastIntMax() {
        #expect(throws: SpateMLError.self) { _ = try Vector(parsing: "(4" + String(repeating: "7", count: 100) + ",[0],[1])") }
        #expect(throws: SpateMLError.self) { _ = try Vector(parsing: "(1e300,[],[])") }
    }

    /// Found by Fuzz/SparkText: `Double(String)` stops at a NUL, so "[1\02]" was read as [1.0].
    @Test("a NUL inside a number makes the line unparsable", arguments: ["[1\02]", "(3,[0],[1\02])", "(1\0,[2])", "1,2\03", "1\02,3"])
    func nulInsideANumber(_ line: String) {
        #expect(throws: SpateMLError.self) {
            if line.hasPrefix("[") || line.hasPrefix("(3") { _ = try Vector(parsing: line) } else { _ = try LabeledPoint(parsing: line) }
        }
    }

    @Test("given a stream of lines, bad lines are counted and skipped, good ones parsed")
    func parserCountsBadLines() async throws {
        let ssc = manualContext()
        let parser = SparkTextParser()
        let vectors = Collector(parser.vectors(ssc.queueStream([["[1,2]", "oops", "", "[3,4]"]])))
        let points = Collector(parser.labeledPoints(ssc.queueStream([["(1,[2])", "(x,[2])"]])))
        try await run(ssc, batches: 1)
        #expect(vectors.results.first?.sorted { $0[0] < $1[0] } == [[1, 2], [3, 4]])
        #expect(points.results.first == [LabeledPoint(label: 1, features: [2])])
        #expect(parser.droppedLines[.unparsable] == 2)
    }

    @Test("a sparse size beyond maximumDimension is refused before anything is allocated, with the fix")
    func hugeSparseSizeIsRefused() throws {
        // 18 bytes that used to allocate a dense 128 MiB vector.
        let line = "(16777216,[],[])"
        #expect(throws: SpateMLError.self) { try Vector(parsing: line) }
        do {
            _ = try LabeledPoint(parsing: "(1.0,\(line))")
            Issue.record("a huge sparse vector was accepted")
        } catch {
            #expect("\(error)".contains("maximumDimension"))
        }
        #expect(try Vector(parsing: "(4,[1],[2.0])", maximumDimension: 4) == Vector([0, 2, 0, 0]))
        #expect(throws: SpateMLError.self) { try Vector(parsing: "(5,[1],[2.0])", maximumDimension: 4) }
    }
}
