// Resize (ONNX Resize-19). Expected values are the ONNX operator examples,
// hand-derived sequences, or closed forms: on data that is linear in the
// coordinates (x[i][j] = 1 + 4i + j) a separable resize equals
// 1 + 4*c(i) + c(j), where c is the 1-D resize of [0, 1, 2, 3].
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

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

ir::Attrs resizeAttrs(const char* mode, const char* coord, const char* nearest = "round_prefer_floor") {
    ir::Attrs a;
    a.set("mode", mode);
    a.set("coord_transform", coord);
    a.set("nearest_mode", nearest);
    return a;
}

ir::Attrs withScales(ir::Attrs a, std::vector<double> s) {
    a.set("scales", std::move(s));
    return a;
}

ir::Attrs withSizes(ir::Attrs a, std::vector<int64_t> s) {
    a.set("sizes", std::move(s));
    return a;
}

TestTensor grid4x4() {
    std::vector<float> v;
    for (int i = 1; i <= 16; ++i) v.push_back(float(i));
    return TestTensor::f32({1, 1, 4, 4}, v);
}

std::vector<double> run1D(const ir::Attrs& a, const std::vector<float>& x) {
    auto r = runOp("Resize", a, {TestTensor::f32({int64_t(x.size())}, x)});
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    return r.status.ok() ? r.outputs[0].toDoubles() : std::vector<double>{};
}

// 1 + 4*c[y] + c[x] for the separable-resize closed form.
std::vector<double> separable(const std::vector<double>& cy, const std::vector<double>& cx) {
    std::vector<double> v;
    for (double y : cy)
        for (double x : cx) v.push_back(1 + 4 * y + x);
    return v;
}

}  // namespace

TEST(ResizeOp, NearestUpsampleScalesOnnx) {
    auto r = runOp("Resize", withScales(resizeAttrs("nearest", "half_pixel"), {1, 1, 2, 3}),
                   {TestTensor::f32({1, 1, 2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 4, 6}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}), 0, 0);
}

TEST(ResizeOp, NearestDownsampleScalesOnnx) {
    auto r = runOp("Resize", withScales(resizeAttrs("nearest", "half_pixel"), {1, 1, 0.6, 0.6}),
                   {TestTensor::f32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 1, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3}), 0, 0);
}

TEST(ResizeOp, NearestModesAndCoordTransforms) {
    const std::vector<float> x = {1, 2, 3, 4};
    auto up = [&](const char* coord, const char* nm) {
        return run1D(withSizes(resizeAttrs("nearest", coord, nm), {8}), x);
    };
    EXPECT_CLOSE(up("asymmetric", "round_prefer_ceil"), (std::vector<double>{1, 2, 2, 3, 3, 4, 4, 4}), 0, 0);
    EXPECT_CLOSE(up("asymmetric", "round_prefer_floor"), (std::vector<double>{1, 1, 2, 2, 3, 3, 4, 4}), 0, 0);
    EXPECT_CLOSE(up("align_corners", "floor"), (std::vector<double>{1, 1, 1, 2, 2, 3, 3, 4}), 0, 0);
    EXPECT_CLOSE(up("align_corners", "ceil"), (std::vector<double>{1, 2, 2, 3, 3, 4, 4, 4}), 0, 0);
    EXPECT_CLOSE(up("half_pixel", "ceil"), (std::vector<double>{1, 2, 2, 3, 3, 4, 4, 4}), 0, 0);
    EXPECT_CLOSE(up("half_pixel", "floor"), (std::vector<double>{1, 1, 1, 2, 2, 3, 3, 4}), 0, 0);

    // tf_half_pixel_for_nn, 4 -> 3: x = 0.667, 2, 3.333
    EXPECT_CLOSE(run1D(withSizes(resizeAttrs("nearest", "tf_half_pixel_for_nn"), {3}), x),
                 (std::vector<double>{2, 3, 4}), 0, 0);
    EXPECT_CLOSE(run1D(withSizes(resizeAttrs("nearest", "tf_half_pixel_for_nn", "floor"), {3}), x),
                 (std::vector<double>{1, 3, 4}), 0, 0);

    // One output pixel: pytorch_half_pixel samples 0; half_pixel samples 1.5.
    EXPECT_CLOSE(run1D(withSizes(resizeAttrs("nearest", "pytorch_half_pixel"), {1}), x), (std::vector<double>{1}), 0,
                 0);
    EXPECT_CLOSE(run1D(withSizes(resizeAttrs("nearest", "half_pixel"), {1}), x), (std::vector<double>{2}), 0, 0);
    EXPECT_CLOSE(run1D(withSizes(resizeAttrs("nearest", "half_pixel", "round_prefer_ceil"), {1}), x),
                 (std::vector<double>{3}), 0, 0);

    // half_pixel_symmetric recentres when in*scale is fractional (4*0.6 = 2.4 -> 2).
    EXPECT_CLOSE(run1D(withScales(resizeAttrs("nearest", "half_pixel_symmetric"), {0.6}), x),
                 (std::vector<double>{2, 3}), 0, 0);
    EXPECT_CLOSE(run1D(withScales(resizeAttrs("nearest", "half_pixel"), {0.6}), x), (std::vector<double>{1, 3}), 0, 0);
}

