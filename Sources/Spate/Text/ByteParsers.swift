extension Utf8Text {
    /// The text read as a decimal integer (optional `+` or `-`, then ASCII digits), or nil when it is not
    /// one or does not fit in `Int`. No String is built.
    /// ```swift
    /// let value = line.field(4)?.parseInt() ?? 0
    /// ```
    @inlinable
    public func parseInt() -> Int? {
        withBytes { p -> Int? in
            var i = 0
            let n = p.count
            if n == 0 { return nil }
            var negative = false
            if p[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if p[0] == UInt8(ascii: "+") { i = 1 }
            if i == n { return nil }
            // Accumulate negatively so Int.min parses.
            var value = 0
            while i < n {
                let d = Int(p[i]) &- 48
                if d < 0 || d > 9 { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(d)
                if o1 || o2 { return nil }
                value = s
                i += 1
            }
            if negative { return value }
            return value == Int.min ? nil : -value
        }
    }

    /// The text read as a `Double`, or nil when it is not a number. Plain decimals (`-12.375`) of up to 19
    /// digits are read from the bytes without building a String and are exactly rounded when they have at
    /// most 15 significant digits; other forms (exponents, `inf`, longer numbers) fall back to
    /// `Double(String)`.
    @inlinable
    public func parseDouble() -> Double? {
        let fast = withBytes { p -> Double?? in
            let n = p.count
            if n == 0 { return .some(nil) }
            var i = 0
            var negative = false
            if p[0] == UInt8(ascii: "-") { negative = true; i = 1 } else if p[0] == UInt8(ascii: "+") { i = 1 }
            var mantissa: UInt64 = 0
            var digits = 0, fraction = 0
            var seenDot = false
            while i < n {
                let b = p[i]
                if b == UInt8(ascii: ".") {
                    if seenDot { return .some(nil) }
                    seenDot = true
                } else if b >= 48 && b <= 57 {
                    mantissa = mantissa &* 10 &+ UInt64(b - 48)
                    digits += 1
                    if seenDot { fraction += 1 }
                    if digits > 19 { return nil }   // may overflow: take the slow path
                } else {
                    return nil                      // exponent, inf, nan or junk: the slow path decides
                }
                i += 1
            }
            if digits == 0 { return .some(nil) }
            // Both operands exact (mantissa < 2^53, 10^fraction <= 10^22): one correctly rounded division.
            if mantissa >= (1 << 53) || fraction > 22 { return nil }
            var value = Double(mantissa)
            if fraction > 0 { value /= Utf8Text.powersOfTen[fraction] }
            return .some(negative ? -value : value)
        }
        if let fast { return fast }
        // `Double(String)` reads a C string and stops at a NUL: "900\0junk" would be 900.
        if withBytes({ $0.contains(0) }) { return nil }
        return Double(string)
    }

    /// 10^0 ... 10^22, all exactly representable as Double.
    @usableFromInline
    static let powersOfTen: [Double] = (0...22).map { e in
        var v = 1.0
        for _ in 0..<e { v *= 10 }
        return v
    }
}
