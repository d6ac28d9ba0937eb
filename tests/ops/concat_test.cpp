// Concat: expected values are built by hand or by index arithmetic in the test.
#include <gtest/gtest.h>

#include "op_test_util.h"

using namespace kiln;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

// A bare node for calling shape inference directly (values unknown).
ir::Node nodeOf(std::string op, std::vector<int> inputs, std::vector<int> outputs) {
    ir::Node n;
    n.op = std::move(op);
    n.name = n.op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    return n;
}

ir::Attrs axisAttr(int64_t axis) {
    ir::Attrs a;
    a.set("axis", axis);
    return a;
}

std::vector<double> iota(int64_t n, double start = 0) {
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = start + double(i);
    return v;
}

}  // namespace

TEST(ConcatOp, TwoInputsAxis0) {
    auto r = runOp("Concat", axisAttr(0), {TestTensor::f32({1, 2}, {1, 2}), TestTensor::f32({2, 2}, {3, 4, 5, 6})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 4, 5, 6}), 0, 0);
}

TEST(ConcatOp, TwoInputsAxis1) {
    auto r = runOp("Concat", axisAttr(1), {TestTensor::f32({2, 1}, {1, 2}), TestTensor::f32({2, 2}, {3, 4, 5, 6})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3, 4, 2, 5, 6}), 0, 0);
}

TEST(ConcatOp, ThreeInputsNegativeAxis) {
    // Axis -2 of rank 3 is axis 1; input k holds values 100*k + flat index.
    const std::vector<int64_t> mids = {1, 2, 3};
    std::vector<TestTensor> ins;
    for (int k = 0; k < 3; ++k) ins.push_back(TestTensor::fromDoubles(ir::DType::kF32, {2, mids[k], 3}, iota(2 * mids[k] * 3, 100.0 * k)));
    auto r = runOp("Concat", axisAttr(-2), ins);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 6, 3}));
    std::vector<double> want;
    for (int64_t n = 0; n < 2; ++n)
        for (int k = 0; k < 3; ++k)
            for (int64_t m = 0; m < mids[k]; ++m)
                for (int64_t c = 0; c < 3; ++c) want.push_back(100.0 * k + double((n * mids[k] + m) * 3 + c));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(ConcatOp, Int64KeepsExactValues) {
    const int64_t big = (int64_t(1) << 60) + 1;  // not representable in float64
    auto r = runOp("Concat", axisAttr(0), {TestTensor::i64({1}, {big}), TestTensor::i64({2}, {-big, 7})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{big, -big, 7}));
}

TEST(ConcatOp, BoolAndHalf) {
    auto r = runOp("Concat", axisAttr(-1),
                   {TestTensor::boolean({2, 1}, {true, false}), TestTensor::boolean({2, 1}, {false, true})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 0, 0, 1}), 0, 0);

    auto h = runOp("Concat", axisAttr(0),
                   {TestTensor::fromDoubles(ir::DType::kF16, {2}, {0.5, -2}),
                    TestTensor::fromDoubles(ir::DType::kF16, {1}, {65504})});
    ASSERT_TRUE(h.status.ok()) << h.status.message();
    EXPECT_EQ(h.outputs[0].dtype, ir::DType::kF16);
    EXPECT_CLOSE(h.outputs[0].toDoubles(), (std::vector<double>{0.5, -2, 65504}), 0, 0);
}

TEST(ConcatOp, EmptyInputContributesNothing) {
    auto r = runOp("Concat", axisAttr(1),
                   {TestTensor::f32({2, 0}, {}), TestTensor::f32({2, 2}, {1, 2, 3, 4}), TestTensor::f32({2, 0}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 4}), 0, 0);

    auto e = runOp("Concat", axisAttr(0), {TestTensor::f32({0, 3}, {}), TestTensor::f32({0, 3}, {})});
    ASSERT_TRUE(e.status.ok()) << e.status.message();
    EXPECT_EQ(e.outputs[0].shape, (ir::Shape{0, 3}));
}

TEST(ConcatOp, SingleInputIsCopy) {
    auto r = runOp("Concat", axisAttr(0), {TestTensor::i32({3}, {4, 5, 6})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{4, 5, 6}));
}

TEST(ConcatOp, LargeParallelMatchesIndexFormula) {
    auto a = TestTensor::random(ir::DType::kF32, {16, 50, 33}, 1);
    auto b = TestTensor::random(ir::DType::kF32, {16, 7, 33}, 2);
    auto r = runOp("Concat", axisAttr(1), {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto av = a.toDoubles(), bv = b.toDoubles();
    std::vector<double> want;
    for (int n = 0; n < 16; ++n) {
        for (int m = 0; m < 50; ++m)
            for (int c = 0; c < 33; ++c) want.push_back(av[size_t((n * 50 + m) * 33 + c)]);
        for (int m = 0; m < 7; ++m)
            for (int c = 0; c < 33; ++c) want.push_back(bv[size_t((n * 7 + m) * 33 + c)]);
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(ConcatOp, Errors) {
    auto dt = runOp("Concat", axisAttr(0), {TestTensor::f32({1}, {1}), TestTensor::i32({1}, {1})});
    EXPECT_FALSE(dt.status.ok());
    EXPECT_NE(dt.status.message().find("dtype"), std::string::npos) << dt.status.message();

    auto dim = runOp("Concat", axisAttr(0), {TestTensor::f32({1, 2}, {1, 2}), TestTensor::f32({1, 3}, {1, 2, 3})});
    EXPECT_FALSE(dim.status.ok());
    EXPECT_NE(dim.status.message().find("dim 1"), std::string::npos) << dim.status.message();

    auto rank = runOp("Concat", axisAttr(0), {TestTensor::f32({2}, {1, 2}), TestTensor::f32({1, 2}, {1, 2})});
    EXPECT_FALSE(rank.status.ok());

    auto ax = runOp("Concat", axisAttr(2), {TestTensor::f32({2}, {1, 2})});
    EXPECT_FALSE(ax.status.ok());
    EXPECT_NE(ax.status.message().find("axis 2"), std::string::npos) << ax.status.message();
    EXPECT_FALSE(runOp("Concat", axisAttr(-2), {TestTensor::f32({2}, {1, 2})}).status.ok());

    auto none = runOp("Concat", {}, {TestTensor::f32({2}, {1, 2})});
    EXPECT_FALSE(none.status.ok());
    EXPECT_NE(none.status.message().find("axis"), std::string::npos) << none.status.message();

    EXPECT_FALSE(runOp("Concat", axisAttr(0), {TestTensor::f32({}, {1})}).status.ok());
}

TEST(ConcatOp, DynamicDimsInferAsUnknown) {
    ir::Node n = nodeOf("Concat", {0, 1}, {2});
    n.attrs.set("axis", int64_t(0));
    std::vector<ir::TensorDesc> in = {{ir::DType::kF32, {-1, 4}, nullptr}, {ir::DType::kF32, {2, -1}, nullptr}};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 4}));
}
