import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls that make checkpoints and output folders durable and atomic: a file written and fsynced
/// before it is renamed into place, the directory fsynced after the rename (so the new name survives a power
/// cut), and a folder replaced by renames only. Every call blocks: callers run them through `BlockingIO`.
/// `package`: SpateKafka's partition snapshots are replaced the same way.
package enum DurableFile {
    /// A failed call, with the path and the system's reason (`strerror`), e.g. "No space left on device".
    package struct Failure: Error, CustomStringConvertible {
        package let path: String
        package let reason: String
        package var description: String { "\(path): \(reason)" }

        init(path: String, errno code: Int32) {
            self.path = path
            self.reason = String(cString: strerror(code))
        }
    }

    /// Creates (or truncates) `url`, writes `data` and fsyncs it before returning.
    package static func writeSynced(_ data: Data, to url: URL) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(path: url.path, errno: errno) }
        defer { close(fd) }
        try writeAll(data, to: fd, path: url.path)
        guard fsync(fd) == 0 else { throw Failure(path: url.path, errno: errno) }
    }

    /// Writes all of `data` to the open file `fd` (named `path` in a failure), retrying short and interrupted
    /// writes; the write-ahead log appends its frames with it too.
    package static func writeAll(_ data: Data, to fd: Int32, path: String) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(path: path, errno: errno)
                }
                offset += n
            }
        }
    }

    /// Replaces the file at `url` so that a crash at any point leaves the old file or the new one, whole:
    /// `<name>.tmp` written and fsynced, renamed over `url`, the directory fsynced.
    package static func replace(_ data: Data, at url: URL) throws {
        let temp = URL(fileURLWithPath: url.path + ".tmp")
        do {
            try writeSynced(data, to: temp)
            try move(temp, to: url)
        } catch {
            unlink(temp.path)
            throw error
        }
        try syncDirectory(url.deletingLastPathComponent())
    }

    /// Fsyncs a directory, so the entries created or renamed in it are on disk.
    package static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(path: url.path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw Failure(path: url.path, errno: errno) }
    }

    /// Renames `from` to `to` (atomic within one file system; replaces a file, or an empty directory).
    package static func move(_ from: URL, to: URL) throws {
        guard rename(from.path, to.path) == 0 else { throw Failure(path: to.path, errno: errno) }
    }

    /// Whether something exists at `url` (a file, a folder, a dangling link).
    package static func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }
}