TEST(ResizeOp, NearestIsExactForInt64AndBool) {
    const int64_t big = (int64_t(1) << 60) + 1;
    auto r = runOp("Resize", withScales(resizeAttrs("nearest", "asymmetric"), {2}), {TestTensor::i64({2}, {big, -big})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{big, big, -big, -big}));
    auto b = runOp("Resize", withSizes(resizeAttrs("nearest", "asymmetric"), {4}), {TestTensor::boolean({2}, {true, false})});
    ASSERT_TRUE(b.status.ok()) << b.status.message();
    EXPECT_CLOSE(b.outputs[0].toDoubles(), (std::vector<double>{1, 1, 0, 0}), 0, 0);
    EXPECT_FALSE(runOp("Resize", withSizes(resizeAttrs("linear", "asymmetric"), {4}), {TestTensor::boolean({2}, {true, false})})
                     .status.ok());
}

TEST(ResizeOp, LinearUpsampleOnnx) {
    auto x = TestTensor::f32({1, 1, 2, 2}, {1, 2, 3, 4});
    auto r = runOp("Resize", withScales(resizeAttrs("linear", "half_pixel"), {1, 1, 2, 2}), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4}),
                 1e-6, 1e-6);
    r = runOp("Resize", withScales(resizeAttrs("linear", "align_corners"), {1, 1, 2, 2}), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1, 1.333333, 1.666667, 2, 1.666667, 2, 2.333333, 2.666667, 2.333333, 2.666667,
                                      3, 3.333333, 3, 3.333333, 3.666667, 4}),
                 1e-5, 1e-5);
}

TEST(ResizeOp, LinearDownsampleOnnx) {
    auto x = TestTensor::f32({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
    auto r = runOp("Resize", withScales(resizeAttrs("linear", "half_pixel"), {1, 1, 0.6, 0.6}), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2.6666665, 4.3333331}), 1e-6, 1e-6);
    // align_corners with scales uses in*scale = 2.4 as the resized length (ONNX test data).
    r = runOp("Resize", withScales(resizeAttrs("linear", "align_corners"), {1, 1, 0.6, 0.6}), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3.142857}), 1e-6, 1e-6);
    // pytorch_half_pixel to one column samples column 0.
    auto p = runOp("Resize", withSizes(resizeAttrs("linear", "pytorch_half_pixel"), {1, 1, 3, 1}), {grid4x4()});
    ASSERT_TRUE(p.status.ok()) << p.status.message();
    EXPECT_CLOSE(p.outputs[0].toDoubles(), (std::vector<double>{1.6666666, 7, 12.333333}), 1e-6, 1e-6);
}

