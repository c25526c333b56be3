import Foundation
import SwiftProtobuf

extension RecordFormat where T: SwiftProtobuf.Message {
    /// Each record one Protobuf message of type `T` in the binary wire format (SwiftProtobuf's decoder; unknown
    /// fields are kept, as Protobuf asks). Errors name SwiftProtobuf's reason (`truncated`,
    /// `malformedProtobuf`, `invalidUTF8`, ...) and the record's size: the library does not report the offset.
    /// ```swift
    /// let clicks = bytes.decoded(as: Click.self, .protobuf)   // Click: a protoc-gen-swift message
    /// ```
    public static var protobuf: RecordFormat<T> {
        RecordFormat(name: "protobuf") { bytes in
            // A view of the record's bytes (no copy) for SwiftProtobuf, which reads Data or [UInt8].
            let data = bytes.baseAddress.map {
                Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: $0), count: bytes.count, deallocator: .none)
            } ?? Data()
            do { return try T(serializedBytes: data) } catch let error as BinaryDecodingError {
                throw RecordDecodingError(
                    format: "protobuf", path: T.protoMessageName,
                    reason: "\(error) while reading a \(bytes.count)-byte \(T.protoMessageName)")
            }
        }
    }
}

extension RecordEncoding where T: SwiftProtobuf.Message {
    /// Each message in the Protobuf binary wire format. Throws when a proto2 message lacks a required field.
    public static var protobuf: RecordEncoding<T> {
        RecordEncoding(name: "protobuf") { value in
            do { return try value.serializedBytes() } catch let error as BinaryEncodingError {
                throw RecordDecodingError(format: "protobuf", path: T.protoMessageName, reason: "\(error)")
            }
        }
    }
}
