import Benchmark

/// Every shape twice: the engine, and a hand-written two-thread Swift loop doing the same work.
let benchmarks: @Sendable () -> Void = {
    Benchmark("wordcount.engine", configuration: configuration()) { try await WordCount.engine($0) }
    Benchmark("wordcount.engine-strings", configuration: configuration(maxIterations: 3)) {
        try await WordCount.engineStrings($0)
    }
    Benchmark("wordcount.baseline", configuration: configuration()) { await WordCount.baseline($0) }

    Benchmark("windowed-csv.engine", configuration: configuration()) { try await WindowedCSV.engine($0) }
    Benchmark("windowed-csv.baseline", configuration: configuration()) { await WindowedCSV.baseline($0) }

    Benchmark("running-state.updateStateByKey", configuration: configuration()) {
        try await RunningState.updateStateByKey($0)
    }
    Benchmark("running-state.mapWithState", configuration: configuration()) {
        try await RunningState.mapWithState($0)
    }
    Benchmark("running-state.baseline", configuration: configuration()) { await RunningState.baseline($0) }

    Benchmark("join.engine", configuration: configuration()) { try await JoinShape.engine($0) }
    Benchmark("join.baseline", configuration: configuration()) { await JoinShape.baseline($0) }

    Benchmark("kmeans.engine", configuration: configuration()) { try await KMeansShape.engine($0) }
    Benchmark("kmeans.baseline", configuration: configuration()) { await KMeansShape.baseline($0) }

    // The shared workloads W1-W5 (../shared/WORKLOADS.md): the user's path, the fast form, a strong hand loop.
    let workload = workloadConfiguration()
    Benchmark("w1-wordcount.user", configuration: workload) { try await W1WordCount.user($0) }
    Benchmark("w1-wordcount.fast", configuration: workload) { try await W1WordCount.fast($0) }
    Benchmark("w1-wordcount.hand", configuration: workload) { try W1WordCount.hand($0) }
    Benchmark("w1-wordcount.keys-keyhash", configuration: workload) { try await W1WordCount.keysKeyHash($0) }
    Benchmark("w1-wordcount.keys-swifthash", configuration: workload) { try await W1WordCount.keysSwiftHash($0) }
    Benchmark("w2-windowed.user", configuration: workload) { try await W2WindowedCounts.user($0) }
    Benchmark("w2-windowed.fast", configuration: workload) { try await W2WindowedCounts.fast($0) }
    Benchmark("w2-windowed.hand", configuration: workload) { try W2WindowedCounts.hand($0) }
    Benchmark("w3-running.user", configuration: workload) { try await W3RunningState.userMapWithState($0) }
    Benchmark("w3-running.user-updateStateByKey", configuration: workload) {
        try await W3RunningState.userUpdateStateByKey($0)
    }
    Benchmark("w3-running.hand", configuration: workload) { try W3RunningState.hand($0) }
    Benchmark("w4-join.user", configuration: workload) { try await W4Join.user($0) }
    Benchmark("w4-join.hand", configuration: workload) { try W4Join.hand($0) }
    Benchmark("w5-kmeans.user", configuration: workload) { try await W5KMeans.user($0) }
    Benchmark("w5-kmeans.fast", configuration: workload) { try await W5KMeans.fast($0) }
    Benchmark("w5-kmeans.hand", configuration: workload) { try W5KMeans.hand($0) }
    // Event time (issue 13): tumbling windows and sessions, 5% of the events out of order by up to the delay.
    Benchmark("event-time-count.engine", configuration: workload) { try await EventTimeWindows.engineCount($0) }
    Benchmark("event-time-count.hand", configuration: workload) { try EventTimeWindows.handCount($0) }
    Benchmark("event-time-reduce.engine", configuration: workload) { try await EventTimeWindows.engineReduce($0) }
    Benchmark("event-time-reduce.hand", configuration: workload) { try EventTimeWindows.handReduce($0) }
    Benchmark("event-time-sessions.engine", configuration: workload) { try await EventTimeSessions.engine($0) }
    Benchmark("event-time-sessions.hand", configuration: workload) { try EventTimeSessions.hand($0) }
    Benchmark("narrow-chain.engine", configuration: workload) { try await NarrowChain.engine($0) }
    Benchmark("narrow-chain.batch", configuration: workload) { try await NarrowChain.batch($0) }
    Benchmark("narrow-chain.hand", configuration: workload) { try NarrowChain.hand($0) }

    Benchmark("checkpoint.off", configuration: CheckpointOverhead.configuration()) {
        try await CheckpointOverhead.run($0, checkpoint: false)
    }
    Benchmark("checkpoint.every-10s", configuration: CheckpointOverhead.configuration()) {
        try await CheckpointOverhead.run($0, checkpoint: true)
    }

    Benchmark("dashboard.no-clients", configuration: DashboardOverhead.configuration()) {
        try await DashboardOverhead.run($0, clients: 0)
    }
    Benchmark("dashboard.10-clients", configuration: DashboardOverhead.configuration()) {
        try await DashboardOverhead.run($0, clients: 10)
    }
}
