// PRelu and Select: broadcasting (per-channel slope, scalars, three-way),
// integer and bit-exact copies, NaN, and shape/dtype errors.
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

// Flat index into `in` for output flat index `o` (numpy broadcasting).
int64_t bcastIndex(const ir::Shape& out, const ir::Shape& in, int64_t o) {
    int64_t idx = 0, stride = 1;
    for (int d = int(out.size()) - 1; d >= 0; --d) {
        const int64_t coord = o % out[d];
        o /= out[d];
        const int id = d - int(out.size() - in.size());
        if (id < 0) continue;
        if (in[id] != 1) idx += coord * stride;
        stride *= in[id];
    }
    return idx;
}

test::OpResult prelu(const TestTensor& x, const TestTensor& s) { return runOp("PRelu", {}, {x, s}); }
test::OpResult sel(const TestTensor& c, const TestTensor& a, const TestTensor& b) {
    return runOp("Select", {}, {c, a, b});
}

}  // namespace

TEST(PRelu, PerChannelSlope) {
    const ir::Shape shape{2, 3, 4, 5};
    const auto x = TestTensor::random(DType::kF32, shape, 31, -2, 2);
    const auto s = TestTensor::f32({3, 1, 1}, {0.1f, -0.5f, 2.0f});
    auto r = prelu(x, s);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, shape);
    const auto xv = x.toDoubles(), sv = s.toDoubles();
    std::vector<double> want(xv.size());
    for (int64_t i = 0; i < int64_t(xv.size()); ++i) {
        const int64_t c = (i / 20) % 3;
        want[i] = xv[i] >= 0 ? xv[i] : sv[c] * xv[i];
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-6, 0);
}

TEST(PRelu, ScalarSlopeNaNAndLarge) {
    auto r = prelu(TestTensor::f32({4}, {-2, 0, 3, float(kNaN)}), TestTensor::f32({}, {0.25f}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-0.5, 0, 3, kNaN}), 0, 0);
    // A long last-dim slope with many rows runs multithreaded.
    const auto x = TestTensor::random(DType::kF32, {9, 20000}, 32);
    const auto s = TestTensor::random(DType::kF32, {20000}, 33);
    r = prelu(x, s);
    ASSERT_TRUE(r.status.ok());
    const auto xv = x.toDoubles(), sv = s.toDoubles();
    std::vector<double> want(xv.size());
    for (size_t i = 0; i < xv.size(); ++i) want[i] = xv[i] >= 0 ? xv[i] : sv[i % 20000] * xv[i];
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-6, 0);
}

TEST(PRelu, IntegerAndHalf) {
    auto r = prelu(TestTensor::i32({4}, {-3, 5, -7, 0}), TestTensor::i32({4}, {2, 2, -1, 3}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-6, 5, 7, 0}));
    // int8 products wrap: -100 * 2 = -200 -> 56.
    r = prelu(TestTensor::fromDoubles(DType::kI8, {2}, {-100, -3}), TestTensor::fromDoubles(DType::kI8, {}, {2}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{56, -6}));
    r = prelu(TestTensor::fromDoubles(DType::kF16, {2}, {-1.5, 2}), TestTensor::fromDoubles(DType::kF16, {1}, {0.5}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-0.75, 2}), 0, 0);
}

TEST(PRelu, EmptyInput) {
    auto r = prelu(TestTensor::f32({0, 3}, {}), TestTensor::f32({3}, {1, 2, 3}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3}));
}

TEST(PRelu, Errors) {
    // The slope may not grow X.
    auto r = prelu(TestTensor::f32({3}, {1, 2, 3}), TestTensor::f32({2, 3}, std::vector<float>(6, 1)));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("[2,3]"), std::string::npos) << r.status.message();
    r = prelu(TestTensor::f32({2, 3}, std::vector<float>(6, 1)), TestTensor::f32({2}, {1, 2}));
    EXPECT_FALSE(r.status.ok());
    r = prelu(TestTensor::f32({2}, {1, 2}), TestTensor::fromDoubles(DType::kF16, {1}, {1}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("float16"), std::string::npos) << r.status.message();
    EXPECT_FALSE(prelu(TestTensor::boolean({1}, {true}), TestTensor::boolean({1}, {true})).status.ok());
    EXPECT_FALSE(prelu(TestTensor::fromDoubles(DType::kU8, {1}, {1}), TestTensor::fromDoubles(DType::kU8, {1}, {1})).status.ok());
}

