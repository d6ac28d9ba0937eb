// GridSample op tests: shape inference, hand-computed samples, and a plain
// float64 implementation written per case (bilinear / bicubic / nearest in
// 2-D, trilinear in 3-D) with the three padding modes.
#include <gtest/gtest.h>

#include <cmath>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

ir::Attrs gsAttrs(const std::string& mode, const std::string& pad, bool align) {
    ir::Attrs a;
    a.set("mode", mode);
    a.set("padding_mode", pad);
    a.set("align_corners", align);
    return a;
}

// Pixel-space coordinate of normalized g over an extent of n.
double unnormalize(double g, int64_t n, bool align) {
    return align ? (g + 1) * (double(n) - 1) / 2 : ((g + 1) * double(n) - 1) / 2;
}

// Folds x into [lo, hi] like a mirror, as often as needed.
double mirror(double x, double lo, double hi) {
    const double span = hi - lo;
    if (span <= 0) return lo;
    double d = x < lo ? lo - x : x > hi ? x - hi : 0;
    if (d == 0) return x;
    const double flips = std::floor(d / span), rest = d - flips * span;
    const bool even = std::fmod(flips, 2.0) == 0;
    if (x < lo) return even ? lo + rest : hi - rest;
    return even ? hi - rest : lo + rest;
}

struct Plane2D {
    const std::vector<double>* data;
    int64_t base, H, W;
    std::string pad;
    bool align;
    // Value at integer (y, x) under the padding mode.
    double at(int64_t y, int64_t x) const {
        if (pad == "zeros") {
            if (y < 0 || y >= H || x < 0 || x >= W) return 0;
        } else if (pad == "border") {
            y = std::min<int64_t>(std::max<int64_t>(y, 0), H - 1);
            x = std::min<int64_t>(std::max<int64_t>(x, 0), W - 1);
        } else {
            const double ylo = align ? 0 : -0.5, yhi = align ? double(H - 1) : double(H) - 0.5;
            const double xlo = align ? 0 : -0.5, xhi = align ? double(W - 1) : double(W) - 0.5;
            y = std::min<int64_t>(std::max<int64_t>(int64_t(mirror(double(y), ylo, yhi)), 0), H - 1);
            x = std::min<int64_t>(std::max<int64_t>(int64_t(mirror(double(x), xlo, xhi)), 0), W - 1);
        }
        return (*data)[size_t(base + y * W + x)];
    }
};

// Keys cubic kernel, A = -0.75.
double keys(double d) {
    const double A = -0.75;
    d = std::fabs(d);
    if (d <= 1) return ((A + 2) * d - (A + 3)) * d * d + 1;
    if (d < 2) return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
    return 0;
}

// Plain 2-D grid sampling of X [N, C, H, W] at grid [N, Ho, Wo, 2].
std::vector<double> naive2D(const std::vector<double>& x, const ir::Shape& xs, const std::vector<double>& g,
                            const ir::Shape& gs, const std::string& mode, const std::string& pad, bool align) {
    const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3], Ho = gs[1], Wo = gs[2];
    std::vector<double> y;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c)
            for (int64_t i = 0; i < Ho; ++i)
                for (int64_t j = 0; j < Wo; ++j) {
                    const size_t gi = size_t(((n * Ho + i) * Wo + j) * 2);
                    double px = unnormalize(g[gi], W, align), py = unnormalize(g[gi + 1], H, align);
                    if (mode == "nearest") px = std::nearbyint(px), py = std::nearbyint(py);
                    const double xlo = align ? 0 : -0.5, xhi = align ? double(W - 1) : double(W) - 0.5;
                    const double ylo = align ? 0 : -0.5, yhi = align ? double(H - 1) : double(H) - 0.5;
                    if (pad == "border") {
                        if (px < xlo || px > xhi) px = std::min(std::max(px, 0.0), double(W - 1));
                        if (py < ylo || py > yhi) py = std::min(std::max(py, 0.0), double(H - 1));
                    } else if (pad == "reflection") {
                        px = mirror(px, xlo, xhi);
                        py = mirror(py, ylo, yhi);
                    }
                    const Plane2D p{&x, (n * C + c) * H * W, H, W, pad, align};
                    double v = 0;
                    if (mode == "nearest") {
                        v = p.at(int64_t(py), int64_t(px));
                    } else if (mode == "linear") {
                        const double fx = std::floor(px), fy = std::floor(py), ax = px - fx, ay = py - fy;
                        const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
                        v = (1 - ay) * ((1 - ax) * p.at(y0, x0) + ax * p.at(y0, x0 + 1)) +
                            ay * ((1 - ax) * p.at(y0 + 1, x0) + ax * p.at(y0 + 1, x0 + 1));
                    } else {
                        const double fx = std::floor(px), fy = std::floor(py);
                        for (int dy = -1; dy <= 2; ++dy)
                            for (int dx = -1; dx <= 2; ++dx)
                                v += keys(py - (fy + dy)) * keys(px - (fx + dx)) *
                                     p.at(int64_t(fy) + dy, int64_t(fx) + dx);
                    }
                    y.push_back(v);
                }
    return y;
}

