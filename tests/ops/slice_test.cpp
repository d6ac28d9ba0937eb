// Slice in every SampleMode. Expected outputs are written out by hand from
// the TensorRT ISliceLayer definitions, or by index loops in the test.
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

ir::Attrs sliceAttrs(std::vector<int64_t> start, std::vector<int64_t> size, std::vector<int64_t> stride,
                     const char* mode = "strict") {
    ir::Attrs a;
    a.set("start", std::move(start));
    a.set("size", std::move(size));
    a.set("stride", std::move(stride));
    a.set("mode", mode);
    return a;
}

const TestTensor kRow = TestTensor::f32({4}, {10, 11, 12, 13});

std::vector<double> slice1D(const char* mode, int64_t start, int64_t size, int64_t stride, double fill = 0) {
    ir::Attrs a = sliceAttrs({start}, {size}, {stride}, mode);
    a.set("fill_value", fill);
    auto r = runOp("Slice", a, {kRow});
    EXPECT_TRUE(r.status.ok()) << mode << ": " << r.status.message();
    return r.status.ok() ? r.outputs[0].toDoubles() : std::vector<double>{};
}

}  // namespace

TEST(SliceOp, StrictBasic2D) {
    // x[i][j] = 10i + j, shape [4,5]
    std::vector<float> x;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 5; ++j) x.push_back(float(10 * i + j));
    auto r = runOp("Slice", sliceAttrs({1, 0}, {2, 3}, {2, 2}), {TestTensor::f32({4, 5}, x)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{10, 12, 14, 30, 32, 34}), 0, 0);
}

TEST(SliceOp, NegativeStrides) {
    EXPECT_CLOSE(slice1D("strict", 3, 4, -1), (std::vector<double>{13, 12, 11, 10}), 0, 0);
    EXPECT_CLOSE(slice1D("strict", 3, 2, -2), (std::vector<double>{13, 11}), 0, 0);
    // 2-D: reverse rows, keep columns
    auto r = runOp("Slice", sliceAttrs({1, 0}, {2, 2}, {-1, 1}), {TestTensor::f32({2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{3, 4, 1, 2}), 0, 0);
}

TEST(SliceOp, EveryModeOutOfBounds) {
    // Reads x = -3 .. 6 of [10, 11, 12, 13].
    EXPECT_CLOSE(slice1D("clamp", -3, 10, 1), (std::vector<double>{10, 10, 10, 10, 11, 12, 13, 13, 13, 13}), 0, 0);
    EXPECT_CLOSE(slice1D("wrap", -3, 10, 1), (std::vector<double>{11, 12, 13, 10, 11, 12, 13, 10, 11, 12}), 0, 0);
    EXPECT_CLOSE(slice1D("fill", -3, 10, 1, 7), (std::vector<double>{7, 7, 7, 10, 11, 12, 13, 7, 7, 7}), 0, 0);
    EXPECT_CLOSE(slice1D("reflect", -3, 10, 1), (std::vector<double>{13, 12, 11, 10, 11, 12, 13, 12, 11, 10}), 0, 0);
    auto st = runOp("Slice", sliceAttrs({-3}, {10}, {1}), {kRow}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("index -3"), std::string::npos) << st.message();
    st = runOp("Slice", sliceAttrs({1}, {4}, {1}), {kRow}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("index 4"), std::string::npos) << st.message();
}

TEST(SliceOp, ModesWithNegativeStride) {
    // x = 5, 3, 1, -1, -3
    EXPECT_CLOSE(slice1D("clamp", 5, 5, -2), (std::vector<double>{13, 13, 11, 10, 10}), 0, 0);
    EXPECT_CLOSE(slice1D("wrap", 5, 5, -2), (std::vector<double>{11, 13, 11, 13, 11}), 0, 0);
    EXPECT_CLOSE(slice1D("fill", 5, 5, -2, -1), (std::vector<double>{-1, 13, 11, -1, -1}), 0, 0);
    EXPECT_CLOSE(slice1D("reflect", 5, 5, -2), (std::vector<double>{11, 13, 11, 11, 13}), 0, 0);
}

TEST(SliceOp, LongReflectAndWrapRepeat) {
    // reflect with period 6 over x = 6 .. 13; wrap over x = -9 .. -2
    EXPECT_CLOSE(slice1D("reflect", 6, 8, 1), (std::vector<double>{10, 11, 12, 13, 12, 11, 10, 11}), 0, 0);
    EXPECT_CLOSE(slice1D("wrap", -9, 8, 1), (std::vector<double>{13, 10, 11, 12, 13, 10, 11, 12}), 0, 0);
}

TEST(SliceOp, SinglePixelReflectAndStrideZero) {
    ir::Attrs a = sliceAttrs({-2}, {5}, {1}, "reflect");
    auto r = runOp("Slice", a, {TestTensor::f32({1}, {9})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{9, 9, 9, 9, 9}), 0, 0);
    // stride 0 repeats one element (broadcast)
    EXPECT_CLOSE(slice1D("strict", 2, 3, 0), (std::vector<double>{12, 12, 12}), 0, 0);
}

TEST(SliceOp, Mixed2DModeFillCorner) {
    // [2,2] -> [3,3] starting at (-1,-1): fill everywhere outside.
    ir::Attrs a = sliceAttrs({-1, -1}, {3, 3}, {1, 1}, "fill");
    a.set("fill_value", 5.0);
    auto r = runOp("Slice", a, {TestTensor::i32({2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{5, 5, 5, 5, 1, 2, 5, 3, 4}));
}

TEST(SliceOp, TensorInputsOverrideAttributes) {
    ir::Attrs a = sliceAttrs({0}, {1}, {1});
    auto r = runOp("Slice", a, {kRow, TestTensor::i64({1}, {3}), TestTensor::i32({1}, {2}), TestTensor::i64({1}, {-2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{13, 11}), 0, 0);
    // Only Start as input; Size and Stride from attributes (stride defaults to 1).
    ir::Attrs b;
    b.set("size", std::vector<int64_t>{2});
    r = runOp("Slice", b, {kRow, TestTensor::i32({1}, {1}), TestTensor::none(), TestTensor::none()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{11, 12}), 0, 0);
}

TEST(SliceOp, SizeInputValuesSetTheShapeStartValuesDoNot) {
    ir::Node n = nodeOf("Slice", {0, 1, 2}, {3});
    std::vector<ir::TensorDesc> in = {{ir::DType::kF32, {4, 4}, nullptr},
                                      {ir::DType::kI64, {2}, nullptr},
                                      {ir::DType::kI64, {2}, nullptr}};
    std::vector<ir::TensorDesc> out;
    auto st = ir::inferNode(n, in, out);  // the size is known at run time only
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, -1}));

    const std::vector<int64_t> size = {2, 3};
    in[2].data = size.data();
    st = ir::inferNode(n, in, out);
    ASSERT_TRUE(st.ok()) << st.message();  // start is only needed at run time
    EXPECT_EQ(out[0].shape, (ir::Shape{2, 3}));
}

TEST(SliceOp, EmptyOutputAndEmptyInput) {
    auto r = runOp("Slice", sliceAttrs({5}, {0}, {1}), {kRow});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0}));

    ir::Attrs f = sliceAttrs({0, 0}, {2, 2}, {1, 1}, "fill");
    f.set("fill_value", 3.0);
    r = runOp("Slice", f, {TestTensor::f32({0, 2}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{3, 3, 3, 3}), 0, 0);

    auto c = runOp("Slice", sliceAttrs({0, 0}, {2, 2}, {1, 1}, "clamp"), {TestTensor::f32({0, 2}, {})});
    EXPECT_FALSE(c.status.ok());
    EXPECT_NE(c.status.message().find("empty"), std::string::npos) << c.status.message();
}

TEST(SliceOp, Int64AndBoolData) {
    const int64_t big = (int64_t(1) << 62) + 1;
    auto r = runOp("Slice", sliceAttrs({-1}, {3}, {1}, "wrap"), {TestTensor::i64({2}, {big, -big})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-big, big, -big}));

    auto b = runOp("Slice", sliceAttrs({1}, {2}, {1}, "clamp"), {TestTensor::boolean({2}, {false, true})});
    ASSERT_TRUE(b.status.ok());
    EXPECT_CLOSE(b.outputs[0].toDoubles(), (std::vector<double>{1, 1}), 0, 0);
}

