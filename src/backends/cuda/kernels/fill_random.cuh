// The random fills of the CPU reference (backends/cpu/ref/fill.cpp) draw
// from std::mt19937_64 through libstdc++'s uniform_real_distribution<double>
// and normal_distribution<double>. These are the same algorithms written out
// (mt19937_64 as the C++ standard defines it; generate_canonical with one
// 64-bit draw per double; the Marsaglia polar method, which returns y * mult
// first and keeps x * mult for the next call), so a CUDA kernel gives the
// CPU's tensor for the same seed. __host__ __device__: the host test
// (tests/ops/cuda_convert_test.cpp) checks them against the standard library.
//
// Rounding: every operation is one IEEE double operation (no fused
// multiply-add: on the device through __dmul_rn/__dadd_rn), so uniform draws
// are the CPU's bit for bit. The normal draws also need a logarithm, which
// no two libraries round alike in every case: it is computed here in
// double-double and rounded once (correctly rounded), where glibc's log
// rounds the other way in about 0.1% of the arguments (near-ties, 1 ulp off;
// the device's own log would be off more often). Those pairs differ from the
// CPU by about an ulp of double, which rounding to a float output almost
// always hides.
#pragma once
#include <cstdint>

#include "dtype_convert.cuh"

namespace kiln::cuda::rnd {

// ---- mt19937_64 ----
constexpr int kN = 312, kM = 156;
constexpr uint64_t kMatrixA = 0xb5026f5aa96619e9ull;
constexpr uint64_t kUpper = ~uint64_t(0) << 31, kLower = ~kUpper;

KILN_HD uint64_t seedNext(uint64_t prev, int i) { return (prev ^ (prev >> 62)) * 6364136223846793005ull + uint64_t(i); }

// One twist step: the new value of word k from words k (old), k+1 (old, or
// the new word 0 for the last) and k+m (mod n; new for k >= n-m).
KILN_HD uint64_t twist(uint64_t xk, uint64_t xk1, uint64_t xkm) {
    const uint64_t y = (xk & kUpper) | (xk1 & kLower);
    return xkm ^ (y >> 1) ^ ((y & 1u) ? kMatrixA : 0);
}

// The twist of the whole state in two parallel phases (fill.cu runs one
// thread per word): phase A (k < n - m) reads old words only; phase B
// (k >= n - m) reads old words k, k+1 and phase A's words k - m and 0. Each
// phase reads all its inputs before any word is written.
KILN_HD uint64_t twistA(const uint64_t* x, int k) { return twist(x[k], x[k + 1], x[k + kM]); }
KILN_HD uint64_t twistB(const uint64_t* x, int k) {
    return twist(x[k], k + 1 < kN ? x[k + 1] : x[0], x[k - (kN - kM)]);
}

KILN_HD uint64_t temper(uint64_t z) {
    z ^= (z >> 29) & 0x5555555555555555ull;
    z ^= (z << 17) & 0x71d67fffeda60000ull;
    z ^= (z << 37) & 0xfff7eee000000000ull;
    z ^= z >> 43;
    return z;
}

// ---- doubles, one rounding per operation ----
KILN_HD double mul(double a, double b) {
#ifdef __CUDA_ARCH__
    return __dmul_rn(a, b);
#else
    return a * b;
#endif
}
KILN_HD double add(double a, double b) {
#ifdef __CUDA_ARCH__
    return __dadd_rn(a, b);
#else
    return a + b;
#endif
}
KILN_HD double sub(double a, double b) {
#ifdef __CUDA_ARCH__
    return __dsub_rn(a, b);
#else
    return a - b;
#endif
}

// generate_canonical<double, 53> from one 64-bit draw: u / 2^64, kept below 1.
KILN_HD double canonical(uint64_t u) {
    const double r = double(u) * 5.42101086242752217003726400434970855712890625e-20;  // 2^-64: exact
    return r >= 1.0 ? 0.99999999999999988897769753748434595763683319091796875 : r;    // nextafter(1, 0)
}

// uniform_real_distribution(lo, hi): canonical * (hi - lo) + lo.
KILN_HD double uniform(uint64_t u, double lo, double hi) { return add(mul(canonical(u), sub(hi, lo)), lo); }

// ---- log in double-double ----
struct DD {
    double hi, lo;
};
KILN_HD DD twoSum(double a, double b) {
    const double s = add(a, b);
    const double bb = sub(s, a);
    return {s, add(sub(a, sub(s, bb)), sub(b, bb))};
}
KILN_HD DD quickTwoSum(double a, double b) {
    const double s = add(a, b);
    return {s, sub(b, sub(s, a))};
}
KILN_HD DD twoProd(double a, double b) {
    const double p = mul(a, b);
    return {p, fma(a, b, -p)};  // exact on both sides (glibc's fma is correctly rounded)
}
KILN_HD DD ddAdd(DD a, DD b) {
    DD s = twoSum(a.hi, b.hi);
    const DD t = twoSum(a.lo, b.lo);
    s.lo = add(s.lo, t.hi);
    s = quickTwoSum(s.hi, s.lo);
    s.lo = add(s.lo, t.lo);
    return quickTwoSum(s.hi, s.lo);
}
KILN_HD DD ddMul(DD a, DD b) {
    DD p = twoProd(a.hi, b.hi);
    p.lo = add(p.lo, add(mul(a.hi, b.lo), mul(a.lo, b.hi)));
    return quickTwoSum(p.hi, p.lo);
}
KILN_HD DD ddMulD(DD a, double b) {
    DD p = twoProd(a.hi, b);
    p.lo = add(p.lo, mul(a.lo, b));
    return quickTwoSum(p.hi, p.lo);
}
KILN_HD DD ddDiv(DD a, DD b) {
    const double q1 = a.hi / b.hi;
    DD r = ddAdd(a, ddMulD(b, -q1));
    const double q2 = r.hi / b.hi;
    r = ddAdd(r, ddMulD(b, -q2));
    const double q3 = r.hi / b.hi;
    return ddAdd(quickTwoSum(q1, q2), DD{q3, 0.0});
}

// log(x) for a positive, finite, normal x, correctly rounded (but for
// inputs closer than about 2^-100 relative to a rounding boundary):
// x = m * 2^e with m in [sqrt(1/2), sqrt(2)), log(m) = 2 atanh(s) with
// s = (m - 1) / (m + 1), |s| < 0.172, summed to 2^-110.
KILN_HD double logCorrectlyRounded(double x) {
    int e;
    double m = frexp(x, &e);  // [0.5, 1)
    if (m < 0.70710678118654752440) {
        m = mul(m, 2.0);
        --e;
    }
    const DD num = {sub(m, 1.0), 0.0};  // exact (Sterbenz)
    const DD den = twoSum(m, 1.0);
    const DD s = ddDiv(num, den);
    const DD s2 = ddMul(s, s);
    // atanh(s)/s = sum_k s^(2k) / (2k + 1), by Horner from k = 24.
    DD p = {1.0 / 49.0, 0.0};
    for (int k = 23; k >= 0; --k) p = ddAdd(ddMul(p, s2), ddDiv(DD{1.0, 0.0}, DD{double(2 * k + 1), 0.0}));
    DD r = ddMulD(ddMul(p, s), 2.0);
    const DD ln2 = {6.93147180559945286227e-01, 2.31904681384629955842e-17};
    r = ddAdd(ddMulD(ln2, double(e)), r);
    return add(r.hi, r.lo);
}

// One step of the polar method on canonical draws u1, u2: false when the
// pair is rejected; else the two normal values in the order the
// distribution returns them (y * mult, then x * mult), before the scaling.
KILN_HD bool polarPair(uint64_t u1, uint64_t u2, double& first, double& second) {
    const double x = sub(mul(2.0, canonical(u1)), 1.0);
    const double y = sub(mul(2.0, canonical(u2)), 1.0);
    const double r2 = add(mul(x, x), mul(y, y));
    if (r2 > 1.0 || r2 == 0.0) return false;
    const double mult = sqrt(mul(-2.0, logCorrectlyRounded(r2)) / r2);
    first = mul(y, mult);
    second = mul(x, mult);
    return true;
}

// normal_distribution(mean, stddev) from a polar value.
KILN_HD double scaleNormal(double v, double mean, double stddev) { return add(mul(v, stddev), mean); }

}  // namespace kiln::cuda::rnd
