import Crypto

/// SHA-256 and HMAC-SHA256 over byte arrays, the two primitives SigV4 needs, from swift-crypto (BoringSSL's
/// implementation on Linux, CryptoKit's on Apple platforms). Checked against FIPS 180-2's and RFC 4231's
/// published vectors (SHA256Tests) and AWS's SigV4 test suite (SigV4SignerTests).
enum SHA256 {
    /// The 32-byte digest of `message`.
    static func hash(_ message: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: message))
    }

    /// HMAC-SHA256 of `message` under `key` (RFC 2104; a key longer than 64 bytes is hashed first).
    static func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        Array(HMAC<Crypto.SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }

    /// Lower-case hexadecimal, as SigV4 writes digests and signatures.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
