/// An `Encoder` that turns an `Encodable` value into an `AvroValue` tree; `AvroBinaryWriter` then matches it
/// to the schema (so the Swift type needs no Avro annotations: field names are the coding keys).
final class AvroValueEncoder: Encoder {
    /// A node of the tree being built; containers hand out children that fill in later.
    final class Slot {
        enum State { case empty, value(AvroValue), keyed([String], [Slot]), unkeyed([Slot]) }
        var state = State.empty

        var value: AvroValue {
            switch state {
            case .empty: .null
            case .value(let v): v
            case .keyed(let names, let slots): .record(names, slots.map(\.value))
            case .unkeyed(let slots): .array(slots.map(\.value))
            }
        }
    }

    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(slot: Slot = Slot(), codingPath: [any CodingKey] = []) {
        self.slot = slot
        self.codingPath = codingPath
    }

    /// `value` as an `AvroValue`.
    static func encode<T: Encodable>(_ value: T) throws -> AvroValue {
        let encoder = AvroValueEncoder()
        try encoder.encodeValue(value)
        return encoder.slot.value
    }

    /// Scalars straight to values; other types through their own `encode(to:)`.
    func encodeValue<T: Encodable>(_ value: T) throws {
        // By type, not by cast: an empty array of any element type casts to [UInt8].
        if T.self == [UInt8].self {
            slot.state = .value(.bytes(value as! [UInt8]))
            return
        }
        switch value {
        case let v as String: slot.state = .value(.string(v))
        case let v as Bool: slot.state = .value(.boolean(v))
        case let v as Double: slot.state = .value(.double(v))
        case let v as Float: slot.state = .value(.float(v))
        case let v as Int: slot.state = .value(.long(Int64(v)))
        case let v as Int64: slot.state = .value(.long(v))
        case let v as Int32: slot.state = .value(.int(v))
        case let v as Int16: slot.state = .value(.int(Int32(v)))
        case let v as Int8: slot.state = .value(.int(Int32(v)))
        case let v as UInt8: slot.state = .value(.int(Int32(v)))
        case let v as UInt16: slot.state = .value(.int(Int32(v)))
        case let v as UInt32: slot.state = .value(.long(Int64(v)))
        case let v as UInt64:
            guard let l = Int64(exactly: v) else {
                throw RecordDecodingError(format: "avro", path: FieldPath.render(codingPath), reason: "\(v) does not fit an Avro long")
            }
            slot.state = .value(.long(l))
        case let v as UInt:
            guard let l = Int64(exactly: v) else {
                throw RecordDecodingError(format: "avro", path: FieldPath.render(codingPath), reason: "\(v) does not fit an Avro long")
            }
            slot.state = .value(.long(l))
        default: try value.encode(to: self)
        }
    }

    func child(_ key: any CodingKey) -> AvroValueEncoder { AvroValueEncoder(codingPath: codingPath + [key]) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .keyed = slot.state {} else { slot.state = .keyed([], []) }
        return KeyedEncodingContainer(Keyed<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .unkeyed = slot.state {} else { slot.state = .unkeyed([]) }
        return Unkeyed(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(encoder: self) }

    /// Adds a member named `key` and returns its encoder.
    func member(_ key: any CodingKey) -> AvroValueEncoder {
        let c = child(key)
        if case .keyed(var names, var slots) = slot.state {
            names.append(key.stringValue)
            slots.append(c.slot)
            slot.state = .keyed(names, slots)
        }
        return c
    }

    /// Adds an element and returns its encoder.
    func element() -> AvroValueEncoder {
        guard case .unkeyed(var slots) = slot.state else { return child(IndexKey(0)) }
        let c = child(IndexKey(slots.count))
        slots.append(c.slot)
        slot.state = .unkeyed(slots)
        return c
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: AvroValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        mutating func encodeNil(forKey key: Key) throws { encoder.member(key).slot.state = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try encoder.member(key).encodeValue(value) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
            -> KeyedEncodingContainer<NestedKey> {
            encoder.member(key).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            encoder.member(key).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder.member(key) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let encoder: AvroValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int { if case .unkeyed(let s) = encoder.slot.state { s.count } else { 0 } }
        mutating func encodeNil() throws { encoder.element().slot.state = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try encoder.element().encodeValue(value) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey> {
            encoder.element().container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { encoder.element().unkeyedContainer() }
        mutating func superEncoder() -> any Encoder { encoder.element() }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: AvroValueEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        mutating func encodeNil() throws { encoder.slot.state = .value(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try encoder.encodeValue(value) }
    }
}
