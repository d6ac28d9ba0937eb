// ElementWise: every op against float64 / hand-computed values, broadcasting,
// integer corner cases (division by zero, INT_MIN / -1, wrapping) and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

ir::Attrs opAttr(const std::string& op) {
    ir::Attrs a;
    a.set("op", op);
    return a;
}

test::OpResult ew(const std::string& op, const TestTensor& a, const TestTensor& b) {
    return runOp("ElementWise", opAttr(op), {a, b});
}

// Flat index into `in` for output multi-index of flat index `o` (numpy rules).
int64_t bcastIndex(const ir::Shape& out, const ir::Shape& in, int64_t o) {
    int64_t idx = 0, stride = 1;
    for (int d = int(out.size()) - 1; d >= 0; --d) {
        const int64_t coord = o % out[d];
        o /= out[d];
        const int id = d - int(out.size() - in.size());
        if (id < 0) continue;
        if (in[id] != 1) idx += coord * stride;
        stride *= in[id];
    }
    return idx;
}

// Float64 reference of a broadcast binary op.
std::vector<double> refBinary(const TestTensor& a, const TestTensor& b, const ir::Shape& out,
                              const std::function<double(double, double)>& f) {
    const auto av = a.toDoubles(), bv = b.toDoubles();
    std::vector<double> r(size_t(ir::volume(out)));
    for (int64_t o = 0; o < int64_t(r.size()); ++o)
        r[o] = f(av[bcastIndex(out, a.shape, o)], bv[bcastIndex(out, b.shape, o)]);
    return r;
}

double pyMod(double a, double b) {
    double r = std::fmod(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
}

}  // namespace

TEST(ElementWise, FloatOpsBroadcastDifferentRanks) {
    const auto a = TestTensor::random(DType::kF32, {2, 3, 4}, 1, -3, 3);
    const auto b = TestTensor::random(DType::kF32, {3, 1}, 2, 0.5, 2);  // positive: pow/div stay finite
    const std::vector<std::pair<std::string, std::function<double(double, double)>>> cases = {
        {"sum", [](double x, double y) { return x + y; }},
        {"sub", [](double x, double y) { return x - y; }},
        {"prod", [](double x, double y) { return x * y; }},
        {"div", [](double x, double y) { return x / y; }},
        {"max", [](double x, double y) { return std::max(x, y); }},
        {"min", [](double x, double y) { return std::min(x, y); }},
        {"floor_div", [](double x, double y) { return std::floor(x / y); }},
        {"mod", pyMod},
        {"fmod", [](double x, double y) { return std::fmod(x, y); }},
    };
    for (const auto& [op, f] : cases) {
        auto r = ew(op, a, b);
        ASSERT_TRUE(r.status.ok()) << op << ": " << r.status.message();
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3, 4})) << op;
        EXPECT_EQ(r.outputs[0].dtype, DType::kF32);
        SCOPED_TRACE(op);
        EXPECT_CLOSE(r.outputs[0].toDoubles(), refBinary(a, b, {2, 3, 4}, f), 1e-5, 1e-5);
    }
    // pow with a positive base; B broadcast along the leading dim.
    const auto base = TestTensor::random(DType::kF32, {4, 1, 5}, 3, 0.1, 3);
    const auto ex = TestTensor::random(DType::kF32, {2, 5}, 4, -2, 2);
    auto r = ew("pow", base, ex);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{4, 2, 5}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), refBinary(base, ex, {4, 2, 5}, [](double x, double y) { return std::pow(x, y); }),
                 1e-5, 1e-6);
}

TEST(ElementWise, ScalarAndEmptyBroadcast) {
    auto r = ew("sub", TestTensor::f32({}, {10}), TestTensor::f32({2, 2}, {1, 2, 3, 4}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{9, 8, 7, 6}), 0, 0);

    r = ew("sum", TestTensor::f32({0, 3}, {}), TestTensor::f32({3}, {1, 2, 3}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3}));
    EXPECT_EQ(r.outputs[0].numel(), 0);

    // [2,1] x [1,3] broadcasts both ways.
    r = ew("prod", TestTensor::f32({2, 1}, {2, 3}), TestTensor::f32({1, 3}, {1, 10, 100}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 20, 200, 3, 30, 300}), 0, 0);
}

