// Host checks of the scalar helpers the CUDA kernels are built on
// (backends/cuda/kernels/dtype_convert.cuh and fill_random.cuh, plain C++
// here): bit for bit against ir::'s conversions, the CPU reference's Cast on
// every dtype pair, and the standard library's mt19937_64 and distributions
// that the CPU's random Fill uses. In kiln_op_tests_cuda the Cast runs also
// check the CUDA Cast on every pair against the CPU.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "backends/cuda/kernels/dtype_convert.cuh"
#include "backends/cuda/kernels/fill_random.cuh"
#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;
namespace conv = cuda::conv;
namespace rnd = cuda::rnd;

uint64_t bitsOf(double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
}

bool sameDouble(double a, double b) { return (std::isnan(a) && std::isnan(b)) || bitsOf(a) == bitsOf(b); }

const DType kNarrowFloats[] = {DType::kF16,         DType::kBF16,        DType::kFP8, DType::kFP8E5M2,
                               DType::kFP8E4M3FNUZ, DType::kFP8E5M2FNUZ, DType::kFP4};

// Doubles around every value of every narrow format (midpoints, a hair on
// either side, far beyond the range), random magnitudes and the specials.
std::vector<double> probeValues() {
    std::vector<double> v = {0.0, -0.0, INFINITY, -INFINITY, NAN, -NAN, 1e300, -1e300, 1e-300, 5e-324, 3.4e38, 1e-45};
    for (DType t : kNarrowFloats) {
        const int codes = t == DType::kFP4 ? 16 : (ir::dtypeSize(t) == 2 ? 65536 : 256);
        const int step = codes > 256 ? 37 : 1;
        for (int c = 0; c + 1 < codes; c += step) {
            const double a = ir::decodeNarrowFloat(t, uint32_t(c)), b = ir::decodeNarrowFloat(t, uint32_t(c + 1));
            if (!std::isfinite(a)) continue;
            v.insert(v.end(), {a, a * (1 + 1e-9), a * (1 - 1e-9), a * 1.5, a * 4});
            if (std::isfinite(b)) v.push_back((a + b) / 2);
        }
    }
    std::mt19937_64 rng(7);
    for (int i = 0; i < 4000; ++i) {
        const double m = std::uniform_real_distribution<double>(1, 2)(rng);
        const int e = int(rng() % 320) - 160;
        v.push_back((rng() & 1 ? -1 : 1) * std::ldexp(m, e));
    }
    for (int i = 0; i < 2000; ++i) v.push_back(double(int64_t(rng())) / double(uint64_t(1) << (rng() % 64)));
    return v;
}

TEST(CudaConvertHost, DecodeEveryCode) {
    for (DType t : {DType::kF16, DType::kBF16, DType::kFP8, DType::kFP8E5M2, DType::kFP8E4M3FNUZ, DType::kFP8E5M2FNUZ,
                    DType::kFP4, DType::kE8M0}) {
        const uint32_t codes = ir::dtypeSize(t) == 2 ? 65536 : 256;
        for (uint32_t c = 0; c < codes; ++c)
            ASSERT_TRUE(sameDouble(conv::decodeNarrow(t, c), ir::decodeNarrowFloat(t, c)))
                << ir::dtypeName(t) << " code " << c;
    }
}

TEST(CudaConvertHost, EncodeMatchesIr) {
    const auto values = probeValues();
    for (DType t : kNarrowFloats)
        for (bool sat : {false, true})
            for (double v : values)
                ASSERT_EQ(conv::encodeNarrow(t, v, sat), ir::encodeNarrowFloat(t, v, sat))
                    << ir::dtypeName(t) << " " << v << " saturate " << sat;
    const ir::E8M0Rounding modes[] = {ir::E8M0Rounding::kUp, ir::E8M0Rounding::kDown, ir::E8M0Rounding::kNearest};
    for (int m = 0; m < 3; ++m)
        for (bool sat : {false, true})
            for (double v : values) ASSERT_EQ(conv::encodeE8M0(v, sat, m), ir::encodeE8M0(v, sat, modes[m])) << v;
}

