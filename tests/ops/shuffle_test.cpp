// Shuffle: transpose -> reshape -> transpose. Expected values come from
// explicit index loops in the test.
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

std::vector<double> iota(int64_t n) {
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) v[size_t(i)] = double(i);
    return v;
}

TestTensor iotaF32(ir::Shape s) { return TestTensor::fromDoubles(ir::DType::kF32, s, iota(ir::volume(s))); }

}  // namespace

TEST(ShuffleOp, NoAttributesIsCopy) {
    auto r = runOp("Shuffle", {}, {iotaF32({2, 3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), iota(6), 0, 0);
}

TEST(ShuffleOp, FirstTranspose) {
    ir::Attrs a;
    a.set("perm1", std::vector<int64_t>{2, 0, 1});
    auto r = runOp("Shuffle", a, {iotaF32({2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{4, 2, 3}));
    std::vector<double> want;
    for (int c = 0; c < 4; ++c)
        for (int n = 0; n < 2; ++n)
            for (int h = 0; h < 3; ++h) want.push_back(n * 12 + h * 4 + c);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(ShuffleOp, ReshapeWithPlaceholderAndInferred) {
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{0, -1});
    auto r = runOp("Shuffle", a, {iotaF32({2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 12}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), iota(24), 0, 0);

    a.set("reshape", std::vector<int64_t>{-1, 0, 2});  // 0 copies dim 1 (3)
    r = runOp("Shuffle", a, {iotaF32({2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{4, 3, 2}));
}

TEST(ShuffleOp, ZeroIsPlaceholderOff) {
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{0, 7});
    // With placeholders, 0 copies dim 0 (2): [2, 7] has the wrong volume.
    EXPECT_FALSE(runOp("Shuffle", a, {TestTensor::f32({2, 0}, {})}).status.ok());
    a.set("zero_is_placeholder", int64_t(0));
    auto r = runOp("Shuffle", a, {TestTensor::f32({2, 0}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 7}));
}

TEST(ShuffleOp, TransposeReshapeTranspose) {
    ir::Attrs a;
    a.set("perm1", std::vector<int64_t>{1, 0, 2});
    a.set("reshape", std::vector<int64_t>{6, 4});
    a.set("perm2", std::vector<int64_t>{1, 0});
    auto r = runOp("Shuffle", a, {iotaF32({2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{4, 6}));
    // t[h][n][c] = x[n][h][c]; z = t as [6,4]; y[j][i] = z[i][j].
    std::vector<double> t;
    for (int h = 0; h < 3; ++h)
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < 4; ++c) t.push_back(n * 12 + h * 4 + c);
    std::vector<double> want;
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 6; ++i) want.push_back(t[size_t(i * 4 + j)]);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(ShuffleOp, SecondTransposeOnly) {
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{3, 2});
    a.set("perm2", std::vector<int64_t>{1, 0});
    auto r = runOp("Shuffle", a, {iotaF32({6})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 2, 4, 1, 3, 5}), 0, 0);
}

TEST(ShuffleOp, ShapeInputOverridesReshape) {
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{24});
    auto r = runOp("Shuffle", a, {iotaF32({2, 3, 4}), TestTensor::i64({2}, {4, -1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{4, 6}));
    auto r32 = runOp("Shuffle", {}, {iotaF32({2, 3, 4}), TestTensor::i32({3}, {0, 0, -1})});
    ASSERT_TRUE(r32.status.ok()) << r32.status.message();
    EXPECT_EQ(r32.outputs[0].shape, (ir::Shape{2, 3, 4}));
}

TEST(ShuffleOp, ShapeInputValuesUnknownAtBuildTime) {
    ir::Node n = nodeOf("Shuffle", {0, 1}, {2});
    std::vector<ir::TensorDesc> in = {{ir::DType::kF32, {2, 3}, nullptr}, {ir::DType::kI64, {2}, nullptr}};
    std::vector<ir::TensorDesc> out;
    // Dims known only at run time: the rank is known, the extents are not.
    auto st = ir::inferNode(n, in, out);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, -1}));

    in[1] = {ir::DType::kF32, {2}, nullptr};
    st = ir::inferNode(n, in, out);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("int32 or int64"), std::string::npos) << st.message();
}

TEST(ShuffleOp, ReshapeToScalarAndBack) {
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{});
    auto r = runOp("Shuffle", a, {TestTensor::f32({1, 1}, {42})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{42}), 0, 0);

    a.set("reshape", std::vector<int64_t>{1, -1, 1});
    r = runOp("Shuffle", a, {TestTensor::f32({}, {7})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 1}));
}

TEST(ShuffleOp, Int64AndBoolTranspose) {
    ir::Attrs a;
    a.set("perm1", std::vector<int64_t>{1, 0});
    const int64_t big = (int64_t(1) << 61) + 5;
    auto r = runOp("Shuffle", a, {TestTensor::i64({2, 2}, {big, 1, 2, -big})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{big, 2, 1, -big}));

    auto b = runOp("Shuffle", a, {TestTensor::boolean({1, 3}, {true, false, true})});
    ASSERT_TRUE(b.status.ok());
    EXPECT_EQ(b.outputs[0].shape, (ir::Shape{3, 1}));
    EXPECT_CLOSE(b.outputs[0].toDoubles(), (std::vector<double>{1, 0, 1}), 0, 0);
}

