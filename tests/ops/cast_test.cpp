// Cast: every (source, target) dtype pair against ONNX Cast's rules computed in
// the test with plain arithmetic (nearest value found by searching every code
// of the target format, integer wrap-around by modular arithmetic), the
// decoders of the narrow floats against hand-written formulas, and hand-checked
// values for the edges: NaN, infinity, saturation, subnormals, ties, e8m0
// rounding modes, sub-byte wrap-around.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <tuple>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

test::OpResult castTo(const TestTensor& x, int64_t to, int64_t saturate = 1, const char* roundMode = nullptr) {
    ir::Attrs a;
    a.set("to", to);
    a.set("saturate", saturate);
    if (roundMode) a.set("round_mode", roundMode);
    return runOp("Cast", a, {x});
}

// ---- the test's own description of the narrow float formats ----

enum class Kind { kIeee, kFn, kUz, kNone };
struct Fmt {
    int e, m, bias;
    Kind kind;
};

bool fmtOf(DType t, Fmt& f) {
    switch (t) {
        case DType::kF16:
            f = {5, 10, 15, Kind::kIeee};
            return true;
        case DType::kBF16:
            f = {8, 7, 127, Kind::kIeee};
            return true;
        case DType::kFP8:
            f = {4, 3, 7, Kind::kFn};
            return true;
        case DType::kFP8E5M2:
            f = {5, 2, 15, Kind::kIeee};
            return true;
        case DType::kFP8E4M3FNUZ:
            f = {4, 3, 8, Kind::kUz};
            return true;
        case DType::kFP8E5M2FNUZ:
            f = {5, 2, 16, Kind::kUz};
            return true;
        case DType::kFP4:
            f = {2, 1, 1, Kind::kNone};
            return true;
        default:
            return false;
    }
}

uint32_t signBitOf(const Fmt& f) { return 1u << (f.e + f.m); }

// (-1)^s * 2^(exp - bias) * (1 + man / 2^m), or the subnormal / special value.
double fmtValue(const Fmt& f, uint32_t code) {
    const uint32_t s = code >> (f.e + f.m) & 1u, exp = code >> f.m & ((1u << f.e) - 1u),
                   man = code & ((1u << f.m) - 1u);
    const bool allOnesExp = exp == (1u << f.e) - 1u;
    if (f.kind == Kind::kIeee && allOnesExp) return man ? kNaN : (s ? -kInf : kInf);
    if (f.kind == Kind::kFn && allOnesExp && man == (1u << f.m) - 1u) return kNaN;
    if (f.kind == Kind::kUz && s && exp == 0 && man == 0) return kNaN;
    double mag;
    if (exp == 0)
        mag = man / std::pow(2.0, f.m) * std::pow(2.0, 1 - f.bias);
    else
        mag = (1 + man / std::pow(2.0, f.m)) * std::pow(2.0, double(exp) - f.bias);
    return s ? -mag : mag;
}

uint32_t nanCode(const Fmt& f, bool neg) {
    const uint32_t sign = neg ? signBitOf(f) : 0;
    switch (f.kind) {
        case Kind::kIeee:
            return sign | ((1u << f.e) - 1u) << f.m | 1u << (f.m - 1);
        case Kind::kFn:
            return sign | (signBitOf(f) - 1u);
        default:
            return signBitOf(f);  // FNUZ's NaN; fp4 (no NaN) gives -0, as ONNX's reference
    }
}

// ONNX's rounding: nearest finite value, ties to the even code; a value whose
// rounding (with an unbounded exponent) exceeds the largest finite value
// overflows: to that value when saturating (always for fp4), else to infinity
// (IEEE-style) or NaN.
// Values of the non-negative codes of a format, computed once per format.
const std::vector<double>& positiveValues(const Fmt& f) {
    static std::map<std::tuple<int, int, int, int>, std::vector<double>> cache;
    auto& v = cache[{f.e, f.m, f.bias, int(f.kind)}];
    if (v.empty())
        for (uint32_t c = 0; c < signBitOf(f); ++c) v.push_back(fmtValue(f, c));
    return v;
}

