// Unary: every op against <cmath> in float64, special values, integer and
// bool ops, reduced precision, and dtype errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
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

test::OpResult un(const std::string& op, const TestTensor& x) {
    ir::Attrs a;
    a.set("op", op);
    return runOp("Unary", a, {x});
}

std::vector<double> mapRef(const TestTensor& x, const std::function<double(double)>& f) {
    std::vector<double> r;
    for (double v : x.toDoubles()) r.push_back(f(v));
    return r;
}

struct FloatCase {
    std::string op;
    double lo, hi;  // input domain
    double (*f)(double);
};

}  // namespace

TEST(Unary, FloatOpsMatchCmath) {
    const std::vector<FloatCase> cases = {
        {"exp", -5, 5, [](double v) { return std::exp(v); }},
        {"log", 0.01, 10, [](double v) { return std::log(v); }},
        {"sqrt", 0, 10, [](double v) { return std::sqrt(v); }},
        {"recip", 0.1, 5, [](double v) { return 1 / v; }},
        {"abs", -5, 5, [](double v) { return std::fabs(v); }},
        {"neg", -5, 5, [](double v) { return -v; }},
        {"sin", -4, 4, [](double v) { return std::sin(v); }},
        {"cos", -4, 4, [](double v) { return std::cos(v); }},
        {"tan", -1.2, 1.2, [](double v) { return std::tan(v); }},
        {"asin", -0.99, 0.99, [](double v) { return std::asin(v); }},
        {"acos", -0.99, 0.99, [](double v) { return std::acos(v); }},
        {"atan", -5, 5, [](double v) { return std::atan(v); }},
        {"sinh", -3, 3, [](double v) { return std::sinh(v); }},
        {"cosh", -3, 3, [](double v) { return std::cosh(v); }},
        {"asinh", -5, 5, [](double v) { return std::asinh(v); }},
        {"acosh", 1, 6, [](double v) { return std::acosh(v); }},
        {"atanh", -0.95, 0.95, [](double v) { return std::atanh(v); }},
        {"ceil", -5, 5, [](double v) { return std::ceil(v); }},
        {"floor", -5, 5, [](double v) { return std::floor(v); }},
        {"erf", -3, 3, [](double v) { return std::erf(v); }},
    };
    for (const auto& c : cases) {
        const auto x = TestTensor::random(DType::kF32, {3, 17}, 11, c.lo, c.hi);
        auto r = un(c.op, x);
        ASSERT_TRUE(r.status.ok()) << c.op << ": " << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, DType::kF32);
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{3, 17}));
        SCOPED_TRACE(c.op);
        EXPECT_CLOSE(r.outputs[0].toDoubles(), mapRef(x, c.f), 2e-6, 1e-6);
    }
}

TEST(Unary, SpecialValues) {
    const auto x = TestTensor::f32({5}, {-1, 0, float(kInf), float(kNaN), -0.0f});
    auto r = un("log", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, -kInf, kInf, kNaN, -kInf}), 0, 0);
    r = un("sqrt", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, 0, kInf, kNaN, 0}), 0, 0);
    r = un("recip", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1, kInf, 0, kNaN, -kInf}), 0, 0);
    r = un("sign", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-1, 0, 1, kNaN, 0}), 0, 0);
    r = un("exp", TestTensor::f32({3}, {-float(kInf), 100, float(kNaN)}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, kInf, kNaN}), 0, 0);
}

TEST(Unary, RoundHalfToEven) {
    const auto x = TestTensor::f32({10}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 2.4f, 2.6f, -2.6f, 8388609.0f});
    auto r = un("round", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 2, 2, 0, -2, -2, 2, 3, -3, 8388609.0}), 0, 0);
}

TEST(Unary, IsNanIsInfOutputBool) {
    const auto x = TestTensor::f32({4}, {float(kNaN), float(kInf), -float(kInf), 1});
    auto r = un("isnan", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0, 0, 0}));
    r = un("isinf", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 1, 0}));
    r = un("isnan", TestTensor::fromDoubles(DType::kF16, {2}, {kNaN, 65504}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0}));
}

