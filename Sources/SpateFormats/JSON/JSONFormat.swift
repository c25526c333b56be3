import Foundation

extension RecordFormat where T: Decodable {
    /// Each record one JSON value (RFC 8259) decoded into `T` with `Decodable`, through a byte-level reader:
    /// the record becomes one flat token array and the decoder reads keys and scalars from its bytes, with no
    /// Foundation object tree per record (measured against `JSONDecoder` in Benchmarks/). Errors say the byte
    /// offset and field: `json: at byte 12, field user.age: expected an integer, found a string`.
    public static var json: RecordFormat<T> {
        RecordFormat(name: "json") { bytes in
            let tape = try JSONTape(bytes)
            do {
                return try JSONTapeDecoder(tape: tape, index: 0, codingPath: []).decodeScalar(T.self)
            } catch let error as DecodingError {
                throw RecordDecodingError(decoding: error, format: "json")
            }
        }
    }
}

extension RecordEncoding where T: Encodable {
    /// Each value written as one JSON object with Foundation's `JSONEncoder` (sorted keys, so equal values
    /// give equal bytes).
    public static var json: RecordEncoding<T> {
        RecordEncoding(name: "json") { value in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            do { return Array(try encoder.encode(value)) } catch let error as EncodingError {
                throw RecordDecodingError(encoding: error, format: "json")
            }
        }
    }
}

extension RecordDecodingError {
    /// The error a type's own `init(from:)` threw (an enum's unknown raw value, say) in this form.
    init(decoding error: DecodingError, format: String) {
        switch error {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            self.init(format: format, path: FieldPath.render(c.codingPath), reason: c.debugDescription)
        @unknown default:
            self.init(format: format, reason: "\(error)")
        }
    }

    /// The error an `Encoder` threw in this form.
    init(encoding error: EncodingError, format: String) {
        switch error {
        case .invalidValue(_, let c):
            self.init(format: format, path: FieldPath.render(c.codingPath), reason: c.debugDescription)
        @unknown default:
            self.init(format: format, reason: "\(error)")
        }
    }
}