uint32_t refEncode(const Fmt& f, double v, bool saturate) {
    if (std::isnan(v)) return nanCode(f, std::signbit(v));
    const uint32_t sign = std::signbit(v) ? signBitOf(f) : 0;
    const double a = std::fabs(v);
    const std::vector<double>& values = positiveValues(f);
    uint32_t maxCode = 0;
    double maxVal = -1;
    for (uint32_t c = 0; c < values.size(); ++c) {
        if (std::isfinite(values[c]) && values[c] > maxVal) maxVal = values[c], maxCode = c;
    }
    auto overflow = [&]() -> uint32_t {
        if (saturate || f.kind == Kind::kNone) return sign | maxCode;
        if (f.kind == Kind::kIeee) return sign | ((1u << f.e) - 1u) << f.m;
        return nanCode(f, sign != 0);
    };
    if (std::isinf(a)) return overflow();
    if (a > maxVal) {
        const double ulp = maxVal - values[maxCode - 1];
        const double over = a - maxVal;
        if (over > ulp / 2 || (over == ulp / 2 && (maxCode & 1u))) return overflow();
        return sign | maxCode;
    }
    uint32_t best = 0;
    double bestDist = kInf;
    for (uint32_t c = 0; c <= maxCode; ++c) {
        const double x = values[c];
        if (!std::isfinite(x)) continue;
        const double d = std::fabs(x - a);
        if (d < bestDist || (d == bestDist && (c & 1u) == 0)) best = c, bestDist = d;
    }
    if (best == 0 && f.kind == Kind::kUz) return 0;  // no -0
    return sign | best;
}

// e8m0 with round_mode "up", saturating: the smallest power of two >= |v|.
double refE8M0Up(double v) {
    if (std::isnan(v)) return kNaN;
    const double a = std::fabs(v);
    for (int k = -127; k <= 127; ++k)
        if (std::ldexp(1.0, k) >= a) return std::ldexp(1.0, k);
    return std::ldexp(1.0, 127);
}

// float -> integer: truncate, wrap to the width within int64 (uint64 for
// uint64), saturate beyond; integer -> integer: wrap.
double refInt(double v, DType t) {
    if (std::isnan(v)) return 0;
    const int bits = ir::dtypeBits(t);
    const bool sign = ir::dtypeIsSigned(t);
    const double tv = std::trunc(v);
    const double lo = sign ? -std::ldexp(1.0, bits - 1) : 0,
                 hi = sign ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    if (t == DType::kU64 && tv >= 0 && tv < 0x1p64) return tv;
    if (tv < -0x1p63 || tv >= 0x1p63) return tv < 0 ? lo : hi;
    const uint64_t u = uint64_t(int64_t(tv));
    const uint64_t low = bits == 64 ? u : u & ((uint64_t(1) << bits) - 1);
    if (sign && bits < 64 && low >= (uint64_t(1) << (bits - 1))) return double(int64_t(low) - (int64_t(1) << bits));
    if (sign && bits == 64) return double(int64_t(low));
    return double(low);
}

// The bits of integer (or bool) element i as a two's complement uint64.
uint64_t rawBits(const TestTensor& x, int64_t i) {
    if (x.dtype == DType::kBool) return x.bytes[size_t(i)] != 0;
    const size_t size = ir::dtypeSize(x.dtype);
    uint64_t u = 0;
    std::memcpy(&u, x.bytes.data() + size_t(i) * size, size);
    const int bits = ir::dtypeBits(x.dtype);
    if (bits < 64) {
        u &= (uint64_t(1) << bits) - 1;
        if (ir::dtypeIsSigned(x.dtype) && (u >> (bits - 1)) & 1u) u |= ~((uint64_t(1) << bits) - 1);
    }
    return u;
}

// Integer -> integer: the low bits of the target's width.
double wrapBits(uint64_t u, DType t) {
    const int bits = ir::dtypeBits(t);
    const uint64_t low = bits == 64 ? u : u & ((uint64_t(1) << bits) - 1);
    if (ir::dtypeIsSigned(t)) {
        if (bits == 64) return double(int64_t(low));
        if ((low >> (bits - 1)) & 1u) return double(int64_t(low) - (int64_t(1) << bits));
    }
    return double(low);
}

