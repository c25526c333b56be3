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
