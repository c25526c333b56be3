/// A number a live result chart can plot: the value of a keyed count, or a per-batch figure.
public protocol ChartValue: Sendable {
    /// The value as a `Double`, the chart's scale.
    var chartValue: Double { get }
}

extension Int: ChartValue {
    /// The integer as a `Double`.
    public var chartValue: Double { Double(self) }
}

extension Int64: ChartValue {
    /// The integer as a `Double`.
    public var chartValue: Double { Double(self) }
}

extension Int32: ChartValue {
    /// The integer as a `Double`.
    public var chartValue: Double { Double(self) }
}

extension UInt: ChartValue {
    /// The integer as a `Double`.
    public var chartValue: Double { Double(self) }
}

extension UInt64: ChartValue {
    /// The integer as a `Double`.
    public var chartValue: Double { Double(self) }
}

extension UInt32: ChartValue {
    /// The integer as a `Double`.
    public var chartValue: Double { Double(self) }
}

extension Double: ChartValue {
    /// The value itself.
    public var chartValue: Double { self }
}

extension Float: ChartValue {
    /// The value as a `Double`.
    public var chartValue: Double { Double(self) }
}
