import Foundation
import Spate

/// Replaces a file so that a crash or power cut at any point leaves either the old file or the new one,
/// whole: the bytes go to `<name>.tmp`, which is fsynced, renamed over the file, and the directory is
/// fsynced so the rename itself is durable.
enum DurableFile {
    /// Writes `data` as the new content of `url` (on the blocking pool: it waits for the disk).
    static func write(_ data: Data, to url: URL) throws {
        BlockingIO.assertBlockingAllowed("durable file write (fsync)")
        let temp = url.path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open", temp) }
        let wrote = data.withUnsafeBytes { bytes -> Bool in
            var done = 0
            while done < bytes.count {
                let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        if !wrote || fsync(fd) != 0 {
            let error = failure(wrote ? "fsync" : "write", temp)
            close(fd)
            unlink(temp)
            throw error
        }
        guard close(fd) == 0 else {
            let error = failure("close", temp)
            unlink(temp)
            throw error
        }
        guard rename(temp, url.path) == 0 else {
            let error = failure("rename", url.path)
            unlink(temp)
            throw error
        }
        let dir = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw failure("open directory", url.deletingLastPathComponent().path) }
        defer { close(dir) }
        guard fsync(dir) == 0 else { throw failure("fsync directory", url.deletingLastPathComponent().path) }
    }

    private static func failure(_ step: String, _ path: String) -> CocoaError {
        CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path,
                                                  NSLocalizedDescriptionKey: "\(step) \(path): \(String(cString: strerror(errno)))"])
    }
}
