// Fuzzes the checkpoint decoder and recovery from a mutated checkpoint: whatever bytes a checkpoint file
// holds, reading it and starting the program from it either recovers (and runs a batch) or throws a typed
// error (`CheckpointError`, `SpateError`); it never traps. The program is Tests/RecoveryProbe's (a rate
// stream, a state named "totals", a window named "window"), so the seeds are its real checkpoints.
//
// Byte 0 chooses the form of the rest: even, the whole file as is (header, checksum, payload); odd, a JSON
// payload wrapped in a valid header and checksum, so mutations reach the payload's decoding and the recovery
// behind it instead of stopping at the checksum.
import Dispatch
import Foundation
@testable import Spate

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let form = input.first else { return 0 }
    let bytes = form & 1 == 0 ? Data(input.dropFirst()) : wrapped(Data(input.dropFirst()))
    let decoded: CheckpointData
    do {
        decoded = try CheckpointFile.decode(bytes, path: "fuzz")
    } catch is CheckpointError {
        return 0
    } catch {
        fatalError("decode threw an untyped error: \(error)")
    }
    recover(bytes, intervalMs: decoded.batchIntervalMs)
    return 0
}

/// `payload` with the format's header: magic, version, length, CRC-32.
func wrapped(_ payload: Data) -> Data {
    var out = Data(CheckpointFile.magic)
    func append<I: FixedWidthInteger>(_ v: I) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
    append(CheckpointData.currentVersion)
    append(UInt64(payload.count))
    append(CRC32.checksum(payload))
    out.append(payload)
    return out
}

/// Writes `bytes` as the only checkpoint of a fresh directory, recovers RecoveryProbe's program from it and
/// runs one batch; a thrown `CheckpointError` or `SpateError` is a fine outcome, anything else is a finding.
func recover(_ bytes: Data, intervalMs: Int) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-fuzz-checkpoint-\(getpid())")
    try? FileManager.default.removeItem(at: dir)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try! bytes.write(to: dir.appendingPathComponent("checkpoint-1.spate"))
    // The checkpoint's own interval when it is a sane one, so recovery goes past the interval check.
    let interval = (1...10_000).contains(intervalMs) ? intervalMs : 50
    let done = DispatchSemaphore(value: 0)
    Task {
        defer { done.signal() }
        do {
            let ssc = try StreamingContext.getOrCreate(checkpoint: dir) { program(intervalMs: interval) }
            do {
                try await ssc.start()
                try await ssc.advance(by: .milliseconds(interval))
            } catch {
                await ssc.stop(graceful: false)
                throw error
            }
            await ssc.stop(graceful: false)
        } catch is CheckpointError {
        } catch is SpateError {
        } catch {
            fatalError("recovery threw an untyped error: \(error)")
        }
    }
    done.wait()
}

/// Tests/RecoveryProbe's program (its operator names and types), with the manual clock.
func program(intervalMs: Int) -> StreamingContext {
    let ssc = StreamingContext(batchInterval: .milliseconds(intervalMs), parallelism: 2, clock: .manual)
    let pairs = ssc.rateStream(recordsPerSecond: 2_000).map { ("k\($0 % 7)", $0) }
    pairs.updateStateByKey { (values: [Int], state: Int?) -> Int? in (state ?? 0) + values.reduce(0, +) }
        .named("totals").foreachBatch { _, _ in }
    do {
        try pairs.mapValues { _ in 1 }
            .reduceByKeyAndWindow(+, inverse: -, length: .milliseconds(4 * intervalMs), slide: .milliseconds(2 * intervalMs))
            .named("window").foreachBatch { _, _ in }
    } catch {
        fatalError("the window is valid: \(error)")
    }
    return ssc
}
