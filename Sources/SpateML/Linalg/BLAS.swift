/// The few dense kernels SpateML needs, written over unsafe buffers so each is one tight loop.
///
/// Loops without a cross-iteration dependency (axpy, scal) vectorize as written. Reductions (dot, squared
/// distance) would not, because floating-point addition is not associative and the compiler must keep the
/// order; they use explicit `SIMD4` accumulators instead, which changes the summation order (the result may
/// differ from a sequential sum in the last bits).
enum BLAS {
    @inline(__always)
    static func dot(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double {
        let n = a.count
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        var acc = SIMD4<Double>(repeating: 0)
        var i = 0
        while i + 4 <= n {
            acc.addProduct(load4(pa + i), load4(pb + i))
            i += 4
        }
        var sum = acc.sum()
        while i < n {
            sum += pa[i] * pb[i]
            i += 1
        }
        return sum
    }

    @inline(__always)
    static func squaredDistance(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double {
        let n = a.count
        guard let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
        var acc = SIMD4<Double>(repeating: 0)
        var i = 0
        while i + 4 <= n {
            let d = load4(pa + i) - load4(pb + i)
            acc.addProduct(d, d)
            i += 4
        }
        var sum = acc.sum()
        while i < n {
            let d = pa[i] - pb[i]
            sum += d * d
            i += 1
        }
        return sum
    }

    /// y += a * x
    @inline(__always)
    static func axpy(_ a: Double, _ x: UnsafeBufferPointer<Double>, _ y: UnsafeMutableBufferPointer<Double>) {
        guard let px = x.baseAddress, let py = y.baseAddress else { return }
        for i in 0..<x.count { py[i] += a * px[i] }
    }

    /// x *= a
    @inline(__always)
    static func scal(_ a: Double, _ x: UnsafeMutableBufferPointer<Double>) {
        guard let px = x.baseAddress else { return }
        for i in 0..<x.count { px[i] *= a }
    }

    /// Whether no value is NaN or infinite: `v - v` is 0 for finite v and NaN otherwise, so one sum tells.
    @inline(__always)
    static func allFinite(_ x: UnsafeBufferPointer<Double>) -> Bool {
        var acc = 0.0
        for v in x { acc += v - v }
        return acc == 0
    }

    @inline(__always)
    private static func load4(_ p: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Double>.self)
    }
}