double expected(double v, DType src, DType t) {
    if (t == DType::kBool) return v != 0 ? 1 : 0;  // NaN is != 0
    if (ir::dtypeIsInteger(t)) return refInt(v, t);
    if (t == DType::kF64) return v;
    if (t == DType::kF32) return double(float(v));
    if (t == DType::kE8M0) return refE8M0Up(v);
    Fmt f;
    if (!fmtOf(t, f)) return kNaN;
    (void)src;
    return fmtValue(f, refEncode(f, v, /*saturate=*/t != DType::kF16 && t != DType::kBF16));
}

}  // namespace

TEST(Cast, NarrowFloatDecodersMatchTheFormats) {
    for (DType t : {DType::kFP8, DType::kFP8E5M2, DType::kFP8E4M3FNUZ, DType::kFP8E5M2FNUZ, DType::kFP4, DType::kF16,
                    DType::kBF16}) {
        Fmt f;
        ASSERT_TRUE(fmtOf(t, f));
        const uint32_t codes = signBitOf(f) << 1;
        for (uint32_t c = 0; c < codes; ++c) {
            const double want = fmtValue(f, c), got = ir::decodeNarrowFloat(t, c);
            ASSERT_TRUE(std::isnan(want) ? std::isnan(got) : got == want)
                << ir::dtypeName(t) << " code " << c << ": " << got << " vs " << want;
        }
    }
    for (uint32_t c = 0; c < 255; ++c) EXPECT_EQ(ir::decodeNarrowFloat(DType::kE8M0, c), std::ldexp(1.0, int(c) - 127));
    EXPECT_TRUE(std::isnan(ir::decodeNarrowFloat(DType::kE8M0, 0xff)));
    // The well-known extremes.
    EXPECT_EQ(ir::decodeNarrowFloat(DType::kFP8, 0x7e), 448);
    EXPECT_EQ(ir::decodeNarrowFloat(DType::kFP8, 0x01), 0x1p-9);
    EXPECT_EQ(ir::decodeNarrowFloat(DType::kFP8E4M3FNUZ, 0x7f), 240);
    EXPECT_EQ(ir::decodeNarrowFloat(DType::kFP8E5M2, 0x7b), 57344);
    EXPECT_EQ(ir::decodeNarrowFloat(DType::kFP8E5M2FNUZ, 0x7f), 57344);
    EXPECT_EQ(ir::decodeNarrowFloat(DType::kFP4, 0xf), -6);
}

TEST(Cast, EveryPairFollowsTheRules) {
    const std::vector<double> values = {0,    -0.0, 1,      -1,      2.5,    -2.5,  0.1,   127.9, -128.9, 255.5,
                                        300,  -300, 70000,  -70000,  1e10,   -1e10, kNaN,  kInf,  -kInf,  -0.7,
                                        0.7,  448,  464,    465,     480,    57344, 61440, 3.5,   5,      0.25,
                                        0.75, 1e-5, 0x1p-9, 0x1p-10, 1.0625, 1e20,  -1e20, 65519, 65520};
    int pairs = 0;
    for (int s = 0; s < ir::kNumDTypes; ++s) {
        for (int d = 0; d < ir::kNumDTypes; ++d) {
            const DType src = DType(s), dst = DType(d);
            const auto x = TestTensor::fromDoubles(src, {int64_t(values.size())}, values);
            auto r = castTo(x, d);
            ASSERT_TRUE(r.status.ok()) << ir::dtypeName(src) << "->" << ir::dtypeName(dst) << ": "
                                       << r.status.message();
            ASSERT_EQ(r.outputs[0].dtype, dst);
            ASSERT_EQ(r.outputs[0].shape, x.shape);
            std::vector<double> want;
            const std::vector<double> in = x.toDoubles();
            const bool intToInt = (ir::dtypeIsInteger(src) || src == DType::kBool) && ir::dtypeIsInteger(dst);
            for (int64_t i = 0; i < x.numel(); ++i)
                want.push_back(intToInt ? wrapBits(rawBits(x, i), dst) : expected(in[size_t(i)], src, dst));
            SCOPED_TRACE(std::string(ir::dtypeName(src)) + "->" + std::string(ir::dtypeName(dst)));
            EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
            ++pairs;
        }
    }
    EXPECT_EQ(pairs, ir::kNumDTypes * ir::kNumDTypes);
}

