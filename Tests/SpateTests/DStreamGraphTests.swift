import Foundation
import Logging
import Synchronization
import Testing
@testable import Spate

/// The program graph: ids, definition errors, valid times, retention, checkpoint participants.
@Suite struct DStreamGraphTests {
    @Test func batchTimesAreValidAtMultiplesOfTheSlideAfterTheZeroTime() {
        let graph = DStreamGraph(batchIntervalMs: 500, logger: Logger(label: "test"))
        graph.start(zeroMs: 250)
        #expect(graph.zeroMs == 250)
        let valid = [250, 750, 1250, 1750, 2250, 2750].filter { graph.isValidTime(BatchTime(milliseconds: $0), slideMs: 1000) }
        #expect(valid == [1250, 2250])
    }

    @Test func aStreamDefinedAfterSealIsADefinitionErrorThatValidateThrows() throws {
        let graph = DStreamGraph(batchIntervalMs: 1000, logger: Logger(label: "test"))
        #expect(throws: SpateError.noOutputOperations) { try graph.validate() }
        #expect(graph.register(name: "a") == 1)
        #expect(graph.register(name: "b") == 2)
        graph.seal()
        #expect(graph.register(name: "late") == 3)
        #expect(graph.firstDefinitionError as? SpateError == .operatorAddedAfterStart("late"))
        #expect(throws: SpateError.operatorAddedAfterStart("late")) { try graph.validate() }
    }

    @Test func aWindowsParentKeepsItsBatchesOverTheWindow() async throws {
        let ssc = manualContext()
        let source = ssc.queueStream([[1], [2], [3], [4]])
        let doubled = source.map { $0 * 2 }
        let windowed = try doubled.window(length: .seconds(3))
        let out = Collector(windowed)
        try await ssc.start()
        // The window (slide 1 s) remembers a slide; its parent the window's length, its slide and the
        // window's own need; the map passes that on to the source.
        #expect(windowed.rememberMs == 1000)
        #expect(doubled.rememberMs == 5000)
        #expect(source.rememberMs >= 5000)
        try await ssc.advance(by: .seconds(4))
        await ssc.stop()
        #expect(out.results.map { $0.sorted() } == [[2], [2, 4], [2, 4, 6], [4, 6, 8]])
    }

    @Test func checkpointParticipantsGetDistinctNames() async throws {
        let ssc = manualContext()
        let a = ssc.queueStream([[("k", 1)]])
        let b = ssc.queueStream([[("k", 2)]])
        a.updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }.print()
        b.updateStateByKey { (v: [Int], s: Int?) in (s ?? 0) + v.count }.print()
        #expect(Set(ssc.graph.recoverableSources.keys) == ["queueStream", "queueStream#2"])
        #expect(ssc.graph.checkpointed.map(\.checkpointName) == ["updateStateByKey#1", "updateStateByKey#2"])
    }

    @Test func aStoppedContextDropsItsGraphAndIsFreed() async throws {
        weak var weakContext: StreamingContext?
        do {
            let ssc = manualContext()
            weakContext = ssc
            let out = Collector(ssc.queueStream([[1, 2]]).map { $0 + 1 })
            try await ssc.start()
            try await ssc.advance(by: .seconds(1))
            await ssc.stop()
            #expect(out.results == [[2, 3]])
            #expect(ssc.graph.nodes.isEmpty && ssc.graph.outputs.isEmpty && ssc.graph.recoverableSources.isEmpty)
        }
        #expect(weakContext == nil)
    }
}
