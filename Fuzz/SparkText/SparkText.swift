// Fuzzes SpateML's readers of Spark's text formats: `Vector(parsing:)` and `LabeledPoint(parsing:)` never
// trap on any line (they parse or throw `SpateMLError`); what they parse, printed in Spark's form and
// parsed again, is the same value; and a line with a NUL byte never parses (NUL is no blank of the format,
// and Spark's `Double.parseDouble` refuses "1\u{0}2", where a C string reader would stop at the NUL).
import SpateML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // A small bound keeps each run fast; the bound itself is what is checked, not the allocation.
    let maximum = 4096
    let hasNUL = line.utf8.contains(0)
    if let vector = parsed({ try Vector(parsing: line, maximumDimension: maximum) }, line) {
        if hasNUL { fatalError("\(line.debugDescription) has a NUL but parsed as the vector \(vector)") }
        let again = reparsed({ try Vector(parsing: vector.description, maximumDimension: maximum) }, vector.description, line)
        same(again.values, vector.values, "vector", line)
        let point = reparsed({ try LabeledPoint(parsing: "(1.0,\(vector))") }, "(1.0,\(vector))", line)
        same(point.features.values, vector.values, "labeled point of the vector", line)
    }
    if let point = parsed({ try LabeledPoint(parsing: line, maximumDimension: maximum) }, line) {
        if hasNUL { fatalError("\(line.debugDescription) has a NUL but parsed as the labeled point \(point)") }
        let again = reparsed({ try LabeledPoint(parsing: point.description, maximumDimension: maximum) }, point.description, line)
        same([again.label] + again.features.values, [point.label] + point.features.values, "labeled point", line)
    }
    return 0
}

/// The value, nil when the line is refused; any error but `SpateMLError` is a bug.
func parsed<T>(_ parse: () throws -> T, _ line: String) -> T? {
    do { return try parse() } catch is SpateMLError { return nil } catch {
        fatalError("\(line.debugDescription) threw \(error), not a SpateMLError")
    }
}

/// The value read back from its printed form, which must parse.
func reparsed<T>(_ parse: () throws -> T, _ printed: String, _ line: String) -> T {
    do { return try parse() } catch {
        fatalError("\(line.debugDescription) parsed, but its printed form \(printed.debugDescription) does not: \(error)")
    }
}

/// Equal value by value; NaN equals NaN (the text form has no NaN payloads).
func same(_ a: [Double], _ b: [Double], _ what: String, _ line: String) {
    let equal = a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || x.bitPattern == y.bitPattern }
    if !equal { fatalError("\(what) of \(line.debugDescription) does not survive printing: \(b) printed and read as \(a)") }
}