TEST(Cast, Float8BitsAtTheEdges) {
    // ONNX's tables: saturating and not, float32 inputs. Columns: E4M3FN,
    // E4M3FNUZ, E5M2, E5M2FNUZ.
    const std::vector<double> x = {0, -0.0, kNaN, -kNaN, kInf, -kInf, 1e6, -1e6, -1e-7, 464, 465};
    const std::vector<std::vector<uint8_t>> sat = {
        {0x00, 0x80, 0x7f, 0xff, 0x7e, 0xfe, 0x7e, 0xfe, 0x80, 0x7e, 0x7e},
        {0x00, 0x00, 0x80, 0x80, 0x7f, 0xff, 0x7f, 0xff, 0x00, 0x7f, 0x7f},
        {0x00, 0x80, 0x7e, 0xfe, 0x7b, 0xfb, 0x7b, 0xfb, 0x80, 0x5f, 0x5f},
        {0x00, 0x00, 0x80, 0x80, 0x7f, 0xff, 0x7f, 0xff, 0x00, 0x63, 0x63},
    };
    const std::vector<std::vector<uint8_t>> noSat = {
        {0x00, 0x80, 0x7f, 0xff, 0x7f, 0xff, 0x7f, 0xff, 0x80, 0x7e, 0x7f},
        {0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x80, 0x80},
        {0x00, 0x80, 0x7e, 0xfe, 0x7c, 0xfc, 0x7c, 0xfc, 0x80, 0x5f, 0x5f},
        {0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x63, 0x63},
    };
    const DType types[] = {DType::kFP8, DType::kFP8E4M3FNUZ, DType::kFP8E5M2, DType::kFP8E5M2FNUZ};
    for (int k = 0; k < 4; ++k) {
        SCOPED_TRACE(ir::dtypeName(types[k]));
        auto in = TestTensor::fromDoubles(DType::kF64, {int64_t(x.size())}, x);
        auto r = castTo(in, int64_t(types[k]), 1);
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].bytes, sat[size_t(k)]);
        r = castTo(in, int64_t(types[k]), 0);
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].bytes, noSat[size_t(k)]);
    }
}

TEST(Cast, Float8RoundsHalfToEvenAndKeepsSubnormals) {
    // E4M3FN near 1: 1 + 1/16 is a tie between 1 (0x38) and 1.125 (0x39): even -> 1;
    // 1 + 3/16 between 1.125 and 1.25 (0x3a): even -> 1.25. Smallest subnormal
    // 2^-9 (0x01); 2^-10 is a tie between 0 and 2^-9: even -> 0; 3 * 2^-10 ->
    // 2 * 2^-9 (0x02). 2^-6 - 2^-10 rounds up to the smallest normal (0x08).
    auto r = castTo(TestTensor::fromDoubles(DType::kF64, {7},
                                            {1.0625, 1.1875, 0x1p-9, 0x1p-10, 3 * 0x1p-10, 0x1p-6 - 0x1p-10, -0x1p-9}),
                    int64_t(DType::kFP8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x38, 0x3a, 0x01, 0x00, 0x02, 0x08, 0x81}));
    // fp4 E2M1: 0.25 ties to 0, 0.75 to 1, 2.5 to 2, 3.5 to 4, 5 to 4; 9 and
    // infinity saturate to 6; NaN gives -0 (0x8), -0 stays -0.
    r = castTo(TestTensor::fromDoubles(DType::kF32, {10}, {0.25, 0.75, 2.5, 3.5, 5, 9, kInf, -kInf, kNaN, -0.0}),
               int64_t(DType::kFP4));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x0, 0x2, 0x4, 0x6, 0x6, 0x7, 0x7, 0xf, 0x8, 0x8}));
}

