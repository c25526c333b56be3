import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What the fault tests share: temporary folders, child processes, small tmpfs mounts.
enum FaultSupport {
    static func tempDir(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spate-fault-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The FaultProbe executable next to the test bundle.
    static var probe: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [here, here.deletingLastPathComponent()].map { $0.appendingPathComponent("FaultProbe") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// The first of `paths` that is an executable file.
    static func tool(_ paths: String...) -> String? {
        paths.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// Whether a tmpfs can be mounted here (root, and the mount is permitted).
    static let canMount: Bool = {
        guard isRoot, tool("/bin/mount", "/usr/bin/mount") != nil else { return false }
        guard let probe = Tmpfs(size: "64k") else { return false }
        probe.unmount()
        return true
    }()

    /// Runs `executable` with `arguments` to its end; returns its exit status and its output. Spawned and reaped
    /// with posix_spawn and waitpid (Foundation's Process can miss the exit of a command whose child lives on, as
    /// pg_ctl's server does); the output goes to a file, which such a daemon may keep open without harm.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("spate-fault-run-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, file.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else { throw PostgresFault(message: "cannot run \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exit, (try? String(contentsOf: file, encoding: .utf8)) ?? "")
    }

    /// Waits for `p` to exit, at most `timeout`; false (and the process terminated) when it did not.
    static func waitForExit(_ p: Process, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while p.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if p.isRunning { p.terminate(); return false }
        return true
    }

    /// Polls `condition` every 10 ms for at most `timeout`; returns whether it became true.
    static func eventually(_ timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }
}

/// A small tmpfs mounted on a fresh temporary folder (root only), to fill up: `mount -t tmpfs -o size=<size>`.
final class Tmpfs: Sendable {
    let url: URL

    init?(size: String) {
        url = FaultSupport.tempDir("tmpfs")
        guard let mount = FaultSupport.tool("/bin/mount", "/usr/bin/mount"),
            (try? FaultSupport.run(mount, ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", url.path]))?.status == 0
        else {
            try? FileManager.default.removeItem(at: url)
            return nil
        }
    }

    /// Fills the file system with `filler` until it is full (ENOSPC); returns the filler file.
    @discardableResult
    func fill() -> URL {
        let filler = url.appendingPathComponent("filler")
        let fd = open(filler.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x55, count: 4096)
        var small = [UInt8](repeating: 0x55, count: 1)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        while small.withUnsafeMutableBytes({ write(fd, $0.baseAddress, 1) }) > 0 {}
        return filler
    }

    /// Unmounts it and removes the folder.
    func unmount() {
        if let umount = FaultSupport.tool("/bin/umount", "/usr/bin/umount") { _ = try? FaultSupport.run(umount, [url.path]) }
        try? FileManager.default.removeItem(at: url)
    }
}