TEST(ElementWise, LargeTensorsUseEveryRowAndSegment) {
    // One long contiguous row (split into segments) and many broadcast rows.
    const auto a = TestTensor::random(DType::kF32, {3, 70001}, 5);
    const auto b = TestTensor::random(DType::kF32, {70001}, 6);
    auto r = ew("sum", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), refBinary(a, b, {3, 70001}, std::plus<double>()), 1e-6, 1e-6);
    const auto c = TestTensor::random(DType::kF32, {5000, 1}, 7);
    const auto d = TestTensor::random(DType::kF32, {1, 7}, 8);
    r = ew("sub", c, d);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), refBinary(c, d, {5000, 7}, std::minus<double>()), 1e-6, 1e-6);
}

TEST(ElementWise, FloatSpecialValues) {
    const auto a = TestTensor::f32({6}, {1, 0, -7.5f, 7.5f, float(kNaN), -1});
    const auto b = TestTensor::f32({6}, {0, 0, 2, -2, 1, 0});
    auto r = ew("div", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kInf, kNaN, -3.75, -3.75, kNaN, -kInf}), 0, 0);
    r = ew("mod", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, kNaN, 0.5, -0.5, kNaN, kNaN}), 0, 0);
    r = ew("fmod", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, kNaN, -1.5, 1.5, kNaN, kNaN}), 0, 0);
    r = ew("floor_div", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kInf, kNaN, -4, -4, kNaN, -kInf}), 0, 0);
    // max/min propagate NaN from either side.
    r = ew("max", TestTensor::f32({3}, {float(kNaN), 1, 2}), TestTensor::f32({3}, {1, float(kNaN), 3}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, kNaN, 3}), 0, 0);
    r = ew("min", TestTensor::f32({3}, {float(kNaN), 1, 2}), TestTensor::f32({3}, {1, float(kNaN), 3}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, kNaN, 2}), 0, 0);
}

TEST(ElementWise, IntegerDivisionFamilies) {
    const int32_t mn = std::numeric_limits<int32_t>::min();
    const auto a = TestTensor::i32({7}, {-7, 7, -7, 7, 5, mn, 6});
    const auto b = TestTensor::i32({7}, {2, -2, -2, 2, 0, -1, 3});
    auto r = ew("div", a, b);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-3, -3, 3, 3, 0, mn, 2}));
    r = ew("floor_div", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-4, -4, 3, 3, 0, mn, 2}));
    r = ew("mod", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, -1, -1, 1, 0, 0, 0}));
    r = ew("fmod", a, b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-1, 1, -1, 1, 0, 0, 0}));
    // int64 against a scalar zero: every element divided by zero is 0.
    r = ew("div", TestTensor::i64({3}, {5, -5, 0}), TestTensor::i64({}, {0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 0, 0}));
}

TEST(ElementWise, IntegerArithmeticWrapsAndPow) {
    auto r = ew("sum", TestTensor::fromDoubles(DType::kI8, {2}, {100, -100}), TestTensor::fromDoubles(DType::kI8, {2}, {100, -100}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kI8);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-56, 56}));
    r = ew("sub", TestTensor::fromDoubles(DType::kU8, {2}, {1, 200}), TestTensor::fromDoubles(DType::kU8, {2}, {2, 100}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{255, 100}));
    r = ew("prod", TestTensor::fromDoubles(DType::kU8, {1}, {16}), TestTensor::fromDoubles(DType::kU8, {1}, {17}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{16 * 17 - 256}));
    // int64 stays exact beyond 2^53.
    const int64_t big = (int64_t(1) << 53) + 1;
    r = ew("sum", TestTensor::i64({1}, {big}), TestTensor::i64({1}, {2}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{big + 2}));
    r = ew("pow", TestTensor::i64({7}, {3, 2, -1, 1, 0, 2, -2}), TestTensor::i64({7}, {4, -1, -3, -5, -1, 62, 3}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{81, 0, -1, 1, 0, int64_t(1) << 62, -8}));
    r = ew("max", TestTensor::i32({3}, {-5, 4, 0}), TestTensor::i32({3}, {-6, 9, 0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-5, 9, 0}));
    r = ew("min", TestTensor::i32({3}, {-5, 4, 0}), TestTensor::i32({3}, {-6, 9, 0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-6, 4, 0}));
}

