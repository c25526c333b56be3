// Fuzzes the receiver write-ahead log against a model. Each input is a program of operations (append,
// append and sync, sync, truncate, cut, skip, flip a byte, tear the tail, delete a segment, reopen) run on a
// fresh directory; after each, the log must agree with the model: what a read returns is what was appended
// at those sequence numbers, in order, nothing invented; a record not hit by damage is always read back; a
// damaged one is either read back intact or reported missing (`writeAheadLogRecordsMissing`); a reopened
// log never hands out a sequence number an intact record holds; nothing traps.
import Foundation
@testable import Spate

let root = FileManager.default.temporaryDirectory.appendingPathComponent("spate-fuzz-wal-\(getpid())")

/// What the log should hold: the record (a unique id) of each sequence number still expected.
struct Model {
    var records: [Int: Int] = [:]
    /// Sequence numbers hit by damage: they may be read back intact, or be missing.
    var damaged: Set<Int> = []
    /// Records before this may have been truncated away.
    var floor = 0
    var cut = 0
    var nextId = 1
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var bytes = Array(UnsafeBufferPointer(start: data, count: size)).makeIterator()
    try? FileManager.default.removeItem(at: root)
    var log = open()
    var model = Model()
    var steps = 0
    while let op = bytes.next(), steps < 48 {
        steps += 1
        let arg = Int(bytes.next() ?? 0)
        switch op % 10 {
        case 0, 1:
            let ids = (0..<(arg % 6)).map { k in model.nextId + k }
            model.nextId += ids.count
            let first = attempt("append") { try log.append(ids, sync: op % 10 == 1) }
            for (k, id) in ids.enumerated() {
                model.records[first + k] = id
                model.damaged.remove(first + k)
            }
        case 2:
            attempt("sync") { try log.sync() }
        case 3:
            let to = model.floor + arg % Swift.max(1, log.nextSequence - model.floor + 1)
            log.truncate(before: to)
            model.floor = Swift.max(model.floor, to)
        case 4:
            let from = Swift.max(model.cut, model.floor)
            let to = Swift.min(log.nextSequence, from + arg % 9)
            check(log, from..<Swift.max(from, to), model)
            model.cut = Swift.max(from, to)
        case 5:
            attempt("skip") { try log.skip(to: log.nextSequence + arg % 4) }
        case 6, 7:
            damage(op % 10 == 6 ? .flip : .tear, arg, &model, log)
        case 8:
            damage(.delete, arg, &model, log)
        default:
            log.close()
            log = open()
            reconcile(log, &model)
        }
        checkAll(log, model)
    }
    log.close()
    return 0
}

func open() -> WriteAheadLog<Int> {
    attempt("open") { try WriteAheadLog<Int>(directory: root) }
}

func attempt<T>(_ what: String, _ body: () throws -> T) -> T {
    do { return try body() } catch { fatalError("\(what) threw on a healthy disk: \(error)") }
}

enum Damage { case flip, tear, delete }

/// Damages one segment file (chosen by `arg`) and marks every sequence number it may hold as damaged.
func damage(_ kind: Damage, _ arg: Int, _ model: inout Model, _ log: WriteAheadLog<Int>) {
    let starts = WriteAheadLog<Int>.segmentStarts(root)
    guard !starts.isEmpty else { return }
    // The last segment's name keeps the numbering: deleting it is the checkpoint's job (skip), not tested here.
    let candidates = kind == .delete ? Array(starts.dropLast()) : starts
    guard !candidates.isEmpty else { return }
    let index = arg % candidates.count
    let first = candidates[index]
    let end = index + 1 < starts.count ? starts[index + 1] : Int.max
    let url = WriteAheadLog<Int>.url(root, first)
    guard let bytes = try? Data(contentsOf: url), !bytes.isEmpty || kind == .delete else { return }
    // In place, as a disk would: the log may still be appending to this file through its descriptor.
    switch kind {
    case .flip:
        let at = (arg * 7919) % bytes.count
        var byte = bytes[at] ^ UInt8(1 << (arg % 8))
        let fd = Foundation.open(url.path, O_WRONLY)
        guard fd >= 0 else { return }
        _ = pwrite(fd, &byte, 1, off_t(at))
        _ = Foundation.close(fd)
    case .tear:
        _ = truncate(url.path, off_t(bytes.count - 1 - arg % Swift.min(bytes.count, 40)))
    case .delete:
        try? FileManager.default.removeItem(at: url)
    }
    for seq in model.records.keys where seq >= first && seq < end { model.damaged.insert(seq) }
    _ = log
}

/// After reopening: numbers at or past the new next sequence number must all have been damaged (their frames
/// are unreadable, so handing them out again is harmless). The model keeps them as damaged: if the log later
/// skips past them instead of reusing them, a frame whose damage is undone (a second flip of the same bit) is
/// the record that was appended there and may be read back; an append that reuses a number replaces it.
func reconcile(_ log: WriteAheadLog<Int>, _ model: inout Model) {
    let next = log.nextSequence
    for (seq, _) in model.records where seq >= next {
        guard model.damaged.contains(seq) else {
            fatalError("reopened at \(next), but the intact record \(seq) holds that number")
        }
    }
}

/// Reads `range`: intact records must come back; damaged ones intact, or the read reports them missing.
func check(_ log: WriteAheadLog<Int>, _ range: Range<Int>, _ model: Model) {
    let wanted = range.filter { model.records[$0] != nil }
    guard wanted.count == range.count else { return }  // skipped numbers: no batch ever spans them
    do {
        let got = try log.read(range)
        let expected = range.map { model.records[$0]! }
        if got != expected { fatalError("read \(range): \(got), expected \(expected)") }
    } catch SpateError.writeAheadLogRecordsMissing(_, _, let from) {
        if !range[(from - range.lowerBound)...].contains(where: model.damaged.contains) {
            fatalError("read \(range) reports records from \(from) missing, but none of them was damaged")
        }
    } catch {
        fatalError("read \(range) threw \(error)")
    }
}

/// Every record from the floor on: each run holds what was appended at its numbers; intact ones are all there.
func checkAll(_ log: WriteAheadLog<Int>, _ model: Model) {
    let runs: [(Range<Int>, [Int])]
    do { runs = try log.runs(from: model.floor) } catch { fatalError("runs threw \(error)") }
    var seen = Set<Int>()
    for (range, records) in runs {
        guard range.count == records.count else { fatalError("run \(range) holds \(records.count) records") }
        for (seq, id) in zip(range, records) {
            guard model.records[seq] == id else {
                fatalError("sequence \(seq) read as \(id), appended as \(model.records[seq].map(String.init) ?? "nothing")")
            }
            seen.insert(seq)
        }
    }
    for seq in model.records.keys where seq >= model.floor && !model.damaged.contains(seq) && !seen.contains(seq) {
        fatalError("intact record \(seq) is not read back (runs \(runs.map(\.0)))")
    }
    if log.nextSequence <= (model.records.keys.filter { !model.damaged.contains($0) }.max() ?? -1) {
        fatalError("next sequence \(log.nextSequence) is not past every intact record")
    }
}
