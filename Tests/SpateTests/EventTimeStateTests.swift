import Testing
@testable import Spate

/// State that shrinks: 2M out-of-order events over many windows and sessions; the state holds the open
/// windows and sessions only, not what the events ever touched.
@Suite struct EventTimeStateTests {
    @Test func twoMillionOutOfOrderEventsKeepTheStateBoundedByTheOpenWindows() async throws {
        let batches = 200, perBatch = 10_000, keys = 100
        // Event time advances 1 s per batch; 5% of the events are late by up to the 2 s delay (never late by
        // the watermark's rule, so every event counts). Keys change every 10 s of event time, as users'
        // sessions do: 2,000 keys over the run, about 100 at a time.
        var random = SeededGenerator(seed: 41)
        let input: [[(Int, Int64)]] = (0..<batches).map { b in
            (0..<perBatch).map { i in
                var time = Int64(b) * 1000 + Int64.random(in: 0..<1000, using: &random)
                if random.nextUniform() < 0.05 { time -= Int64.random(in: 0...1000, using: &random) }
                return ((i % keys) * 1_000_000 + Int(time / 10_000), time)
            }
        }
        let closedWindows = Tally(), closedSessions = Tally()
        let infos = try await runEventProgram(input) { stream in
            let timed = try stream.withWatermark(eventTime: { $0.1 }, delay: .seconds(2))
            let windows = try timed.countByKeyAndWindow(key: { $0.0 }, length: .seconds(1)).named("windows")
            let sessions = try timed.reduceByKeyAndSession(key: { $0.0 }, value: { _ in 1 }, +, gap: .milliseconds(20))
                .named("sessions")
            windows.foreachBatch { batch, _ in closedWindows.add(batch.count) }
            sessions.foreachBatch { batch, _ in closedSessions.add(batch.count) }
        }
        let windowsClosed = closedWindows.total, sessionsClosed = closedSessions.total
        let peakWindows = infos.map { $0.stateKeys["windows"] ?? 0 }.max() ?? 0
        let peakSessions = infos.map { $0.stateKeys["sessions"] ?? 0 }.max() ?? 0
        // Open windows: a key's windows from the watermark (2 s behind the newest) to the newest, about 3 s,
        // at 1 s each: at most 4 per key, for the keys alive then (at most 2 x 100 around a key change).
        #expect(peakWindows <= 4 * 2 * keys)
        // Every key closed a window each second, but for the last ones, which the watermark has not passed.
        #expect(windowsClosed >= (batches - 4) * keys)
        #expect(peakSessions <= 2 * keys)
        #expect(sessionsClosed > 10 * peakSessions)
        #expect(infos.map(\.lateRecords).reduce(0, +) == 0)
        #expect(infos.map(\.numRecords).reduce(0, +) == batches * perBatch)
    }
}
