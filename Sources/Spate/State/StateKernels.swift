/// The per-partition steps of the keyed-state operators: one batch's records of one hash partition applied to
/// that partition's table in place (`KeyedState.withPartition`). `@inlinable`, so that they compile for the
/// caller's key, value and state types inside the operators' per-batch steps.
@usableFromInline
enum StateKernels {
    /// Applies one batch's records of one partition to that partition's states, in place; returns the
    /// `(key, state)` pairs after the batch.
    ///
    /// The batch's rows are chained per key in a table that reuses the shuffle's hashes (no array per key);
    /// every key with a state is updated in place with its values (in batch order, empty when it has
    /// none), then every key seen only in the batch gets `update(values, nil)`.
    @inlinable
    static func applyUpdate<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ batch: ShuffleKernels.HashedRows<K, V>, to states: inout [K: S],
        _ update: ([V], S?) throws -> S?, _ run: BatchRun, _ opName: String
    ) -> [(K, S)] {
        let rows = batch.rows
        let table = RowChains(keys: rows, hashes: batch.hashes) { $0.0 }
        // seen[head row of a key]: the key has a state (so it was handled in the first pass).
        var seen = [Bool](repeating: false, count: rows.count)
        var values: [V] = []
        var removed: [K] = []
        var i = states.startIndex
        while i != states.endIndex {
            let key = states.keys[i]
            values.removeAll(keepingCapacity: true)
            if !rows.isEmpty {
                var at = table.first(key, hash: KeyHash.of(key), in: rows) { $0.0 }
                if at >= 0 { seen[at] = true }
                while at >= 0 {
                    values.append(rows[at].1)
                    at = table.next[at]
                }
            }
            do {
                if let s = try update(values, states.values[i]) {
                    states.values[i] = s
                } else {
                    removed.append(key)
                }
            } catch {
                // The key keeps its old state.
                run.recordFailed(error, in: opName)
            }
            states.formIndex(after: &i)
        }
        for key in removed { states.removeValue(forKey: key) }
        for head in table.heads where head >= 0 && !seen[head] {
            values.removeAll(keepingCapacity: true)
            var at = head
            while at >= 0 {
                values.append(rows[at].1)
                at = table.next[at]
            }
            do {
                if let s = try update(values, nil) { states[rows[head].0] = s }
            } catch {
                run.recordFailed(error, in: opName)
            }
        }
        var out: [(K, S)] = []
        out.reserveCapacity(states.count)
        for (k, s) in states { out.append((k, s)) }
        return out
    }

    /// Applies one batch's records of one partition to states that expire after `ttl` without new values:
    /// as `applyUpdate`, but a key whose values stopped `ttl` or more ago is removed without calling `update`
    /// (Flink's state TTL: an expired state is never seen again), and each key's clock restarts when it gets
    /// values. Returns the `(key, state)` pairs after the batch and the number of keys that expired.
    @inlinable
    static func applyUpdate<K: Hashable & Sendable, V: Sendable, S: Sendable>(
        _ batch: ShuffleKernels.HashedRows<K, V>, to states: inout [K: TimedEntry<S>],
        _ update: ([V], S?) throws -> S?, ttl: StateTTL, timeMs: Int, _ run: BatchRun, _ opName: String
    ) -> (pairs: [(K, S)], expired: Int) {
        var expired = 0
        let entries = applyUpdate(batch, to: &states, { (values: [V], old: TimedEntry<S>?) throws -> TimedEntry<S>? in
            if values.isEmpty, let old {
                if ttl.isExpired(old.updatedMs, at: timeMs) {
                    expired += 1
                    return nil
                }
                return try update(values, old.state).map { TimedEntry(state: $0, updatedMs: old.updatedMs) }
            }
            return try update(values, old?.state).map { TimedEntry(state: $0, updatedMs: timeMs) }
        }, run, opName)
        return (entries.map { ($0.0, $0.1.state) }, expired)
    }

    /// Applies one batch's records of one partition: mapping calls in record order, then timeouts. Each
    /// record looks its key up once and updates the entry in place. Returns the mapped records, the
    /// `(key, state)` pairs when `snapshot`, and the number of keys that timed out.
    @inlinable
    static func applyMapping<K: Hashable & Sendable, V: Sendable, S: Sendable, R: Sendable>(
        _ records: [(K, V)], to entries: inout [K: TimedEntry<S>],
        _ function: @Sendable (K, V?, State<S>) throws -> R,
        timeout: StateTTL?, timeMs: Int, _ run: BatchRun, snapshot: Bool
    ) -> ([R], [(K, S)], expired: Int) {
        let opName = "mapWithState"
        let state = State<S>()
        var out: [R] = []
        out.reserveCapacity(records.count)
        for (key, value) in records {
            let index = entries.index(forKey: key)
            state.wrap(index.map { entries.values[$0].state })
            do {
                let r = try function(key, value, state)
                out.append(r)
                if state.isRemoved {
                    if let index { entries.remove(at: index) }
                } else if state.isUpdated || (state.exists && timeout != nil) {
                    // Data refreshes the key's idle time even when the state is unchanged (Spark's rule).
                    let entry = TimedEntry(state: state.get(), updatedMs: timeMs)
                    if let index { entries.values[index] = entry } else { entries[key] = entry }
                }
            } catch {
                run.recordFailed(error, in: opName)
            }
            if !state.misuses.isEmpty {
                for misuse in state.misuses { run.recordFailed(misuse, in: opName) }
            }
        }
        var timedOut = 0
        if let timeout {
            let expired = entries.filter { timeout.isExpired($0.value.updatedMs, at: timeMs) }
            timedOut = expired.count
            for (key, entry) in expired {
                state.wrap(entry.state, timingOut: true)
                do {
                    out.append(try function(key, nil, state))
                } catch {
                    run.recordFailed(error, in: opName)
                }
                for misuse in state.misuses { run.recordFailed(misuse, in: opName) }
                entries[key] = nil
            }
        }
        var pairs: [(K, S)] = []
        if snapshot {
            pairs.reserveCapacity(entries.count)
            for (k, e) in entries { pairs.append((k, e.state)) }
        }
        return (out, pairs, timedOut)
    }
}
