/// One Avro datum as read from (or to be written as) binary, by the schema's types: the form between the
/// bytes and a `Codable` type. A record's fields are in schema order; a union holds its branch.
indirect enum AvroValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case int(Int32)
    case long(Int64)
    case float(Float)
    case double(Double)
    case bytes([UInt8])
    case string(String)
    case record([String], [AvroValue])
    case enumeration(String)
    case array([AvroValue])
    case map([String: AvroValue])
    case fixed([UInt8])
    case union(Int, AvroValue)

    /// What the value is, for messages.
    var kind: String {
        switch self {
        case .null: "null"
        case .boolean: "a boolean"
        case .int, .long: "an integer"
        case .float, .double: "a floating-point number"
        case .bytes, .fixed: "bytes"
        case .string: "a string"
        case .record: "a record"
        case .enumeration(let s): "the enum symbol \(s)"
        case .array: "an array"
        case .map: "a map"
        case .union(_, let v): v.kind
        }
    }
}
