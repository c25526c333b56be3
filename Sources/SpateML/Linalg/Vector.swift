/// A dense vector of `Double`s (Spark MLlib's `DenseVector`): one contiguous array, so the arithmetic below
/// runs as tight loops over memory that the compiler turns into SIMD instructions.
///
/// ```swift
/// var c: Vector = [1, 2, 3]
/// c.axpy(0.5, Vector([2, 2, 2]))      // c = [2, 3, 4]
/// let d = c.squaredDistance(to: .zeros(3))
/// ```
/// Values are not checked on construction: `isFinite` tells whether a vector holds NaN or infinite values
/// (the streaming algorithms check it and drop such points).
public struct Vector: Sendable, Hashable, RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral,
    CustomStringConvertible
{
    /// The components, in order.
    public var values: [Double]

    /// A vector holding `values`.
    public init(_ values: [Double]) { self.values = values }

    /// A vector holding `elements`.
    public init(arrayLiteral elements: Double...) { self.values = elements }

    /// A vector of `count` zeros.
    public static func zeros(_ count: Int) -> Vector { Vector(Array(repeating: 0, count: count)) }

    /// The first index, 0.
    public var startIndex: Int { 0 }
    /// The number of components.
    public var endIndex: Int { values.count }

    /// The component at `index`.
    public subscript(index: Int) -> Double {
        get { values[index] }
        set { values[index] = newValue }
    }

    /// Whether every component is a finite number (no NaN, no infinity).
    public var isFinite: Bool {
        values.withUnsafeBufferPointer { BLAS.allFinite($0) }
    }

    /// The dot product with `other`, which must have the same count. O(count).
    public func dot(_ other: Vector) -> Double {
        precondition(count == other.count, "dot: vectors of \(count) and \(other.count) components")
        return values.withUnsafeBufferPointer { a in other.values.withUnsafeBufferPointer { b in BLAS.dot(a, b) } }
    }

    /// The squared Euclidean distance to `other`, which must have the same count. O(count).
    public func squaredDistance(to other: Vector) -> Double {
        precondition(count == other.count, "squaredDistance: vectors of \(count) and \(other.count) components")
        return values.withUnsafeBufferPointer { a in
            other.values.withUnsafeBufferPointer { b in BLAS.squaredDistance(a, b) }
        }
    }

    /// The sum of squares of the components.
    public var squaredNorm: Double { dot(self) }

    /// The Euclidean (L2) norm.
    public var norm: Double { squaredNorm.squareRoot() }

    /// Adds `a * x` to this vector (BLAS `axpy`); `x` must have the same count. O(count).
    public mutating func axpy(_ a: Double, _ x: Vector) {
        precondition(count == x.count, "axpy: vectors of \(count) and \(x.count) components")
        x.values.withUnsafeBufferPointer { xs in
            values.withUnsafeMutableBufferPointer { ys in BLAS.axpy(a, xs, ys) }
        }
    }

    /// Multiplies every component by `a` (BLAS `scal`). O(count).
    public mutating func scale(by a: Double) {
        values.withUnsafeMutableBufferPointer { BLAS.scal(a, $0) }
    }

    /// Spark's text form, `[1.0,2.5]`, which `Vector(parsing:)` reads back.
    public var description: String {
        "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
    }
}
