import SpateSQL

extension SQLColumns where T: Codable {
    /// One column per stored property of a `Codable` struct of scalars (`String`, integers, `Double`, `Float`,
    /// `Bool`, `[UInt8]`, and optionals of these, which are nullable), named and ordered as the properties;
    /// a property of another type is reported by `start()` (declare the columns instead).
    public static var record: SQLColumns {
        let found: [TableColumn], problem: String?
        do {
            let discovery = ColumnDiscovery()
            _ = try T(from: discovery)
            (found, problem) = (discovery.columns, discovery.columns.isEmpty ? "\(T.self) has no stored properties" : nil)
        } catch {
            (found, problem) = ([], "\(T.self) is not a struct of scalar properties (\(error)): declare the columns "
                + "with columns: .declared([...]) { ... }")
        }
        let index = Dictionary(found.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let typeName = "\(T.self)"
        return SQLColumns(columns: found, problem: problem) { element, binder in
            let encoder = RowEncoder(index: index, count: found.count)
            try element.encode(to: encoder)
            if let failure = encoder.failure { throw RowMismatch(reason: "\(typeName): \(failure)") }
            for value in encoder.values { try binder.append(value) }
        }
    }
}

// MARK: Finding the columns: decoding a placeholder value, recording each property's key and type.

/// A decoder that makes a placeholder value of a struct and records the column each property decodes from.
private final class ColumnDiscovery: Decoder {
    var columns: [TableColumn] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(DiscoveringContainer<Key>(discovery: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { throw NotScalar(what: "a top-level array") }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { throw NotScalar(what: "a single value") }
}

private struct NotScalar: Error, CustomStringConvertible {
    let what: String
    var description: String { "\(what) is not a column" }
}

private struct DiscoveringContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let discovery: ColumnDiscovery
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }

    func contains(_ key: Key) -> Bool { true }

    private func add(_ key: Key, _ type: TableColumnType, nullable: Bool) {
        discovery.columns.append(TableColumn(key.stringValue, type, nullable: nullable))
    }

    func decodeNil(forKey key: Key) throws -> Bool { false }
    func decode(_: Bool.Type, forKey key: Key) throws -> Bool { add(key, .integer, nullable: false); return false }
    func decode(_: String.Type, forKey key: Key) throws -> String { add(key, .text, nullable: false); return "" }
    func decode(_: Double.Type, forKey key: Key) throws -> Double { add(key, .real, nullable: false); return 0 }
    func decode(_: Float.Type, forKey key: Key) throws -> Float { add(key, .real, nullable: false); return 0 }
    func decode(_: Int.Type, forKey key: Key) throws -> Int { add(key, .integer, nullable: false); return 0 }
    func decode(_: Int8.Type, forKey key: Key) throws -> Int8 { add(key, .integer, nullable: false); return 0 }
    func decode(_: Int16.Type, forKey key: Key) throws -> Int16 { add(key, .integer, nullable: false); return 0 }
    func decode(_: Int32.Type, forKey key: Key) throws -> Int32 { add(key, .integer, nullable: false); return 0 }
    func decode(_: Int64.Type, forKey key: Key) throws -> Int64 { add(key, .integer, nullable: false); return 0 }
    func decode(_: UInt.Type, forKey key: Key) throws -> UInt { add(key, .integer, nullable: false); return 0 }
    func decode(_: UInt8.Type, forKey key: Key) throws -> UInt8 { add(key, .integer, nullable: false); return 0 }
    func decode(_: UInt16.Type, forKey key: Key) throws -> UInt16 { add(key, .integer, nullable: false); return 0 }
    func decode(_: UInt32.Type, forKey key: Key) throws -> UInt32 { add(key, .integer, nullable: false); return 0 }
    func decode(_: UInt64.Type, forKey key: Key) throws -> UInt64 { add(key, .integer, nullable: false); return 0 }

    func decode<V: Decodable>(_ type: V.Type, forKey key: Key) throws -> V {
        guard let bytes = [UInt8]() as? V else {
            throw NotScalar(what: "property '\(key.stringValue)' of type \(V.self)")
        }
        add(key, .blob, nullable: false)
        return bytes
    }

    // Optionals decode with decodeIfPresent: the column is nullable. Each overload is spelled out, as the
    // protocol's defaults for them would call decode and lose that.
    func decodeIfPresent<V: Decodable>(_ type: V.Type, forKey key: Key) throws -> V? {
        try nullable(key) { _ = try decode(type, forKey: key) }
    }
    func decodeIfPresent(_ t: Bool.Type, forKey key: Key) throws -> Bool? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: String.Type, forKey key: Key) throws -> String? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Double.Type, forKey key: Key) throws -> Double? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Float.Type, forKey key: Key) throws -> Float? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Int.Type, forKey key: Key) throws -> Int? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Int8.Type, forKey key: Key) throws -> Int8? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Int16.Type, forKey key: Key) throws -> Int16? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Int32.Type, forKey key: Key) throws -> Int32? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: Int64.Type, forKey key: Key) throws -> Int64? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: UInt.Type, forKey key: Key) throws -> UInt? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: UInt8.Type, forKey key: Key) throws -> UInt8? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: UInt16.Type, forKey key: Key) throws -> UInt16? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: UInt32.Type, forKey key: Key) throws -> UInt32? { try nullable(key) { _ = try decode(t, forKey: key) } }
    func decodeIfPresent(_ t: UInt64.Type, forKey key: Key) throws -> UInt64? { try nullable(key) { _ = try decode(t, forKey: key) } }

    /// Records the column `record` adds as nullable; returns nil (an absent optional).
    private func nullable<V>(_ key: Key, _ record: () throws -> Void) throws -> V? {
        try record()
        let c = discovery.columns.removeLast()
        discovery.columns.append(TableColumn(c.name, c.type, nullable: true))
        return nil
    }

    func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
        throw NotScalar(what: "property '\(key.stringValue)' (a nested struct)")
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw NotScalar(what: "property '\(key.stringValue)' (an array)")
    }
    func superDecoder() throws -> any Decoder { throw NotScalar(what: "a superclass") }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw NotScalar(what: "a superclass") }
}

