// TopK against a selection (repeated "pick the best remaining") computed in
// the test, which is a different algorithm from the kernel's sort.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// NaN counts as larger than everything.
bool larger(double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    if (std::isnan(b)) return false;
    return a > b;
}

struct Expected {
    std::vector<double> values;
    std::vector<int64_t> indices;
};

Expected topkExpected(const std::vector<double>& x, const ir::Shape& s, int axis, int64_t k, bool largest) {
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= s[size_t(i)];
    for (size_t i = size_t(axis) + 1; i < s.size(); ++i) inner *= s[i];
    const int64_t n = s[size_t(axis)];
    Expected e;
    e.values.resize(size_t(outer * k * inner));
    e.indices.resize(e.values.size());
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in) {
            std::vector<bool> taken(size_t(n), false);
            for (int64_t j = 0; j < k; ++j) {
                int64_t best = -1;
                for (int64_t c = 0; c < n; ++c) {
                    if (taken[size_t(c)]) continue;
                    const double v = x[size_t((o * n + c) * inner + in)];
                    // Strictly better only: equal values keep the lower index.
                    if (best < 0) best = c;
                    else {
                        const double b = x[size_t((o * n + best) * inner + in)];
                        if (largest ? larger(v, b) : larger(b, v)) best = c;
                    }
                }
                taken[size_t(best)] = true;
                const size_t dst = size_t((o * k + j) * inner + in);
                e.values[dst] = x[size_t((o * n + best) * inner + in)];
                e.indices[dst] = best;
            }
        }
    return e;
}

ir::Attrs topkAttrs(const std::string& op, int64_t k, int64_t axis) {
    ir::Attrs a;
    a.set("op", op);
    a.set("k", k);
    a.set("axis", axis);
    return a;
}

void checkTopK(const TestTensor& x, const std::string& op, int64_t k, int64_t axis) {
    SCOPED_TRACE(op + " k " + std::to_string(k) + " axis " + std::to_string(axis) + " " +
                 ir::shapeToString(x.shape));
    const OpResult r = runOp("TopK", topkAttrs(op, k, axis), {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const int a = int(axis < 0 ? axis + int64_t(x.shape.size()) : axis);
    ir::Shape want = x.shape;
    want[size_t(a)] = k;
    EXPECT_EQ(r.outputs[0].shape, want);
    EXPECT_EQ(r.outputs[1].shape, want);
    EXPECT_EQ(r.outputs[0].dtype, x.dtype);
    EXPECT_EQ(r.outputs[1].dtype, DType::kI64);
    const Expected e = topkExpected(x.toDoubles(), x.shape, a, k, op == "max");
    EXPECT_CLOSE(r.outputs[0].toDoubles(), e.values, 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), e.indices);
}

TEST(TopKTest, MaxAndMinOnEveryAxis) {
    const TestTensor x = TestTensor::random(DType::kF32, {3, 5, 4}, 21);
    for (const char* op : {"max", "min"})
        for (int64_t axis : {0, 1, 2, -1, -2, -3}) {
            checkTopK(x, op, 1, axis);
            checkTopK(x, op, 3, axis);
        }
}

TEST(TopKTest, KZeroAndKFull) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 6}, 22);
    checkTopK(x, "max", 0, -1);
    checkTopK(x, "max", 6, -1);
    checkTopK(x, "min", 6, 1);
}

TEST(TopKTest, ManyRowsUseThePool) {
    checkTopK(TestTensor::random(DType::kF32, {64, 17}, 23), "max", 5, -1);
    checkTopK(TestTensor::random(DType::kF32, {9, 12, 11}, 24), "min", 4, 1);
}

TEST(TopKTest, TiesKeepTheLowerIndexFirst) {
    const TestTensor x = TestTensor::f32({1, 6}, {3, 1, 3, 1, 2, 3});
    OpResult r = runOp("TopK", topkAttrs("max", 4, -1), {x}, 2);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{0, 2, 5, 4}));
    r = runOp("TopK", topkAttrs("min", 3, -1), {x}, 2);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{1, 3, 4}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 1, 2}), 0, 0);
    checkTopK(TestTensor::random(DType::kI32, {4, 10}, 25, 0, 3), "max", 7, -1);  // many ties
}

TEST(TopKTest, NaNIsLargest) {
    const TestTensor x = TestTensor::f32({5}, {1.f, NAN, 3.f, NAN, -INFINITY});
    OpResult r = runOp("TopK", topkAttrs("max", 3, 0), {x}, 2);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, kNaN, 3}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{1, 3, 2}));
    r = runOp("TopK", topkAttrs("min", 5, 0), {x}, 2);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-INFINITY, 1, 3, kNaN, kNaN}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{4, 0, 2, 1, 3}));
}

TEST(TopKTest, KFromInput) {
    const TestTensor x = TestTensor::random(DType::kF32, {3, 7}, 26);
    ir::Attrs a;  // no 'k' attribute: K comes from the input
    a.set("axis", int64_t(1));
    for (const TestTensor& kt : {TestTensor::i64({}, {4}), TestTensor::i64({1}, {4})}) {
        const OpResult r = runOp("TopK", a, {x, kt}, 2);
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        const Expected e = topkExpected(x.toDoubles(), x.shape, 1, 4, true);
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 4}));
        EXPECT_CLOSE(r.outputs[0].toDoubles(), e.values, 0, 0);
        EXPECT_EQ(r.outputs[1].toInts(), e.indices);
    }
    // An absent optional K falls back to the attribute.
    const OpResult r = runOp("TopK", topkAttrs("max", 2, 1), {x, TestTensor::none()}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 2}));
}

