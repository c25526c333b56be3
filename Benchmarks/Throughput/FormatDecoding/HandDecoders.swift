/// Decoders written by hand for exactly the benchmark's `Click` (no Codable, no schema walk, no tape): the
/// best a program could do for one record type, the baseline each format's figure sits beside. They read
/// only what the benchmark writes (no escapes in JSON strings, fields in schema order for Avro).
enum HandDecoders {
    struct Malformed: Error {}

    // MARK: Avro
    static func avro(_ p: UnsafeRawBufferPointer) throws -> Click {
        var i = 0
        func varint() throws -> Int64 {
            var raw: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < p.count, shift < 64 else { throw Malformed() }
                let b = p[i]; i += 1
                raw |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }
                shift += 7
            }
        }
        func string() throws -> String {
            let n = Int(try varint())
            guard n >= 0, n <= p.count - i else { throw Malformed() }
            defer { i += n }
            return String(decoding: UnsafeRawBufferPointer(rebasing: p[i..<i + n]), as: UTF8.self)
        }
        let page = try string()
        let user = try varint()
        guard i + 8 <= p.count else { throw Malformed() }
        let amount = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
        i += 8
        var tags: [String] = []
        while true {
            var n = try varint()
            if n == 0 { break }
            if n < 0 { n = -n; _ = try varint() }
            for _ in 0..<n { tags.append(try string()) }
        }
        let kind: Click.Kind = try varint() == 1 ? .BUY : .VIEW
        let referrer = try varint() == 1 ? try string() : nil
        var counts: [String: Int32] = [:]
        while true {
            var n = try varint()
            if n == 0 { break }
            if n < 0 { n = -n; _ = try varint() }
            for _ in 0..<n { let k = try string(); counts[k] = Int32(truncatingIfNeeded: try varint()) }
        }
        return Click(page: page, userID: user, amount: amount, tags: tags, kind: kind, referrer: referrer, counts: counts)
    }

    /// Confluent's framing: magic byte 0, the big-endian schema id (the one the benchmark writes, 42), then
    /// the Avro datum.
    static func avroConfluent(_ p: UnsafeRawBufferPointer) throws -> Click {
        guard p.count >= 5, p[0] == 0, Int32(bigEndian: p.loadUnaligned(fromByteOffset: 1, as: Int32.self)) == 42
        else { throw Malformed() }
        return try avro(UnsafeRawBufferPointer(rebasing: p[5...]))
    }

    // MARK: Protobuf
    static func protobuf(_ p: UnsafeRawBufferPointer) throws -> Click {
        var i = 0
        func varint() throws -> UInt64 {
            var raw: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < p.count, shift < 64 else { throw Malformed() }
                let b = p[i]; i += 1
                raw |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return raw }
                shift += 7
            }
        }
        func bytes(_ end: Int) throws -> Range<Int> {
            let n = Int(try varint())
            guard n >= 0, n <= end - i else { throw Malformed() }
            defer { i += n }
            return i..<i + n
        }
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeRawBufferPointer(rebasing: p[r]), as: UTF8.self) }
        var c = Click(page: "", userID: 0, amount: 0, tags: [], kind: .VIEW, referrer: nil, counts: [:])
        while i < p.count {
            let tag = try varint()
            switch tag {
            case 0x0A: c.page = text(try bytes(p.count))
            case 0x10: c.userID = Int64(bitPattern: try varint())
            case 0x19:
                guard i + 8 <= p.count else { throw Malformed() }
                c.amount = Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                i += 8
            case 0x22: c.tags.append(text(try bytes(p.count)))
            case 0x28: c.kind = try varint() == 1 ? .BUY : .VIEW
            case 0x32: c.referrer = text(try bytes(p.count))
            case 0x3A:
                let entry = try bytes(p.count)
                let end = entry.upperBound
                i = entry.lowerBound
                var key = "", value: Int32 = 0
                while i < end {
                    switch try varint() {
                    case 0x0A: key = text(try bytes(end))
                    case 0x10: value = Int32(truncatingIfNeeded: try varint())
                    default: throw Malformed()
                    }
                }
                c.counts[key] = value
            default: throw Malformed()
            }
        }
        return c
    }

    // MARK: JSON
    /// The record's members in any order; strings without escapes, numbers as the benchmark writes them.
    static func json(_ p: UnsafeRawBufferPointer) throws -> Click {
        var i = 0
        func space() { while i < p.count, p[i] == 0x20 || p[i] == 0x0A { i += 1 } }
        func expect(_ b: UInt8) throws { space(); guard i < p.count, p[i] == b else { throw Malformed() }; i += 1 }
        func rawString() throws -> Range<Int> {
            try expect(UInt8(ascii: "\""))
            let start = i
            while i < p.count, p[i] != UInt8(ascii: "\"") { i += 1 }
            guard i < p.count else { throw Malformed() }
            defer { i += 1 }
            return start..<i
        }
        func string() throws -> String { String(decoding: UnsafeRawBufferPointer(rebasing: p[try rawString()]), as: UTF8.self) }
        func number() throws -> Range<Int> {
            space()
            let start = i
            while i < p.count, p[i] != UInt8(ascii: ","), p[i] != UInt8(ascii: "}"), p[i] != UInt8(ascii: "]") { i += 1 }
            return start..<i
        }
        func integer() throws -> Int64 {
            let r = try number()
            var v: Int64 = 0, neg = false
            for k in r { if p[k] == UInt8(ascii: "-") { neg = true } else { v = v &* 10 &+ Int64(p[k] &- 48) } }
            return neg ? -v : v
        }
        func key(_ r: Range<Int>) -> UInt8 { p[r.lowerBound] }   // the members differ in their first letter
        var c = Click(page: "", userID: 0, amount: 0, tags: [], kind: .VIEW, referrer: nil, counts: [:])
        try expect(UInt8(ascii: "{"))
        while true {
            let name = try rawString()
            try expect(UInt8(ascii: ":"))
            switch (key(name), name.count) {
            case (UInt8(ascii: "p"), _): c.page = try string()
            case (UInt8(ascii: "u"), _): c.userID = try integer()
            case (UInt8(ascii: "a"), _):
                c.amount = Double(String(decoding: UnsafeRawBufferPointer(rebasing: p[try number()]), as: UTF8.self)) ?? 0
            case (UInt8(ascii: "t"), _):
                try expect(UInt8(ascii: "["))
                space()
                if p[i] == UInt8(ascii: "]") { i += 1 } else {
                    while true {
                        c.tags.append(try string()); space()
                        if p[i] == UInt8(ascii: "]") { i += 1; break }
                        try expect(UInt8(ascii: ","))
                    }
                }
            case (UInt8(ascii: "k"), _): c.kind = try string() == "BUY" ? .BUY : .VIEW
            case (UInt8(ascii: "r"), _): c.referrer = try string()
            case (UInt8(ascii: "c"), _):
                try expect(UInt8(ascii: "{"))
                space()
                if p[i] == UInt8(ascii: "}") { i += 1 } else {
                    while true {
                        let k = try string()
                        try expect(UInt8(ascii: ":"))
                        c.counts[k] = Int32(truncatingIfNeeded: try integer()); space()
                        if p[i] == UInt8(ascii: "}") { i += 1; break }
                        try expect(UInt8(ascii: ","))
                    }
                }
            default: throw Malformed()
            }
            space()
            if i < p.count, p[i] == UInt8(ascii: "}") { return c }
            try expect(UInt8(ascii: ","))
        }
    }
}
