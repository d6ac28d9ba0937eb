// OneHot against a loop over output positions written in the test.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

ir::Attrs axisAttr(int64_t axis) {
    ir::Attrs a;
    a.set("axis", axis);
    return a;
}

TEST(OneHotOp, EveryAxisWithNegativeAndOutOfRangeIndices) {
    // indices [2, 3], depth 4; -1 means 3, 4 and -5 match nothing.
    const std::vector<int64_t> iv = {0, -1, 4, 2, -5, 1};
    const TestTensor idx = TestTensor::i64({2, 3}, iv);
    const TestTensor values = TestTensor::f32({2}, {-2, 7});
    for (int64_t axis : {0, 1, 2, -1, -3}) {
        SCOPED_TRACE(axis);
        const OpResult r = runOp("OneHot", axisAttr(axis), {idx, values, TestTensor::i64({}, {4})});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        const int64_t a = axis < 0 ? axis + 3 : axis;
        ir::Shape want = {2, 3};
        want.insert(want.begin() + a, 4);
        ASSERT_EQ(r.outputs[0].shape, want);
        const auto got = r.outputs[0].toDoubles();
        for (int64_t p = 0; p < 24; ++p) {
            int64_t c[3] = {p / (want[1] * want[2]), p / want[2] % want[1], p % want[2]};
            const int64_t j = c[a];
            int64_t rest[2], k = 0;
            for (int d = 0; d < 3; ++d)
                if (d != a) rest[k++] = c[d];
            int64_t v = iv[size_t(rest[0] * 3 + rest[1])];
            if (v < 0) v += 4;
            EXPECT_EQ(got[size_t(p)], v == j ? 7 : -2) << "at " << p;
        }
    }
}

TEST(OneHotOp, FloatIndicesAndDepthAreTruncated) {
    const TestTensor idx = TestTensor::f32({3}, {1.7f, -1.2f, 0.f});
    const OpResult r = runOp("OneHot", axisAttr(-1), {idx, TestTensor::i32({2}, {0, 1}), TestTensor::f32({}, {3.9f})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 3}));
    EXPECT_EQ(r.outputs[0].dtype, DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 0, 0, 0, 1, 1, 0, 0}));
}

TEST(OneHotOp, Errors) {
    const TestTensor idx = TestTensor::i64({2}, {0, 1});
    EXPECT_FALSE(
        runOp("OneHot", axisAttr(-1), {idx, TestTensor::f32({3}, {0, 1, 2}), TestTensor::i64({}, {2})}).status.ok());
    EXPECT_FALSE(
        runOp("OneHot", axisAttr(2), {idx, TestTensor::f32({2}, {0, 1}), TestTensor::i64({}, {2})}).status.ok());
    EXPECT_FALSE(
        runOp("OneHot", axisAttr(0), {idx, TestTensor::f32({2}, {0, 1}), TestTensor::i64({}, {0})}).status.ok());
    // Depth unknown at build time: a data-dependent (-1) extent at the axis.
    ir::Node n;
    n.op = "OneHot";
    n.name = "oh";
    n.inputs = {0, 1, 2};
    n.outputs = {3};
    n.attrs.set("axis", int64_t(0));
    std::vector<ir::TensorDesc> in = {
        {DType::kI64, {2}, nullptr}, {DType::kF32, {2}, nullptr}, {DType::kI64, {}, nullptr}};
    std::vector<ir::TensorDesc> out;
    const Status s = ir::inferNode(n, in, out);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 2}));
}

}  // namespace
}  // namespace kiln::test
