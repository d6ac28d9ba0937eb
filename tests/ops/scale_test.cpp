// Scale: uniform / channel / elementwise modes against a float64 loop, absent
// coefficients, channel_axis (incl. negative), mixed coefficient dtypes and
// validation errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::test::runOp;
using kiln::test::TestTensor;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

ir::Attrs modeAttrs(const std::string& mode, int64_t axis = 1) {
    ir::Attrs a;
    a.set("mode", mode);
    a.set("channel_axis", axis);
    return a;
}

// Float64 reference: coefficient index of element i is given by `coef(i)`.
template <class IndexFn>
std::vector<double> refScale(const TestTensor& x, const TestTensor& shift, const TestTensor& scale,
                             const TestTensor& power, IndexFn coef) {
    const auto xv = x.toDoubles();
    const auto sh = shift.absent ? std::vector<double>{} : shift.toDoubles();
    const auto sc = scale.absent ? std::vector<double>{} : scale.toDoubles();
    const auto pw = power.absent ? std::vector<double>{} : power.toDoubles();
    std::vector<double> r(xv.size());
    for (int64_t i = 0; i < int64_t(xv.size()); ++i) {
        const int64_t k = coef(i);
        double v = xv[i] * (sc.empty() ? 1.0 : sc[sc.size() == 1 ? 0 : k % sc.size()]) +
                   (sh.empty() ? 0.0 : sh[sh.size() == 1 ? 0 : k % sh.size()]);
        if (!pw.empty()) v = std::pow(v, pw[pw.size() == 1 ? 0 : k % pw.size()]);
        r[i] = v;
    }
    return r;
}

}  // namespace

TEST(Scale, UniformAllCoefficients) {
    const auto x = TestTensor::random(DType::kF32, {2, 3, 4}, 51, 0, 2);
    const auto shift = TestTensor::f32({1}, {0.5f});
    const auto scale = TestTensor::f32({1}, {1.5f});
    const auto power = TestTensor::f32({1}, {2.0f});
    auto r = runOp("Scale", modeAttrs("uniform"), {x, shift, scale, power});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, x.shape);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), refScale(x, shift, scale, power, [](int64_t) { return 0; }), 1e-6, 1e-6);
}

TEST(Scale, AbsentCoefficientsUseDefaults) {
    const auto x = TestTensor::f32({4}, {-1, 0, 2, 3});
    // Only a shift: Y = X + 1.
    auto r = runOp("Scale", modeAttrs("uniform"), {x, TestTensor::f32({}, {1})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0, 1, 3, 4}), 0, 0);
    // Only a scale (shift omitted).
    r = runOp("Scale", modeAttrs("uniform"), {x, TestTensor::none(), TestTensor::f32({1}, {-2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 0, -4, -6}), 0, 0);
    // Only a power: negative base with a fractional power is NaN, as pow.
    r = runOp("Scale", modeAttrs("uniform"), {x, TestTensor::none(), TestTensor::none(), TestTensor::f32({1}, {0.5})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{kNaN, 0, std::sqrt(2.0), std::sqrt(3.0)}), 1e-6, 0);
    // No coefficients at all: identity.
    r = runOp("Scale", modeAttrs("channel", 0), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), x.toDoubles(), 0, 0);
}

TEST(Scale, ChannelModeAxes) {
    // Batch-norm style: NCHW with per-channel shift and scale.
    const auto x = TestTensor::random(DType::kF32, {2, 3, 4, 5}, 52);
    const auto shift = TestTensor::f32({3}, {0.1f, -0.2f, 0.3f});
    const auto scale = TestTensor::f32({3}, {2, 3, -4});
    auto r = runOp("Scale", modeAttrs("channel", 1), {x, shift, scale});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 refScale(x, shift, scale, TestTensor::none(), [](int64_t i) { return (i / 20) % 3; }), 1e-6, 1e-6);
    // channel_axis -1 on [2,4,3]: the channel is the last dim.
    const auto y = TestTensor::random(DType::kF32, {2, 4, 3}, 53, 0.1, 2);
    const auto power = TestTensor::f32({3}, {1, 2, 0.5});
    r = runOp("Scale", modeAttrs("channel", -1), {y, shift, scale, power});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), refScale(y, shift, scale, power, [](int64_t i) { return i % 3; }), 1e-5,
                 1e-6);
    // channel_axis 0.
    r = runOp("Scale", modeAttrs("channel", 0), {TestTensor::f32({2, 2}, {1, 2, 3, 4}), TestTensor::f32({2}, {10, 20})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{11, 12, 23, 24}), 0, 0);
}

