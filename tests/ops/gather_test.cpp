// Gather (default / elements / nd). Expected values are written out by hand
// (ONNX-spec examples and small cases) or computed with index loops here.
#include <gtest/gtest.h>

#include "op_test_util.h"

using namespace kiln;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

ir::Attrs gatherAttrs(const char* mode, int64_t axis = 0, int64_t batchDims = 0) {
    ir::Attrs a;
    a.set("mode", mode);
    a.set("axis", axis);
    a.set("batch_dims", batchDims);
    return a;
}

}  // namespace

TEST(GatherOp, DefaultAxis0NegativeIndices) {
    auto data = TestTensor::f32({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
    auto r = runOp("Gather", gatherAttrs("default"), {data, TestTensor::i64({2, 2}, {0, -1, 2, -3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1.0, 1.2, 4.5, 5.7, 4.5, 5.7, 1.0, 1.2}), 1e-6, 0);
}

TEST(GatherOp, DefaultNegativeAxisInt32Indices) {
    // data [2,3], axis -1, indices [[0, 2]] -> out [2, 1, 2]
    auto data = TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6});
    auto r = runOp("Gather", gatherAttrs("default", -1), {data, TestTensor::i32({1, 2}, {0, 2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 1, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3, 4, 6}), 0, 0);
}

TEST(GatherOp, DefaultScalarIndexDropsAxis) {
    auto data = TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6});
    auto r = runOp("Gather", gatherAttrs("default", 1), {data, TestTensor::i64({}, {-2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 5}), 0, 0);
}

TEST(GatherOp, DefaultInt64AndBoolData) {
    const int64_t big = (int64_t(1) << 60) + 3;
    auto r = runOp("Gather", gatherAttrs("default"), {TestTensor::i64({3}, {big, 5, -big}), TestTensor::i64({3}, {2, 2, 0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-big, -big, big}));

    auto b = runOp("Gather", gatherAttrs("default"),
                   {TestTensor::boolean({2, 2}, {true, false, false, false}), TestTensor::i32({1}, {0})});
    ASSERT_TRUE(b.status.ok());
    EXPECT_CLOSE(b.outputs[0].toDoubles(), (std::vector<double>{1, 0}), 0, 0);
}

TEST(GatherOp, EmptyIndices) {
    auto r = runOp("Gather", gatherAttrs("default", 1), {TestTensor::f32({2, 3}, {1, 2, 3, 4, 5, 6}), TestTensor::i64({0}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 0}));
}

TEST(GatherOp, OutOfRangeIndexIsARunTimeError) {
    auto data = TestTensor::f32({3, 2}, {1, 2, 3, 4, 5, 6});
    for (int64_t bad : {3, -4}) {
        auto r = runOp("Gather", gatherAttrs("default"), {data, TestTensor::i64({2}, {0, bad})});
        EXPECT_FALSE(r.status.ok());
        EXPECT_NE(r.status.message().find("index " + std::to_string(bad)), std::string::npos) << r.status.message();
    }
    auto e = runOp("Gather", gatherAttrs("elements", 1), {TestTensor::f32({1, 2}, {1, 2}), TestTensor::i32({1, 1}, {2})});
    EXPECT_FALSE(e.status.ok());
    auto n = runOp("Gather", gatherAttrs("nd"), {TestTensor::f32({2, 2}, {1, 2, 3, 4}), TestTensor::i64({1, 2}, {0, 5})});
    EXPECT_FALSE(n.status.ok());
    EXPECT_NE(n.status.message().find("index 5"), std::string::npos) << n.status.message();
    // Even when the output is empty, a bad index is reported.
    auto z = runOp("Gather", gatherAttrs("default"), {TestTensor::f32({3, 0}, {}), TestTensor::i64({1}, {7})});
    EXPECT_FALSE(z.status.ok());
}

TEST(GatherOp, LargeDefaultMatchesLoop) {
    auto data = TestTensor::random(ir::DType::kF32, {50, 40, 30}, 11);
    std::vector<int64_t> idx;
    for (int i = 0; i < 300; ++i) idx.push_back((i * 7) % 80 - 40);  // in [-40, 39]
    auto r = runOp("Gather", gatherAttrs("default", 1), {data, TestTensor::i64({300}, idx)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto dv = data.toDoubles();
    std::vector<double> want;
    for (int a = 0; a < 50; ++a)
        for (int j = 0; j < 300; ++j)
            for (int c = 0; c < 30; ++c) {
                const int64_t k = idx[size_t(j)] < 0 ? idx[size_t(j)] + 40 : idx[size_t(j)];
                want.push_back(dv[size_t((a * 40 + k) * 30 + c)]);
            }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(GatherOp, ElementsOnnxExamples) {
    auto r = runOp("Gather", gatherAttrs("elements", 1),
                   {TestTensor::f32({2, 2}, {1, 2, 3, 4}), TestTensor::i64({2, 2}, {0, 0, 1, 0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 1, 4, 3}), 0, 0);

    // axis 0 with negative indices: [[1,2,3],[4,5,6],[7,8,9]], [[-1,-2,0],[-2,0,0]]
    auto n = runOp("Gather", gatherAttrs("elements", 0),
                   {TestTensor::f32({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), TestTensor::i32({2, 3}, {-1, -2, 0, -2, 0, 0})});
    ASSERT_TRUE(n.status.ok()) << n.status.message();
    EXPECT_EQ(n.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_CLOSE(n.outputs[0].toDoubles(), (std::vector<double>{7, 5, 3, 4, 2, 3}), 0, 0);
}

TEST(GatherOp, ElementsNegativeAxis3D) {
    // data[i][j][k] = 100i + 10j + k, shape [2,2,3]; axis -1; out shape [2,1,2]
    std::vector<double> d;
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
            for (int k = 0; k < 3; ++k) d.push_back(100 * i + 10 * j + k);
    auto r = runOp("Gather", gatherAttrs("elements", -1),
                   {TestTensor::fromDoubles(ir::DType::kF32, {2, 2, 3}, d), TestTensor::i64({2, 1, 2}, {2, 0, -1, 1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 0, 102, 101}), 0, 0);
}

TEST(GatherOp, NDOnnxExamples) {
    auto d2 = TestTensor::i32({2, 2}, {0, 1, 2, 3});
    auto a = runOp("Gather", gatherAttrs("nd"), {d2, TestTensor::i64({2, 2}, {0, 0, 1, 1})});
    ASSERT_TRUE(a.status.ok()) << a.status.message();
    EXPECT_EQ(a.outputs[0].shape, (ir::Shape{2}));
    EXPECT_EQ(a.outputs[0].toInts(), (std::vector<int64_t>{0, 3}));

    auto b = runOp("Gather", gatherAttrs("nd"), {d2, TestTensor::i64({2, 1}, {1, 0})});
    ASSERT_TRUE(b.status.ok()) << b.status.message();
    EXPECT_EQ(b.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_EQ(b.outputs[0].toInts(), (std::vector<int64_t>{2, 3, 0, 1}));

    auto d3 = TestTensor::i32({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
    auto c = runOp("Gather", gatherAttrs("nd"), {d3, TestTensor::i64({2, 2}, {0, 1, 1, 0})});
    ASSERT_TRUE(c.status.ok()) << c.status.message();
    EXPECT_EQ(c.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_EQ(c.outputs[0].toInts(), (std::vector<int64_t>{2, 3, 4, 5}));

    auto e = runOp("Gather", gatherAttrs("nd"), {d3, TestTensor::i64({2, 1, 2}, {0, 1, 1, 0})});
    ASSERT_TRUE(e.status.ok()) << e.status.message();
    EXPECT_EQ(e.outputs[0].shape, (ir::Shape{2, 1, 2}));
    EXPECT_EQ(e.outputs[0].toInts(), (std::vector<int64_t>{2, 3, 4, 5}));
}

TEST(GatherOp, NDBatchDims) {
    auto d3 = TestTensor::i32({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
    auto r = runOp("Gather", gatherAttrs("nd", 0, 1), {d3, TestTensor::i64({2, 1}, {1, 0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{2, 3, 4, 5}));

    // batch_dims 1, full-depth tuples with negative indices: out[b][t] = d[b][i0][i1]
    auto s = runOp("Gather", gatherAttrs("nd", 0, 1), {d3, TestTensor::i64({2, 2, 2}, {-1, -1, 0, 1, 1, 0, -2, -2})});
    ASSERT_TRUE(s.status.ok()) << s.status.message();
    EXPECT_EQ(s.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_EQ(s.outputs[0].toInts(), (std::vector<int64_t>{3, 1, 6, 4}));
}

TEST(GatherOp, NDBatchDims2Loop) {
    // data [2,3,4,5], indices [2,3,2,1], batch_dims 2 -> out [2,3,2,5]
    auto data = TestTensor::random(ir::DType::kF32, {2, 3, 4, 5}, 5);
    std::vector<int64_t> idx = {0, 3, -1, 1, 2, -4, 3, 3, 0, 0, 1, -2};
    auto r = runOp("Gather", gatherAttrs("nd", 0, 2), {data, TestTensor::i64({2, 3, 2, 1}, idx)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 3, 2, 5}));
    const auto dv = data.toDoubles();
    std::vector<double> want;
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 3; ++b)
            for (int t = 0; t < 2; ++t) {
                int64_t k = idx[size_t((a * 3 + b) * 2 + t)];
                if (k < 0) k += 4;
                for (int c = 0; c < 5; ++c) want.push_back(dv[size_t(((a * 3 + b) * 4 + k) * 5 + c)]);
            }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(GatherOp, ShapeErrors) {
    auto d = TestTensor::f32({2, 2}, {1, 2, 3, 4});
    auto st = runOp("Gather", gatherAttrs("default"), {d, TestTensor::f32({1}, {0})}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("int32 or int64"), std::string::npos) << st.message();

    st = runOp("Gather", gatherAttrs("default", 2), {d, TestTensor::i64({1}, {0})}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("axis 2"), std::string::npos) << st.message();

    EXPECT_FALSE(runOp("Gather", gatherAttrs("bogus"), {d, TestTensor::i64({1}, {0})}).status.ok());
    EXPECT_FALSE(runOp("Gather", gatherAttrs("default"), {TestTensor::f32({}, {1}), TestTensor::i64({1}, {0})}).status.ok());
    // elements: rank mismatch, and an index dim larger than data's off the axis
    EXPECT_FALSE(runOp("Gather", gatherAttrs("elements"), {d, TestTensor::i64({2}, {0, 0})}).status.ok());
    EXPECT_FALSE(runOp("Gather", gatherAttrs("elements", 0), {d, TestTensor::i64({1, 3}, {0, 0, 0})}).status.ok());
    // nd: tuple too long, batch_dims too large, batch dims differ
    EXPECT_FALSE(runOp("Gather", gatherAttrs("nd"), {d, TestTensor::i64({1, 3}, {0, 0, 0})}).status.ok());
    EXPECT_FALSE(runOp("Gather", gatherAttrs("nd", 0, 2), {d, TestTensor::i64({2, 1}, {0, 0})}).status.ok());
    EXPECT_FALSE(runOp("Gather", gatherAttrs("nd", 0, 1), {d, TestTensor::i64({3, 1}, {0, 0, 0})}).status.ok());
    EXPECT_FALSE(runOp("Gather", gatherAttrs("nd", 0, -1), {d, TestTensor::i64({2, 1}, {0, 0})}).status.ok());
    // missing indices
    EXPECT_FALSE(runOp("Gather", gatherAttrs("default"), {d}).status.ok());
}