TEST(ElementWise, ComparisonsOutputBool) {
    const auto a = TestTensor::f32({2, 3}, {1, 2, float(kNaN), 3, 2, 1});
    const auto b = TestTensor::f32({}, {2});
    const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
        {"equal", {0, 1, 0, 0, 1, 0}},         {"greater", {0, 0, 0, 1, 0, 0}},
        {"less", {1, 0, 0, 0, 0, 1}},          {"greater_equal", {0, 1, 0, 1, 1, 0}},
        {"less_equal", {1, 1, 0, 0, 1, 1}},
    };
    for (const auto& [op, want] : cases) {
        auto r = ew(op, a, b);
        ASSERT_TRUE(r.status.ok()) << op << ": " << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
        EXPECT_EQ(r.outputs[0].toInts(), want) << op;
    }
    // int64 compares exactly (2^53+1 vs 2^53 would tie in float64).
    const int64_t p = int64_t(1) << 53;
    auto r = ew("greater", TestTensor::i64({2}, {p + 1, p}), TestTensor::i64({2}, {p, p}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0}));
    r = ew("equal", TestTensor::boolean({2}, {true, false}), TestTensor::boolean({2}, {true, true}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0}));
    r = ew("less", TestTensor::fromDoubles(DType::kU8, {2}, {200, 3}), TestTensor::fromDoubles(DType::kU8, {2}, {100, 4}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1}));
}

TEST(ElementWise, LogicalOpsBroadcast) {
    const auto a = TestTensor::boolean({2, 2}, {false, false, true, true});
    const auto b = TestTensor::boolean({2}, {false, true});
    const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
        {"and", {0, 0, 0, 1}}, {"or", {0, 1, 1, 1}}, {"xor", {0, 1, 1, 0}}};
    for (const auto& [op, want] : cases) {
        auto r = ew(op, a, b);
        ASSERT_TRUE(r.status.ok()) << op;
        EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
        EXPECT_EQ(r.outputs[0].toInts(), want) << op;
    }
}

TEST(ElementWise, ReducedPrecisionRoundsOnce) {
    // Values exact in float16: the result is exact too.
    auto r = ew("sum", TestTensor::fromDoubles(DType::kF16, {2}, {1.5, 2.25}), TestTensor::fromDoubles(DType::kF16, {2}, {0.25, -1}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1.75, 1.25}), 0, 0);
    // bfloat16 product: the float product rounded to bfloat16 (8 significant bits).
    const auto a = TestTensor::random(DType::kBF16, {64}, 9, -4, 4);
    const auto b = TestTensor::random(DType::kBF16, {64}, 10, -4, 4);
    r = ew("prod", a, b);
    ASSERT_TRUE(r.status.ok());
    auto want = refBinary(a, b, {64}, std::multiplies<double>());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1.0 / 256, 0);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), TestTensor::fromDoubles(DType::kBF16, {64}, want).toDoubles(), 0, 0);
}

TEST(ElementWise, Errors) {
    const auto f = TestTensor::f32({2}, {1, 2});
    auto r = ew("sum", f, TestTensor::i32({2}, {1, 2}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    r = ew("and", f, f);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("bool"), std::string::npos) << r.status.message();
    r = ew("sum", TestTensor::boolean({1}, {true}), TestTensor::boolean({1}, {true}));
    EXPECT_FALSE(r.status.ok());
    r = ew("sum", TestTensor::fromDoubles(DType::kFP8, {1}, {1}), TestTensor::fromDoubles(DType::kFP8, {1}, {1}));
    EXPECT_FALSE(r.status.ok());
    r = ew("bogus", f, f);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("bogus"), std::string::npos);
    r = runOp("ElementWise", ir::Attrs{}, {f, f});
    EXPECT_FALSE(r.status.ok());
    r = ew("sum", TestTensor::f32({2, 3}, std::vector<float>(6, 1)), TestTensor::f32({4}, {1, 2, 3, 4}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("[2,3]"), std::string::npos) << r.status.message();
}

TEST(ElementWise, ShapeInferencePropagatesUnknownDims) {
    ir::Node n;
    n.op = "ElementWise";
    n.name = "elementwise_under_test";
    n.attrs = opAttr("less");
    n.inputs = {0, 1};
    n.outputs = {2};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, {{DType::kF16, {-1, 3}, nullptr}, {DType::kF16, {1, 3}, nullptr}}, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 3}));
    EXPECT_EQ(out[0].dtype, DType::kBool);
    ASSERT_TRUE(ir::inferNode(n, {{DType::kF32, {-1, 3}, nullptr}, {DType::kF32, {4, -1}, nullptr}}, out).ok());
    EXPECT_EQ(out[0].shape.size(), 2u);
    EXPECT_FALSE(ir::inferNode(n, {{DType::kF32, {2, 3}, nullptr}, {DType::kF32, {-1, 4}, nullptr}}, out).ok());
    // An absent input is an error, not a crash.
    n.inputs = {0, -1};
    EXPECT_FALSE(ir::inferNode(n, {{DType::kF32, {3}, nullptr}, {}}, out).ok());
}

