import Spate

/// Why a record's bytes could not be decoded (or a value encoded): the format, where it failed (the byte
/// offset into the record and the field path, as far as the decoder got) and what was wrong.
///
/// It is an `InvalidInputError`: a decoding stream drops the record, counts it in `BatchInfo.invalidRecords`
/// and hands it to its dead-letter sink with this error, whose text reads like
/// `avro: at byte 7, field click.page: union branch 5 out of range (the schema has 2 branches)`.
public struct RecordDecodingError: InvalidInputError, CustomStringConvertible, Hashable {
    /// The format that rejected the record: `json`, `avro`, `avro-confluent` or `protobuf`.
    public var format: String
    /// The byte offset into the record where decoding stopped, when the decoder knows it.
    public var offset: Int?
    /// The field path from the record's root (`click.tags[2]`), empty at the root.
    public var path: String
    /// What was wrong, in words that say what the bytes or the schema must change.
    public var reason: String

    /// An error of `format` at `offset` and `path`.
    public init(format: String, offset: Int? = nil, path: String = "", reason: String) {
        self.format = format
        self.offset = offset
        self.path = path
        self.reason = reason
    }

    /// `format: at byte N, field P: reason`.
    public var description: String {
        var where_: [String] = []
        if let offset { where_.append("at byte \(offset)") }
        if !path.isEmpty { where_.append("field \(path)") }
        return where_.isEmpty ? "\(format): \(reason)" : "\(format): \(where_.joined(separator: ", ")): \(reason)"
    }
}

/// A field path kept as the decoders descend (`CodingKey`s), printed as `a.b[3].c`.
enum FieldPath {
    /// `keys` printed as a path: integer keys as subscripts, the others dot-separated.
    static func render(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let i = key.intValue, key.stringValue == "Index \(i)" || key.stringValue == "\(i)" {
                out += "[\(i)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out
    }
}

/// A `CodingKey` for array positions and map keys met while decoding.
struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ index: Int) { stringValue = "\(index)"; intValue = index }
    init(stringValue: String) { self.stringValue = stringValue; intValue = nil }
    init?(intValue: Int) { self.init(intValue) }
}
