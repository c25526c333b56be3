/// One column a table sink writes: its name, type, and whether it may hold `NULL`.
public struct TableColumn: Sendable, Equatable, CustomStringConvertible {
    /// The column name: letters, digits and `_`, not starting with a digit; not `batch_time` or `seq`
    /// (the sink's own columns).
    public let name: String
    /// The column type.
    public let type: TableColumnType
    /// Whether the column may hold `NULL` (key columns never may).
    public let nullable: Bool

    /// A column `name` of `type`, `NOT NULL` unless `nullable`.
    public init(_ name: String, _ type: TableColumnType, nullable: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
    }

    public var description: String { "\(name) \(type.rawValue)\(nullable ? "" : " NOT NULL")" }
}

extension TableColumn {
    /// The `key` and `value` columns of a pair stream's table.
    package static func pair<K: TableValueConvertible, V: TableValueConvertible>(_: K.Type, _: V.Type) -> [TableColumn] {
        [TableColumn("key", K.tableColumnType, nullable: K.tableColumnNullable),
         TableColumn("value", V.tableColumnType, nullable: V.tableColumnNullable)]
    }
}
