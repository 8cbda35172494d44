/// The generator's only source of randomness: xoshiro256** seeded through
/// splitmix64, so a seed gives the same history on every machine and every
/// run. The system generator is never used.
struct Random {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(&x); s1 = splitmix(&x); s2 = splitmix(&x); s3 = splitmix(&x)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in 0..<n (n > 0), by multiply-high; the bias is below 2^-40 for our n.
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(UInt64(n).multipliedFullWidth(by: next()).high)
    }

    /// Uniform in lo...hi.
    @inline(__always)
    mutating func int(_ lo: Int, _ hi: Int) -> Int {
        hi <= lo ? lo : lo + below(hi - lo + 1)
    }

    /// True with probability permille/1000.
    @inline(__always)
    mutating func permille(_ p: Int) -> Bool { p > 0 && below(1000) < p }

    /// True with probability p in [0, 1].
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0) }

    /// A count whose mean is `rate`: the integer part plus one more with the
    /// probability of the fraction, so small scales still produce events.
    mutating func count(_ rate: Double) -> Int {
        guard rate > 0 else { return 0 }
        let whole = rate.rounded(.down)
        return Int(whole) + (chance(rate - whole) ? 1 : 0)
    }

    /// An index drawn from cumulative integer weights.
    mutating func weighted(_ cumulative: [Int]) -> Int {
        let r = below(cumulative[cumulative.count - 1])
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > r { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