TEST(Cast, E8M0RoundingModes) {
    const std::vector<double> x = {0, 0.124, 0.25, 1.1, 1.5, 1.6, 3, 1e39, kInf, kNaN, 0x1p-130, -4};
    struct Case {
        const char* mode;
        int64_t saturate;
        std::vector<uint8_t> want;
    };
    const Case cases[] = {
        // up: 0.124 -> 2^-3 (0x7c), 1.1 -> 2 (0x80), 3 -> 4 (0x81).
        {"up", 1, {0x00, 0x7c, 0x7d, 0x80, 0x80, 0x80, 0x81, 0xfe, 0xfe, 0xff, 0x00, 0x81}},
        {"down", 1, {0x00, 0x7b, 0x7d, 0x7f, 0x7f, 0x7f, 0x80, 0xfe, 0xfe, 0xff, 0x00, 0x81}},
        // nearest: 1.5 is the midpoint of 1 and 2 and goes up; 1.1 -> 1, 3 -> 4.
        {"nearest", 1, {0x00, 0x7c, 0x7d, 0x7f, 0x80, 0x80, 0x81, 0xfe, 0xfe, 0xff, 0x00, 0x81}},
        {"nearest", 0, {0xff, 0x7c, 0x7d, 0x7f, 0x80, 0x80, 0x81, 0xff, 0xff, 0xff, 0xff, 0x81}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(std::string(c.mode) + " saturate=" + std::to_string(c.saturate));
        auto r = castTo(TestTensor::fromDoubles(DType::kF64, {int64_t(x.size())}, x), int64_t(DType::kE8M0), c.saturate,
                        c.mode);
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].bytes, c.want);
    }
    EXPECT_FALSE(castTo(TestTensor::f32({1}, {1}), int64_t(DType::kE8M0), 1, "sideways").status.ok());
}

TEST(Cast, SubByteIntegersWrap) {
    // ONNX's test: -9..7 to int4 wraps -9 -> 7 and 8 -> -8; to uint4 -9 -> 7.
    auto r = castTo(TestTensor::f32({5}, {-9, -8, 7, 8, 15.9f}), int64_t(DType::kI4));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{7, -8, 7, -8, -1}));
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x07, 0xf8, 0x07, 0xf8, 0xff}));  // canonical bytes
    r = castTo(TestTensor::f32({3}, {-9, 16, 3}), int64_t(DType::kU4));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{7, 0, 3}));
    r = castTo(TestTensor::f32({7}, {-3, -2, -1, 0, 1, 2, 3}), int64_t(DType::kI2));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, -2, -1, 0, 1, -2, -1}));
    r = castTo(TestTensor::i32({3}, {4, 5, -1}), int64_t(DType::kU2));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 3}));
    // A non-canonical int4 byte reads its low bits only.
    TestTensor odd = TestTensor::fromDoubles(DType::kI4, {2}, {0, 0});
    odd.bytes = {0x1f, 0x37};
    r = castTo(odd, int64_t(DType::kI32));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-1, 7}));
}

TEST(Cast, IntegersWrapLikeOnnx) {
    // "200 (int16) -> -56 (int8)": the low bits, two's complement.
    auto r = castTo(TestTensor::fromDoubles(DType::kI16, {4}, {200, -200, 32767, 256}), int64_t(DType::kI8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-56, 56, -1, 0}));
    r = castTo(TestTensor::f32({6}, {2.9f, -2.9f, 300, -300, float(kNaN), 127.5f}), int64_t(DType::kI8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{2, -2, 44, -44, 0, 127}));
    r = castTo(TestTensor::f32({3}, {-1, 255.9f, 256}), int64_t(DType::kU8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{255, 255, 0}));
    r = castTo(TestTensor::f32({4}, {0, -0.0f, float(kNaN), 1e-30f}), int64_t(DType::kBool));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 1, 1}));
    // Infinities and values beyond int64 saturate.
    r = castTo(TestTensor::f32({3}, {float(kInf), float(-kInf), 1e30f}), int64_t(DType::kI32));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{INT32_MAX, INT32_MIN, INT32_MAX}));
    // uint64 takes values up to 2^64 exactly.
    r = castTo(TestTensor::fromDoubles(DType::kF64, {2}, {0x1p63, -1}), int64_t(DType::kU64));
    ASSERT_TRUE(r.status.ok());
    uint64_t u[2];
    std::memcpy(u, r.outputs[0].bytes.data(), 16);
    EXPECT_EQ(u[0], uint64_t(1) << 63);
    EXPECT_EQ(u[1], UINT64_MAX);
}