void check2D(const std::string& mode, const std::string& pad, bool align, uint32_t seed) {
    const ir::Shape xs{2, 3, 4, 5}, gs{2, 3, 6, 2};
    const TestTensor x = TestTensor::random(DType::kF32, xs, seed);
    // Coordinates reach past [-1, 1] so every padding rule is exercised.
    const TestTensor g = TestTensor::random(DType::kF32, gs, seed + 100, -1.7, 1.7);
    const auto r = runOp("GridSample", gsAttrs(mode, pad, align), {x, g});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 3, 3, 6}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), naive2D(x.toDoubles(), xs, g.toDoubles(), gs, mode, pad, align), 1e-5, 1e-5);
}

TEST(GridSampleTest, Linear2DEveryPaddingAndAlignment) {
    uint32_t seed = 1;
    for (const char* pad : {"zeros", "border", "reflection"})
        for (bool align : {false, true}) {
            SCOPED_TRACE(std::string(pad) + (align ? " align" : ""));
            check2D("linear", pad, align, seed++);
        }
}

TEST(GridSampleTest, Nearest2DEveryPaddingAndAlignment) {
    uint32_t seed = 11;
    for (const char* pad : {"zeros", "border", "reflection"})
        for (bool align : {false, true}) {
            SCOPED_TRACE(std::string(pad) + (align ? " align" : ""));
            check2D("nearest", pad, align, seed++);
        }
}

TEST(GridSampleTest, Cubic2DEveryPaddingAndAlignment) {
    uint32_t seed = 21;
    for (const char* pad : {"zeros", "border", "reflection"})
        for (bool align : {false, true}) {
            SCOPED_TRACE(std::string(pad) + (align ? " align" : ""));
            check2D("cubic", pad, align, seed++);
        }
}

TEST(GridSampleTest, AlignedIdentityGridReproducesInput) {
    // 1x1x2x3; with align_corners the grid (-1, 0, 1) x (-1, 1) hits every pixel center.
    const TestTensor x = TestTensor::f32({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6});
    const TestTensor g = TestTensor::f32({1, 2, 3, 2}, {-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1});
    for (const char* mode : {"linear", "nearest", "cubic"}) {
        SCOPED_TRACE(mode);
        const auto r = runOp("GridSample", gsAttrs(mode, "zeros", true), {x, g});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 4, 5, 6}), 1e-6, 1e-6);
    }
}

TEST(GridSampleTest, HandValuesAtEdges) {
    // 1-D row [10, 20] (H = 1, W = 2), align_corners 0: g = -1 is the left
    // edge of pixel 0, i.e. x = -0.5.
    const TestTensor x = TestTensor::f32({1, 1, 1, 2}, {10, 20});
    const TestTensor g = TestTensor::f32({1, 1, 2, 2}, {-1, 0, 0, 0});
    auto r = runOp("GridSample", gsAttrs("linear", "zeros", false), {x, g});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    // x = -0.5: half of pixel 0 and half of the zero padding; x = 0.5: the midpoint.
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{5, 15}), 1e-6, 0);
    r = runOp("GridSample", gsAttrs("linear", "border", false), {x, g});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{10, 15}), 1e-6, 0);
}

