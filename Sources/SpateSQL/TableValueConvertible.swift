/// A Swift value a table sink can store in one column: `Int`, `Int64`, `Int32`, `Double`, `Float`, `Bool`,
/// `String`, `Substring`, `[UInt8]`, and optionals of these (a nullable column).
public protocol TableValueConvertible: Sendable {
    /// The column type the values are stored in.
    static var tableColumnType: TableColumnType { get }
    /// Whether the column may be `NULL` (true for optionals).
    static var tableColumnNullable: Bool { get }
    /// This value as a column value.
    var tableValue: TableValue { get }
}

extension TableValueConvertible {
    public static var tableColumnNullable: Bool { false }
}

extension Int: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .integer }
    public var tableValue: TableValue { .integer(Int64(self)) }
}

extension Int64: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .integer }
    public var tableValue: TableValue { .integer(self) }
}

extension Int32: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .integer }
    public var tableValue: TableValue { .integer(Int64(self)) }
}

extension Bool: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .integer }
    public var tableValue: TableValue { .integer(self ? 1 : 0) }
}

extension Double: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .real }
    public var tableValue: TableValue { .real(self) }
}

extension Float: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .real }
    public var tableValue: TableValue { .real(Double(self)) }
}

extension String: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .text }
    public var tableValue: TableValue { .text(self) }
}

extension Substring: TableValueConvertible {
    public static var tableColumnType: TableColumnType { .text }
    public var tableValue: TableValue { .text(String(self)) }
}

extension Array: TableValueConvertible where Element == UInt8 {
    public static var tableColumnType: TableColumnType { .blob }
    public var tableValue: TableValue { .blob(self) }
}

extension Optional: TableValueConvertible where Wrapped: TableValueConvertible {
    public static var tableColumnType: TableColumnType { Wrapped.tableColumnType }
    public static var tableColumnNullable: Bool { true }
    public var tableValue: TableValue { self.map(\.tableValue) ?? .null }
}