TEST(Unary, IntegerAndBoolOps) {
    const int32_t mn = std::numeric_limits<int32_t>::min();
    const auto x = TestTensor::i32({5}, {-3, 0, 7, mn, -1});
    auto r = un("abs", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kI32);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{3, 0, 7, mn, 1}));  // |INT_MIN| wraps
    r = un("neg", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{3, 0, -7, mn, 1}));
    r = un("sign", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-1, 0, 1, -1, -1}));
    r = un("abs", TestTensor::fromDoubles(DType::kU8, {2}, {200, 0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{200, 0}));
    r = un("sign", TestTensor::fromDoubles(DType::kU8, {2}, {200, 0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{1, 0}));
    const int64_t big = (int64_t(1) << 60) + 1;
    r = un("neg", TestTensor::i64({1}, {big}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-big}));
    r = un("abs", TestTensor::fromDoubles(DType::kI8, {2}, {-128, -5}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-128, 5}));
    r = un("not", TestTensor::boolean({3}, {true, false, true}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kBool);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 0}));
}

TEST(Unary, ReducedPrecisionAndFloat64) {
    const auto h = TestTensor::random(DType::kF16, {40}, 12, -3, 3);
    auto r = un("exp", h);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), mapRef(h, [](double v) { return std::exp(v); }), 1.0 / 1024, 0);
    const auto b = TestTensor::random(DType::kBF16, {40}, 13, -3, 3);
    r = un("tan", b);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), mapRef(b, [](double v) { return std::tan(v); }), 1.0 / 128, 1e-6);
    // float64 computes in float64.
    const auto d = TestTensor::fromDoubles(DType::kF64, {2}, {1e-10, 2.0});
    r = un("log", d);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{std::log(1e-10), std::log(2.0)}), 1e-15, 0);
}

TEST(Unary, EmptyAndLarge) {
    auto r = un("exp", TestTensor::f32({0, 4}, {}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 4}));
    const auto x = TestTensor::random(DType::kF32, {100003}, 14, -2, 2);
    r = un("sin", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), mapRef(x, [](double v) { return std::sin(v); }), 2e-6, 1e-6);
}

TEST(Unary, Errors) {
    const auto i = TestTensor::i32({2}, {1, 2});
    auto r = un("exp", i);
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    EXPECT_FALSE(un("not", TestTensor::f32({1}, {1})).status.ok());
    EXPECT_FALSE(un("neg", TestTensor::fromDoubles(DType::kU8, {1}, {1})).status.ok());
    EXPECT_FALSE(un("abs", TestTensor::boolean({1}, {true})).status.ok());
    EXPECT_FALSE(un("isnan", i).status.ok());
    EXPECT_FALSE(un("sqrt", TestTensor::fromDoubles(DType::kFP8, {1}, {1})).status.ok());
    r = un("cube", TestTensor::f32({1}, {1}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("cube"), std::string::npos);
}

TEST(Unary, BitwiseNotOnIntegersAndNewTypes) {
    auto r = un("not", TestTensor::fromDoubles(DType::kU8, {3}, {0, 0x0f, 0xff}));
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kU8);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0xff, 0xf0, 0}));
    r = un("not", TestTensor::i32({3}, {0, -1, 5}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-1, 0, -6}));
    r = un("neg", TestTensor::fromDoubles(DType::kI16, {2}, {-32768, 5}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-32768, -5}));
    r = un("abs", TestTensor::fromDoubles(DType::kU32, {1}, {4000000000.0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{4000000000}));
    EXPECT_FALSE(un("neg", TestTensor::fromDoubles(DType::kU64, {1}, {1})).status.ok());
    EXPECT_FALSE(un("not", TestTensor::fromDoubles(DType::kI4, {1}, {1})).status.ok());
    EXPECT_FALSE(un("exp", TestTensor::fromDoubles(DType::kE8M0, {1}, {1})).status.ok());
}
