// Cast: every (source, target) dtype pair against rules computed in the test
// (truncate toward zero, saturate, NaN -> 0, != 0 for bool), plus exact int64
// paths, single rounding from float64 and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

test::OpResult castTo(const TestTensor& x, int64_t to) {
    ir::Attrs a;
    a.set("to", to);
    return runOp("Cast", a, {x});
}

// Integer range of an integer dtype.
void intRange(DType t, double& lo, double& hi) {
    switch (t) {
        case DType::kI8: lo = -128; hi = 127; break;
        case DType::kU8: lo = 0; hi = 255; break;
        case DType::kI32: lo = -2147483648.0; hi = 2147483647.0; break;
        default: lo = -9223372036854775808.0; hi = 9223372036854775807.0; break;
    }
}

// What casting value v (exactly representable in float32) to t must give.
double expected(double v, DType t) {
    if (t == DType::kBool) return v != 0 ? 1 : 0;  // NaN is != 0
    if (ir::dtypeIsInteger(t)) {
        if (std::isnan(v)) return 0;
        double lo, hi;
        intRange(t, lo, hi);
        return std::min(std::max(std::trunc(v), lo), hi);
    }
    if (t == DType::kF64) return v;
    if (t == DType::kF32) return double(float(v));
    // float16 / bfloat16 / fp8: one rounding of the exact value.
    return TestTensor::fromDoubles(t, {1}, {v}).toDoubles()[0];
}

}  // namespace

TEST(Cast, EveryPairFollowsTheRules) {
    const std::vector<double> values = {0,   1,    -1,    2.5,    -2.5,  0.1,  127.9, -128.9, 255.5, 300,
                                        -300, 70000, -70000, 1e10, -1e10, kNaN, kInf,  -kInf,  -0.7,  0.7};
    int pairs = 0;
    for (int s = 0; s < ir::kNumDTypes; ++s) {
        for (int d = 0; d < ir::kNumDTypes; ++d) {
            const DType src = DType(s), dst = DType(d);
            const auto x = TestTensor::fromDoubles(src, {int64_t(values.size())}, values);
            auto r = castTo(x, d);
            ASSERT_TRUE(r.status.ok()) << ir::dtypeName(src) << "->" << ir::dtypeName(dst) << ": " << r.status.message();
            ASSERT_EQ(r.outputs[0].dtype, dst);
            ASSERT_EQ(r.outputs[0].shape, x.shape);
            std::vector<double> want;
            for (double v : x.toDoubles()) want.push_back(expected(v, dst));
            SCOPED_TRACE(std::string(ir::dtypeName(src)) + "->" + std::string(ir::dtypeName(dst)));
            EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
            ++pairs;
        }
    }
    EXPECT_EQ(pairs, 100);
}

TEST(Cast, SpotValues) {
    // Truncation toward zero and saturation, written out by hand.
    auto r = castTo(TestTensor::f32({6}, {2.9f, -2.9f, 1e6f, -1e6f, float(kNaN), 127.5f}), int64_t(DType::kI8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{2, -2, 127, -128, 0, 127}));
    r = castTo(TestTensor::f32({3}, {-1, 255.9f, 256}), int64_t(DType::kU8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 255, 255}));
    r = castTo(TestTensor::f32({4}, {0, -0.0f, float(kNaN), 1e-30f}), int64_t(DType::kBool));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 1, 1}));
    r = castTo(TestTensor::f32({3}, {1000, -1000, float(kNaN)}), int64_t(DType::kFP8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{448, -448, kNaN}), 0, 0);
}

TEST(Cast, Int64StaysExact) {
    const int64_t a = (int64_t(1) << 62) + 1, b = (int64_t(1) << 53) + 1;
    const auto x = TestTensor::i64({4}, {a, -a, b, -7});
    auto r = castTo(x, int64_t(DType::kI64));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{a, -a, b, -7}));
    r = castTo(x, int64_t(DType::kI32));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{INT32_MAX, INT32_MIN, INT32_MAX, -7}));
    r = castTo(x, int64_t(DType::kU8));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{255, 0, 255, 0}));
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
