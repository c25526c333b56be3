import Foundation

/// An Avro schema (Avro 1.11), parsed from its JSON text: the primitive types, records, enums, arrays, maps,
/// unions and fixed, with named types referable by name (also recursively) within the schema.
///
/// Records are written and read with this one schema (the writer's): fields' defaults and aliases are not
/// used, since no schema resolution happens. Logical types (`timestamp-millis`, `decimal`, `uuid`, ...) are
/// read as their underlying type.
/// ```swift
/// let schema = try AvroSchema(json: #"{"type":"record","name":"Click","fields":[{"name":"page","type":"string"}]}"#)
/// ```
public struct AvroSchema: Sendable, Hashable {
    indirect enum Node: Sendable, Hashable {
        case null, boolean, int, long, float, double, bytes, string
        case record(name: String, fields: [Field])
        case enumeration(name: String, symbols: [String])
        case array(Node)
        case map(Node)
        case union([Node])
        case fixed(name: String, size: Int)
        /// A named type used again (or inside itself), resolved through `named`.
        case reference(String)
    }

    struct Field: Sendable, Hashable {
        let name: String
        let type: Node
    }

    let root: Node
    /// Every named type (records, enums, fixed) by full name.
    let named: [String: Node]

    /// The schema of `json`, Avro's schema JSON text; throws `AvroSchemaError` saying what is wrong and where.
    public init(json: String) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        } catch {
            throw AvroSchemaError(path: "", reason: "not JSON: \(error.localizedDescription)")
        }
        var parser = AvroSchemaParser()
        root = try parser.node(object, path: "", namespace: nil)
        named = parser.named
    }

    /// The definition of a named reference (other nodes as they are).
    func resolve(_ node: Node) -> Node {
        if case .reference(let name) = node, let def = named[name] { return def }
        return node
    }
}

/// A schema that cannot be parsed: where in the schema (`fields[2].type`) and what to change.
public struct AvroSchemaError: Error, CustomStringConvertible, Hashable {
    /// Where in the schema's JSON the problem is.
    public var path: String
    /// What is wrong.
    public var reason: String

    /// An error at `path` of a schema.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    /// `avro schema: at P: reason`.
    public var description: String { path.isEmpty ? "avro schema: \(reason)" : "avro schema: at \(path): \(reason)" }
}

/// Turns schema JSON (as Foundation objects: parsed once per schema, never per record) into nodes.
struct AvroSchemaParser {
    var named: [String: AvroSchema.Node] = [:]

    private static let primitives: [String: AvroSchema.Node] = [
        "null": .null, "boolean": .boolean, "int": .int, "long": .long, "float": .float, "double": .double,
        "bytes": .bytes, "string": .string,
    ]

    mutating func node(_ json: Any, path: String, namespace: String?) throws -> AvroSchema.Node {
        if let name = json as? String {
            if let p = Self.primitives[name] { return p }
            let full = name.contains(".") ? name : (namespace.map { "\($0).\(name)" } ?? name)
            for candidate in [full, name] where named[candidate] != nil { return .reference(candidate) }
            throw AvroSchemaError(path: path, reason: "unknown type \"\(name)\" (define a named type before using it)")
        }
        if let branches = json as? [Any] {
            var nodes: [AvroSchema.Node] = []
            for (i, b) in branches.enumerated() {
                let n = try node(b, path: "\(path)[\(i)]", namespace: namespace)
                if case .union = n { throw AvroSchemaError(path: "\(path)[\(i)]", reason: "a union may not hold a union") }
                nodes.append(n)
            }
            if nodes.isEmpty { throw AvroSchemaError(path: path, reason: "a union needs at least one branch") }
            return .union(nodes)
        }
        guard let object = json as? [String: Any], let type = object["type"] else {
            throw AvroSchemaError(path: path, reason: "expected a type name, an array (union) or an object with \"type\"")
        }
        guard let kind = type as? String else { return try node(type, path: path + ".type", namespace: namespace) }
        switch kind {
        case "record", "error", "enum", "fixed":
            return try namedType(kind, object, path: path, namespace: namespace)
        case "array":
            guard let items = object["items"] else { throw AvroSchemaError(path: path, reason: "an array needs \"items\"") }
            return .array(try node(items, path: path + ".items", namespace: namespace))
        case "map":
            guard let values = object["values"] else { throw AvroSchemaError(path: path, reason: "a map needs \"values\"") }
            return .map(try node(values, path: path + ".values", namespace: namespace))
        default:
            return try node(kind, path: path + ".type", namespace: namespace)
        }
    }

    private mutating func namedType(
        _ kind: String, _ object: [String: Any], path: String, namespace: String?
    ) throws -> AvroSchema.Node {
        guard let name = object["name"] as? String, !name.isEmpty else {
            throw AvroSchemaError(path: path, reason: "a \(kind) needs a \"name\"")
        }
        let space = name.contains(".") ? String(name[..<name.lastIndex(of: ".")!]) : (object["namespace"] as? String ?? namespace)
        let full = name.contains(".") ? name : (space.map { $0.isEmpty ? name : "\($0).\(name)" } ?? name)
        if named[full] != nil { throw AvroSchemaError(path: path, reason: "type \"\(full)\" defined twice") }
        switch kind {
        case "enum":
            guard let symbols = object["symbols"] as? [String], !symbols.isEmpty else {
                throw AvroSchemaError(path: path, reason: "enum \(full) needs a non-empty \"symbols\" array of strings")
            }
            named[full] = .enumeration(name: full, symbols: symbols)
        case "fixed":
            guard let size = object["size"] as? Int, size >= 0 else {
                throw AvroSchemaError(path: path, reason: "fixed \(full) needs a non-negative integer \"size\"")
            }
            named[full] = .fixed(name: full, size: size)
        default:
            guard let list = object["fields"] as? [Any] else {
                throw AvroSchemaError(path: path, reason: "record \(full) needs a \"fields\" array")
            }
            // Registered before its fields, so a field may refer to the record itself (a linked list).
            named[full] = .record(name: full, fields: [])
            var fields: [AvroSchema.Field] = []
            for (i, f) in list.enumerated() {
                guard let field = f as? [String: Any], let fname = field["name"] as? String, let ftype = field["type"] else {
                    throw AvroSchemaError(path: "\(path).fields[\(i)]", reason: "a field needs \"name\" and \"type\"")
                }
                fields.append(AvroSchema.Field(
                    name: fname, type: try node(ftype, path: "\(path).fields[\(i)].type", namespace: space)))
            }
            named[full] = .record(name: full, fields: fields)
        }
        return named[full]!
    }
}