TEST(Select, ThreeWayBroadcast) {
    const auto c = TestTensor::boolean({2, 1}, {true, false});
    const auto a = TestTensor::f32({}, {-1});
    const auto b = TestTensor::f32({1, 3}, {10, 20, 30});
    auto r = sel(c, a, b);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_EQ(r.outputs[0].dtype, DType::kF32);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1, -1, -1, 10, 20, 30}), 0, 0);
}

TEST(Select, RandomAgainstLoop) {
    const ir::Shape out{3, 4, 5};
    const auto c = TestTensor::random(DType::kBool, {4, 1}, 34, 0, 1);
    const auto a = TestTensor::random(DType::kI64, {3, 1, 5}, 35, -100, 100);
    const auto b = TestTensor::random(DType::kI64, {5}, 36, -100, 100);
    auto r = sel(c, a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, out);
    const auto cv = c.toInts(), av = a.toInts(), bv = b.toInts();
    std::vector<int64_t> want(60);
    for (int64_t o = 0; o < 60; ++o)
        want[o] = cv[bcastIndex(out, c.shape, o)] ? av[bcastIndex(out, a.shape, o)] : bv[bcastIndex(out, b.shape, o)];
    EXPECT_EQ(r.outputs[0].toInts(), want);
}

TEST(Select, EveryElementSizeCopiesBits) {
    const auto c = TestTensor::boolean({3}, {true, false, true});
    // Nonzero bytes other than 1 in Cond count as true.
    auto c7 = c;
    c7.bytes[0] = 7;
    const int64_t big = (int64_t(1) << 62) + 3;
    auto r = sel(c7, TestTensor::i64({3}, {big, 1, 2}), TestTensor::i64({3}, {5, -big, 6}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{big, -big, 2}));
    r = sel(c, TestTensor::fromDoubles(DType::kF16, {3}, {0.5, 1, kNaN}), TestTensor::fromDoubles(DType::kF16, {3}, {2, 3, 4}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.5, 3, kNaN}), 0, 0);
    r = sel(c, TestTensor::fromDoubles(DType::kFP8, {3}, {1, 2, 448}), TestTensor::fromDoubles(DType::kFP8, {3}, {-1, -2, -3}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, -2, 448}), 0, 0);
    r = sel(c, TestTensor::boolean({1}, {true}), TestTensor::boolean({1}, {false}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0, 1}));
    r = sel(c, TestTensor::fromDoubles(DType::kF64, {3}, {0.1, 0.2, 0.3}), TestTensor::fromDoubles(DType::kF64, {}, {9}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.1, 9, 0.3}), 0, 0);
}

TEST(Select, LargeAndEmpty) {
    const auto c = TestTensor::random(DType::kBool, {50000}, 37, 0, 1);
    const auto a = TestTensor::random(DType::kF32, {50000}, 38);
    auto r = sel(c, a, TestTensor::f32({}, {0}));
    ASSERT_TRUE(r.status.ok());
    const auto cv = c.toInts();
    auto want = a.toDoubles();
    for (size_t i = 0; i < want.size(); ++i)
        if (!cv[i]) want[i] = 0;
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
    r = sel(TestTensor::boolean({0}, {}), TestTensor::f32({1}, {1}), TestTensor::f32({1}, {2}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0}));
}

TEST(Select, Errors) {
    const auto f = TestTensor::f32({2}, {1, 2});
    auto r = sel(f, f, f);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("bool"), std::string::npos) << r.status.message();
    r = sel(TestTensor::boolean({2}, {true, false}), f, TestTensor::i32({2}, {1, 2}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    r = sel(TestTensor::boolean({3}, {true, false, true}), f, f);
    EXPECT_FALSE(r.status.ok());
}
