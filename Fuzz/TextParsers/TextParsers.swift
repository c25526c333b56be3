// Fuzzes the text parsers of Sources/Spate/Text against Swift's own as the oracle: `parseInt` against
// `Int(String)`, `parseDouble` against `Double(String)`, words, fields and `field(_:)` against `split`,
// `trimmed`, `hasPrefix`, equality and order against the bytes, and `TextKey` against the bytes it holds.
// Any disagreement traps with both answers, so libFuzzer saves the input.
@testable import Spate

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = Utf8Text(bytes: bytes)
    checkNumbers(text, bytes)
    checkWords(text, bytes)
    checkFields(text, bytes)
    checkViews(text, bytes)
    checkKeys(bytes)
    return 0
}

func agree<T: Equatable>(_ got: T, _ expected: T, _ what: String, _ bytes: [UInt8]) {
    if got != expected { fatalError("\(what): got \(got), Swift says \(expected), input \(bytes)") }
}

func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

/// Swift's `Double(String)` reads the text as a C string: a NUL ends it, so "5\0junk" would be 5. The oracle
/// is what a careful reader means: the whole text is the number.
func oracleDouble(_ bytes: [UInt8]) -> Double? {
    if bytes.contains(0) { return nil }
    return Double(String(decoding: bytes, as: UTF8.self))
}

func checkNumbers(_ text: Utf8Text, _ bytes: [UInt8]) {
    agree(text.parseInt(), Int(String(decoding: bytes, as: UTF8.self)), "parseInt", bytes)
    let got = text.parseDouble(), expected = oracleDouble(bytes)
    switch (got, expected) {
    case (nil, nil): break
    case let (g?, e?) where g.isNaN && e.isNaN: break
    case let (g?, e?) where g.bitPattern == e.bitPattern: break
    default: fatalError("parseDouble: got \(String(describing: got)), Swift says \(String(describing: expected)), input \(bytes)")
    }
}

func checkWords(_ text: Utf8Text, _ bytes: [UInt8]) {
    let expected = bytes.split(whereSeparator: isSpace).map(Array.init)
    agree(text.words.map { $0.withBytes(Array.init) }, expected, "words", bytes)
    var visited: [[UInt8]] = []
    text.forEachWord { visited.append($0.withBytes(Array.init)) }
    agree(visited, expected, "forEachWord", bytes)
    agree(text.wordKeys.map { $0.withBytes(Array.init) }, expected, "wordKeys", bytes)
    agree(Array(text.wordKeys), expected.map { word in word.withUnsafeBufferPointer { TextKey(bytes: $0) } },
          "wordKeys as keys", bytes)
}

func checkFields(_ text: Utf8Text, _ bytes: [UInt8]) {
    // The first byte, when there is one, chooses the separator, so every separator gets fuzzed.
    let separator = bytes.first.map { $0 % 4 == 0 ? UInt8(ascii: ",") : $0 } ?? UInt8(ascii: ",")
    let expected = bytes.split(separator: separator, omittingEmptySubsequences: false).map(Array.init)
    agree(text.split(separator: separator).map { $0.withBytes(Array.init) }, expected, "split", bytes)
    var visited: [[UInt8]] = []
    text.forEachField(separator: separator) { index, field in
        agree(index, visited.count, "forEachField index", bytes)
        visited.append(field.withBytes(Array.init))
    }
    agree(visited, expected, "forEachField", bytes)
    for index in 0...(expected.count) {
        agree(text.field(index, separator: separator)?.withBytes(Array.init),
              index < expected.count ? expected[index] : nil, "field(\(index))", bytes)
    }
    for (index, field) in text.split(separator: separator).enumerated() {
        agree(field.parseInt(), Int(String(decoding: expected[index], as: UTF8.self)), "field parseInt", bytes)
    }
}

func checkViews(_ text: Utf8Text, _ bytes: [UInt8]) {
    agree(text.count, bytes.count, "count", bytes)
    agree(text.string, String(decoding: bytes, as: UTF8.self), "string", bytes)
    var s = bytes.startIndex, e = bytes.endIndex
    while s < e && isSpace(bytes[s]) { s += 1 }
    while e > s && isSpace(bytes[e - 1]) { e -= 1 }
    agree(text.trimmed().withBytes(Array.init), Array(bytes[s..<e]), "trimmed", bytes)
    // Split the input in two at a point it names, then compare the halves every way.
    let cut = bytes.isEmpty ? 0 : Int(bytes[bytes.count - 1]) % (bytes.count + 1)
    let left = text.slice(from: 0, to: cut), right = text.slice(from: cut, to: bytes.count)
    let l = Array(bytes[..<cut]), r = Array(bytes[cut...])
    agree(left.withBytes(Array.init), l, "slice", bytes)
    agree(left == right, l == r, "==", bytes)
    agree(left < right, l.lexicographicallyPrecedes(r), "<", bytes)
    agree(left == Utf8Text(bytes: l), true, "== copy", bytes)
    if left == right { agree(left.hashValue, right.hashValue, "hashValue", bytes) }
    let rightString = String(decoding: r, as: UTF8.self)
    agree(left == rightString, l == Array(rightString.utf8), "== String", bytes)
    agree(text.hasPrefix(String(decoding: l, as: UTF8.self)), bytes.starts(with: Array(String(decoding: l, as: UTF8.self).utf8)),
          "hasPrefix", bytes)
    for offset in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 8)) {
        agree(text[offset], bytes[offset], "subscript", bytes)
    }
}

func checkKeys(_ bytes: [UInt8]) {
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let l = Array(bytes[..<cut]), r = Array(bytes[cut...])
    let a = l.withUnsafeBufferPointer { TextKey(bytes: $0) }, b = r.withUnsafeBufferPointer { TextKey(bytes: $0) }
    agree(a.count, l.count, "TextKey.count", bytes)
    agree(a.withBytes(Array.init), l, "TextKey bytes", bytes)
    agree(b.withBytes(Array.init), r, "TextKey bytes", bytes)
    agree(a == b, l == r, "TextKey ==", bytes)
    agree(a < b, l.lexicographicallyPrecedes(r), "TextKey <", bytes)
    agree(a.string, String(decoding: l, as: UTF8.self), "TextKey.string", bytes)
    agree(TextKey(Utf8Text(bytes: l)), a, "TextKey(Utf8Text)", bytes)
    if let s = String(validating: l, as: UTF8.self) { agree(TextKey(s), a, "TextKey(String)", bytes) }
    let copy = l.withUnsafeBufferPointer { TextKey(bytes: $0) }
    agree(copy.hashValue, a.hashValue, "TextKey.hashValue", bytes)
    agree(copy._rawHashValue(seed: 42), a._rawHashValue(seed: 42), "TextKey._rawHashValue", bytes)
    agree(Set([a, b, copy]).count, l == r ? 1 : 2, "Set of keys", bytes)
}
