/// Reads Avro binary (the 1.11 spec's encoding) by a schema into `AvroValue`s: zigzag varints, IEEE floats
/// little-endian, length-prefixed bytes and strings, blocked arrays and maps. Every length and count is
/// checked against the bytes left, so a corrupt record fails with an error (offset and field) instead of a
/// crash or a huge allocation.
struct AvroBinaryReader {
    let bytes: UnsafeRawBufferPointer
    let schema: AvroSchema
    let format: String
    private(set) var offset: Int
    private var path: [String] = []
    private var depth = 0
    /// Nesting allowed (recursive schemas): deeper data is corrupt or hostile, not a stack overflow.
    static let maxDepth = 256

    /// Items of a block whose type takes no bytes (null, an empty record) allowed per block: beyond it a count
    /// is a corrupt length rather than data.
    static let maxZeroSizeItems = 1 << 16

    init(_ bytes: UnsafeRawBufferPointer, schema: AvroSchema, format: String = "avro", offset: Int = 0) {
        self.bytes = bytes
        self.schema = schema
        self.format = format
        self.offset = offset
    }

    /// The record: the whole input must be one datum of the schema.
    mutating func readRecord() throws -> AvroValue {
        let v = try read(schema.root)
        if offset != bytes.count {
            throw error("\(bytes.count - offset) bytes left over after the datum (wrong schema or concatenated records?)")
        }
        return v
    }

    func error(_ reason: String, at: Int? = nil) -> RecordDecodingError {
        RecordDecodingError(format: format, offset: at ?? offset, path: path.joined(), reason: reason)
    }

    mutating func read(_ node: AvroSchema.Node) throws -> AvroValue {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw error("nesting deeper than \(Self.maxDepth) levels") }
        switch node {
        case .null: return .null
        case .boolean:
            let b = try byte()
            guard b <= 1 else { throw error("boolean byte \(b) is neither 0 nor 1", at: offset - 1) }
            return .boolean(b == 1)
        case .int:
            let start = offset
            let v = try varint(maxBytes: 5)
            guard let i = Int32(exactly: v) else { throw error("int \(v) out of the 32-bit range", at: start) }
            return .int(i)
        case .long: return .long(try varint(maxBytes: 10))
        case .float: return .float(Float(bitPattern: try fixedWidth(UInt32.self)))
        case .double: return .double(Double(bitPattern: try fixedWidth(UInt64.self)))
        case .bytes: return .bytes(try lengthPrefixed())
        case .string:
            let start = offset
            let raw = try lengthPrefixed()
            guard let s = String(validating: raw, as: UTF8.self) else { throw error("string is not valid UTF-8", at: start) }
            return .string(s)
        case .fixed(_, let size):
            guard size <= bytes.count - offset else { throw truncated("fixed of \(size) bytes") }
            defer { offset += size }
            return .fixed(Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + size])))
        case .enumeration(let name, let symbols):
            let start = offset
            let i = try varint(maxBytes: 5)
            guard i >= 0, i < symbols.count else {
                throw error("enum \(name) index \(i) out of range (the schema has \(symbols.count) symbols)", at: start)
            }
            return .enumeration(symbols[Int(i)])
        case .union(let branches):
            let start = offset
            let i = try varint(maxBytes: 5)
            guard i >= 0, i < branches.count else {
                throw error("union branch \(i) out of range (the schema has \(branches.count) branches)", at: start)
            }
            return .union(Int(i), try read(branches[Int(i)]))
        case .record(_, let fields):
            var values: [AvroValue] = []
            values.reserveCapacity(fields.count)
            for f in fields {
                path.append(path.isEmpty ? f.name : "." + f.name)
                values.append(try read(f.type))
                path.removeLast()
            }
            return .record(fields.map(\.name), values)
        case .array(let items):
            var out: [AvroValue] = []
            try blocks(items) { r, i in
                r.path.append("[\(i)]")
                out.append(try r.read(items))
                r.path.removeLast()
            }
            return .array(out)
        case .map(let values):
            var out: [String: AvroValue] = [:]
            try blocks(values) { r, _ in
                let k = try r.read(.string)
                guard case .string(let key) = k else { return }
                r.path.append("[\"\(key)\"]")
                out[key] = try r.read(values)
                r.path.removeLast()
            }
            return .map(out)
        case .reference:
            return try read(schema.resolve(node))
        }
    }

    /// Array and map blocks: a count (negative: followed by the block's byte size), items, until a zero count.
    private mutating func blocks(_ item: AvroSchema.Node, _ each: (inout AvroBinaryReader, Int) throws -> Void) throws {
        var index = 0
        while true {
            let start = offset
            var count = try varint(maxBytes: 10)
            if count == 0 { return }
            if count < 0 {
                guard count != Int64.min else { throw error("block count \(count) out of range", at: start) }
                count = -count
                let size = try varint(maxBytes: 10)
                guard size >= 0, size <= bytes.count - offset else { throw error("block size \(size) past the end", at: start) }
            }
            let limit = takesBytes(item) ? bytes.count - offset : Self.maxZeroSizeItems
            guard count <= limit else {
                throw error("block of \(count) items cannot fit in the \(bytes.count - offset) bytes left", at: start)
            }
            for _ in 0..<Int(count) {
                try each(&self, index)
                index += 1
            }
        }
    }

    /// Whether every value of `node` takes at least one byte.
    private func takesBytes(_ node: AvroSchema.Node) -> Bool {
        switch schema.resolve(node) {
        case .null: false
        case .fixed(_, let size): size > 0
        case .record(_, let fields): fields.contains { takesBytes($0.type) }
        default: true
        }
    }

    private mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw truncated("byte") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private func truncated(_ what: String) -> RecordDecodingError {
        error("truncated: a \(what) runs past the end of the \(bytes.count)-byte record")
    }

    /// A zigzag varint of at most `maxBytes` bytes (5 for int, 10 for long).
    private mutating func varint(maxBytes: Int) throws -> Int64 {
        let start = offset
        var raw: UInt64 = 0
        var shift: UInt64 = 0
        for _ in 0..<maxBytes {
            guard offset < bytes.count else { throw error("truncated varint", at: start) }
            let b = bytes[offset]
            offset += 1
            raw |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1))) }
            shift += 7
        }
        throw error("varint longer than \(maxBytes) bytes", at: start)
    }

    private mutating func fixedWidth<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        let n = MemoryLayout<I>.size
        guard n <= bytes.count - offset else { throw truncated("\(n * 8)-bit number") }
        defer { offset += n }
        return I(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: I.self))
    }

    private mutating func lengthPrefixed() throws -> [UInt8] {
        let start = offset
        let n = try varint(maxBytes: 10)
        guard n >= 0 else { throw error("negative length \(n)", at: start) }
        guard n <= bytes.count - offset else {
            throw error("length \(n) runs past the end of the \(bytes.count)-byte record", at: start)
        }
        defer { offset += Int(n) }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(n)]))
    }
}