// Trilinear over [N, C, D, H, W] written as 8 weighted corners.
TEST(GridSampleTest, Volumetric3DLinearAndNearest) {
    const ir::Shape xs{1, 2, 3, 4, 5}, gs{1, 2, 3, 2, 3};
    const TestTensor x = TestTensor::random(DType::kF32, xs, 31);
    const TestTensor g = TestTensor::random(DType::kF32, gs, 32, -1.2, 1.2);
    const auto xv = x.toDoubles(), gv = g.toDoubles();
    for (const char* mode : {"linear", "nearest"}) {
        SCOPED_TRACE(mode);
        const auto r = runOp("GridSample", gsAttrs(mode, "zeros", false), {x, g});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        ASSERT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 2, 3, 2}));
        std::vector<double> want;
        for (int64_t c = 0; c < 2; ++c)
            for (int64_t o = 0; o < 12; ++o) {
                double p[3];  // (z, y, x)
                for (int k = 0; k < 3; ++k) p[2 - k] = unnormalize(gv[size_t(o * 3 + k)], xs[size_t(4 - k)], false);
                auto at = [&](int64_t z, int64_t y, int64_t xx) {
                    if (z < 0 || z >= 3 || y < 0 || y >= 4 || xx < 0 || xx >= 5) return 0.0;
                    return xv[size_t(((c * 3 + z) * 4 + y) * 5 + xx)];
                };
                if (std::string(mode) == "nearest") {
                    want.push_back(at(int64_t(std::nearbyint(p[0])), int64_t(std::nearbyint(p[1])),
                                      int64_t(std::nearbyint(p[2]))));
                    continue;
                }
                double v = 0;
                const double f0 = std::floor(p[0]), f1 = std::floor(p[1]), f2 = std::floor(p[2]);
                for (int a = 0; a < 2; ++a)
                    for (int b = 0; b < 2; ++b)
                        for (int d = 0; d < 2; ++d) {
                            const double w = (a ? p[0] - f0 : 1 - (p[0] - f0)) * (b ? p[1] - f1 : 1 - (p[1] - f1)) *
                                             (d ? p[2] - f2 : 1 - (p[2] - f2));
                            v += w * at(int64_t(f0) + a, int64_t(f1) + b, int64_t(f2) + d);
                        }
                want.push_back(v);
            }
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    }
}

TEST(GridSampleTest, HalfPrecisionMatchesFloat) {
    const TestTensor x = TestTensor::random(DType::kF16, {1, 2, 3, 3}, 41);
    const TestTensor g = TestTensor::random(DType::kF16, {1, 2, 2, 2}, 42);
    const auto r = runOp("GridSample", gsAttrs("linear", "border", false), {x, g});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 naive2D(x.toDoubles(), {1, 2, 3, 3}, g.toDoubles(), {1, 2, 2, 2}, "linear", "border", false), 2e-3,
                 2e-3);
}

