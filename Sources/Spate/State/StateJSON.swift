import Foundation

/// The JSON coders of everything Spate writes for recovery: operator state, write-ahead-log records, source
/// descriptors and positions, checkpoint files, partition snapshots.
///
/// Floating-point NaN and infinities are written as the strings `"NaN"`, `"Infinity"` and `"-Infinity"` and read
/// back as those values. Foundation's default refuses them, and a single NaN in a state (a `Double` parsed from
/// `"nan"`, a division by zero) then made every later checkpoint fail: the recovery point stayed behind and the
/// write-ahead log was never truncated. Spark's Java serialization keeps NaN too. Strings that read `"NaN"` stay
/// strings: only a value decoded as a floating-point number is converted.
package enum StateJSON {
    private static let nan = "NaN", infinity = "Infinity", negativeInfinity = "-Infinity"

    /// An encoder that writes non-finite numbers as strings.
    package static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    /// A decoder that reads what `encoder()` writes.
    package static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }
}
