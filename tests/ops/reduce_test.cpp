// Reduce against float64 / int64 computations in the test: each input
// element is unravelled and dropped into the bucket of its output element.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Buckets of input values per output element (row-major over kept axes).
std::vector<std::vector<double>> buckets(const std::vector<double>& x, const ir::Shape& s,
                                         const std::vector<bool>& reduced) {
    int64_t outCount = 1;
    for (size_t i = 0; i < s.size(); ++i)
        if (!reduced[i]) outCount *= s[i];
    std::vector<std::vector<double>> b(static_cast<size_t>(outCount));
    for (size_t flat = 0; flat < x.size(); ++flat) {
        // Unravel flat into per-dim indices, then ravel the kept ones.
        std::vector<int64_t> idx(s.size());
        int64_t rest = int64_t(flat);
        for (int d = int(s.size()) - 1; d >= 0; --d) {
            idx[size_t(d)] = rest % s[size_t(d)];
            rest /= s[size_t(d)];
        }
        int64_t o = 0;
        for (size_t d = 0; d < s.size(); ++d)
            if (!reduced[d]) o = o * s[d] + idx[d];
        b[size_t(o)].push_back(x[flat]);
    }
    return b;
}

double reduceValues(const std::string& op, const std::vector<double>& v) {
    double acc = 0;
    if (op == "sum" || op == "mean" || op == "log_sum") {
        for (double x : v) acc += x;
        if (op == "mean") return v.empty() ? NAN : acc / double(v.size());
        return op == "log_sum" ? std::log(acc) : acc;
    }
    if (op == "prod") {
        acc = 1;
        for (double x : v) acc *= x;
        return acc;
    }
    if (op == "max" || op == "min") {
        acc = op == "max" ? -kInf : kInf;
        for (double x : v) {
            if (std::isnan(x)) return x;
            acc = op == "max" ? std::max(acc, x) : std::min(acc, x);
        }
        return acc;
    }
    if (op == "l1") {
        for (double x : v) acc += std::fabs(x);
        return acc;
    }
    if (op == "l2" || op == "sum_square") {
        for (double x : v) acc += x * x;
        return op == "l2" ? std::sqrt(acc) : acc;
    }
    if (op == "log_sum_exp") {
        for (double x : v) acc += std::exp(x);  // test inputs are small: no overflow
        return std::log(acc);
    }
    ADD_FAILURE() << "unknown op " << op;
    return 0;
}

ir::Attrs reduceAttrs(const std::string& op, std::vector<int64_t> axes, int64_t keepdims) {
    ir::Attrs a;
    a.set("op", op);
    a.set("axes", std::move(axes));
    a.set("keepdims", keepdims);
    return a;
}

const char* const kAllOps[] = {"sum", "prod", "max", "min", "mean", "l1", "l2", "sum_square", "log_sum", "log_sum_exp"};

void checkReduce(const std::string& op, DType t, const ir::Shape& s, std::vector<int64_t> axes, int64_t keepdims,
                 double tol, double lo = -2.0, double hi = 2.0) {
    SCOPED_TRACE(op + " " + ir::shapeToString(s) + " keepdims " + std::to_string(keepdims));
    const TestTensor x = TestTensor::random(t, s, 11, lo, hi);
    const OpResult r = runOp("Reduce", reduceAttrs(op, axes, keepdims), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<bool> red(s.size(), axes.empty());
    for (int64_t a : axes) red[size_t(a < 0 ? a + int64_t(s.size()) : a)] = true;
    ir::Shape want;
    for (size_t i = 0; i < s.size(); ++i)
        if (!red[i])
            want.push_back(s[i]);
        else if (keepdims)
            want.push_back(1);
    EXPECT_EQ(r.outputs[0].shape, want);
    EXPECT_EQ(r.outputs[0].dtype, t);
    std::vector<double> expected;
    for (const auto& b : buckets(x.toDoubles(), s, red)) expected.push_back(reduceValues(op, b));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), expected, tol, tol);
}

