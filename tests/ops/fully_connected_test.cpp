// FullyConnected op tests against hand values and a plain float64 loop.
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

ir::Attrs fcAttrs(int64_t axis, int64_t keep = 1) {
    ir::Attrs a;
    a.set("axis", axis);
    a.set("keep_dims_1x1", keep);
    return a;
}

// Y[m, k] = sum_f X[m, f] * W[k, f] + B[k], X seen as [M, F].
std::vector<double> naiveFC(const TestTensor& x, const TestTensor& w, const TestTensor* b) {
    const auto xv = x.toDoubles(), wv = w.toDoubles();
    const int64_t K = w.shape[0], F = w.shape[1], M = x.numel() / F;
    std::vector<double> bv = b ? b->toDoubles() : std::vector<double>(size_t(K), 0.0);
    std::vector<double> y;
    for (int64_t m = 0; m < M; ++m)
        for (int64_t k = 0; k < K; ++k) {
            double s = bv[size_t(k)];
            for (int64_t f = 0; f < F; ++f) s += xv[size_t(m * F + f)] * wv[size_t(k * F + f)];
            y.push_back(s);
        }
    return y;
}

TEST(FullyConnectedTest, HandValuesWithBias) {
    const TestTensor x = TestTensor::f32({1, 3}, {1, 2, 3});
    const TestTensor w = TestTensor::f32({2, 3}, {1, 0, -1, 2, 2, 2});
    const TestTensor b = TestTensor::f32({2}, {10, -10});
    const auto r = runOp("FullyConnected", {}, {x, w, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 1, 1}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{8, 2}), 0, 0);
}

TEST(FullyConnectedTest, AxisFlatteningAndKeepDims) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 3, 2, 2}, 90);
    const TestTensor b = TestTensor::random(DType::kF32, {4}, 91);
    struct Case {
        int64_t axis, F;
        ir::Shape keep, flat;
    };
    const Case cases[] = {
        {1, 12, {2, 4, 1, 1}, {2, 4}},
        {2, 4, {2, 3, 4, 1, 1}, {2, 3, 4}},
        {-1, 2, {2, 3, 2, 4, 1, 1}, {2, 3, 2, 4}},
        {0, 24, {4, 1, 1}, {4}},
    };
    for (const Case& c : cases) {
        const TestTensor w = TestTensor::random(DType::kF32, {4, c.F}, 92 + uint32_t(c.F));
        auto r = runOp("FullyConnected", fcAttrs(c.axis), {x, w, b});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, c.keep) << "axis " << c.axis;
        EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveFC(x, w, &b), 1e-5, 1e-6);
        r = runOp("FullyConnected", fcAttrs(c.axis, 0), {x, w, b});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, c.flat) << "axis " << c.axis;
        EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveFC(x, w, &b), 1e-5, 1e-6);
    }
}

TEST(FullyConnectedTest, NoBias) {
    const TestTensor x = TestTensor::random(DType::kF32, {3, 5}, 100);
    const TestTensor w = TestTensor::random(DType::kF32, {7, 5}, 101);
    auto r = runOp("FullyConnected", fcAttrs(1, 0), {x, w});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveFC(x, w, nullptr), 1e-5, 1e-6);
    r = runOp("FullyConnected", fcAttrs(1, 0), {x, w, TestTensor::none()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 7}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveFC(x, w, nullptr), 1e-5, 1e-6);
}

TEST(FullyConnectedTest, LargeThreaded) {
    const TestTensor x = TestTensor::random(DType::kF32, {5, 1000}, 110);
    const TestTensor w = TestTensor::random(DType::kF32, {600, 1000}, 111);
    const TestTensor b = TestTensor::random(DType::kF32, {600}, 112);
    const auto r = runOp("FullyConnected", {}, {x, w, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveFC(x, w, &b), 1e-4, 1e-4);
}

TEST(FullyConnectedTest, HalfAndBFloat16) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        const TestTensor x = TestTensor::random(t, {2, 2, 4}, 120);
        const TestTensor w = TestTensor::random(t, {3, 8}, 121);
        const TestTensor b = TestTensor::random(t, {3}, 122);
        const auto r = runOp("FullyConnected", {}, {x, w, b});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, t);
        const double tol = t == DType::kF16 ? 2e-3 : 1e-2;
        EXPECT_CLOSE(r.outputs[0].toDoubles(), naiveFC(x, w, &b), tol, tol);
    }
}

TEST(FullyConnectedTest, EmptyBatch) {
    const auto r = runOp("FullyConnected", {}, {TestTensor::f32({0, 3}, {}), TestTensor::random(DType::kF32, {2, 3}, 130)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 2, 1, 1}));
}

TEST(FullyConnectedTest, UnknownDimsPropagate) {
    ir::Node n;
    n.op = "FullyConnected";
    n.name = "fc";
    n.inputs = {0, 1};
    n.outputs = {2};
    std::vector<ir::TensorDesc> in = {{DType::kF32, {-1, 3, -1}, nullptr}, {DType::kF32, {10, 12}, nullptr}}, out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 10, 1, 1}));
}

TEST(FullyConnectedTest, Errors) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 3, 2}, 140);
    const TestTensor w = TestTensor::random(DType::kF32, {4, 6}, 141);
    const TestTensor b = TestTensor::random(DType::kF32, {4}, 142);
    EXPECT_TRUE(runOp("FullyConnected", {}, {x, w, b}).status.ok());
    EXPECT_FALSE(runOp("FullyConnected", fcAttrs(2), {x, w, b}).status.ok());  // F 2 vs 6
    EXPECT_FALSE(runOp("FullyConnected", fcAttrs(3), {x, w, b}).status.ok());  // axis out of range
    EXPECT_FALSE(runOp("FullyConnected", fcAttrs(-4), {x, w, b}).status.ok());
    EXPECT_FALSE(runOp("FullyConnected", fcAttrs(1, 2), {x, w, b}).status.ok());  // keep_dims_1x1 not 0/1
    EXPECT_FALSE(runOp("FullyConnected", {}, {x, TestTensor::random(DType::kF32, {4, 6, 1}, 143), b}).status.ok());
    EXPECT_FALSE(runOp("FullyConnected", {}, {x, w, TestTensor::random(DType::kF32, {5}, 144)}).status.ok());
    EXPECT_FALSE(runOp("FullyConnected", {}, {x, TestTensor::random(DType::kF16, {4, 6}, 145), b}).status.ok());
    EXPECT_FALSE(runOp("FullyConnected", {}, {TestTensor::i32({1, 2}, {1, 2}), TestTensor::i32({1, 2}, {1, 2})})
                     .status.ok());
}

}  // namespace
}  // namespace kiln
