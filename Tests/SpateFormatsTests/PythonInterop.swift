import Foundation
import Testing

/// Runs Fixtures/interop.py (fastavro, protobuf, json: scripts/python-deps.sh installs them) and frames
/// records as it does (4-byte big-endian length, then the bytes).
enum PythonInterop {
    /// Runs `python3 interop.py <args>`, returning its standard output; posix_spawn and waitpid, since
    /// Foundation's `Process.waitUntilExit` can hang off the main thread on Linux.
    static func run(_ args: [String]) throws -> Data {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("spate-interop-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let script = Click.fixtures.appendingPathComponent("interop.py").path
        let command = "python3 '\(script)' \(args.map { "'\($0)'" }.joined(separator: " ")) > '\(out)'"
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, envp) == 0 else { throw InteropError(reason: "cannot spawn python3") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            throw InteropError(reason: "interop.py \(args.first ?? "") exited with status \(status): run scripts/python-deps.sh")
        }
        return try Data(contentsOf: URL(fileURLWithPath: out))
    }

    struct InteropError: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    static func frame(_ records: [[UInt8]]) -> Data {
        var out = Data()
        for r in records {
            withUnsafeBytes(of: UInt32(r.count).bigEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: r)
        }
        return out
    }

    static func unframe(_ data: Data) -> [[UInt8]] {
        let bytes = [UInt8](data)
        var out: [[UInt8]] = [], i = 0
        while i + 4 <= bytes.count {
            let n = bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) }
            out.append(Array(bytes[i + 4..<i + 4 + n]))
            i += 4 + n
        }
        return out
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spate-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
