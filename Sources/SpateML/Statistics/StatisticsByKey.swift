import Spate

extension DStream {
    /// The statistics of each batch's numbers (one `OnlineStatistics` per batch; computed per partition in
    /// parallel, then merged).
    /// ```swift
    /// latencies.statistics().print()
    /// ```
    public func statistics() -> DStream<OnlineStatistics> where T == Double {
        mapPartitions { part in [OnlineStatistics(part)] }
            .transform { batch in
                Batch(time: batch.time, elements: [batch.collect().reduce(into: OnlineStatistics()) { $0.merge($1) }])
            }
    }

    /// The statistics of each key's values in each batch (map-side combined, then merged per key).
    /// ```swift
    /// let perSensor = readings.statisticsByKey()          // DStream<(String, OnlineStatistics)>
    /// ```
    public func statisticsByKey<K: Hashable & Sendable>(partitions: Int? = nil) -> DStream<(K, OnlineStatistics)>
    where T == (K, Double) {
        combineByKey(
            createCombiner: { (x: Double) in OnlineStatistics([x]) },
            mergeValue: { (s: OnlineStatistics, x: Double) in
                var s = s
                s.add(x)
                return s
            },
            mergeCombiners: { $0.merging($1) },
            partitions: partitions)
    }

    /// The running statistics of each key's values since the stream started (stateful, like
    /// `updateStateByKey`): each batch's per-key statistics merged into the key's state; every key seen so far
    /// is in every batch's output.
    /// ```swift
    /// let running = readings.onlineStatisticsByKey()
    /// ```
    public func onlineStatisticsByKey<K: Hashable & Sendable>(partitions: Int? = nil) -> DStream<(K, OnlineStatistics)>
    where T == (K, Double) {
        statisticsByKey(partitions: partitions).updateStateByKey(
            { (batches: [OnlineStatistics], state: OnlineStatistics?) -> OnlineStatistics? in
                batches.reduce(state ?? OnlineStatistics()) { $0.merging($1) }
            }, partitions: partitions)
    }
}