TEST(CudaConvertHost, HalfAndBFloat16) {
    std::mt19937 rng(3);
    std::vector<uint32_t> bits = {0u,          0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u,
                                  0x7f800001u, 0xffc12345u, 0x477ff000u, 0x477fefffu, 0x38800000u,
                                  0x387fffffu, 0x33000000u, 0x33000001u};
    for (int i = 0; i < 200000; ++i) bits.push_back(rng());
    for (uint32_t b : bits) {
        float f;
        std::memcpy(&f, &b, 4);
        ASSERT_EQ(conv::floatToHalf(f), ir::floatToHalf(f)) << std::hex << b;
        ASSERT_EQ(conv::floatToBF16(f), ir::floatToBF16(f)) << std::hex << b;
    }
    for (uint32_t h = 0; h < 65536; ++h) {
        const float a = conv::halfToFloat(uint16_t(h)), b = ir::halfToFloat(uint16_t(h));
        ASSERT_EQ(std::memcmp(&a, &b, 4), 0) << h;
        const float c = conv::bf16ToFloat(uint16_t(h)), d = ir::bf16ToFloat(uint16_t(h));
        ASSERT_EQ(std::memcmp(&c, &d, 4), 0) << h;
    }
}

TEST(CudaConvertHost, LoadAndStoreAsDouble) {
    const auto values = probeValues();
    std::mt19937_64 rng(5);
    for (int ti = 0; ti < ir::kNumDTypes; ++ti) {
        const DType t = DType(ti);
        ASSERT_EQ(size_t(conv::sizeOf(t)), ir::dtypeSize(t));
        for (int i = 0; i < 2000; ++i) {
            const uint64_t raw = rng();
            const double got = conv::rawToDouble(t, raw), want = ir::loadAsDouble(&raw, t, 0);
            ASSERT_TRUE(sameDouble(got, want))
                << ir::dtypeName(t) << " raw " << std::hex << raw << ": " << std::hexfloat << got << " vs " << want;
        }
        for (double v : values) {
            uint64_t want = 0;
            ir::storeFromDouble(&want, t, 0, v);
            ASSERT_EQ(conv::doubleToRaw(t, v), want) << ir::dtypeName(t) << " " << v;
        }
    }
}

// Source elements for Cast: random bytes and the probe values stored in the type.
TestTensor castSource(DType t) {
    std::mt19937_64 rng(11 + int(t));
    std::vector<double> specials = {0,    -0.0,  1,     -1,   0.5,   -0.5,         1.5,       2.5,    -2.5,    7,
                                    8,    -8,    -9,    15,   16,    127,          128,       -128,   -129,    255,
                                    256,  65504, 65520, 1e10, -1e10, 4294967296.0, 9.2e18,    9.3e18, -9.3e18, 1.8e19,
                                    2e19, 1e30,  -1e30, 3e38, 1e300, INFINITY,     -INFINITY, NAN,    1e-40,   448,
                                    464,  57344, 6,     0.25, 0.75,  3.0e-5};
    const size_t es = ir::dtypeSize(t);
    const size_t n = specials.size() + 600;
    TestTensor x;
    x.dtype = t;
    x.shape = {int64_t(n)};
    x.bytes.resize(n * es);
    for (size_t i = 0; i < specials.size(); ++i) ir::storeFromDouble(x.bytes.data(), t, int64_t(i), specials[i]);
    for (size_t i = specials.size(); i < n; ++i) {
        const uint64_t raw = rng();
        std::memcpy(x.bytes.data() + i * es, &raw, es);
    }
    return x;
}