TEST(ElementWise, WiderIntegerTypesAndFloat64) {
    // int16 / uint16 / uint32 / uint64 arithmetic wraps; uint16 products exceed int.
    auto r = ew("prod", TestTensor::fromDoubles(DType::kU16, {2}, {65535, 300}),
                TestTensor::fromDoubles(DType::kU16, {2}, {65535, 300}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, (300 * 300) % 65536}));
    r = ew("sub", TestTensor::fromDoubles(DType::kU32, {2}, {1, 10}), TestTensor::fromDoubles(DType::kU32, {2}, {2, 3}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{4294967295, 7}));
    r = ew("div", TestTensor::fromDoubles(DType::kI16, {3}, {-7, 7, -32768}), TestTensor::fromDoubles(DType::kI16, {3}, {2, 0, -1}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-3, 0, -32768}));
    // uint64 beyond int64: 2^63 + 1 compares greater than 1 and max picks it.
    TestTensor u = TestTensor::fromDoubles(DType::kU64, {2}, {0, 1});
    const uint64_t big = (uint64_t(1) << 63) + 1;
    std::memcpy(u.bytes.data(), &big, 8);
    r = ew("max", u, TestTensor::fromDoubles(DType::kU64, {1}, {5}));
    ASSERT_TRUE(r.status.ok());
    uint64_t got[2];
    std::memcpy(got, r.outputs[0].bytes.data(), 16);
    EXPECT_EQ(got[0], big);
    EXPECT_EQ(got[1], 5u);
    r = ew("greater", u, TestTensor::fromDoubles(DType::kU64, {1}, {1}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0}));
    // float64 keeps double precision.
    r = ew("sum", TestTensor::fromDoubles(DType::kF64, {1}, {1}), TestTensor::fromDoubles(DType::kF64, {1}, {1e-12}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toDoubles()[0], 1 + 1e-12);
    r = ew("pow", TestTensor::fromDoubles(DType::kF64, {2}, {2, 9}), TestTensor::fromDoubles(DType::kF64, {2}, {0.5, 0.5}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{std::sqrt(2.0), 3}), 1e-15, 0);
}

TEST(ElementWise, BitwiseOnIntegersAndShifts) {
    const auto a = TestTensor::fromDoubles(DType::kU8, {2, 2}, {0xf0, 0x0f, 0xaa, 0xff});
    const auto b = TestTensor::fromDoubles(DType::kU8, {2}, {0x3c, 0x01});
    const std::vector<std::pair<std::string, std::vector<int64_t>>> cases = {
        {"and", {0x30, 0x01, 0x28, 0x01}}, {"or", {0xfc, 0x0f, 0xbe, 0xff}}, {"xor", {0xcc, 0x0e, 0x96, 0xfe}}};
    for (const auto& [op, want] : cases) {
        auto r = ew(op, a, b);
        ASSERT_TRUE(r.status.ok()) << op << ": " << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, DType::kU8);
        EXPECT_EQ(r.outputs[0].toInts(), want) << op;
    }
    // Signed integers are bitwise too (two's complement).
    auto r = ew("and", TestTensor::fromDoubles(DType::kI16, {2}, {-1, -256}), TestTensor::fromDoubles(DType::kI16, {2}, {0x1234, 0x1ff}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0x1234, 0x100}));
    // Shifts: by the width or more give 0.
    const auto x = TestTensor::fromDoubles(DType::kU8, {4}, {16, 4, 1, 255});
    const auto s = TestTensor::fromDoubles(DType::kU8, {4}, {1, 2, 8, 7});
    r = ew("shift_left", x, s);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{32, 16, 0, 128}));
    r = ew("shift_right", x, s);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{8, 1, 0, 1}));
    TestTensor x64 = TestTensor::fromDoubles(DType::kU64, {2}, {1, 1});
    r = ew("shift_left", x64, TestTensor::fromDoubles(DType::kU64, {2}, {63, 64}));
    ASSERT_TRUE(r.status.ok());
    uint64_t got[2];
    std::memcpy(got, r.outputs[0].bytes.data(), 16);
    EXPECT_EQ(got[0], uint64_t(1) << 63);
    EXPECT_EQ(got[1], 0u);
    // Shifts need unsigned integers; narrow storage types are refused everywhere.
    EXPECT_FALSE(ew("shift_left", TestTensor::i32({1}, {1}), TestTensor::i32({1}, {1})).status.ok());
    EXPECT_FALSE(ew("sum", TestTensor::fromDoubles(DType::kI4, {1}, {1}), TestTensor::fromDoubles(DType::kI4, {1}, {1})).status.ok());
    EXPECT_FALSE(ew("less", TestTensor::fromDoubles(DType::kFP8E5M2, {1}, {1}), TestTensor::fromDoubles(DType::kFP8E5M2, {1}, {1})).status.ok());
}
