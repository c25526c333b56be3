import Testing
@testable import SpateML

@Suite("Vector")
struct VectorTests {
    func plainDot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    @Test("dot, squared distance, axpy and scale agree with plain loops for every length", arguments: 0..<13)
    func kernels(n: Int) {
        var rng = TestRandom(seed: UInt64(n))
        let a = (0..<n).map { _ in rng.uniform(-2...2) }
        let b = (0..<n).map { _ in rng.uniform(-2...2) }
        #expect(close(Vector(a).dot(Vector(b)), plainDot(a, b), 1e-12))
        let diff = zip(a, b).map { $0 - $1 }
        #expect(close(Vector(a).squaredDistance(to: Vector(b)), plainDot(diff, diff), 1e-12))
        var y = Vector(b)
        y.axpy(0.5, Vector(a))
        #expect(y.values == zip(a, b).map { 0.5 * $0 + $1 })
        y.scale(by: 2)
        #expect(y.values == zip(a, b).map { 2 * (0.5 * $0 + $1) })
        #expect(close(Vector(a).norm, plainDot(a, a).squareRoot(), 1e-12))
    }

    @Test("isFinite finds NaN and infinities")
    func finiteness() {
        #expect(Vector([1, 2, 3]).isFinite)
        #expect(!Vector([1, .nan]).isFinite)
        #expect(!Vector([-.infinity]).isFinite)
        #expect(Vector.zeros(3) == [0, 0, 0])
    }
}