TEST(Scale, ElementwiseMode) {
    const auto x = TestTensor::random(DType::kF32, {3, 2, 4}, 54);
    // Coefficients shaped like X without the batch dim repeat per batch item.
    const auto shift = TestTensor::random(DType::kF32, {2, 4}, 55);
    // A scale shaped like all of X.
    const auto scale = TestTensor::random(DType::kF32, {3, 2, 4}, 56);
    auto r = runOp("Scale", modeAttrs("elementwise"), {x, shift, scale});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto xv = x.toDoubles(), sh = shift.toDoubles(), sc = scale.toDoubles();
    std::vector<double> want(xv.size());
    for (size_t i = 0; i < xv.size(); ++i) want[i] = xv[i] * sc[i] + sh[i % 8];
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-6, 1e-6);
}

TEST(Scale, ReducedPrecisionXWithFloat32Coefficients) {
    const auto x = TestTensor::fromDoubles(DType::kF16, {1, 2, 2}, {1, 2, 3, 4});
    auto r = runOp("Scale", modeAttrs("channel"), {x, TestTensor::f32({2}, {0.5f, 0}), TestTensor::f32({2}, {2, 0.25f})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2.5, 4.5, 0.75, 1}), 0, 0);
    const auto b = TestTensor::random(DType::kBF16, {4, 3}, 57);
    const auto sc = TestTensor::fromDoubles(DType::kBF16, {3}, {1.5, -2, 0.75});
    r = runOp("Scale", modeAttrs("channel", 1), {b, TestTensor::none(), sc});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 refScale(b, TestTensor::none(), sc, TestTensor::none(), [](int64_t i) { return i % 3; }), 1.0 / 128, 0);
}

TEST(Scale, EmptyAndLarge) {
    auto r = runOp("Scale", modeAttrs("channel"), {TestTensor::f32({0, 3}, {}), TestTensor::f32({3}, {1, 2, 3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3}));
    // Chunks of the thread pool start mid-channel: the coefficient index must follow.
    const auto x = TestTensor::random(DType::kF32, {2, 7, 3001}, 58);
    const auto shift = TestTensor::random(DType::kF32, {7}, 59);
    const auto scale = TestTensor::random(DType::kF32, {7}, 60);
    r = runOp("Scale", modeAttrs("channel"), {x, shift, scale});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 refScale(x, shift, scale, TestTensor::none(), [](int64_t i) { return (i / 3001) % 7; }), 1e-6, 1e-6);
}

TEST(Scale, Errors) {
    const auto x = TestTensor::f32({2, 3, 4}, std::vector<float>(24, 1));
    auto r = runOp("Scale", modeAttrs("channel"), {x, TestTensor::f32({4}, {1, 2, 3, 4})});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("shift"), std::string::npos) << r.status.message();
    r = runOp("Scale", modeAttrs("uniform"), {x, TestTensor::none(), TestTensor::f32({2}, {1, 2})});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("scale"), std::string::npos) << r.status.message();
    r = runOp("Scale", modeAttrs("elementwise"), {x, TestTensor::f32({4}, {1, 2, 3, 4})});
    EXPECT_FALSE(r.status.ok());
    r = runOp("Scale", modeAttrs("channel", 3), {x, TestTensor::f32({4}, {1, 2, 3, 4})});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("channel_axis"), std::string::npos) << r.status.message();
    r = runOp("Scale", modeAttrs("channel", -4), {x});
    EXPECT_FALSE(r.status.ok());
    r = runOp("Scale", modeAttrs("per_tensor"), {x});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("per_tensor"), std::string::npos);
    r = runOp("Scale", modeAttrs("uniform"), {TestTensor::i32({1}, {1}), TestTensor::i32({1}, {1})});
    EXPECT_FALSE(r.status.ok());
    EXPECT_NE(r.status.message().find("int32"), std::string::npos) << r.status.message();
    r = runOp("Scale", modeAttrs("uniform"), {x, TestTensor::i32({1}, {1})});
    EXPECT_FALSE(r.status.ok());
}

TEST(Scale, ShapeInferenceWithUnknownChannel) {
    ir::Node n;
    n.op = "Scale";
    n.name = "scale_under_test";
    n.attrs = modeAttrs("channel");
    n.inputs = {0, 1};
    n.outputs = {2};
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(n, {{DType::kF32, {-1, -1, 8}, nullptr}, {DType::kF32, {5}, nullptr}}, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, -1, 8}));
    EXPECT_FALSE(ir::inferNode(n, {{DType::kF32, {-1, 4, 8}, nullptr}, {DType::kF32, {5}, nullptr}}, out).ok());
}
