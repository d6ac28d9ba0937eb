// Fill against values computed in the test from the definition
// y[i_0..i_k] = alpha + sum_d beta[d] * i_d, and the random fills' contract
// (same seed, same tensor; values in range).
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

ir::Attrs fillAttrs(DType t, const std::vector<int64_t>& shape, double alpha, std::vector<double> beta,
                    const std::string& op = "linspace") {
    ir::Attrs a;
    a.set("op", op);
    a.set("dtype", int64_t(t));
    a.set("shape", shape);
    a.set("alpha", alpha);
    a.set("beta", std::move(beta));
    return a;
}

TEST(FillOp, LinspacePerDimensionDeltas) {
    auto r = runOp("Fill", fillAttrs(DType::kF32, {2, 3, 2}, 0.5, {100, 10, 1}), {});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 3, 2}));
    std::vector<double> want;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int k = 0; k < 2; ++k) want.push_back(0.5 + 100 * i + 10 * j + k);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(FillOp, OneBetaAppliesToEveryDimension) {
    auto r = runOp("Fill", fillAttrs(DType::kF32, {2, 2}, 1, {2}), {});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3, 3, 5}), 0, 0);
}

TEST(FillOp, Int64IsExactBeyondDoublePrecision) {
    // Start and delta from tensors (ONNX Range over int64): 2^60 + 3, step 7.
    const int64_t start = (int64_t(1) << 60) + 3;
    auto r = runOp("Fill", fillAttrs(DType::kI64, {}, 0, {}),
                   {TestTensor::i64({1}, {4}), TestTensor::i64({}, {start}), TestTensor::i64({}, {7})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{4}));
    const auto got = r.outputs[0].toInts();
    for (int64_t i = 0; i < 4; ++i) EXPECT_EQ(got[size_t(i)], start + 7 * i);
}

TEST(FillOp, ShapeFromAnInputAndConstantValues) {
    // ConstantOfShape: alpha = the value, beta 0, shape from a tensor.
    auto r = runOp("Fill", fillAttrs(DType::kF16, {}, 0, {}),
                   {TestTensor::i32({3}, {2, 1, 3}), TestTensor::fromDoubles(DType::kF16, {1}, {-2.5})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 1, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>(6, -2.5), 0, 0);
    auto empty = runOp("Fill", fillAttrs(DType::kBool, {}, 1, {}), {TestTensor::i64({2}, {0, 4})});
    ASSERT_TRUE(empty.status.ok()) << empty.status.message();
    EXPECT_EQ(empty.outputs[0].numel(), 0);
    auto ones = runOp("Fill", fillAttrs(DType::kBool, {3}, 1, {0}), {});
    ASSERT_TRUE(ones.status.ok()) << ones.status.message();
    EXPECT_CLOSE(ones.outputs[0].toDoubles(), (std::vector<double>{1, 1, 1}), 0, 0);
}

TEST(FillOp, RandomIsSeededAndInRange) {
    auto a1 = fillAttrs(DType::kF32, {1000}, -2, {3}, "random_uniform");
    a1.set("seed", int64_t(42));
    auto r1 = runOp("Fill", a1, {}), r2 = runOp("Fill", a1, {});
    ASSERT_TRUE(r1.status.ok() && r2.status.ok());
    EXPECT_EQ(r1.outputs[0].bytes, r2.outputs[0].bytes);
    double lo = 1e9, hi = -1e9;
    for (double v : r1.outputs[0].toDoubles()) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_GE(lo, -2.0);
    EXPECT_LT(hi, 3.0);
    EXPECT_LT(lo, -1.5) << "1000 uniform draws cover the range";
    EXPECT_GT(hi, 2.5);
    a1.set("seed", int64_t(43));
    auto r3 = runOp("Fill", a1, {});
    EXPECT_NE(r1.outputs[0].bytes, r3.outputs[0].bytes);
    auto n = runOp("Fill", fillAttrs(DType::kF32, {4000}, 10, {2}, "random_normal"), {});
    ASSERT_TRUE(n.status.ok());
    double mean = 0;
    for (double v : n.outputs[0].toDoubles()) mean += v / 4000;
    EXPECT_NEAR(mean, 10.0, 0.2);
}

TEST(FillOp, BadParametersAreErrors) {
    EXPECT_FALSE(runOp("Fill", fillAttrs(DType::kF32, {}, 0, {}), {TestTensor::i64({2}, {2, -1})}).status.ok());
    EXPECT_FALSE(runOp("Fill", fillAttrs(DType::kF32, {2, 2}, 0, {1, 2, 3}), {}).status.ok());
    EXPECT_FALSE(runOp("Fill", fillAttrs(DType::kF32, {2}, 0, {1}, "random_poisson"), {}).status.ok());
    EXPECT_FALSE(runOp("Fill", fillAttrs(DType::kF32, {}, 0, {}), {TestTensor::f32({1}, {2})}).status.ok())
        << "a float shape";
}

}  // namespace
}  // namespace kiln::test
