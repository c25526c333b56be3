import Foundation
import Testing
@testable import Spate

/// Recovery from real crashes: the RecoveryProbe program (Tests/RecoveryProbe) runs as a child process and is
/// killed with SIGKILL at seeded random points, then started again from its checkpoints; in the end its
/// output files equal, byte for byte, those of a run that was never killed.
@Suite(.serialized) struct CrashRecoveryTests {
    static let batches = 250
    static let intervalMs = 40

    static var probe: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [here, here.deletingLastPathComponent()].map { $0.appendingPathComponent("RecoveryProbe") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    static func launch(_ checkpoint: URL, _ output: URL, batches: Int = batches) throws -> Process {
        let p = Process()
        p.executableURL = probe
        p.arguments = [checkpoint.path, output.path, "\(batches)", "\(intervalMs)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func waitForExit(_ p: Process, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while p.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if p.isRunning { p.terminate(); return false }
        return true
    }

    /// The saveAsTextFiles folders of the newest checkpoint's timeline, keyed by name and time relative to the
    /// zero time: every file of a folder (`part-00000`, `_SUCCESS`), byte for byte.
    static func outputs(_ checkpoint: URL, _ output: URL) throws -> [String: Data] {
        let data = try #require(try CheckpointFile.latest(in: checkpoint, warn: { _ in }))
        var files: [String: Data] = [:]
        for folder in try FileManager.default.contentsOfDirectory(atPath: output.path) where !folder.hasPrefix(".") {
            // <name>-<time ms>.txt
            let parts = folder.dropLast(4).split(separator: "-")
            let time = Int(parts.last!)! - data.zeroMs
            guard time > 0, time <= batches * intervalMs else { continue }
            let url = output.appendingPathComponent(folder)
            for file in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() {
                files["\(parts.first!)@\(time)/\(file)"] = try Data(contentsOf: url.appendingPathComponent(file))
            }
        }
        return files
    }

    static func tempDir(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spate-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func killNineAtRandomPointsLosesAndDoublesNothing() async throws {
        let root = Self.tempDir("crash")
        defer { try? FileManager.default.removeItem(at: root) }
        let (refCkpt, refOut) = (root.appendingPathComponent("ref-ckpt"), root.appendingPathComponent("ref-out"))
        let reference = try Self.launch(refCkpt, refOut)
        #expect(await Self.waitForExit(reference))
        #expect(reference.terminationStatus == 0)

        let (ckpt, out) = (root.appendingPathComponent("ckpt"), root.appendingPathComponent("out"))
        var rng = SeededGenerator(seed: 20261125)
        var kills = 0
        var recoveries = 0
        // At least 20 kills; a run that finished before its kill point does not count.
        for _ in 0..<40 where kills < 20 {
            let hadCheckpoint = !CheckpointFile.list(ckpt).isEmpty
            let p = try Self.launch(ckpt, out)
            try await Task.sleep(for: .milliseconds(Int.random(in: 60...400, using: &rng)))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
                if hadCheckpoint { recoveries += 1 }
            }
            _ = await Self.waitForExit(p)
        }
        let last = try Self.launch(ckpt, out)
        #expect(await Self.waitForExit(last))
        #expect(last.terminationStatus == 0)
        #expect(kills == 20)
        #expect(recoveries >= 15)

        let want = try Self.outputs(refCkpt, refOut)
        let got = try Self.outputs(ckpt, out)
        // A part file and _SUCCESS per folder; a folder per batch (totals) and per second batch (window).
        #expect(want.count == 2 * (Self.batches + Self.batches / 2))
        #expect(Set(got.keys) == Set(want.keys))
        let differing = want.keys.filter { got[$0] != want[$0] }.sorted()
        #expect(differing.isEmpty, "differing outputs: \(differing.prefix(5))")
    }

    @Test func sigtermStopsGracefullyWithAFinalCheckpointAndExitZero() async throws {
        let root = Self.tempDir("sigterm")
        defer { try? FileManager.default.removeItem(at: root) }
        let (ckpt, out) = (root.appendingPathComponent("ckpt"), root.appendingPathComponent("out"))
        let p = try Self.launch(ckpt, out, batches: 100_000)
        try await Task.sleep(for: .milliseconds(700))
        #expect(p.isRunning)
        kill(p.processIdentifier, SIGTERM)
        #expect(await Self.waitForExit(p, timeout: .seconds(20)))
        #expect(p.terminationStatus == 0)
        let data = try #require(try CheckpointFile.latest(in: ckpt, warn: { _ in }))
        #expect(data.pendingMs.isEmpty)
        // The final checkpoint is of the last batch whose output was written.
        let written = try FileManager.default.contentsOfDirectory(atPath: out.path)
            .filter { $0.hasPrefix("totals-") }
            .compactMap { Int($0.dropFirst("totals-".count).dropLast(4)) }
        #expect(written.max() == data.completedMs)
    }

    @Test func reliableReceiverLosesNothingAcrossKillNine() async throws {
        let root = Self.tempDir("wal")
        defer { try? FileManager.default.removeItem(at: root) }
        let upstream = root.appendingPathComponent("upstream.txt")
        let records = (0..<4000).map { "record-\($0)" }
        try Data(records.map { $0 + "\n" }.joined().utf8).write(to: upstream)
        let (ckpt, out) = (root.appendingPathComponent("ckpt"), root.appendingPathComponent("out"))
        func launch() throws -> Process {
            let p = Process()
            p.executableURL = Self.probe
            p.arguments = [ckpt.path, out.path, "0", "\(Self.intervalMs)", upstream.path]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        var rng = SeededGenerator(seed: 7)
        var kills = 0
        for _ in 0..<30 where kills < 8 {
            let p = try launch()
            try await Task.sleep(for: .milliseconds(Int.random(in: 40...150, using: &rng)))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            _ = await Self.waitForExit(p)
        }
        let acked = Int(try String(contentsOf: URL(fileURLWithPath: upstream.path + ".ack"), encoding: .utf8)) ?? 0
        #expect(kills == 8)
        #expect(acked > 0 && acked < records.count, "the kills should land while the upstream is being read")
        let last = try launch()
        #expect(await Self.waitForExit(last))
        #expect(last.terminationStatus == 0)
        // Every record the receiver acknowledged reached an output, across all timelines.
        var seen = Set<String>()
        for zero in try FileManager.default.contentsOfDirectory(atPath: out.path) {
            let dir = out.appendingPathComponent(zero)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("recv-") {
                let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
                seen.formUnion(text.split(separator: "\n").map(String.init))
            }
        }
        let missing = Set(records).subtracting(seen)
        #expect(missing.isEmpty, "lost \(missing.count) records, e.g. \(missing.sorted().prefix(3))")
        #expect(seen.isSubset(of: Set(records)))
    }

    /// Item 4 of "nothing lost": a new write-ahead log segment's directory entry was never fsynced, so a power
    /// cut could lose a whole segment whose records were fsynced. The probe's reliable receiver runs under
    /// strace: every segment created is followed by an fsync of its directory.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/strace"), "needs strace"))
    func everyNewSegmentIsFollowedByAnFsyncOfItsDirectory() async throws {
        let root = Self.tempDir("walfsync")
        defer { try? FileManager.default.removeItem(at: root) }
        let upstream = root.appendingPathComponent("upstream.txt")
        try Data((0..<60).map { "record-\($0)\n" }.joined().utf8).write(to: upstream)
        // One file a thread (-ff), so no call is split into "unfinished" and "resumed" lines.
        let trace = root.appendingPathComponent("trace")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        p.arguments = ["-ff", "-e", "trace=openat,fsync", "-o", trace.path, Self.probe.path,
                       root.appendingPathComponent("ckpt").path, root.appendingPathComponent("out").path, "0",
                       "\(Self.intervalMs)", upstream.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        #expect(await Self.waitForExit(p))
        // 'openat(AT_FDCWD, "<path>", <flags>...) = <fd>' and 'fsync(<fd>) = 0'
        func fd(_ line: String) -> String? { line.components(separatedBy: " = ").last.map { String($0.prefix { $0.isNumber }) } }
        var created = 0
        for file in try FileManager.default.contentsOfDirectory(atPath: root.path) where file.hasPrefix("trace.") {
            let lines = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            for index in lines.indices where lines[index].contains("/receivedData/") && lines[index].contains(".wal\"")
                && lines[index].contains("O_CREAT") {
                created += 1
                let folder = lines[index].components(separatedBy: "\"")[1].components(separatedBy: "/segment-")[0]
                let directoryOpen = lines[index...].firstIndex { $0.contains("\"\(folder)\"") && $0.contains("O_DIRECTORY") }
                let synced = directoryOpen.flatMap { open in
                    fd(lines[open]).flatMap { d in lines[open...].first { $0.hasPrefix("fsync(\(d))") && $0.hasSuffix("= 0") } }
                }
                #expect(synced != nil, "no fsync of \(folder) after \(lines[index])")
            }
        }
        #expect(created > 0, "the probe created no segment")
    }
}