// MARK: Encoding an element into its column values.

/// An encoder that puts each property's value at its column's position (properties left out, as a `nil`
/// optional is, stay `NULL`).
private final class RowEncoder: Encoder {
    let index: [String: Int]
    /// The row's values, by column position.
    var values: [TableValue]
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(index: [String: Int], count: Int) {
        self.index = index
        self.values = Array(repeating: .null, count: count)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(EncodingContainer<Key>(encoder: self))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { RefusingContainer(encoder: self, what: "an array") }
    func singleValueContainer() -> any SingleValueEncodingContainer {
        RefusingContainer(encoder: self, what: "a single value")
    }

    /// Why the element could not be encoded as a row (its `encode(to:)` asked for more than keyed scalars).
    var failure: String?
}

private struct EncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: RowEncoder
    var codingPath: [any CodingKey] { [] }

    private func set(_ value: TableValue, _ key: Key) throws {
        guard let i = encoder.index[key.stringValue] else {
            throw NotScalar(what: "property '\(key.stringValue)', which decoding did not show,")
        }
        encoder.values[i] = value
    }

    func encodeNil(forKey key: Key) throws { try set(.null, key) }
    func encode(_ v: Bool, forKey key: Key) throws { try set(.integer(v ? 1 : 0), key) }
    func encode(_ v: String, forKey key: Key) throws { try set(.text(v), key) }
    func encode(_ v: Double, forKey key: Key) throws { try set(.real(v), key) }
    func encode(_ v: Float, forKey key: Key) throws { try set(.real(Double(v)), key) }
    func encode(_ v: Int, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: Int8, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: Int16, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: Int32, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: Int64, forKey key: Key) throws { try set(.integer(v), key) }
    func encode(_ v: UInt, forKey key: Key) throws { try set(try integer(v, key), key) }
    func encode(_ v: UInt8, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: UInt16, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: UInt32, forKey key: Key) throws { try set(.integer(Int64(v)), key) }
    func encode(_ v: UInt64, forKey key: Key) throws { try set(try integer(v, key), key) }
    func encode<V: Encodable>(_ v: V, forKey key: Key) throws {
        guard let bytes = v as? [UInt8] else { throw NotScalar(what: "property '\(key.stringValue)' of type \(V.self)") }
        try set(.blob(bytes), key)
    }

    /// An unsigned value as a 64-bit integer column, refused past `Int64.max` (SQLite's integers are signed).
    private func integer<U: UnsignedInteger>(_ v: U, _ key: Key) throws -> TableValue {
        guard let i = Int64(exactly: v) else {
            throw RowMismatch(reason: "property '\(key.stringValue)' = \(v) is past SQLite's largest integer")
        }
        return .integer(i)
    }

    func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
        encoder.failure = encoder.failure ?? "property '\(key.stringValue)' encodes a nested struct"
        return KeyedEncodingContainer(EncodingContainer<N>(encoder: RowEncoder(index: [:], count: 0)))
    }
    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        RefusingContainer(encoder: encoder, what: "property '\(key.stringValue)' (an array)")
    }
    func superEncoder() -> any Encoder { refusedEncoder("a superclass") }
    func superEncoder(forKey key: Key) -> any Encoder { refusedEncoder("a superclass") }

    private func refusedEncoder(_ what: String) -> any Encoder {
        encoder.failure = encoder.failure ?? "\(what) is not a column"
        return RowEncoder(index: [:], count: 0)
    }
}

/// A container for what a row cannot hold (an array, a single value): the first use records why the element
/// is refused, and nothing is written.
private struct RefusingContainer: UnkeyedEncodingContainer, SingleValueEncodingContainer {
    let encoder: RowEncoder
    let what: String
    var codingPath: [any CodingKey] { [] }
    var count: Int { 0 }

    private func refuse() { encoder.failure = encoder.failure ?? "\(what) is not a column" }

    mutating func encodeNil() throws { refuse() }
    mutating func encode<V: Encodable>(_ value: V) throws { refuse() }
    mutating func encode(_ value: Bool) throws { refuse() }
    mutating func encode(_ value: String) throws { refuse() }
    mutating func encode(_ value: Double) throws { refuse() }
    mutating func encode(_ value: Float) throws { refuse() }
    mutating func encode(_ value: Int) throws { refuse() }
    mutating func encode(_ value: Int8) throws { refuse() }
    mutating func encode(_ value: Int16) throws { refuse() }
    mutating func encode(_ value: Int32) throws { refuse() }
    mutating func encode(_ value: Int64) throws { refuse() }
    mutating func encode(_ value: UInt) throws { refuse() }
    mutating func encode(_ value: UInt8) throws { refuse() }
    mutating func encode(_ value: UInt16) throws { refuse() }
    mutating func encode(_ value: UInt32) throws { refuse() }
    mutating func encode(_ value: UInt64) throws { refuse() }
    mutating func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type) -> KeyedEncodingContainer<N> {
        refuse()
        return KeyedEncodingContainer(EncodingContainer<N>(encoder: RowEncoder(index: [:], count: 0)))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { refuse(); return self }
    mutating func superEncoder() -> any Encoder { refuse(); return RowEncoder(index: [:], count: 0) }
}