TEST(ReduceTest, EveryOpOverVariousAxesF32) {
    for (const char* op : kAllOps) {
        // log_sum needs a positive sum; prod stays well scaled near 1.
        const std::string o = op;
        const double lo = o == "log_sum" ? 0.1 : o == "prod" ? 0.5 : -2.0;
        const double hi = o == "prod" ? 1.5 : 2.0;
        for (int64_t keep : {0, 1}) {
            checkReduce(o, DType::kF32, {2, 3, 4}, {1}, keep, 1e-5, lo, hi);
            checkReduce(o, DType::kF32, {2, 3, 4}, {-1}, keep, 1e-5, lo, hi);
            checkReduce(o, DType::kF32, {2, 3, 4}, {2, 0}, keep, 1e-5, lo, hi);
            checkReduce(o, DType::kF32, {2, 3, 4}, {}, keep, 1e-5, lo, hi);          // all axes
            checkReduce(o, DType::kF32, {2, 3, 4}, {0, -2, 2}, keep, 1e-5, lo, hi);  // all, listed
        }
    }
}

TEST(ReduceTest, EveryOpInFloat64) {
    for (const char* op : kAllOps) {
        const std::string o = op;
        const double lo = o == "log_sum" ? 0.1 : o == "prod" ? 0.5 : -2.0;
        const double hi = o == "prod" ? 1.5 : 2.0;
        checkReduce(o, DType::kF64, {2, 3, 4}, {1}, 1, 1e-12, lo, hi);
        checkReduce(o, DType::kF64, {2, 3, 4}, {0, 2}, 0, 1e-12, lo, hi);
        checkReduce(o, DType::kF64, {2, 3, 4}, {}, 0, 1e-12, lo, hi);
    }
}

// Opset-18 reductions: the axes come as input 1 (int64 or int32), not the attribute.
TEST(ReduceTest, AxesFromInput) {
    const ir::Shape s = {2, 3, 4};
    for (const char* op : {"sum", "max", "log_sum_exp", "l2"})
        for (DType t : {DType::kF32, DType::kF64})
            for (int64_t keep : {0, 1}) {
                SCOPED_TRACE(std::string(op) + " " + std::string(ir::dtypeName(t)) + " keepdims " +
                             std::to_string(keep));
                const TestTensor x = TestTensor::random(t, s, 12, 0.1, 2.0);
                ir::Attrs a;
                a.set("op", std::string(op));
                a.set("keepdims", keep);
                const TestTensor axes64 = TestTensor::i64({2}, {2, -3});
                const TestTensor axes32 = TestTensor::i32({2}, {0, -1});
                for (const TestTensor* axes : {&axes64, &axes32}) {
                    const OpResult r = runOp("Reduce", a, {x, *axes});
                    ASSERT_TRUE(r.status.ok()) << r.status.message();
                    EXPECT_EQ(r.outputs[0].shape, keep ? (ir::Shape{1, 3, 1}) : (ir::Shape{3}));
                    std::vector<double> expected;
                    for (const auto& b : buckets(x.toDoubles(), s, {true, false, true}))
                        expected.push_back(reduceValues(op, b));
                    EXPECT_CLOSE(r.outputs[0].toDoubles(), expected, 1e-5, 1e-5);
                }
            }
}

TEST(ReduceTest, IntegerMaxMinWithAxesInput) {
    const std::vector<int32_t> v = {-7, 3, 0, 5, -2, 9};  // shape [2, 3]
    ir::Attrs a;
    a.set("keepdims", int64_t(1));
    for (const TestTensor& x : {TestTensor::i32({2, 3}, v), TestTensor::i64({2, 3}, {v.begin(), v.end()})}) {
        a.set("op", std::string("max"));
        OpResult r = runOp("Reduce", a, {x, TestTensor::i64({1}, {0})});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 3}));
        EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{5, 3, 9}));
        a.set("op", std::string("min"));
        r = runOp("Reduce", a, {x, TestTensor::i64({1}, {1})});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 1}));
        EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-7, -2}));
    }
}

// Empty axes reduce every axis, or none with noop_with_empty_axes = 1: then
// each output element is its input element's one-term reduction.
TEST(ReduceTest, EmptyAxesAndNoop) {
    const ir::Shape s = {2, 3};
    for (const char* op : kAllOps)
        for (DType t : {DType::kF32, DType::kF64}) {
            SCOPED_TRACE(std::string(op) + " " + std::string(ir::dtypeName(t)));
            const TestTensor x = TestTensor::random(t, s, 13, 0.1, 2.0);
            ir::Attrs a;
            a.set("op", std::string(op));
            a.set("keepdims", int64_t(0));
            const TestTensor none = TestTensor::i64({0}, {});
            OpResult r = runOp("Reduce", a, {x, none});  // every axis
            ASSERT_TRUE(r.status.ok()) << r.status.message();
            EXPECT_EQ(r.outputs[0].shape, ir::Shape{});
            EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>{reduceValues(op, x.toDoubles())}, 1e-5, 1e-5);
            a.set("noop_with_empty_axes", int64_t(1));
            std::vector<double> expected;
            for (double v : x.toDoubles()) expected.push_back(reduceValues(op, {v}));
            for (bool fromInput : {true, false}) {
                r = fromInput ? runOp("Reduce", a, {x, none}) : runOp("Reduce", a, {x});
                ASSERT_TRUE(r.status.ok()) << r.status.message();
                EXPECT_EQ(r.outputs[0].shape, s);
                EXPECT_CLOSE(r.outputs[0].toDoubles(), expected, 1e-5, 1e-5);
            }
        }
}