TEST(Cast, Int64StaysExact) {
    const int64_t a = (int64_t(1) << 62) + 1, b = (int64_t(1) << 53) + 1;
    const auto x = TestTensor::i64({4}, {a, -a, b, -7});
    auto r = castTo(x, int64_t(DType::kI64));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{a, -a, b, -7}));
    r = castTo(x, int64_t(DType::kI32));  // the low 32 bits
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, -1, 1, -7}));
    r = castTo(x, int64_t(DType::kU8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 255, 1, 249}));
    r = castTo(x, int64_t(DType::kF64));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0x1p62, -0x1p62, 0x1p53, -7}), 0, 0);
    // int32 -> int64 -> int32 round trip of the extremes.
    r = castTo(TestTensor::i32({2}, {INT32_MIN, INT32_MAX}), int64_t(DType::kI64));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{INT32_MIN, INT32_MAX}));
    // float64 beyond int64's range saturates.
    r = castTo(TestTensor::fromDoubles(DType::kF64, {2}, {1e19, -1e19}), int64_t(DType::kI64));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{INT64_MAX, INT64_MIN}));
    // int64 -> bfloat16 rounds once: 2^60 + 2^52 + 1 is just above the tie
    // between 2^60 and 2^60 + 2^53 (via double it would land on the tie and
    // round to even, down).
    r = castTo(TestTensor::i64({1}, {(int64_t(1) << 60) + (int64_t(1) << 52) + 1}), int64_t(DType::kBF16));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toDoubles()[0], 0x1p60 + 0x1p53);
}

TEST(Cast, Float64RoundsOnceToNarrowFloats) {
    // Just above a float16 tie: float32 would round it onto the tie and
    // float16 then rounds to even (down); a single rounding goes up.
    const double h = 1 + 0x1p-11 + 0x1p-40, b = 1 + 0x1p-8 + 0x1p-40;
    auto r = castTo(TestTensor::fromDoubles(DType::kF64, {2}, {h, -h}), int64_t(DType::kF16));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1 + 0x1p-10, -(1 + 0x1p-10)}), 0, 0);
    r = castTo(TestTensor::fromDoubles(DType::kF64, {1}, {b}), int64_t(DType::kBF16));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1 + 0x1p-7}), 0, 0);
    // The same for float8: 1 + 2^-4 + 2^-40 is above the E4M3 tie, so 1.125.
    r = castTo(TestTensor::fromDoubles(DType::kF64, {1}, {1 + 0x1p-4 + 0x1p-40}), int64_t(DType::kFP8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{0x39}));
}

TEST(Cast, BoolSourceReadsNonzeroAsTrue) {
    auto x = TestTensor::boolean({3}, {true, false, true});
    x.bytes[2] = 7;
    auto r = castTo(x, int64_t(DType::kI32));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0, 1}));
    r = castTo(x, int64_t(DType::kBool));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].bytes, (std::vector<uint8_t>{1, 0, 1}));  // normalized to 0/1
}

TEST(Cast, EmptyAndLarge) {
    auto r = castTo(TestTensor::f32({3, 0}, {}), int64_t(DType::kI32));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 0}));
    const auto x = TestTensor::random(DType::kF32, {100000}, 41, -1000, 1000);
    r = castTo(x, int64_t(DType::kI32));
    ASSERT_TRUE(r.status.ok());
    std::vector<int64_t> want;
    for (double v : x.toDoubles()) want.push_back(int64_t(std::trunc(v)));
    EXPECT_EQ(r.outputs[0].toInts(), want);
}

TEST(Cast, Errors) {
    const auto x = TestTensor::f32({1}, {1});
    auto r = castTo(x, 42);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("42"), std::string::npos) << r.status.message();
    EXPECT_FALSE(castTo(x, -1).status.ok());
    EXPECT_FALSE(runOp("Cast", ir::Attrs{}, {x}).status.ok());
    // Shape inference keeps unknown dims.
    ir::Node n;
    n.op = "Cast";
    n.name = "cast_under_test";
    n.attrs.set("to", int64_t(DType::kF16));
    n.inputs = {0};
    n.outputs = {1};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, {{DType::kI64, {-1, 2}, nullptr}}, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 2}));
    EXPECT_EQ(out[0].dtype, DType::kF16);
}
