// Activation: every type against its docs/ops.md formula in float64, with
// alpha/beta, NaN and extreme inputs, integer relu/clip and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numbers>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

test::OpResult act(const std::string& type, const TestTensor& x, double alpha = 0, double beta = 0,
                   bool setParams = true) {
    ir::Attrs a;
    a.set("type", type);
    if (setParams) {
        a.set("alpha", alpha);
        a.set("beta", beta);
    }
    return runOp("Activation", a, {x});
}

double sigm(double x) { return 1 / (1 + std::exp(-x)); }

struct Case {
    std::string type;
    double alpha, beta;
    std::function<double(double)> f;
};

}  // namespace

TEST(Activation, EveryTypeMatchesFormula) {
    const double a = 0.3, b = 1.7;
    const std::vector<Case> cases = {
        {"relu", 0, 0, [](double x) { return x > 0 ? x : 0; }},
        {"sigmoid", 0, 0, sigm},
        {"tanh", 0, 0, [](double x) { return std::tanh(x); }},
        {"leaky_relu", a, 0, [=](double x) { return x >= 0 ? x : a * x; }},
        {"elu", a, 0, [=](double x) { return x >= 0 ? x : a * (std::exp(x) - 1); }},
        {"selu", a, b, [=](double x) { return b * (x > 0 ? x : a * (std::exp(x) - 1)); }},
        {"softsign", 0, 0, [](double x) { return x / (1 + std::fabs(x)); }},
        {"softplus", 0, 0, [](double x) { return std::log(1 + std::exp(x)); }},
        {"clip", -1.5, 2, [](double x) { return std::min(std::max(x, -1.5), 2.0); }},
        {"hard_sigmoid", a, 0.5, [=](double x) { return std::max(0.0, std::min(1.0, a * x + 0.5)); }},
        {"scaled_tanh", a, b, [=](double x) { return a * std::tanh(b * x); }},
        {"thresholded_relu", 1.0, 0, [](double x) { return x > 1.0 ? x : 0; }},
        {"gelu_erf", 0, 0, [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
        {"gelu_tanh", 0, 0,
         [](double x) {
             return 0.5 * x * (1 + std::tanh(std::sqrt(2 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
         }},
        {"silu", 0, 0, [](double x) { return x * sigm(x); }},
    };
    const auto x = TestTensor::random(DType::kF32, {4, 25}, 21, -4, 4);
    const auto xv = x.toDoubles();
    for (const auto& c : cases) {
        auto r = act(c.type, x, c.alpha, c.beta);
        ASSERT_TRUE(r.status.ok()) << c.type << ": " << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, DType::kF32);
        EXPECT_EQ(r.outputs[0].shape, (ir::Shape{4, 25}));
        std::vector<double> want;
        for (double v : xv) want.push_back(c.f(v));
        SCOPED_TRACE(c.type);
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    }
}

TEST(Activation, ExtremeInputsStayFinite) {
    const auto x = TestTensor::f32({4}, {-100, 100, -1000, 1000});
    auto r = act("sigmoid", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{sigm(-100), 1, 0, 1}), 1e-5, 1e-30);
    r = act("softplus", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{std::exp(-100.0), 100, 0, 1000}), 1e-5, 1e-30);
    r = act("silu", x);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-100 * sigm(-100), 100, 0, 1000}), 1e-5, 1e-30);
}

TEST(Activation, NaNPropagates) {
    const auto x = TestTensor::f32({2}, {float(kNaN), -2});
    for (const std::string t : {"relu", "sigmoid", "tanh", "clip"}) {
        auto r = act(t, x, -1, 1);
        ASSERT_TRUE(r.status.ok()) << t;
        EXPECT_TRUE(std::isnan(r.outputs[0].toDoubles()[0])) << t;
    }
}

TEST(Activation, DefaultAlphaBetaAreZero) {
    // leaky_relu without alpha: negative inputs become 0; clip to [0, 0].
    const auto x = TestTensor::f32({3}, {-2, 0.5, 3});
    auto r = act("leaky_relu", x, 0, 0, false);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 0.5, 3}), 0, 0);
    r = act("clip", x, 0, 0, false);
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 0, 0}), 0, 0);
}

TEST(Activation, ReducedPrecisionAndFloat64) {
    const auto h = TestTensor::random(DType::kF16, {50}, 22, -6, 6);
    auto r = act("sigmoid", h);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    std::vector<double> want;
    for (double v : h.toDoubles()) want.push_back(sigm(v));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1.0 / 1024, 1e-7);
    const auto b = TestTensor::random(DType::kBF16, {50}, 23, -3, 3);
    r = act("gelu_erf", b);
    ASSERT_TRUE(r.status.ok());
    want.clear();
    for (double v : b.toDoubles()) want.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1.0 / 128, 1e-6);
    r = act("tanh", TestTensor::fromDoubles(DType::kF64, {1}, {0.1}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{std::tanh(0.1)}), 1e-15, 0);
}

TEST(Activation, IntegerReluAndClip) {
    const int64_t big = (int64_t(1) << 60) + 1;
    auto r = act("relu", TestTensor::i64({3}, {-big, big, 0}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].dtype, DType::kI64);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, big, 0}));
    // Fractional bounds: nothing outside [-2.5, 3.5] survives; int64 stays exact.
    r = act("clip", TestTensor::i64({5}, {-big, -3, 1, 4, big}), -2.5, 3.5);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-2, -2, 1, 3, 3}));
    // Bounds beyond int8's range saturate.
    r = act("clip", TestTensor::fromDoubles(DType::kI8, {3}, {-128, 5, 127}), -1000, 100);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-128, 5, 100}));
    r = act("relu", TestTensor::fromDoubles(DType::kU8, {2}, {0, 255}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 255}));
}

TEST(Activation, EmptyAndLarge) {
    auto r = act("relu", TestTensor::f32({2, 0}, {}));
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 0}));
    const auto x = TestTensor::random(DType::kF32, {70000}, 24, -3, 3);
    r = act("tanh", x);
    ASSERT_TRUE(r.status.ok());
    std::vector<double> want;
    for (double v : x.toDoubles()) want.push_back(std::tanh(v));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
}

TEST(Activation, Errors) {
    auto r = act("swish2", TestTensor::f32({1}, {1}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("swish2"), std::string::npos);
    r = act("sigmoid", TestTensor::i32({1}, {1}));
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    EXPECT_FALSE(act("relu", TestTensor::boolean({1}, {true})).status.ok());
    EXPECT_FALSE(act("relu", TestTensor::fromDoubles(DType::kFP8, {1}, {1})).status.ok());
    EXPECT_FALSE(runOp("Activation", ir::Attrs{}, {TestTensor::f32({1}, {1})}).status.ok());
}
