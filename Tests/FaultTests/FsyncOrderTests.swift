import Foundation
import Testing

/// The order of the calls that make a checkpoint and an output folder durable, traced with strace in a child
/// process: each file is fsynced before it is renamed into place, and the folder holding the new name is
/// fsynced after the rename.
@Suite struct FsyncOrderTests {
    static let strace = FaultSupport.tool("/usr/bin/strace", "/bin/strace")

    @Test(.enabled(if: strace != nil, "strace is not installed (apt-get install -y strace): fsync order not checked"))
    func aCheckpointAndAnOutputFolderAreFsyncedThenRenamedThenTheirFolderFsynced() async throws {
        let root = FaultSupport.tempDir("fsync")
        defer { try? FileManager.default.removeItem(at: root) }
        let (ckpt, out) = (root.appendingPathComponent("ckpt"), root.appendingPathComponent("out"))
        let trace = root.appendingPathComponent("trace.txt")
        let (status, output) = try FaultSupport.run(Self.strace!, [
            "-f", "-y", "-qq", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", "-o", trace.path,
            FaultSupport.probe.path, "durable", ckpt.path, out.appendingPathComponent("batch").path,
        ])
        #expect(status == 0, "FaultProbe under strace: \(output)")
        let lines = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        func first(_ what: String, _ test: (String) -> Bool) -> Int? {
            let i = lines.firstIndex(where: test)
            if i == nil { Issue.record("no \(what) in the trace:\n\(lines.joined(separator: "\n"))") }
            return i
        }
        func fsync(of path: String, exact: Bool) -> (String) -> Bool {
            { $0.contains("fsync(") && ($0.contains("<\(path)>") || (!exact && $0.contains(path))) }
        }
        func rename(to path: String) -> (String) -> Bool {
            { $0.contains("rename") && $0.contains("\"\(path)\"") && $0.hasSuffix("= 0") }
        }
        // The checkpoint: its temporary file, the rename to checkpoint-1000.spate, the checkpoint folder.
        let ckptFile = ckpt.appendingPathComponent("checkpoint-1000.spate").path
        let c1 = first("fsync of the temporary checkpoint") { fsync(of: ckpt.path + "/.checkpoint-1000.tmp-", exact: false)($0) }
        let c2 = first("rename to \(ckptFile)", rename(to: ckptFile))
        if let c1, let c2 {
            #expect(c1 < c2)
            #expect(lines[(c2 + 1)...].contains(where: fsync(of: ckpt.path, exact: true)), "no fsync of the folder after the rename")
        }
        // The output folder: its part file, the rename to batch-1000, the output folder.
        let folder = out.appendingPathComponent("batch-1000").path
        let o1 = first("fsync of a part file") { fsync(of: out.path + "/.batch-1000.tmp-", exact: false)($0) && $0.contains("part-00000") }
        let o2 = first("rename to \(folder)", rename(to: folder))
        if let o1, let o2 {
            #expect(o1 < o2)
            #expect(lines[(o2 + 1)...].contains(where: fsync(of: out.path, exact: true)), "no fsync of \(out.path) after the rename")
        }
    }
}
