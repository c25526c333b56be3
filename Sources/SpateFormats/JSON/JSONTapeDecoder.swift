/// A `Decoder` over a `JSONTape`: containers walk the tape's tokens, scalars are read from the record's bytes
/// when asked. Built per record on the stack of `JSONFormat.decode`; holds no copy of the bytes.
///
/// Semantics follow Foundation's `JSONDecoder` with its default strategies (keys as written, `Date` as
/// seconds since 2001 through its own `Decodable`), except `Data`, which decodes as an array of numbers here.
struct JSONTapeDecoder: Decoder {
    let tape: JSONTape
    let index: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var token: JSONTape.Token { tape.tokens[index] }

    func mismatch(_ expected: String, _ t: JSONTape.Token, path: [any CodingKey]? = nil) -> RecordDecodingError {
        let found: String
        switch t.kind {
        case .object: found = "an object"
        case .array: found = "an array"
        case .string: found = "a string"
        case .number: found = "the number \(tape.text(t))"
        case .bool: found = t.flag ? "true" : "false"
        case .null: found = "null"
        }
        return RecordDecodingError(
            format: "json", offset: Int(t.start), path: FieldPath.render(path ?? codingPath),
            reason: "expected \(expected), found \(found)")
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard token.kind == .object else { throw mismatch("an object", token) }
        return KeyedDecodingContainer(JSONKeyedContainer<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard token.kind == .array else { throw mismatch("an array", token) }
        return JSONUnkeyedContainer(decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { JSONSingleValue(decoder: self) }

    /// The decoder of the value at token `i`, one key deeper.
    func child(_ i: Int, _ key: any CodingKey) -> JSONTapeDecoder {
        JSONTapeDecoder(tape: tape, index: i, codingPath: codingPath + [key])
    }

    /// Errors thrown from here carry the format and path; a `DecodingError` from a type's own `init(from:)`
    /// is turned into the same form by `JSONFormat`.
    func decodeScalar<T: Decodable>(_ type: T.Type) throws -> T {
        let t = token
        func wrap<V>(_ body: () throws -> V) throws -> V {
            do { return try body() } catch var e as RecordDecodingError {
                e.path = FieldPath.render(codingPath)
                throw e
            }
        }
        switch type {
        case is String.Type:
            guard t.kind == .string else { throw mismatch("a string", t) }
            return try wrap { try tape.string(t) } as! T
        case is Bool.Type:
            guard t.kind == .bool else { throw mismatch("true or false", t) }
            return t.flag as! T
        case is Double.Type:
            guard t.kind == .number else { throw mismatch("a number", t) }
            return try wrap { try tape.double(t) } as! T
        case is Float.Type:
            guard t.kind == .number else { throw mismatch("a number", t) }
            let f = try wrap { Float(try tape.double(t)) }
            guard f.isFinite else {
                throw RecordDecodingError(format: "json", offset: Int(t.start), path: FieldPath.render(codingPath),
                                          reason: "\(tape.text(t)) is out of Float's range")
            }
            return f as! T
        case is Int.Type: return try integer(Int.self) as! T
        case is Int64.Type: return try integer(Int64.self) as! T
        case is Int32.Type: return try integer(Int32.self) as! T
        case is Int16.Type: return try integer(Int16.self) as! T
        case is Int8.Type: return try integer(Int8.self) as! T
        case is UInt.Type: return try integer(UInt.self) as! T
        case is UInt64.Type: return try integer(UInt64.self) as! T
        case is UInt32.Type: return try integer(UInt32.self) as! T
        case is UInt16.Type: return try integer(UInt16.self) as! T
        case is UInt8.Type: return try integer(UInt8.self) as! T
        default: return try T(from: self)
        }
    }

    func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let t = token
        guard t.kind == .number else { throw mismatch("an integer", t) }
        do { return try tape.integer(t, as: I.self) } catch var e as RecordDecodingError {
            e.path = FieldPath.render(codingPath)
            throw e
        }
    }
}

/// An object's members; lookups start where the last one ended, so fields decoded in the order they were
/// written (the usual case) cost one comparison each.
struct JSONKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: JSONTapeDecoder
    private let cursor = Cursor()
    var codingPath: [any CodingKey] { decoder.codingPath }

    final class Cursor { var member = 0, token = 0 }

    init(decoder: JSONTapeDecoder) { self.decoder = decoder }

    var allKeys: [Key] {
        var keys: [Key] = []
        var i = decoder.index + 1
        for _ in 0..<Int(decoder.token.count) {
            if let s = try? decoder.tape.string(decoder.tape.tokens[i]), let k = Key(stringValue: s) { keys.append(k) }
            i = Int(decoder.tape.tokens[i + 1].next)
        }
        return keys
    }

    /// The token index of `key`'s value, nil when the object has no such member.
    private func find(_ key: Key) -> Int? {
        let tape = decoder.tape
        let n = Int(decoder.token.count)
        guard n > 0 else { return nil }
        let first = decoder.index + 1
        var i = cursor.member == 0 ? first : cursor.token, m = cursor.member
        let name = key.stringValue
        for _ in 0..<n {
            let after = Int(tape.tokens[i + 1].next)
            if tape.stringEquals(tape.tokens[i], name) {
                (cursor.member, cursor.token) = m + 1 == n ? (0, first) : (m + 1, after)
                return i + 1
            }
            (m, i) = m + 1 == n ? (0, first) : (m + 1, after)
        }
        return nil
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    private func value(_ key: Key) throws -> JSONTapeDecoder {
        guard let i = find(key) else {
            throw RecordDecodingError(
                format: "json", offset: Int(decoder.token.start), path: FieldPath.render(codingPath),
                reason: "missing member \"\(key.stringValue)\"")
        }
        return decoder.child(i, key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let i = find(key) else { return true }
        return decoder.tape.tokens[i].kind == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try value(key).decodeScalar(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let i = find(key), decoder.tape.tokens[i].kind != .null else { return nil }
        return try decoder.child(i, key).decodeScalar(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        try value(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try value(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { try value(key) }
}

/// An array's elements, in order.
struct JSONUnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: JSONTapeDecoder
    private var next: Int
    private(set) var currentIndex = 0
    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { Int(decoder.token.count) }
    var isAtEnd: Bool { currentIndex >= Int(decoder.token.count) }

    init(decoder: JSONTapeDecoder) {
        self.decoder = decoder
        self.next = decoder.index + 1
    }

    private mutating func element() throws -> JSONTapeDecoder {
        guard !isAtEnd else {
            throw RecordDecodingError(
                format: "json", offset: Int(decoder.token.end) - 1, path: FieldPath.render(codingPath),
                reason: "array has only \(currentIndex) elements, more expected")
        }
        let d = decoder.child(next, IndexKey(currentIndex))
        next = Int(decoder.tape.tokens[next].next)
        currentIndex += 1
        return d
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, decoder.tape.tokens[next].kind == .null else { return false }
        _ = try element()
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try element().decodeScalar(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey> {
        try element().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try element().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try element() }
}

/// One value.
struct JSONSingleValue: SingleValueDecodingContainer {
    let decoder: JSONTapeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    func decodeNil() -> Bool { decoder.token.kind == .null }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeScalar(type) }
}