TEST(ShuffleOp, LargeTransposeBothPerms) {
    ir::Attrs a;
    a.set("perm1", std::vector<int64_t>{2, 0, 1});
    a.set("reshape", std::vector<int64_t>{130, 8, 64});
    a.set("perm2", std::vector<int64_t>{0, 2, 1});
    auto x = TestTensor::random(ir::DType::kF16, {8, 64, 130}, 3);
    auto r = runOp("Shuffle", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{130, 64, 8}));
    // y[c][h][n] = t[c][n][h] = x[n][h][c]
    const auto xv = x.toDoubles();
    std::vector<double> want;
    for (int c = 0; c < 130; ++c)
        for (int h = 0; h < 64; ++h)
            for (int n = 0; n < 8; ++n) want.push_back(xv[size_t((n * 64 + h) * 130 + c)]);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
}

TEST(ShuffleOp, Errors) {
    auto x = iotaF32({2, 3});
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{-1, -1});
    auto st = runOp("Shuffle", a, {x}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("more than one -1"), std::string::npos) << st.message();

    a.set("reshape", std::vector<int64_t>{4, 2});
    st = runOp("Shuffle", a, {x}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("volume"), std::string::npos) << st.message();

    a.set("reshape", std::vector<int64_t>{-1, 4});
    EXPECT_FALSE(runOp("Shuffle", a, {x}).status.ok());  // 6 is not a multiple of 4

    a.set("reshape", std::vector<int64_t>{6, 0, 0});  // placeholder index 2 has no input dim
    EXPECT_FALSE(runOp("Shuffle", a, {x}).status.ok());

    a.set("reshape", std::vector<int64_t>{-2, 3});
    EXPECT_FALSE(runOp("Shuffle", a, {x}).status.ok());

    ir::Attrs p;
    p.set("perm1", std::vector<int64_t>{0, 0});
    st = runOp("Shuffle", p, {x}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("perm1"), std::string::npos) << st.message();
    p.set("perm1", std::vector<int64_t>{0});
    EXPECT_FALSE(runOp("Shuffle", p, {x}).status.ok());

    ir::Attrs q;
    q.set("perm2", std::vector<int64_t>{1, 2});
    st = runOp("Shuffle", q, {x}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("perm2"), std::string::npos) << st.message();

    ir::Attrs z;
    z.set("reshape", std::vector<int64_t>{0, -1});
    z.set("zero_is_placeholder", int64_t(0));  // a literal 0 leaves -1 ambiguous
    st = runOp("Shuffle", z, {TestTensor::f32({0, 3}, {})}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("cannot infer -1"), std::string::npos) << st.message();

    EXPECT_FALSE(runOp("Shuffle", {}, {x, TestTensor::i64({2, 1}, {3, 2})}).status.ok());  // shape not 1-D
}

TEST(ShuffleOp, DynamicDimsStayUnknown) {
    ir::Node n = nodeOf("Shuffle", {0}, {1});
    n.attrs.set("reshape", std::vector<int64_t>{0, -1});
    std::vector<ir::TensorDesc> in = {{ir::DType::kF32, {-1, 3, 4}, nullptr}};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    // The placeholder copies the dynamic dim, so -1 is still 3*4.
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 12}));
    n.attrs.set("reshape", std::vector<int64_t>{-1, 6});
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 6}));
}

TEST(ShuffleOp, PlaceholderOfZeroDimStillInfers) {
    ir::Attrs a;
    a.set("reshape", std::vector<int64_t>{0, -1});
    auto r = runOp("Shuffle", a, {TestTensor::f32({0, 3}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3}));
}

// NCHW -> NHWC with 2..4 channels over many positions: on CUDA, the kernel
// that writes each position's channels side by side.
TEST(ShuffleOp, ChannelsToLastWithFewChannels) {
    for (int64_t c : {2, 3, 4}) {
        for (ir::DType t : {ir::DType::kF32, ir::DType::kF16}) {
            const int64_t n = 2, s = 256;  // every index exact in float16
            ir::Attrs a;
            a.set("perm1", std::vector<int64_t>{0, 2, 1});
            auto r = runOp("Shuffle", a, {TestTensor::fromDoubles(t, {n, c, s}, iota(n * c * s))});
            ASSERT_TRUE(r.status.ok()) << r.status.message();
            ASSERT_EQ(r.outputs[0].shape, (ir::Shape{n, s, c}));
            std::vector<double> want;
            for (int64_t b = 0; b < n; ++b)
                for (int64_t p = 0; p < s; ++p)
                    for (int64_t q = 0; q < c; ++q) want.push_back(double((b * c + q) * s + p));
            EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
        }
    }
}