TEST(CudaConvertHost, CastMatchesTheCpuReferenceOnEveryPair) {
    for (int from = 0; from < ir::kNumDTypes; ++from) {
        const TestTensor x = castSource(DType(from));
        for (int to = 0; to < ir::kNumDTypes; ++to) {
            const bool copy = from == to && DType(from) != DType::kBool && !ir::dtypeIsSubByte(DType(from));
            const std::vector<const char*> modes = DType(to) == DType::kE8M0
                                                       ? std::vector<const char*>{"up", "down", "nearest"}
                                                       : std::vector<const char*>{"up"};
            for (int sat = 0; sat < 2; ++sat)
                for (const char* mode : modes) {
                    ir::Attrs a;
                    a.set("to", int64_t(to));
                    a.set("saturate", int64_t(sat));
                    a.set("round_mode", std::string(mode));
                    const OpResult r = runOp("Cast", a, {x});
                    ASSERT_TRUE(r.status.ok()) << ir::dtypeName(DType(from)) << " -> " << ir::dtypeName(DType(to))
                                               << ": " << r.status.message();
                    if (copy) continue;
                    conv::CastOptions o;
                    o.saturate = sat != 0;
                    o.e8m0Mode = std::string(mode) == "up"     ? conv::kE8M0Up
                                 : std::string(mode) == "down" ? conv::kE8M0Down
                                                               : conv::kE8M0Nearest;
                    const size_t es = ir::dtypeSize(DType(to));
                    for (int64_t i = 0; i < x.numel(); ++i) {
                        const uint64_t raw = conv::loadRaw(x.bytes.data(), DType(from), i);
                        const uint64_t got = conv::castRaw(DType(from), DType(to), raw, o);
                        uint64_t want = 0;
                        std::memcpy(&want, r.outputs[0].bytes.data() + size_t(i) * es, es);
                        // NaN payloads may differ: the compiler may fold the CPU's float ->
                        // double -> float round trip, which would quiet a signaling NaN.
                        if (std::isnan(ir::loadAsDouble(&got, DType(to), 0)) &&
                            std::isnan(ir::loadAsDouble(&want, DType(to), 0)))
                            continue;
                        ASSERT_EQ(got, want) << ir::dtypeName(DType(from)) << " -> " << ir::dtypeName(DType(to))
                                             << " element " << i << " raw " << raw << " saturate " << sat;
                    }
                }
        }
    }
}

TEST(CudaConvertHost, AccumulatorHelpers) {
    // storeComputeFromDouble is Elem<S>::store(ComputeT<S>(v)): for the compute
    // floats the value rounded through float, for narrow floats the saturating
    // encoder of float(v).
    for (double v : probeValues()) {
        const float f = float(v);
        EXPECT_EQ(conv::storeComputeFromDouble(DType::kF16, v), ir::floatToHalf(f));
        EXPECT_EQ(conv::storeComputeFromDouble(DType::kBF16, v), ir::floatToBF16(f));
        EXPECT_EQ(conv::storeComputeFromDouble(DType::kFP8E5M2, v), ir::encodeNarrowFloat(DType::kFP8E5M2, f, true));
        EXPECT_EQ(conv::storeComputeFromDouble(DType::kE8M0, v), ir::encodeE8M0(f, true, ir::E8M0Rounding::kUp));
    }
    EXPECT_EQ(conv::storeAccInt(DType::kI4, 9), 0xf9u);  // low 4 bits 1001: -7, sign-extended
    EXPECT_EQ(conv::storeAccInt(DType::kU2, -1), 3u);
    EXPECT_EQ(conv::loadAccInt(DType::kFP8E5M2, ir::encodeNarrowFloat(DType::kFP8E5M2, -2.5, true)), -2);
    EXPECT_EQ(conv::x86ToInt64(NAN), INT64_MIN);
    EXPECT_EQ(conv::x86ToInt64(-9223372036854775808.0), INT64_MIN);
    EXPECT_EQ(conv::x86ToInt64(-3.9), -3);
    EXPECT_EQ(conv::x86ToInt32(3e9), INT32_MIN);
    EXPECT_EQ(conv::x86ToInt32(-2147483648.9), INT32_MIN);
    EXPECT_EQ(conv::x86ToInt32(2147483647.5), 2147483647);
}