TEST(ResizeOp, LinearHalfPixelSymmetricOnnx) {
    auto r = runOp("Resize", withScales(resizeAttrs("linear", "half_pixel_symmetric"), {1, 1, 2.3, 2.94}),
                   {TestTensor::f32({1, 1, 2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 4, 5}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{1, 1.15986395, 1.5, 1.84013605, 2, 1.56521738, 1.72508133, 2.06521738,
                                      2.40535343, 2.56521738, 2.43478262, 2.59464657, 2.93478262, 3.27491867,
                                      3.43478262, 3, 3.15986395, 3.5, 3.84013605, 4}),
                 1e-6, 1e-6);
}

TEST(ResizeOp, LinearRoundsIntegers) {
    // half_pixel x2 of [0, 3]: 0, 0.75, 2.25, 3 -> 0, 1, 2, 3 (truncation would give 0, 0, 2, 3)
    auto r = runOp("Resize", withScales(resizeAttrs("linear", "half_pixel"), {2}),
                   {TestTensor::fromDoubles(ir::DType::kU8, {2}, {0, 3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(ResizeOp, TrilinearAlignCornersOnLinearFunction) {
    // f(i,j,k) = 2i - 3j + 0.5k is reproduced exactly by N-linear interpolation.
    auto f = [](double i, double j, double k) { return 2 * i - 3 * j + 0.5 * k; };
    std::vector<double> xv;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j)
            for (int k = 0; k < 5; ++k) xv.push_back(f(i, j, k));
    auto r = runOp("Resize", withSizes(resizeAttrs("linear", "align_corners"), {1, 5, 7, 9}),
                   {TestTensor::fromDoubles(ir::DType::kF32, {1, 3, 4, 5}, xv)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> want;
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 7; ++j)
            for (int k = 0; k < 9; ++k) want.push_back(f(i * 2.0 / 4, j * 3.0 / 6, k * 4.0 / 8));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-5);
}

TEST(ResizeOp, BilinearLargeMatchesBruteForce) {
    // Independent formulation: clamp the source coordinate, then lerp.
    const int H = 37, W = 53, OH = 61, OW = 29;
    auto x = TestTensor::random(ir::DType::kF32, {2, 3, H, W}, 9);
    auto r = runOp("Resize", withSizes(resizeAttrs("linear", "half_pixel"), {2, 3, OH, OW}), {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto xv = x.toDoubles();
    auto src = [](int o, int in, int out) {
        double c = (o + 0.5) * in / out - 0.5;
        return std::min(std::max(c, 0.0), double(in - 1));
    };
    std::vector<double> want;
    for (int p = 0; p < 6; ++p)
        for (int oy = 0; oy < OH; ++oy)
            for (int ox = 0; ox < OW; ++ox) {
                const double sy = src(oy, H, OH), sx = src(ox, W, OW);
                const int y0 = int(sy), x0 = int(sx), y1 = std::min(y0 + 1, H - 1), x1 = std::min(x0 + 1, W - 1);
                const double fy = sy - y0, fx = sx - x0;
                auto at = [&](int y, int xx) { return xv[size_t((p * H + y) * W + xx)]; };
                want.push_back((1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                               fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1)));
            }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
}

TEST(ResizeOp, CubicOnnx) {
    const std::vector<double> half = {-0.10546875, 0.19140625, 0.66796875, 1.296875,
                                      1.703125,    2.33203125, 2.80859375, 3.10546875};
    auto r = runOp("Resize", withScales(resizeAttrs("cubic", "half_pixel"), {1, 1, 2, 2}), {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), separable(half, half), 1e-6, 1e-6);
    EXPECT_CLOSE(run1D(withScales(resizeAttrs("cubic", "half_pixel"), {2}), {0, 1, 2, 3}), half, 1e-6, 1e-6);

    const std::vector<double> align = {0, 0.34110787, 0.80029155, 1.32944606, 1.67055394, 2.19970845, 2.65889213, 3};
    r = runOp("Resize", withScales(resizeAttrs("cubic", "align_corners"), {1, 1, 2, 2}), {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), separable(align, align), 1e-6, 1e-6);

    const std::vector<double> asym = {0, 0.40625, 1, 1.5, 2, 2.59375, 3, 3.09375};
    r = runOp("Resize", withScales(resizeAttrs("cubic", "asymmetric"), {1, 1, 2, 2}), {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), separable(asym, asym), 1e-6, 1e-6);

    const std::vector<double> down = {0.09423828, 1.40429688, 2.7055664};
    r = runOp("Resize", withScales(resizeAttrs("cubic", "half_pixel"), {1, 1, 0.8, 0.8}), {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 3, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), separable(down, down), 1e-6, 1e-6);
}

TEST(ResizeOp, CubicExcludeOutsideAndCoeffA) {
    const std::vector<double> ex = {-0.08823529, 0.16788322, 0.70992367, 1.25, 1.75, 2.29007634, 2.83211679, 3.0882353};
    ir::Attrs a = withScales(resizeAttrs("cubic", "half_pixel"), {1, 1, 2, 2});
    a.set("cubic_coeff_a", -0.5);
    a.set("exclude_outside", int64_t(1));
    auto r = runOp("Resize", a, {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), separable(ex, ex), 1e-6, 1e-6);
    // Without exclude_outside the edge value differs.
    a.set("exclude_outside", int64_t(0));
    r = runOp("Resize", a, {grid4x4()});
    ASSERT_TRUE(r.status.ok());
    EXPECT_GT(std::fabs(r.outputs[0].toDoubles()[0] - (1 + 5 * ex[0])), 1e-3);
}

TEST(ResizeOp, TfCropAndResizeExtension) {
    ir::Attrs a = withSizes(resizeAttrs("linear", "tf_crop_and_resize"), {1, 1, 3, 3});
    a.set("roi", std::vector<double>{0, 0, 0.4, 0.6, 1, 1, 0.6, 0.8});
    auto r = runOp("Resize", a, {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{7.6, 7.9, 8.2, 8.8, 9.1, 9.4, 10, 10.3, 10.6}), 1e-5,
                 1e-5);

    a.set("roi", std::vector<double>{0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7});
    a.set("extrapolation_value", 10.0);
    r = runOp("Resize", a, {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{7.6, 10, 10, 12.4, 10, 10, 10, 10, 10}), 1e-5, 1e-5);

    ir::Attrs n = a;
    n.set("mode", "nearest");  // y: 1.2, 2.4, 3.6(out); x: 1.8, 3.45(out), 5.1(out)
    r = runOp("Resize", n, {grid4x4()});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{7, 10, 10, 11, 10, 10, 10, 10, 10}), 0, 0);
}

TEST(ResizeOp, SizesInput) {
    auto r = runOp("Resize", resizeAttrs("nearest", "asymmetric"),
                   {TestTensor::f32({1, 2}, {5, 6}), TestTensor::i64({2}, {2, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 4}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{5, 5, 6, 6, 5, 5, 6, 6}), 0, 0);

    ir::Node n = nodeOf("Resize", {0, 1}, {2});
    std::vector<ir::TensorDesc> in = {{ir::DType::kF32, {1, 2}, nullptr}, {ir::DType::kI64, {2}, nullptr}};
    std::vector<ir::TensorDesc> out;
    auto st = ir::inferNode(n, in, out);  // sizes known at run time only
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, -1}));
}

TEST(ResizeOp, EmptyOutput) {
    auto r = runOp("Resize", withSizes(resizeAttrs("linear", "half_pixel"), {0, 3}), {TestTensor::f32({2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3}));
    r = runOp("Resize", withScales(resizeAttrs("nearest", "half_pixel"), {0.4}), {TestTensor::f32({2}, {1, 2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0}));
}

TEST(ResizeOp, Errors) {
    auto x = TestTensor::f32({2}, {1, 2});
    ir::Attrs both = withSizes(withScales(resizeAttrs("nearest", "half_pixel"), {2}), {4});
    auto st = runOp("Resize", both, {x}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("exactly one"), std::string::npos) << st.message();
    EXPECT_FALSE(runOp("Resize", resizeAttrs("nearest", "half_pixel"), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withScales(resizeAttrs("nearest", "half_pixel"), {-2}), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withScales(resizeAttrs("nearest", "half_pixel"), {2, 2}), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withSizes(resizeAttrs("nearest", "half_pixel"), {-2}), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withSizes(resizeAttrs("area", "half_pixel"), {4}), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withSizes(resizeAttrs("nearest", "corners"), {4}), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withSizes(resizeAttrs("nearest", "half_pixel", "nearest"), {4}), {x}).status.ok());
    EXPECT_FALSE(runOp("Resize", withSizes(resizeAttrs("nearest", "half_pixel"), {}), {TestTensor::f32({}, {1})}).status.ok());
    st = runOp("Resize", withSizes(resizeAttrs("nearest", "half_pixel"), {3}), {TestTensor::f32({0}, {})}).status;
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("empty"), std::string::npos) << st.message();
    ir::Attrs roi = withSizes(resizeAttrs("linear", "tf_crop_and_resize"), {4});
    roi.set("roi", std::vector<double>{0, 1, 2});
    EXPECT_FALSE(runOp("Resize", roi, {x}).status.ok());
}

TEST(ResizeOp, SizeMinusOneKeepsExtent) {
    // [2, 2] -> sizes {-1, 4}: rows kept, columns doubled (nearest, asymmetric, floor).
    ir::Attrs a = withSizes(resizeAttrs("nearest", "asymmetric", "floor"), {-1, 4});
    auto r = runOp("Resize", a, {TestTensor::f32({2, 2}, {1, 2, 3, 4})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 4}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 1, 2, 2, 3, 3, 4, 4}), 0, 0);
}

namespace kiln::test {
namespace {

// Antialiased linear downsampling by 1/2 along one axis: the triangle filter
// stretched to half-width 2 (weights 1 - |i - x| / 2 over the taps within 2 of
// the source coordinate x, normalized), taps past the edge reading the edge.
TEST(ResizeOp, AntialiasLinearDownsample) {
    const std::vector<double> x = {1, 4, 2, 8, 5, 7, 3, 6};
    ir::Attrs a = withScales(resizeAttrs("linear", "half_pixel"), {0.5});
    a.set("antialias", int64_t(1));
    std::vector<float> xf(x.begin(), x.end());
    auto r = runOp("Resize", a, {TestTensor::f32({8}, xf)});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> want;
    for (int o = 0; o < 4; ++o) {
        const double src = (o + 0.5) / 0.5 - 0.5;  // half_pixel
        double num = 0, den = 0;
        for (int i = int(std::floor(src)) - 2; i <= int(std::floor(src)) + 2; ++i) {
            const double w = std::max(0.0, 1 - std::fabs(i - src) / 2);
            num += w * x[size_t(std::clamp(i, 0, 7))];
            den += w;
        }
        want.push_back(num / den);
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-6, 1e-6);
    a.set("antialias", int64_t(0));  // without it only the two nearest taps count
    auto plain = runOp("Resize", a, {TestTensor::f32({8}, xf)});
    ASSERT_TRUE(plain.status.ok());
    EXPECT_CLOSE(plain.outputs[0].toDoubles(), (std::vector<double>{2.5, 5, 6, 4.5}), 1e-6, 1e-6);
}

}  // namespace
}  // namespace kiln::test

namespace kiln::test {
namespace {

// 1-D filter of the antialiased resize at source coordinate xo: every integer
// position p weighs k((p - xo) * s) with the kernel stretched by 1/s when
// downsampling (s < 1), taps past the edge read the edge; normalized over all
// taps, or (exclude_outside) over the taps inside [0, n) only.
double antialiasSample(const std::vector<double>& line, double xo, double s, bool cubic, double A, bool exclude) {
    const int64_t n = int64_t(line.size());
    const double stretch = s < 1 ? s : 1.0;
    auto kernel = [&](double t) {
        t = std::fabs(t);
        if (!cubic) return std::max(0.0, 1 - t);
        if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
        if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
        return 0.0;
    };
    double num = 0, den = 0;
    for (int64_t p = -4 * n - 8; p <= 5 * n + 8; ++p) {
        if (exclude && (p < 0 || p >= n)) continue;
        const double w = kernel((double(p) - xo) * stretch);
        num += w * line[size_t(std::clamp<int64_t>(p, 0, n - 1))];
        den += w;
    }
    return num / den;
}

// Separable antialiased resize of the last two dims of [N, C, H, W] by scales
// (sh, sw), half_pixel coordinates, as two passes of antialiasSample.
std::vector<double> antialias2D(const std::vector<double>& x, const ir::Shape& xs, double sh, double sw, bool cubic,
                                double A, bool exclude, ir::Shape& ys) {
    const int64_t NC = xs[0] * xs[1], H = xs[2], W = xs[3];
    const int64_t OH = int64_t(std::floor(double(H) * sh)), OW = int64_t(std::floor(double(W) * sw));
    ys = {xs[0], xs[1], OH, OW};
    std::vector<double> rows(size_t(NC * H * OW)), y(size_t(NC * OH * OW));
    for (int64_t p = 0; p < NC; ++p)
        for (int64_t i = 0; i < H; ++i) {
            const std::vector<double> line(x.begin() + (p * H + i) * W, x.begin() + (p * H + i + 1) * W);
            for (int64_t j = 0; j < OW; ++j)
                rows[size_t((p * H + i) * OW + j)] = antialiasSample(line, (j + 0.5) / sw - 0.5, sw, cubic, A, exclude);
        }
    for (int64_t p = 0; p < NC; ++p)
        for (int64_t j = 0; j < OW; ++j) {
            std::vector<double> col;
            for (int64_t i = 0; i < H; ++i) col.push_back(rows[size_t((p * H + i) * OW + j)]);
            for (int64_t i = 0; i < OH; ++i)
                y[size_t((p * OH + i) * OW + j)] = antialiasSample(col, (i + 0.5) / sh - 0.5, sh, cubic, A, exclude);
        }
    return y;
}

// Two resized dims at once: cubic downsampling in both (exclude_outside on and
// off, another cubic_coeff_a), and linear downsampling in one dim while the
// other is upsampled (the plain filter there).
TEST(ResizeOp, AntialiasTwoDimsCubicAndMixed) {
    const ir::Shape xs{1, 2, 9, 7};
    const TestTensor x = TestTensor::random(ir::DType::kF32, xs, 77);
    struct Case {
        bool cubic, exclude;
        double A, sh, sw;
    };
    for (const Case& c : {Case{true, false, -0.75, 0.5, 0.6}, Case{true, true, -0.5, 0.4, 0.3},
                          Case{false, false, -0.75, 0.4, 1.5}, Case{false, true, -0.75, 0.7, 0.25}}) {
        SCOPED_TRACE(std::string(c.cubic ? "cubic" : "linear") + (c.exclude ? " exclude_outside" : "") + " scales " +
                     std::to_string(c.sh) + " x " + std::to_string(c.sw));
        ir::Attrs a = withScales(resizeAttrs(c.cubic ? "cubic" : "linear", "half_pixel"), {1, 1, c.sh, c.sw});
        a.set("antialias", int64_t(1));
        a.set("exclude_outside", int64_t(c.exclude ? 1 : 0));
        a.set("cubic_coeff_a", c.A);
        const auto r = runOp("Resize", a, {x});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        ir::Shape ys;
        const auto want = antialias2D(x.toDoubles(), xs, c.sh, c.sw, c.cubic, c.A, c.exclude, ys);
        ASSERT_EQ(r.outputs[0].shape, ys);
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    }
}

}  // namespace
}  // namespace kiln::test