TEST(SliceOp, LargeStridedMatchesLoop) {
    auto x = TestTensor::random(ir::DType::kF32, {20, 64, 90}, 21);
    auto r = runOp("Slice", sliceAttrs({19, 3, 1}, {10, 20, 44}, {-2, 3, 2}), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto xv = x.toDoubles();
    std::vector<double> want;
    for (int i = 0; i < 10; ++i)
        for (int j = 0; j < 20; ++j)
            for (int k = 0; k < 44; ++k) want.push_back(xv[size_t(((19 - 2 * i) * 64 + 3 + 3 * j) * 90 + 1 + 2 * k)]);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(SliceOp, ScalarInput) {
    auto r = runOp("Slice", sliceAttrs({}, {}, {}), {TestTensor::f32({}, {4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{4}), 0, 0);
}

TEST(SliceOp, Errors) {
    EXPECT_FALSE(runOp("Slice", sliceAttrs({0, 0}, {1}, {1}), {kRow}).status.ok());  // start length
    auto st = runOp("Slice", sliceAttrs({0}, {-2}, {1}), {kRow}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("negative"), std::string::npos) << st.message();
    EXPECT_FALSE(runOp("Slice", sliceAttrs({0}, {1}, {1}, "mirror"), {kRow}).status.ok());
    ir::Attrs noSize;
    noSize.set("start", std::vector<int64_t>{0});
    EXPECT_FALSE(runOp("Slice", noSize, {kRow}).status.ok());
    // Tensor inputs of the wrong length or dtype.
    EXPECT_FALSE(runOp("Slice", sliceAttrs({0}, {1}, {1}), {kRow, TestTensor::i64({2}, {0, 0})}).status.ok());
    EXPECT_FALSE(runOp("Slice", sliceAttrs({0}, {1}, {1}), {kRow, TestTensor::f32({1}, {0})}).status.ok());
    // Overflowing coordinates are rejected rather than wrapped.
    EXPECT_FALSE(
        runOp("Slice", sliceAttrs({0}, {3}, {int64_t(1) << 62}, "wrap"), {kRow}).status.ok());
}

TEST(SliceOp, SizeMinusOneTakesWholeExtent) {
    // [2,3] sliced with size {-1, 2}, stride {1, 1}, start {0, 1}: all rows, last two columns.
    kiln::ir::Attrs a;
    a.set("start", std::vector<int64_t>{0, 1});
    a.set("size", std::vector<int64_t>{-1, 2});
    a.set("stride", std::vector<int64_t>{1, 1});
    auto r = kiln::test::runOp("Slice", a, {kiln::test::TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (kiln::ir::Shape{2, 2}));
    EXPECT_EQ(r.outputs[0].toFloats(), (std::vector<float>{2, 3, 5, 6}));
}