TEST(TopKTest, Int32IndicesAndIntegerInputs) {
    ir::Attrs a = topkAttrs("max", 2, -1);
    a.set("index_dtype", int64_t(DType::kI32));
    const OpResult r = runOp("TopK", a, {TestTensor::i32({2, 3}, {5, -1, 7, 0, 0, -4})}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[1].dtype, DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{7, 5, 0, 0}));
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{2, 0, 0, 1}));
    // int64 beyond 2^53 keeps its order (a double round trip would tie them).
    const int64_t big = int64_t(1) << 53;
    const OpResult r64 = runOp("TopK", topkAttrs("max", 2, 0), {TestTensor::i64({3}, {big, big + 1, 3})}, 2);
    ASSERT_TRUE(r64.status.ok());
    EXPECT_EQ(r64.outputs[0].toInts(), (std::vector<int64_t>{big + 1, big}));
    EXPECT_EQ(r64.outputs[1].toInts(), (std::vector<int64_t>{1, 0}));
}

TEST(TopKTest, OtherIntegerAndFloat64Inputs) {
    checkTopK(TestTensor::random(DType::kU64, {3, 8}, 30, 0, 20), "max", 3, -1);  // many ties
    checkTopK(TestTensor::random(DType::kU8, {3, 8}, 31, 0, 200), "min", 2, 0);
    checkTopK(TestTensor::random(DType::kI16, {4, 6}, 32, -50, 50), "max", 4, 1);
    checkTopK(TestTensor::random(DType::kF64, {5, 7}, 33), "min", 3, -1);
}

TEST(TopKTest, Uint64BeyondInt64KeepsItsOrder) {
    // Above 2^63 (negative as int64) and 1 apart (tied as doubles).
    const uint64_t big = (uint64_t(1) << 63) + 1;
    const std::vector<uint64_t> v = {big, 5, big + 1, 0};
    TestTensor x;
    x.dtype = DType::kU64;
    x.shape = {4};
    x.bytes.resize(v.size() * 8);
    std::memcpy(x.bytes.data(), v.data(), x.bytes.size());
    auto valuesOf = [](const TestTensor& t) {
        std::vector<uint64_t> r(size_t(t.numel()));
        std::memcpy(r.data(), t.bytes.data(), r.size() * 8);
        return r;
    };
    OpResult r = runOp("TopK", topkAttrs("max", 3, 0), {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kU64);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{2, 0, 1}));
    EXPECT_EQ(valuesOf(r.outputs[0]), (std::vector<uint64_t>{big + 1, big, 5}));
    r = runOp("TopK", topkAttrs("min", 2, 0), {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{3, 1}));
    EXPECT_EQ(valuesOf(r.outputs[0]), (std::vector<uint64_t>{0, 5}));
}

TEST(TopKTest, HalfValuesAreBitExact) {
    checkTopK(TestTensor::random(DType::kF16, {4, 9}, 27), "max", 3, -1);
    checkTopK(TestTensor::random(DType::kBF16, {4, 9}, 28), "min", 3, 0);
}

void expectError(const ir::Attrs& a, const std::vector<TestTensor>& in, const std::string& fragment) {
    const OpResult r = runOp("TopK", a, in, 2);
    EXPECT_FALSE(r.status.ok()) << "expected an error mentioning '" << fragment << "'";
    EXPECT_NE(r.status.message().find(fragment), std::string::npos) << r.status.message();
}

TEST(TopKTest, ErrorsNameTheProblem) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 5}, 29);
    expectError(topkAttrs("max", 6, -1), {x}, "k = 6");
    expectError(topkAttrs("max", -1, -1), {x}, "k = -1");
    expectError(topkAttrs("max", 2, 2), {x}, "axis 2");
    expectError(topkAttrs("median", 2, -1), {x}, "median");
    ir::Attrs noK;
    expectError(noK, {x}, "'k'");
    ir::Attrs idx = topkAttrs("max", 2, -1);
    idx.set("index_dtype", int64_t(DType::kU8));
    expectError(idx, {x}, "index_dtype");
    expectError(noK, {x, TestTensor::i32({1}, {2})}, "int64");
    expectError(noK, {x, TestTensor::i64({2}, {2, 2})}, "[2]");
    expectError(topkAttrs("max", 1, -1), {TestTensor::boolean({2}, {true, false})}, "bool");
}

TEST(TopKTest, UnknownKValueLeavesTheAxisExtentUnknown) {
    ir::Node node;
    node.op = "TopK";
    node.name = "topk";
    node.inputs = {0, 1};
    node.outputs = {2, 3};
    std::vector<ir::TensorDesc> in = {{DType::kF32, {2, 5}, nullptr}, {DType::kI64, {1}, nullptr}};
    std::vector<ir::TensorDesc> out;
    const Status s = ir::inferNode(node, in, out);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(out[0].shape, (ir::Shape{2, -1}));
    EXPECT_EQ(out[1].shape, (ir::Shape{2, -1}));
    const int64_t tooMany = 6;
    in[1].data = &tooMany;
    EXPECT_FALSE(ir::inferNode(node, in, out).ok()) << "a known K is still checked";
}

}  // namespace
}  // namespace kiln::test
