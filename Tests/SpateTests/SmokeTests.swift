import Testing
@testable import Spate

@Suite struct SmokeTests {
    @Test func wordCountOverQueueStream() async throws {
        let ssc = manualContext()
        let lines = ssc.queueStream([["a b a", "c"], ["b b"], []])
        let counts = lines.flatMap { $0.split(separator: " ").map(String.init) }.map { ($0, 1) }.reduceByKey(+)
        let out = Collector(counts)
        try await ssc.start()
        try await ssc.advance(by: .seconds(3))
        await ssc.stop()
        #expect(out.times == [1000, 2000, 3000])
        #expect(dictionary(out.results[0]) == ["a": 2, "b": 1, "c": 1])
        #expect(dictionary(out.results[1]) == ["b": 2])
        #expect(out.results[2].isEmpty)
    }
}

@Suite struct MapWithStateInferenceTests {
    @Test func stateSnapshotsNeedsNoTypeAnnotation() async throws {
        let ssc = manualContext()
        let spec = StateSpec.function { (key: String, value: Int?, state: State<Int>) -> String in
            let sum = (value ?? 0) + (state.getOption() ?? 0)
            state.update(sum)
            return "\(key)=\(sum)"
        }
        let running = ssc.queueStream([[("a", 1), ("b", 2)], [("a", 3)]]).mapWithState(spec)
        let mapped = Collector(running.stream)
        let snapshots = Collector(running.stateSnapshots())
        try await ssc.start()
        try await ssc.advance(by: .seconds(2))
        await ssc.stop()
        #expect(mapped.results.map { $0.sorted() } == [["a=1", "b=2"], ["a=4"]])
        #expect(snapshots.results.map { dictionary($0) } == [["a": 1, "b": 2], ["a": 4, "b": 2]])
    }
}