TEST(ReduceTest, ManyRowsUseThePool) {
    checkReduce("sum", DType::kF32, {50, 7, 3}, {1}, 1, 1e-5);
    checkReduce("max", DType::kF32, {50, 7, 3}, {0, 2}, 0, 1e-6);
}

// The CUDA backend picks its kernel by shape: a warp per row for rows of at most
// 1024 elements ending in the innermost dim (global pooling's [N, C, 7, 7]), a
// block per longer row, a thread per row when the innermost dim is kept and
// there are many rows. Each is checked here for every op.
TEST(ReduceTest, EveryOpOnEachKernelShape) {
    for (const char* op : kAllOps) {
        const std::string o = op;
        const double lo = o == "log_sum" ? 0.1 : o == "prod" ? 0.9 : -2.0;
        const double hi = o == "prod" ? 1.1 : 2.0;
        checkReduce(o, DType::kF32, {2, 1100, 7, 7}, {2, 3}, 1, 1e-5, lo, hi);  // warp: 2200 rows of 49
        checkReduce(o, DType::kF32, {6, 5, 40}, {0, 2}, 0, 1e-5, lo, hi);       // warp: strided rows of 240
        checkReduce(o, DType::kF16, {300, 33}, {1}, 0, 1e-2, lo, hi);           // warp, 16-bit
        checkReduce(o, DType::kF32, {3, 3000}, {1}, 1, 1e-5, lo, hi);           // block: rows of 3000
        checkReduce(o, DType::kF32, {5, 1200}, {0}, 0, 1e-5, lo, hi);           // thread: 1200 rows of 5
    }
    for (DType t : {DType::kI32, DType::kI64})
        for (const char* op : {"sum", "prod", "max", "min"})  // (the mean truncates: IntegerTypes)
            checkReduce(op, t, {1500, 9}, {1}, 0, 0, -3, 3);  // rows of 9: warp; max/min: block
}

TEST(ReduceTest, HalfAndBFloat16) {
    checkReduce("sum", DType::kF16, {3, 8}, {1}, 1, 5e-3);
    checkReduce("mean", DType::kBF16, {3, 8}, {0}, 0, 2e-2);
    checkReduce("log_sum_exp", DType::kF16, {3, 8}, {-1}, 0, 5e-3);
}

TEST(ReduceTest, ScalarInput) {
    const OpResult r = runOp("Reduce", reduceAttrs("sum", {}, 1), {TestTensor::f32({}, {2.5f})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, ir::Shape{});
    EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>{2.5}, 0, 0);
}

TEST(ReduceTest, EmptyExtentGivesIdentity) {
    const std::vector<std::pair<std::string, double>> cases = {
        {"sum", 0}, {"prod", 1}, {"max", -kInf},    {"min", kInf},      {"mean", NAN},
        {"l1", 0},  {"l2", 0},   {"sum_square", 0}, {"log_sum", -kInf}, {"log_sum_exp", -kInf}};
    for (const auto& [op, id] : cases) {
        SCOPED_TRACE(op);
        const OpResult r = runOp("Reduce", reduceAttrs(op, {1}, 1), {TestTensor::f32({2, 0, 3}, {})});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 1, 3}));
        EXPECT_CLOSE(r.outputs[0].toDoubles(), std::vector<double>(6, id), 0, 0);
    }
    // Integers: lowest / highest of the type; the mean has no NaN and gives 0.
    const std::vector<std::pair<std::string, int64_t>> ints = {
        {"sum", 0}, {"prod", 1}, {"max", INT32_MIN}, {"min", INT32_MAX}, {"mean", 0}};
    for (const auto& [op, id] : ints) {
        SCOPED_TRACE(op + " int32");
        const OpResult r = runOp("Reduce", reduceAttrs(op, {0}, 0), {TestTensor::i32({0, 2}, {})});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].toInts(), std::vector<int64_t>(2, id));
    }
    const OpResult r = runOp("Reduce", reduceAttrs("max", {}, 0), {TestTensor::fromDoubles(DType::kI64, {0}, {})});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), std::vector<int64_t>{INT64_MIN});
}

