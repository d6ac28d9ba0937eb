// Unique against results worked out by hand (numpy.unique's conventions).
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

TEST(UniqueOp, SortedFlattened) {
    // x = [2, 1, 1, 3, 4, 3]: unique [1, 2, 3, 4], first [1, 0, 3, 4],
    // inverse [1, 0, 0, 2, 3, 2], counts [2, 1, 2, 1].
    auto r = runOp("Unique", {}, {TestTensor::f32({6}, {2, 1, 1, 3, 4, 3})}, 4);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 4}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{1, 0, 3, 4}));
    EXPECT_EQ(r.outputs[2].toInts(), (std::vector<int64_t>{1, 0, 0, 2, 3, 2}));
    EXPECT_EQ(r.outputs[3].toInts(), (std::vector<int64_t>{2, 1, 2, 1}));
}

TEST(UniqueOp, UnsortedKeepsFirstOccurrenceOrder) {
    ir::Attrs a;
    a.set("sorted", int64_t(0));
    auto r = runOp("Unique", a, {TestTensor::i64({6}, {2, 1, 1, 3, 4, 3})}, 4);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{2, 1, 3, 4}));
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{0, 1, 3, 4}));
    EXPECT_EQ(r.outputs[2].toInts(), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
    EXPECT_EQ(r.outputs[3].toInts(), (std::vector<int64_t>{1, 2, 2, 1}));
}

TEST(UniqueOp, SlicesAlongAnAxis) {
    // Rows of [[1,0],[0,1],[1,0]] along axis 0: unique rows [0,1], [1,0].
    ir::Attrs a;
    a.set("axis", int64_t(0));
    auto r = runOp("Unique", a, {TestTensor::f32({3, 2}, {1, 0, 0, 1, 1, 0})}, 4);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 1, 1, 0}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(r.outputs[2].toInts(), (std::vector<int64_t>{1, 0, 1}));
    EXPECT_EQ(r.outputs[3].toInts(), (std::vector<int64_t>{1, 2}));
    // Columns (axis 1) of the same matrix: [1,0,1] and [0,1,0], sorted by first element.
    a.set("axis", int64_t(-1));
    auto c = runOp("Unique", a, {TestTensor::f32({3, 2}, {1, 0, 0, 1, 1, 0})}, 4);
    ASSERT_TRUE(c.status.ok()) << c.status.message();
    ASSERT_EQ(c.outputs[0].shape, (ir::Shape{3, 2}));
    EXPECT_CLOSE(c.outputs[0].toDoubles(), (std::vector<double>{0, 1, 1, 0, 0, 1}), 0, 0);
    a.set("axis", int64_t(2));
    EXPECT_FALSE(runOp("Unique", a, {TestTensor::f32({3, 2}, {1, 0, 0, 1, 1, 0})}, 4).status.ok());
}

}  // namespace
}  // namespace kiln::test
