// Shape (ONNX Shape-15 start/end slicing) and Identity.
#include <gtest/gtest.h>

#include <optional>

#include "op_test_util.h"

using namespace kiln;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

std::vector<int64_t> shapeOf(const ir::Shape& s, const ir::Attrs& a = {}) {
    auto r = runOp("Shape", a, {TestTensor::f32(s, std::vector<float>(size_t(ir::volume(s)), 0.f))});
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    if (!r.status.ok()) return {-999};
    EXPECT_EQ(r.outputs[0].dtype, ir::DType::kI64);
    return r.outputs[0].toInts();
}

ir::Attrs range(std::optional<int64_t> start, std::optional<int64_t> end) {
    ir::Attrs a;
    if (start) a.set("start", *start);
    if (end) a.set("end", *end);
    return a;
}

}  // namespace

TEST(ShapeOp, FullShape) {
    EXPECT_EQ(shapeOf({2, 3, 5}), (std::vector<int64_t>{2, 3, 5}));
    EXPECT_EQ(shapeOf({4, 0, 1}), (std::vector<int64_t>{4, 0, 1}));
}

TEST(ShapeOp, ScalarGivesEmpty) {
    auto r = runOp("Shape", {}, {TestTensor::f32({}, {1.f})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0}));
}

TEST(ShapeOp, StartEndSlicing) {
    const ir::Shape s = {2, 3, 5, 7};
    EXPECT_EQ(shapeOf(s, range(1, std::nullopt)), (std::vector<int64_t>{3, 5, 7}));
    EXPECT_EQ(shapeOf(s, range(std::nullopt, 2)), (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(shapeOf(s, range(-3, -1)), (std::vector<int64_t>{3, 5}));
    EXPECT_EQ(shapeOf(s, range(-10, 10)), (std::vector<int64_t>{2, 3, 5, 7}));  // clamped
    EXPECT_EQ(shapeOf(s, range(3, 1)), (std::vector<int64_t>{}));              // empty
    EXPECT_EQ(shapeOf(s, range(-1, std::nullopt)), (std::vector<int64_t>{7}));
}

TEST(ShapeOp, WorksForEveryDtype) {
    auto r = runOp("Shape", {}, {TestTensor::boolean({3, 1}, {true, false, true})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{3, 1}));
}

TEST(IdentityOp, CopiesEveryDtype) {
    const int64_t big = (int64_t(1) << 62) - 3;
    auto i = runOp("Identity", {}, {TestTensor::i64({2}, {big, -1})});
    ASSERT_TRUE(i.status.ok()) << i.status.message();
    EXPECT_EQ(i.outputs[0].dtype, ir::DType::kI64);
    EXPECT_EQ(i.outputs[0].toInts(), (std::vector<int64_t>{big, -1}));

    auto b = runOp("Identity", {}, {TestTensor::boolean({3}, {true, false, true})});
    ASSERT_TRUE(b.status.ok());
    EXPECT_CLOSE(b.outputs[0].toDoubles(), (std::vector<double>{1, 0, 1}), 0, 0);

    auto h = runOp("Identity", {}, {TestTensor::fromDoubles(ir::DType::kBF16, {2}, {1.5, -3})});
    ASSERT_TRUE(h.status.ok());
    EXPECT_EQ(h.outputs[0].bytes, TestTensor::fromDoubles(ir::DType::kBF16, {2}, {1.5, -3}).bytes);
}

TEST(IdentityOp, LargeAndEmpty) {
    auto x = TestTensor::random(ir::DType::kF32, {300, 1000}, 7);
    auto r = runOp("Identity", {}, {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, x.shape);
    EXPECT_EQ(r.outputs[0].bytes, x.bytes);

    auto e = runOp("Identity", {}, {TestTensor::f32({0, 4}, {})});
    ASSERT_TRUE(e.status.ok());
    EXPECT_EQ(e.outputs[0].shape, (ir::Shape{0, 4}));
}

TEST(IdentityOp, WrongArityIsAnError) {
    EXPECT_FALSE(runOp("Identity", {}, {TestTensor::f32({1}, {1}), TestTensor::f32({1}, {1})}).status.ok());
    EXPECT_FALSE(runOp("Shape", {}, {}).status.ok());
}