TEST(ReduceTest, EmptyOutputIsFine) {
    const OpResult r = runOp("Reduce", reduceAttrs("sum", {1}, 0), {TestTensor::f32({0, 3}, {})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, ir::Shape{0});
}

TEST(ReduceTest, IntegerTypes) {
    const std::vector<int32_t> v = {-7, 3, 0, 5, -2, 9};  // shape [2, 3]
    const TestTensor x32 = TestTensor::i32({2, 3}, v);
    const TestTensor x64 = TestTensor::i64({2, 3}, {v.begin(), v.end()});
    const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
        {"sum", {-4, 12}}, {"prod", {0, -90}}, {"max", {3, 9}}, {"min", {-7, -2}}, {"mean", {-1, 4}}};
    for (const auto& [op, want] : cases) {
        SCOPED_TRACE(op);
        for (const TestTensor* x : {&x32, &x64}) {
            const OpResult r = runOp("Reduce", reduceAttrs(op, {-1}, 0), {*x});
            ASSERT_TRUE(r.status.ok()) << r.status.message();
            EXPECT_EQ(r.outputs[0].dtype, x->dtype);
            EXPECT_EQ(r.outputs[0].toInts(), want);
        }
    }
    // Mean truncates toward zero: -9 / 2 = -4 (not -5), 9 / 2 = 4.
    const OpResult r = runOp("Reduce", reduceAttrs("mean", {1}, 1), {TestTensor::i32({2, 2}, {-7, -2, 7, 2})});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 1}));
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-4, 4}));
}

TEST(ReduceTest, Int64StaysExactBeyondDoublePrecision) {
    const int64_t big = (int64_t(1) << 53) + 1;  // not representable as a double
    const TestTensor x = TestTensor::i64({3}, {big, 2, -1});
    OpResult r = runOp("Reduce", reduceAttrs("sum", {0}, 0), {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), std::vector<int64_t>{big + 1});
    r = runOp("Reduce", reduceAttrs("max", {0}, 0), {TestTensor::i64({2}, {big - 1, big})});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), std::vector<int64_t>{big});
}

TEST(ReduceTest, NaNPropagatesThroughMaxAndMin) {
    const TestTensor x = TestTensor::f32({2, 2}, {1.f, NAN, 4.f, 2.f});
    for (const char* op : {"max", "min", "sum", "log_sum_exp"}) {
        SCOPED_TRACE(op);
        const OpResult r = runOp("Reduce", reduceAttrs(op, {1}, 0), {x});
        ASSERT_TRUE(r.status.ok());
        EXPECT_TRUE(std::isnan(r.outputs[0].toDoubles()[0]));
        EXPECT_FALSE(std::isnan(r.outputs[0].toDoubles()[1]));
    }
}

TEST(ReduceTest, LogSumExpIsStable) {
    const TestTensor x = TestTensor::f32({3, 2}, {1000.f, 1000.f, -INFINITY, -INFINITY, INFINITY, 1.f});
    const OpResult r = runOp("Reduce", reduceAttrs("log_sum_exp", {1}, 0), {x});
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1000.0 + std::log(2.0), -kInf, kInf}), 1e-6, 0);
}

TEST(ReduceTest, ErrorsNameTheProblem) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 3, 4}, 1);
    OpResult r = runOp("Reduce", reduceAttrs("sum", {3}, 1), {x});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("axis 3"), std::string::npos) << r.status.message();
    r = runOp("Reduce", reduceAttrs("sum", {1, -2}, 1), {x});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("repeated"), std::string::npos) << r.status.message();
    r = runOp("Reduce", reduceAttrs("median", {1}, 1), {x});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("median"), std::string::npos) << r.status.message();
    EXPECT_FALSE(runOp("Reduce", reduceAttrs("sum", {1}, 2), {x}).status.ok());
    r = runOp("Reduce", reduceAttrs("l2", {0}, 1), {TestTensor::i32({2}, {1, 2})});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    EXPECT_FALSE(runOp("Reduce", reduceAttrs("sum", {0}, 1), {TestTensor::boolean({2}, {true, false})}).status.ok());
}

}  // namespace
}  // namespace kiln::test
