// Cumulative against running sums/products computed in the test (float64),
// on every axis, exclusive and reverse, axis given as int32 or int64.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

std::vector<double> scanRef(const std::vector<double>& x, const ir::Shape& s, int axis, bool prod, bool excl,
                            bool rev) {
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= s[size_t(i)];
    for (size_t i = size_t(axis) + 1; i < s.size(); ++i) inner *= s[i];
    const int64_t n = s[size_t(axis)];
    std::vector<double> y(x.size());
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in)
            for (int64_t j = 0; j < n; ++j) {
                // y[j] combines x[m] for m before j (or up to j), in the scan direction.
                double acc = prod ? 1 : 0;
                for (int64_t m = 0; m < n; ++m) {
                    const bool take = rev ? (excl ? m > j : m >= j) : (excl ? m < j : m <= j);
                    if (!take) continue;
                    const double v = x[size_t((o * n + m) * inner + in)];
                    acc = prod ? acc * v : acc + v;
                }
                y[size_t((o * n + j) * inner + in)] = acc;
            }
    return y;
}

ir::Attrs cumAttrs(const char* op, bool excl, bool rev) {
    ir::Attrs a;
    a.set("op", op);
    a.set("exclusive", excl);
    a.set("reverse", rev);
    return a;
}

TEST(CumulativeOp, EveryAxisAndFlag) {
    const TestTensor x = TestTensor::random(DType::kF32, {3, 4, 5}, 7, 0.5, 1.5);
    for (const char* op : {"sum", "prod"})
        for (int axis = -3; axis < 3; ++axis)
            for (bool excl : {false, true})
                for (bool rev : {false, true}) {
                    SCOPED_TRACE(std::string(op) + " axis " + std::to_string(axis) + (excl ? " excl" : "") +
                                 (rev ? " rev" : ""));
                    const TestTensor ax = axis % 2 ? TestTensor::i32({}, {axis}) : TestTensor::i64({1}, {axis});
                    const OpResult r = runOp("Cumulative", cumAttrs(op, excl, rev), {x, ax});
                    ASSERT_TRUE(r.status.ok()) << r.status.message();
                    EXPECT_EQ(r.outputs[0].shape, x.shape);
                    const int a = axis < 0 ? axis + 3 : axis;
                    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                                 scanRef(x.toDoubles(), x.shape, a, std::string(op) == "prod", excl, rev), 1e-5, 1e-6);
                }
}

TEST(CumulativeOp, IntegersAreExactAndHalfRounds) {
    const TestTensor x = TestTensor::i64({2, 3}, {1, 2, 3, 4, 5, 6});
    OpResult r = runOp("Cumulative", cumAttrs("sum", true, false), {x, TestTensor::i64({}, {1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 3, 0, 4, 9}));
    r = runOp("Cumulative", cumAttrs("prod", false, true),
              {TestTensor::i32({4}, {2, 3, -1, 5}), TestTensor::i32({}, {0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-30, -15, -5, 5}));
    const TestTensor h = TestTensor::fromDoubles(DType::kF16, {5}, {0.5, 0.25, 1, 2, -1});
    r = runOp("Cumulative", cumAttrs("sum", false, false), {h, TestTensor::i64({}, {0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.5, 0.75, 1.75, 3.75, 2.75}), 0, 0);
}

TEST(CumulativeOp, Float64AndInt32WithInt32Axis) {
    const TestTensor xd = TestTensor::random(DType::kF64, {3, 4}, 9, 0.5, 1.5);
    const TestTensor xi = TestTensor::random(DType::kI32, {3, 4}, 10, -5, 5);
    for (const TestTensor* x : {&xd, &xi})
        for (const char* op : {"sum", "prod"})
            for (int axis : {0, 1, -1})
                for (bool excl : {false, true})
                    for (bool rev : {false, true}) {
                        SCOPED_TRACE(std::string(ir::dtypeName(x->dtype)) + " " + op + " axis " + std::to_string(axis) +
                                     (excl ? " excl" : "") + (rev ? " rev" : ""));
                        const OpResult r =
                            runOp("Cumulative", cumAttrs(op, excl, rev), {*x, TestTensor::i32({}, {axis})});
                        ASSERT_TRUE(r.status.ok()) << r.status.message();
                        EXPECT_EQ(r.outputs[0].dtype, x->dtype);
                        const int a = axis < 0 ? axis + 2 : axis;
                        // Products of 4 int32 terms in [-5, 5) stay exact in double.
                        EXPECT_CLOSE(r.outputs[0].toDoubles(),
                                     scanRef(x->toDoubles(), x->shape, a, std::string(op) == "prod", excl, rev),
                                     x->dtype == DType::kF64 ? 1e-12 : 0, 0);
                    }
}

TEST(CumulativeOp, BadAxisAndTypes) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 3}, 8);
    OpResult r = runOp("Cumulative", cumAttrs("sum", false, false), {x, TestTensor::i64({}, {2})});
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("axis 2 out of range"), std::string::npos) << r.status.message();
    r = runOp("Cumulative", cumAttrs("sum", false, false), {x, TestTensor::i64({2}, {0, 1})});
    ASSERT_FALSE(r.status.ok());
    r = runOp("Cumulative", cumAttrs("max", false, false), {x, TestTensor::i64({}, {0})});
    ASSERT_FALSE(r.status.ok());
    r = runOp("Cumulative", cumAttrs("sum", false, false), {x, TestTensor::f32({}, {0})});
    ASSERT_FALSE(r.status.ok());
}

}  // namespace
}  // namespace kiln::test