// With a unit extent along a dim and grid coordinate 0 there, the sample sits
// on that dim's only pixel with weight exactly 1 (the other taps weigh 0), so
// sampling [N, C, W] along W equals sampling [N, C, 1, W], and [N, C, 1, H, W]
// equals [N, C, H, W]: 1-D and 3-D checked against 2-D, every mode and padding.
TEST(GridSampleTest, OneAndThreeSpatialDimsMatchTwoWithUnitExtent) {
    const TestTensor x1 = TestTensor::random(DType::kF32, {2, 3, 7}, 51);
    const TestTensor g1 = TestTensor::random(DType::kF32, {2, 5, 1}, 52, -1.6, 1.6);
    const TestTensor x3 = TestTensor::random(DType::kF32, {1, 2, 1, 4, 5}, 53);
    const TestTensor g2d = TestTensor::random(DType::kF32, {1, 3, 4, 2}, 54, -1.5, 1.5);
    // The 2-D forms: X gains a unit dim; grid points gain a 0 coordinate.
    const TestTensor x1as2 = TestTensor::fromDoubles(DType::kF32, {2, 3, 1, 7}, x1.toDoubles());
    std::vector<double> g1as2;
    for (double v : g1.toDoubles()) g1as2.push_back(v), g1as2.push_back(0.0);
    const TestTensor g1as2t = TestTensor::fromDoubles(DType::kF32, {2, 1, 5, 2}, g1as2);
    const TestTensor x3as2 = TestTensor::fromDoubles(DType::kF32, {1, 2, 4, 5}, x3.toDoubles());
    std::vector<double> g3;  // (x, y, z = 0)
    const auto g2v = g2d.toDoubles();
    for (size_t i = 0; i < g2v.size(); i += 2) g3.push_back(g2v[i]), g3.push_back(g2v[i + 1]), g3.push_back(0.0);
    const TestTensor g3t = TestTensor::fromDoubles(DType::kF32, {1, 1, 3, 4, 3}, g3);
    for (const char* mode : {"linear", "nearest", "cubic"})
        for (const char* pad : {"zeros", "border", "reflection"})
            for (bool align : {false, true}) {
                SCOPED_TRACE(std::string(mode) + " " + pad + (align ? " align" : ""));
                const auto a = gsAttrs(mode, pad, align);
                const auto r1 = runOp("GridSample", a, {x1, g1}), r1as2 = runOp("GridSample", a, {x1as2, g1as2t});
                ASSERT_TRUE(r1.status.ok() && r1as2.status.ok()) << r1.status.message() << r1as2.status.message();
                EXPECT_EQ(r1.outputs[0].shape, (ir::Shape{2, 3, 5}));
                EXPECT_CLOSE(r1.outputs[0].toDoubles(), r1as2.outputs[0].toDoubles(), 1e-6, 1e-7);
                const auto r3 = runOp("GridSample", a, {x3, g3t}), r3as2 = runOp("GridSample", a, {x3as2, g2d});
                ASSERT_TRUE(r3.status.ok() && r3as2.status.ok()) << r3.status.message() << r3as2.status.message();
                EXPECT_EQ(r3.outputs[0].shape, (ir::Shape{1, 2, 1, 3, 4}));
                EXPECT_CLOSE(r3.outputs[0].toDoubles(), r3as2.outputs[0].toDoubles(), 1e-6, 1e-7);
            }
}

TEST(GridSampleTest, ShapeErrors) {
    const TestTensor x = TestTensor::random(DType::kF32, {1, 1, 3, 3}, 1);
    // Grid's last dim must equal the spatial rank.
    auto r =
        runOp("GridSample", gsAttrs("linear", "zeros", false), {x, TestTensor::random(DType::kF32, {1, 2, 2, 3}, 2)});
    EXPECT_FALSE(r.status.ok());
    // Batch mismatch.
    r = runOp("GridSample", gsAttrs("linear", "zeros", false), {x, TestTensor::random(DType::kF32, {2, 2, 2, 2}, 3)});
    EXPECT_FALSE(r.status.ok());
    // Unknown mode and padding names.
    r = runOp("GridSample", gsAttrs("bilinear", "zeros", false), {x, TestTensor::random(DType::kF32, {1, 2, 2, 2}, 4)});
    EXPECT_FALSE(r.status.ok());
    r = runOp("GridSample", gsAttrs("linear", "wrap", false), {x, TestTensor::random(DType::kF32, {1, 2, 2, 2}, 5)});
    EXPECT_FALSE(r.status.ok());
    // Integer X.
    r = runOp(
        "GridSample", gsAttrs("linear", "zeros", false),
        {TestTensor::random(DType::kI32, {1, 1, 3, 3}, 6, 0, 9), TestTensor::random(DType::kF32, {1, 2, 2, 2}, 7)});
    EXPECT_FALSE(r.status.ok());
}

}  // namespace
}  // namespace kiln
