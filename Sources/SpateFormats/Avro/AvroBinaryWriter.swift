/// Writes `AvroValue`s as Avro binary by a schema. Values built by `AvroValueEncoder` from Swift types are
/// matched to the schema here: an integer to `int` (range-checked) or `long`, a string to a `string` or an enum
/// symbol, an array of small integers to `bytes` or `fixed`, a value to the first union branch that takes it
/// (nil to `null`). A value the schema cannot take is an error naming the field, never a silent change.
struct AvroBinaryWriter {
    let schema: AvroSchema
    let format: String
    private(set) var out: [UInt8] = []
    private var path: [String] = []

    init(schema: AvroSchema, format: String = "avro", prefix: [UInt8] = []) {
        self.schema = schema
        self.format = format
        out = prefix
        out.reserveCapacity(64)
    }

    func error(_ reason: String) -> RecordDecodingError {
        RecordDecodingError(format: format, path: path.joined(), reason: reason)
    }

    mutating func write(_ value: AvroValue, as node: AvroSchema.Node) throws {
        let v: AvroValue = if case .union(_, let inner) = value { inner } else { value }
        switch (schema.resolve(node), v) {
        case (.null, .null): return
        case (.boolean, .boolean(let b)): out.append(b ? 1 : 0)
        case (.int, _), (.long, _):
            guard let n = integer(v) else { throw mismatch(node, v) }
            if case .int = schema.resolve(node), Int32(exactly: n) == nil { throw error("\(n) does not fit an Avro int") }
            varint(n)
        case (.float, _):
            guard let d = floating(v) else { throw mismatch(node, v) }
            append(Float(d).bitPattern)
        case (.double, _):
            guard let d = floating(v) else { throw mismatch(node, v) }
            append(d.bitPattern)
        case (.string, .string(let s)):
            varint(Int64(s.utf8.count))
            out.append(contentsOf: s.utf8)
        case (.bytes, _):
            guard let b = byteArray(v) else { throw mismatch(node, v) }
            varint(Int64(b.count))
            out.append(contentsOf: b)
        case (.fixed(let name, let size), _):
            guard let b = byteArray(v) else { throw mismatch(node, v) }
            guard b.count == size else { throw error("fixed \(name) takes \(size) bytes, the value has \(b.count)") }
            out.append(contentsOf: b)
        case (.enumeration(let name, let symbols), .string(let s)), (.enumeration(let name, let symbols), .enumeration(let s)):
            guard let i = symbols.firstIndex(of: s) else {
                throw error("\"\(s)\" is not a symbol of enum \(name) (\(symbols.joined(separator: ", ")))")
            }
            varint(Int64(i))
        case (.union(let branches), _):
            guard let i = branches.firstIndex(where: { accepts($0, v) }) else {
                throw error("no branch of the union takes \(v.kind)")
            }
            varint(Int64(i))
            try write(v, as: branches[i])
        case (.record(let name, let fields), .record(let names, let values)):
            for f in fields {
                path.append(path.isEmpty ? f.name : "." + f.name)
                let value = names.firstIndex(of: f.name).map { values[$0] } ?? .null
                if case .null = value, !accepts(f.type, .null) { throw error("record \(name) has no value for this field") }
                try write(value, as: f.type)
                path.removeLast()
            }
        case (.array(let items), .array(let values)):
            if !values.isEmpty {
                varint(Int64(values.count))
                for (i, x) in values.enumerated() {
                    path.append("[\(i)]")
                    try write(x, as: items)
                    path.removeLast()
                }
            }
            out.append(0)
        case (.map(let items), .record(let names, let values)):
            // A Swift dictionary encodes as a keyed container: its keys are the map's.
            try write(.map(Dictionary(zip(names, values)) { a, _ in a }), as: .map(items))
        case (.map(let items), .map(let values)):
            if !values.isEmpty {
                varint(Int64(values.count))
                for (k, x) in values.sorted(by: { $0.key < $1.key }) {
                    try write(.string(k), as: .string)
                    path.append("[\"\(k)\"]")
                    try write(x, as: items)
                    path.removeLast()
                }
            }
            out.append(0)
        default:
            throw mismatch(node, v)
        }
    }

    private func mismatch(_ node: AvroSchema.Node, _ v: AvroValue) -> RecordDecodingError {
        error("the schema's \(AvroSchema.describe(schema.resolve(node))) cannot take \(v.kind)")
    }

    /// Whether a union branch takes `v` (the first that does is written).
    private func accepts(_ node: AvroSchema.Node, _ v: AvroValue) -> Bool {
        switch (schema.resolve(node), v) {
        case (.null, .null), (.boolean, .boolean), (.string, .string), (.record, .record), (.array, .array),
             (.map, .map), (.map, .record), (.enumeration, .enumeration): true
        case (.int, _): integer(v).map { Int32(exactly: $0) != nil } ?? false
        case (.long, _): integer(v) != nil
        case (.float, _), (.double, _): floating(v) != nil
        case (.bytes, _): byteArray(v) != nil
        case (.fixed(_, let size), _): byteArray(v)?.count == size
        case (.enumeration(_, let symbols), .string(let s)): symbols.contains(s)
        case (.union(let branches), _): branches.contains { accepts($0, v) }
        default: false
        }
    }

    private func integer(_ v: AvroValue) -> Int64? {
        switch v {
        case .int(let i): Int64(i)
        case .long(let l): l
        default: nil
        }
    }

    private func floating(_ v: AvroValue) -> Double? {
        switch v {
        case .float(let f): Double(f)
        case .double(let d): d
        case .int(let i): Double(i)
        case .long(let l): Double(l)
        default: nil
        }
    }

    /// Bytes as Swift encodes `[UInt8]` and `Data`: an array of integers 0...255.
    private func byteArray(_ v: AvroValue) -> [UInt8]? {
        switch v {
        case .bytes(let b), .fixed(let b): return b
        case .array(let xs):
            var out: [UInt8] = []
            out.reserveCapacity(xs.count)
            for x in xs {
                guard let n = integer(x), let b = UInt8(exactly: n) else { return nil }
                out.append(b)
            }
            return out
        default: return nil
        }
    }

    private mutating func varint(_ n: Int64) {
        var z = UInt64(bitPattern: (n << 1) ^ (n >> 63))
        while z >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: z) | 0x80)
            z >>= 7
        }
        out.append(UInt8(z))
    }

    private mutating func append<I: FixedWidthInteger>(_ x: I) {
        withUnsafeBytes(of: x.littleEndian) { out.append(contentsOf: $0) }
    }
}

extension AvroSchema {
    /// A node's type in words, for messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .null: "null"
        case .boolean: "boolean"
        case .int: "int"
        case .long: "long"
        case .float: "float"
        case .double: "double"
        case .bytes: "bytes"
        case .string: "string"
        case .record(let name, _): "record \(name)"
        case .enumeration(let name, _): "enum \(name)"
        case .array: "array"
        case .map: "map"
        case .union: "union"
        case .fixed(let name, _): "fixed \(name)"
        case .reference(let name): name
        }
    }
}