// The sequential mt19937_64 and the two-phase twist the CUDA Fill runs, both
// against std::mt19937_64.
TEST(CudaConvertHost, Mt19937TwoPhaseTwistMatchesTheStandard) {
    for (uint64_t seed : {uint64_t(0), uint64_t(42), uint64_t(5489), ~uint64_t(0)}) {
        std::mt19937_64 ref(seed);
        uint64_t x[rnd::kN];
        x[0] = seed;
        for (int i = 1; i < rnd::kN; ++i) x[i] = rnd::seedNext(x[i - 1], i);
        for (int gen = 0; gen < 5; ++gen) {
            uint64_t tmp[rnd::kN];
            for (int k = 0; k < rnd::kN - rnd::kM; ++k) tmp[k] = rnd::twistA(x, k);
            for (int k = 0; k < rnd::kN - rnd::kM; ++k) x[k] = tmp[k];
            for (int k = rnd::kN - rnd::kM; k < rnd::kN; ++k) tmp[k] = rnd::twistB(x, k);
            for (int k = rnd::kN - rnd::kM; k < rnd::kN; ++k) x[k] = tmp[k];
            for (int k = 0; k < rnd::kN; ++k) ASSERT_EQ(rnd::temper(x[k]), ref()) << "seed " << seed << " draw " << k;
        }
    }
}

TEST(CudaConvertHost, DistributionsMatchTheStandardLibrary) {
    const std::pair<double, double> params[] = {{-2, 3}, {0, 1}, {10, 2}, {-1e-3, 1e5}};
    for (auto [a, b] : params) {
        std::mt19937_64 r1(99), r2(99);
        std::uniform_real_distribution<double> u(a, b);
        for (int i = 0; i < 20000; ++i) {
            const double want = u(r1);
            ASSERT_TRUE(sameDouble(rnd::uniform(r2(), a, b), want)) << i;
        }
        std::mt19937_64 r3(1234), r4(1234);
        std::normal_distribution<double> nd(a, b);
        std::vector<double> got;
        while (got.size() < 20000) {
            const uint64_t u1 = r4(), u2 = r4();
            double f, s;
            if (!rnd::polarPair(u1, u2, f, s)) continue;
            got.push_back(rnd::scaleNormal(f, a, b));
            got.push_back(rnd::scaleNormal(s, a, b));
        }
        // The same values, except where glibc's log rounds the wrong way (see
        // logCorrectlyRounded): there the pair differs by an ulp or so.
        int differ = 0;
        for (size_t i = 0; i < got.size(); ++i) {
            const double want = nd(r3);
            if (sameDouble(got[i], want)) continue;
            ++differ;
            ASSERT_LE(std::fabs(got[i] - want), 1e-14 * (std::fabs(want) + std::fabs(a))) << i;
        }
        EXPECT_LE(differ, int(got.size()) / 200);
    }
    // The double-double log against glibc's on many arguments in (0, 1]: the
    // same but in rare near-ties, and then by one ulp.
    std::mt19937_64 rng(77);
    int differ = 0, total = 0;
    for (int i = 0; i < 300000; ++i) {
        double x = rnd::canonical(rng());
        if (i % 3 == 0) x = std::ldexp(x, -int(rng() % 100));
        if (x == 0) continue;
        ++total;
        const double mine = rnd::logCorrectlyRounded(x), glibc = std::log(x);
        if (sameDouble(mine, glibc)) continue;
        ++differ;
        ASSERT_EQ(std::nextafter(mine, glibc), glibc) << std::hexfloat << x;
    }
    EXPECT_LE(differ, total / 300);
    // Two of glibc's near-ties, decided here against a 60-digit logarithm:
    // the double-double log is the correctly rounded one.
    EXPECT_EQ(rnd::logCorrectlyRounded(0x1.d97e99ac55e1fp-1), -0x1.403e236b266b7p-4);
    EXPECT_EQ(rnd::logCorrectlyRounded(0x1.51cdc3b0dad26p-3), -0x1.cd59f41029f44p+0);
}

}  // namespace
}  // namespace kiln::test
