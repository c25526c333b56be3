/// Reading a tape token's scalar straight from the record's bytes: strings (unescaped only when they hold
/// escapes), integers without a detour through Double, doubles through a plain-decimal fast path.
extension JSONTape {
    func range(_ t: Token) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Int(t.start)..<Int(t.end)])
    }

    /// Whether string token `t` (a member name) is exactly `key`'s UTF-8.
    func stringEquals(_ t: Token, _ key: String) -> Bool {
        if t.flag { return (try? string(t)) == key }
        let r = range(t)
        var key = key
        return key.withUTF8 { k in k.count == r.count && k.elementsEqual(r) }
    }

    /// String token `t` as a `String`; throws for invalid UTF-8 or a bad escape.
    func string(_ t: Token) throws -> String {
        let r = range(t)
        if !t.flag {
            guard let s = String(validating: r, as: UTF8.self) else {
                throw error(at: Int(t.start), "string is not valid UTF-8")
            }
            return s
        }
        var out: [UInt8] = []
        out.reserveCapacity(r.count)
        var i = 0
        while i < r.count {
            let b = r[i]
            guard b == UInt8(ascii: "\\") else { out.append(b); i += 1; continue }
            guard i + 1 < r.count else { throw error(at: Int(t.start) + i, "unfinished escape") }
            let e = r[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(r, i, Int(t.start))
                i += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 6 <= r.count, r[i] == UInt8(ascii: "\\"), r[i + 1] == UInt8(ascii: "u") else {
                        throw error(at: Int(t.start) + i, "high surrogate \\u\(String(scalar, radix: 16)) without its low half")
                    }
                    let low = try hex4(r, i + 2, Int(t.start))
                    guard (0xDC00..<0xE000).contains(low) else {
                        throw error(at: Int(t.start) + i, "high surrogate followed by \\u\(String(low, radix: 16))")
                    }
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else {
                    throw error(at: Int(t.start) + i - 6, "lone surrogate \\u\(String(scalar, radix: 16))")
                }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw error(at: Int(t.start) + i - 1, "unknown escape '\\\(Unicode.Scalar(e))'")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw error(at: Int(t.start), "string is not valid UTF-8")
        }
        return s
    }

    private func hex4(_ r: UnsafeRawBufferPointer, _ i: Int, _ base: Int) throws -> UInt32 {
        guard i + 4 <= r.count else { throw error(at: base + i, "\\u needs four hex digits") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = r[i + k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw error(at: base + i + k, "\\u needs four hex digits")
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Number token `t` as an integer of type `I`; throws when it has a fraction or does not fit.
    func integer<I: FixedWidthInteger>(_ t: Token, as _: I.Type) throws -> I {
        let r = range(t)
        var i = 0
        let negative = r[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        var value: I = 0
        while i < r.count {
            let d = Int(r[i]) - 0x30
            guard d >= 0, d <= 9 else {
                // 1.0 or 1e3: exact integers written as decimals, as Foundation accepts them.
                let x = try double(t)
                guard x.rounded() == x, let v = I(exactly: x) else {
                    throw error(at: Int(t.start), "\(text(t)) is not a whole number that fits in \(I.self)")
                }
                return v
            }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(I(d)) : m.addingReportingOverflow(I(d))
            if o1 || o2 { throw error(at: Int(t.start), "\(text(t)) does not fit in \(I.self)") }
            value = s
            i += 1
        }
        return value
    }

    /// Number token `t` as a Double: plain decimals of up to 15 significant digits read exactly from the bytes,
    /// other forms through the standard library's parser.
    func double(_ t: Token) throws -> Double {
        let r = range(t)
        var i = 0, mantissa: UInt64 = 0, digits = 0, fraction = 0, seenDot = false, plain = true
        let negative = r[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        while i < r.count {
            let b = r[i]
            if b == UInt8(ascii: ".") { seenDot = true } else if b >= 0x30 && b <= 0x39 {
                mantissa = mantissa &* 10 &+ UInt64(b - 0x30)
                digits += 1
                if seenDot { fraction += 1 }
            } else { plain = false; break }
            i += 1
        }
        if plain, digits <= 15, fraction <= 22 {
            var v = Double(mantissa)
            if fraction > 0 { v /= Self.powersOfTen[fraction] }
            return negative ? -v : v
        }
        guard let v = Double(text(t)) else { throw error(at: Int(t.start), "\(text(t)) is not a number") }
        guard v.isFinite else { throw error(at: Int(t.start), "\(text(t)) is out of Double's range") }
        return v
    }

    static let powersOfTen: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { v, _ in v * 10 } }

    /// The token's bytes as text, for messages.
    func text(_ t: Token) -> String { String(decoding: range(t).prefix(64), as: UTF8.self) }
}
