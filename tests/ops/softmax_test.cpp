// Softmax / LogSoftmax against a float64 computation in the test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

// Plain outer x axis x inner loops; axis must be normalized.
std::vector<double> softmaxExpected(const std::vector<double>& x, const ir::Shape& s, int axis, bool logMode) {
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= s[i];
    for (size_t i = size_t(axis) + 1; i < s.size(); ++i) inner *= s[i];
    const int64_t n = s[size_t(axis)];
    std::vector<double> y(x.size());
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in) {
            auto idx = [&](int64_t j) { return size_t((o * n + j) * inner + in); };
            double mx = -INFINITY;
            for (int64_t j = 0; j < n; ++j) mx = std::max(mx, x[idx(j)]);
            double sum = 0;
            for (int64_t j = 0; j < n; ++j) sum += std::exp(x[idx(j)] - mx);
            for (int64_t j = 0; j < n; ++j)
                y[idx(j)] = logMode ? x[idx(j)] - mx - std::log(sum) : std::exp(x[idx(j)] - mx) / sum;
        }
    return y;
}

ir::Attrs softmaxAttrs(int64_t axis, int64_t logMode) {
    ir::Attrs a;
    a.set("axis", axis);
    a.set("log", logMode);
    return a;
}

void checkSoftmax(DType t, const ir::Shape& s, int64_t axis, bool logMode, double tol, uint32_t seed = 1) {
    SCOPED_TRACE(ir::shapeToString(s) + " axis " + std::to_string(axis) + (logMode ? " log" : ""));
    const TestTensor x = TestTensor::random(t, s, seed, -4.0, 4.0);
    const OpResult r = runOp("Softmax", softmaxAttrs(axis, logMode), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, t);
    EXPECT_EQ(r.outputs[0].shape, s);
    const int a = int(axis < 0 ? axis + int64_t(s.size()) : axis);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), softmaxExpected(x.toDoubles(), s, a, logMode), tol, tol);
}

TEST(SoftmaxTest, EveryAxisF32) {
    for (int64_t axis : {0, 1, 2, -1, -2, -3}) {
        checkSoftmax(DType::kF32, {2, 3, 5}, axis, false, 1e-6);
        checkSoftmax(DType::kF32, {2, 3, 5}, axis, true, 1e-5);
    }
}

TEST(SoftmaxTest, DefaultAxisIsLast) {
    const TestTensor x = TestTensor::random(DType::kF32, {3, 4}, 7);
    const OpResult r = runOp("Softmax", {}, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), softmaxExpected(x.toDoubles(), {3, 4}, 1, false), 1e-6, 1e-7);
}

TEST(SoftmaxTest, ManyRowsUseThePool) {
    checkSoftmax(DType::kF32, {64, 33}, -1, false, 1e-6, 3);
    checkSoftmax(DType::kF32, {7, 40, 9}, 1, true, 1e-5, 4);
}

TEST(SoftmaxTest, HalfAndBFloat16) {
    checkSoftmax(DType::kF16, {4, 6}, -1, false, 2e-3);
    checkSoftmax(DType::kF16, {4, 6}, 0, true, 5e-3);
    checkSoftmax(DType::kBF16, {4, 6}, -1, false, 1e-2);
}

// Double models (ONNX's FlexAttention tests): every kernel shape, warp rows up
// to 1024, block rows past it, and a strided axis.
TEST(SoftmaxTest, Float64) {
    checkSoftmax(DType::kF64, {3, 17}, -1, false, 1e-12);
    checkSoftmax(DType::kF64, {2, 300}, -1, true, 1e-12, 2);
    checkSoftmax(DType::kF64, {2, 1500}, -1, false, 1e-12, 3);
    checkSoftmax(DType::kF64, {2, 5, 3}, 1, true, 1e-12, 4);
}

TEST(SoftmaxTest, LargeValuesAreStable) {
    const TestTensor x = TestTensor::f32({1, 3}, {1000.f, 1001.f, 1002.f});
    const double e0 = std::exp(-2.0), e1 = std::exp(-1.0), sum = e0 + e1 + 1.0;
    OpResult r = runOp("Softmax", softmaxAttrs(-1, 0), {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{e0 / sum, e1 / sum, 1.0 / sum}), 1e-6, 0);
    r = runOp("Softmax", softmaxAttrs(-1, 1), {x});
    ASSERT_TRUE(r.status.ok());
    const double ls = std::log(sum);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-2 - ls, -1 - ls, -ls}), 1e-6, 0);
}

TEST(SoftmaxTest, InfinityAndNaN) {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const TestTensor x = TestTensor::f32({2, 2}, {-inf, 0.f, nan, 1.f});
    const OpResult r = runOp("Softmax", softmaxAttrs(1, 0), {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.0, 1.0, NAN, NAN}), 1e-7, 1e-7);
}

TEST(SoftmaxTest, RowsSumToOne) {
    const TestTensor x = TestTensor::random(DType::kF32, {5, 8}, 9, -10, 10);
    const OpResult r = runOp("Softmax", softmaxAttrs(0, 0), {x});
    ASSERT_TRUE(r.status.ok());
    const auto y = r.outputs[0].toDoubles();
    for (int c = 0; c < 8; ++c) {
        double sum = 0;
        for (int i = 0; i < 5; ++i) sum += y[size_t(i * 8 + c)];
        EXPECT_NEAR(sum, 1.0, 1e-6) << "column " << c;
    }
}

TEST(SoftmaxTest, ErrorsNameTheProblem) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 3, 4}, 1);
    OpResult r = runOp("Softmax", softmaxAttrs(3, 0), {x});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("axis 3"), std::string::npos) << r.status.message();
    EXPECT_FALSE(runOp("Softmax", softmaxAttrs(-4, 0), {x}).status.ok());
    EXPECT_FALSE(runOp("Softmax", softmaxAttrs(-1, 2), {x}).status.ok());
    r = runOp("Softmax", softmaxAttrs(-1, 0), {TestTensor::i32({2}, {1, 2})});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    EXPECT_FALSE(runOp("Softmax", softmaxAttrs(-1, 0), {TestTensor::f32({}, {1.f})}).status.ok());
}

}  // namespace
}  // namespace kiln::test
