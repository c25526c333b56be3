/// A `Decoder` over an `AvroValue` read by `AvroBinaryReader`: records and maps are keyed containers (by
/// field name, by map key), arrays unkeyed, a union its branch (`null` is nil for an Optional), enums decode
/// as their symbol's string, bytes and fixed as `[UInt8]` (or any type decoding from an array of `UInt8`).
struct AvroValueDecoder: Decoder {
    let value: AvroValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(_ value: AvroValue, codingPath: [any CodingKey] = []) {
        // A union is decoded as the branch it holds.
        if case .union(_, let inner) = value { self.value = inner } else { self.value = value }
        self.codingPath = codingPath
    }

    func mismatch(_ expected: String) -> RecordDecodingError {
        RecordDecodingError(format: "avro", path: FieldPath.render(codingPath), reason: "expected \(expected), found \(value.kind)")
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch value {
        case .record(let names, let values): return KeyedDecodingContainer(Keyed<Key>(names: names, values: values, decoder: self))
        case .map(let m): return KeyedDecodingContainer(Keyed<Key>(names: Array(m.keys), values: Array(m.values), decoder: self))
        default: throw mismatch("a record or map")
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch value {
        case .array(let xs): return Unkeyed(items: xs, decoder: self)
        case .bytes(let b), .fixed(let b): return Unkeyed(items: b.map { .int(Int32($0)) }, decoder: self)
        default: throw mismatch("an array")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { Single(decoder: self) }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        switch (type, value) {
        case (is String.Type, .string(let s)), (is String.Type, .enumeration(let s)): return s as! T
        case (is Bool.Type, .boolean(let b)): return b as! T
        case (is Double.Type, .double(let d)): return d as! T
        case (is Double.Type, .float(let f)): return Double(f) as! T
        case (is Float.Type, .float(let f)): return f as! T
        case (is Float.Type, .double(let d)): return Float(d) as! T
        case (is [UInt8].Type, .bytes(let b)), (is [UInt8].Type, .fixed(let b)): return b as! T
        default: break
        }
        if let integer = type as? any FixedWidthInteger.Type { return try decodeInteger(integer) as! T }
        switch type {
        case is String.Type: throw mismatch("a string")
        case is Bool.Type: throw mismatch("a boolean")
        case is Double.Type, is Float.Type: throw mismatch("a floating-point number")
        default: return try T(from: self)
        }
    }

    private func decodeInteger<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let n: Int64
        switch value {
        case .int(let i): n = Int64(i)
        case .long(let l): n = l
        default: throw mismatch("an integer")
        }
        guard let v = I(exactly: n) else {
            throw RecordDecodingError(format: "avro", path: FieldPath.render(codingPath), reason: "\(n) does not fit in \(I.self)")
        }
        return v
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let names: [String]
        let values: [AvroValue]
        let decoder: AvroValueDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        var allKeys: [Key] { names.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { names.contains(key.stringValue) }

        private func child(_ key: Key) throws -> AvroValueDecoder {
            guard let i = names.firstIndex(of: key.stringValue) else {
                throw RecordDecodingError(format: "avro", path: FieldPath.render(codingPath),
                                          reason: "the record has no field \"\(key.stringValue)\" (fields: \(names.joined(separator: ", ")))")
            }
            return AvroValueDecoder(values[i], codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let i = names.firstIndex(of: key.stringValue) else { return true }
            return AvroValueDecoder(values[i]).value == .null
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeValue(type) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
            -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [AvroValue]
        let decoder: AvroValueDecoder
        private(set) var currentIndex = 0
        var codingPath: [any CodingKey] { decoder.codingPath }
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        init(items: [AvroValue], decoder: AvroValueDecoder) {
            self.items = items
            self.decoder = decoder
        }

        private mutating func next() throws -> AvroValueDecoder {
            guard !isAtEnd else {
                throw RecordDecodingError(format: "avro", path: FieldPath.render(codingPath),
                                          reason: "array has only \(items.count) items, more expected")
            }
            defer { currentIndex += 1 }
            return AvroValueDecoder(items[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, AvroValueDecoder(items[currentIndex]).value == .null else { return false }
            currentIndex += 1
            return true
        }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
            -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { try next() }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: AvroValueDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool { decoder.value == .null }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.decodeValue(type) }
    }
}
