// NonZero against coordinates listed by hand.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

TEST(NonZeroOp, CoordinatesInRowMajorOrder) {
    auto r = runOp("NonZero", {}, {TestTensor::f32({2, 3}, {0, 1.5f, 0, -2, 0, 3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 1, 1, 0, 2}));
}

TEST(NonZeroOp, BoolScalarAndEmpty) {
    auto b = runOp("NonZero", {}, {TestTensor::boolean({4}, {false, true, true, false})});
    ASSERT_TRUE(b.status.ok()) << b.status.message();
    EXPECT_EQ(b.outputs[0].shape, (ir::Shape{1, 2}));
    EXPECT_EQ(b.outputs[0].toInts(), (std::vector<int64_t>{1, 2}));
    auto none = runOp("NonZero", {}, {TestTensor::i32({2, 2}, {0, 0, 0, 0})});
    ASSERT_TRUE(none.status.ok()) << none.status.message();
    EXPECT_EQ(none.outputs[0].shape, (ir::Shape{2, 0}));
    auto scalar = runOp("NonZero", {}, {TestTensor::f32({}, {7})});
    ASSERT_TRUE(scalar.status.ok()) << scalar.status.message();
    EXPECT_EQ(scalar.outputs[0].shape, (ir::Shape{1, 1}));
}

TEST(NonZeroOp, CountUnknownUntilTheValuesAre) {
    ir::Node n;
    n.op = "NonZero";
    n.name = "nz";
    n.inputs = {0};
    n.outputs = {1};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, {{ir::DType::kF32, {3, 4, 5}, nullptr}}, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{3, -1}));
}

}  // namespace
}  // namespace kiln::test
