/// The k-means hot loop: assign points to their nearest centre and sum them per cluster.
///
/// Centres are stored in groups of four, dimension-major inside a group (`centersT[(g * d + j) * 4 + lane]` is
/// coordinate j of centre 4g + lane), so one `SIMD4` accumulator grows the distances from a point to four
/// centres at once. Each distance still adds its terms in coordinate order, starting from 0: the same value a
/// plain sequential loop gives, so ties resolve exactly as in Spark (to the lowest index). Missing centres in
/// the last group are infinitely far away, so they never win.
struct KMeansAssignment: Sendable {
    let k: Int
    let dimension: Int
    /// Centres in groups of four, dimension-major inside a group.
    let centersT: [Double]
    var groups: Int { (k + 3) / 4 }

    init(centers: [Double], k: Int, dimension: Int) {
        self.k = k
        self.dimension = dimension
        let groups = (k + 3) / 4
        var t = [Double](repeating: .infinity, count: groups * dimension * 4)
        for c in 0..<k {
            let (g, lane) = c.quotientAndRemainder(dividingBy: 4)
            for j in 0..<dimension { t[(g * dimension + j) * 4 + lane] = centers[c * dimension + j] }
        }
        centersT = t
    }

    /// The nearest centre to `x` (squared Euclidean, ties to the lowest index), or nil when `x` holds NaN or
    /// an infinity.
    @inline(__always)
    func nearest(_ x: UnsafeBufferPointer<Double>, _ ct: UnsafePointer<Double>) -> Int? {
        let d = dimension
        let px = x.baseAddress!
        var best = 0
        var bestDistance = Double.infinity
        var g = 0
        let groups = self.groups
        // Two groups per pass: two independent accumulators keep both FP pipes busy.
        while g + 2 <= groups {
            let a = UnsafeRawPointer(ct + g * d * 4)
            let b = UnsafeRawPointer(ct + (g + 1) * d * 4)
            var da = SIMD4<Double>(repeating: 0)
            var db = SIMD4<Double>(repeating: 0)
            for j in 0..<d {
                let xj = SIMD4<Double>(repeating: px[j])
                let ea = xj - a.loadUnaligned(fromByteOffset: j * 32, as: SIMD4<Double>.self)
                let eb = xj - b.loadUnaligned(fromByteOffset: j * 32, as: SIMD4<Double>.self)
                da += ea * ea
                db += eb * eb
            }
            for lane in 0..<4 where da[lane] < bestDistance {
                bestDistance = da[lane]
                best = g * 4 + lane
            }
            for lane in 0..<4 where db[lane] < bestDistance {
                bestDistance = db[lane]
                best = g * 4 + 4 + lane
            }
            g += 2
        }
        if g < groups {
            let a = UnsafeRawPointer(ct + g * d * 4)
            var da = SIMD4<Double>(repeating: 0)
            for j in 0..<d {
                let e = SIMD4<Double>(repeating: px[j]) - a.loadUnaligned(fromByteOffset: j * 32, as: SIMD4<Double>.self)
                da += e * e
            }
            for lane in 0..<4 where da[lane] < bestDistance {
                bestDistance = da[lane]
                best = g * 4 + lane
            }
        }
        // A NaN or infinite coordinate makes every distance NaN or infinite; only then check the point itself
        // (finite points far enough away can overflow to infinity too, and are kept, as Spark keeps them; they
        // go to centre 0, the lowest index among equals).
        if !bestDistance.isFinite {
            if !BLAS.allFinite(x) { return nil }
            if bestDistance.isNaN || best >= k { return 0 }
        }
        return best
    }

    /// The nearest centre to `point`, or nil when the point has the wrong dimension or a non-finite value.
    func predict(_ point: Vector) -> Int? {
        guard point.count == dimension else { return nil }
        return centersT.withUnsafeBufferPointer { ct in
            point.values.withUnsafeBufferPointer { nearest($0, ct.baseAddress!) }
        }
    }

    /// Assigns every point of one partition and sums the points per cluster.
    func accumulate(_ points: [Vector]) -> KMeansPartialSums {
        let d = dimension
        var sumsArray = [Double](repeating: 0, count: k * d)
        var countsArray = [Int](repeating: 0, count: k)
        var wrongDimension = 0
        var nonFinite = 0
        centersT.withUnsafeBufferPointer { ct in
            sumsArray.withUnsafeMutableBufferPointer { sums in
                countsArray.withUnsafeMutableBufferPointer { counts in
                    for point in points {
                        guard point.count == d else {
                            wrongDimension += 1
                            continue
                        }
                        point.values.withUnsafeBufferPointer { x in
                            guard let c = nearest(x, ct.baseAddress!) else {
                                nonFinite += 1
                                return
                            }
                            counts[c] += 1
                            let s = sums.baseAddress! + c * d
                            for j in 0..<d { s[j] += x[j] }
                        }
                    }
                }
            }
        }
        var partial = KMeansPartialSums(sums: sumsArray, counts: countsArray)
        partial.dropped.add(.wrongDimension, wrongDimension)
        partial.dropped.add(.nonFinite, nonFinite)
        return partial
    }
}

/// One partition's (or one batch's) contribution: per cluster, the sum of its points and their count.
struct KMeansPartialSums: Sendable {
    /// Cluster-major sums: `sums[c * dimension + j]`.
    var sums: [Double]
    var counts: [Int]
    var dropped = DroppedRecords()

    init(k: Int, dimension: Int) {
        sums = [Double](repeating: 0, count: k * dimension)
        counts = [Int](repeating: 0, count: k)
    }

    init(sums: [Double], counts: [Int]) {
        self.sums = sums
        self.counts = counts
    }

    /// Adds `other`'s sums and counts.
    mutating func merge(_ other: KMeansPartialSums) {
        for i in sums.indices { sums[i] += other.sums[i] }
        for i in counts.indices { counts[i] += other.counts[i] }
        dropped.add(other.dropped)
    }
}
