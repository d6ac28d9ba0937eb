// LRN op tests against hand values and a plain float64 loop.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

ir::Attrs lrnAttrs(int64_t size, double alpha, double beta, double bias) {
    ir::Attrs a;
    a.set("size", size);
    a.set("alpha", alpha);
    a.set("beta", beta);
    a.set("bias", bias);
    return a;
}

// float64 LRN straight from the formula in docs/ops.md.
std::vector<double> naiveLRN(const std::vector<double>& x, const ir::Shape& s, int64_t size, double alpha,
                             double beta, double bias) {
    const int64_t N = s[0], C = s[1];
    int64_t inner = 1;
    for (size_t i = 2; i < s.size(); ++i) inner *= s[i];
    std::vector<double> y(x.size());
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < inner; ++i) {
                double sq = 0;
                const int64_t lo = c - int64_t(std::floor((size - 1) / 2.0));
                const int64_t hi = c + int64_t(std::ceil((size - 1) / 2.0));
                for (int64_t cc = lo; cc <= hi; ++cc)
                    if (cc >= 0 && cc < C) sq += x[size_t((n * C + cc) * inner + i)] * x[size_t((n * C + cc) * inner + i)];
                const size_t at = size_t((n * C + c) * inner + i);
                y[at] = x[at] / std::pow(bias + alpha / double(size) * sq, beta);
            }
    return y;
}

TEST(LRNTest, OddSizeHandValues) {
    const TestTensor x = TestTensor::f32({1, 3, 1, 1}, {1, 2, 3});
    const auto r = runOp("LRN", lrnAttrs(3, 3.0, 1.0, 1.0), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 3, 1, 1}));
    // alpha/size = 1: denominators 1+(1+4), 1+(1+4+9), 1+(4+9).
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1.0 / 6, 2.0 / 15, 3.0 / 14}), 1e-6, 0);
}

TEST(LRNTest, EvenSizeWindowLeansForward) {
    // size 2: window [c, c+1].
    const TestTensor x = TestTensor::f32({1, 3}, {1, 2, 3});
    const auto r = runOp("LRN", lrnAttrs(2, 2.0, 0.5, 2.0), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1 / std::sqrt(7.0), 2 / std::sqrt(15.0), 3 / std::sqrt(11.0)}), 1e-6, 0);
}

TEST(LRNTest, DefaultsAgainstNaive) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 5, 3, 4}, 11, -3, 3);
    ir::Attrs a;
    a.set("size", int64_t(5));
    const auto r = runOp("LRN", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveLRN(x.toDoubles(), x.shape, 5, 1e-4, 0.75, 1.0), 1e-5, 1e-7);
}

TEST(LRNTest, VariousSizesAgainstNaive) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 6, 5}, 12, -2, 2);
    for (int64_t size : {1, 2, 4, 5, 9}) {
        SCOPED_TRACE("size " + std::to_string(size));
        const auto r = runOp("LRN", lrnAttrs(size, 0.7, 0.6, 1.5), {x});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveLRN(x.toDoubles(), x.shape, size, 0.7, 0.6, 1.5), 1e-5, 1e-7);
    }
}

TEST(LRNTest, HalfAndBFloat16) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        const TestTensor x = TestTensor::random(t, {1, 4, 2, 2}, 13, -2, 2);
        const auto r = runOp("LRN", lrnAttrs(3, 0.9, 0.75, 1.0), {x});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, t);
        const double tol = t == DType::kF16 ? 1e-3 : 8e-3;
        EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveLRN(x.toDoubles(), x.shape, 3, 0.9, 0.75, 1.0), tol, 1e-3);
    }
}

TEST(LRNTest, EmptyTensor) {
    const auto r = runOp("LRN", lrnAttrs(3, 1e-4, 0.75, 1), {TestTensor::f32({0, 4, 2}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 4, 2}));
}

TEST(LRNTest, Errors) {
    const TestTensor x = TestTensor::random(DType::kF32, {1, 3, 2, 2}, 14);
    EXPECT_TRUE(runOp("LRN", lrnAttrs(3, 1e-4, 0.75, 1), {x}).status.ok());
    EXPECT_FALSE(runOp("LRN", ir::Attrs(), {x}).status.ok());  // size is required
    EXPECT_FALSE(runOp("LRN", lrnAttrs(0, 1e-4, 0.75, 1), {x}).status.ok());
    EXPECT_FALSE(runOp("LRN", lrnAttrs(3, 1e-4, 0.75, 1), {TestTensor::f32({3}, {1, 2, 3})}).status.ok());
    EXPECT_FALSE(runOp("LRN", lrnAttrs(3, 1e-4, 0.75, 1), {TestTensor::i32({1, 3}, {1, 2, 3})}).status.ok());
}

}  // namespace
}  // namespace kiln
