// Pooling op tests: shape inference and the reference kernel, checked against
// hand-computed values and a plain float64 loop written here.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

struct PoolCfg {
    std::string mode = "max";
    std::vector<int64_t> kernel, strides, dils, pb, pe;  // empty: defaults
    bool countIncludePad = false;
    double p = 2.0;
};

ir::Attrs attrsOf(const PoolCfg& c) {
    ir::Attrs a;
    a.set("mode", c.mode);
    a.set("kernel", c.kernel);
    if (!c.strides.empty()) a.set("strides", c.strides);
    if (!c.dils.empty()) a.set("dilations", c.dils);
    if (!c.pb.empty()) a.set("pads_begin", c.pb);
    if (!c.pe.empty()) a.set("pads_end", c.pe);
    a.set("count_include_pad", int64_t(c.countIncludePad));
    a.set("p", c.p);
    return a;
}

// Plain float64 pooling over [N, C, S...] for the given output extents:
// walks every kernel offset and classifies it as real / padding / outside.
std::vector<double> naivePool(const std::vector<double>& x, const ir::Shape& xs, const ir::Shape& outSpatial,
                              const PoolCfg& c) {
    const size_t k = xs.size() - 2;
    auto at = [&](const std::vector<int64_t>& v, size_t i, int64_t d) { return v.empty() ? d : v[i]; };
    int64_t inVol = 1, outVol = 1, kVol = 1;
    for (size_t i = 0; i < k; ++i) {
        inVol *= xs[2 + i];
        outVol *= outSpatial[i];
        kVol *= c.kernel[i];
    }
    std::vector<double> y;
    for (int64_t nc = 0; nc < xs[0] * xs[1]; ++nc) {
        for (int64_t o = 0; o < outVol; ++o) {
            double best = -std::numeric_limits<double>::infinity(), sum = 0;
            int64_t real = 0, padded = 0;
            for (int64_t kk = 0; kk < kVol; ++kk) {
                int64_t orem = o, krem = kk, flat = 0;
                bool inReal = true, inPadded = true;
                for (size_t i = k; i-- > 0;) {
                    const int64_t oi = orem % outSpatial[i], ki = krem % c.kernel[i];
                    orem /= outSpatial[i];
                    krem /= c.kernel[i];
                    const int64_t S = xs[2 + i];
                    const int64_t pos = oi * at(c.strides, i, 1) - at(c.pb, i, 0) + ki * at(c.dils, i, 1);
                    inReal = inReal && pos >= 0 && pos < S;
                    inPadded = inPadded && pos >= -at(c.pb, i, 0) && pos < S + at(c.pe, i, 0);
                    int64_t stride = 1;
                    for (size_t j = i + 1; j < k; ++j) stride *= xs[2 + j];
                    flat += pos * stride;
                }
                padded += inPadded;
                if (!inReal) continue;
                ++real;
                const double v = x[size_t(nc * inVol + flat)];
                best = std::max(best, v);
                sum += c.mode == "lp" ? std::pow(std::fabs(v), c.p) : v;
            }
            if (c.mode == "max") y.push_back(best);
            else if (c.mode == "avg") y.push_back(sum / double(c.countIncludePad ? padded : real));
            else y.push_back(std::pow(sum, 1.0 / c.p));
        }
    }
    return y;
}

void checkAgainstNaive(const PoolCfg& c, const ir::Shape& xs, const ir::Shape& wantShape, uint32_t seed,
                       ir::Attrs extra = {}) {
    const TestTensor x = TestTensor::random(DType::kF32, xs, seed);
    ir::Attrs a = attrsOf(c);
    for (const auto& [key, v] : extra.all()) a.all()[key] = v;
    const auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, wantShape);
    const ir::Shape outSpatial(wantShape.begin() + 2, wantShape.end());
    EXPECT_CLOSE(r.outputs[0].toDoubles(), naivePool(x.toDoubles(), xs, outSpatial, c), 1e-5, 1e-6);
}

TEST(PoolingTest, Max2DHandValuesWithIndices) {
    // 1x1x4x4, kernel 2, stride 2.
    const TestTensor x = TestTensor::f32({1, 1, 4, 4}, {1, 5, 2, 0,  //
                                                         3, 4, 8, 8,  //
                                                         -1, -2, 0, 7,  //
                                                         -3, -4, 9, 6});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2, 2});
    a.set("strides", std::vector<int64_t>{2, 2});
    const auto r = runOp("Pooling", a, {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 2, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{5, 8, -1, 9}), 0, 0);
    EXPECT_EQ(r.outputs[1].dtype, DType::kI64);
    // Ties (8, 8) keep the first in row-major order.
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{1, 6, 8, 14}));
}

TEST(PoolingTest, MaxIndicesIncludeBatchAndChannelOffset) {
    // [2, 2, 3] 1-D: each plane's max position is offset by plane * 3.
    const TestTensor x = TestTensor::f32({2, 2, 3}, {0, 9, 1, 7, 0, 0, 1, 2, 3, 5, 4, 6});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{3});
    const auto r = runOp("Pooling", a, {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{9, 7, 3, 6}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{1, 3, 8, 11}));
}

TEST(PoolingTest, MaxIndicesColumnMajorStorageOrder) {
    // 1x1x2x3; storage_order 1 numbers the spatial positions h + w*H.
    const TestTensor x = TestTensor::f32({1, 1, 2, 3}, {0, 1, 2, 3, 9, 5});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2, 3});
    a.set("storage_order", int64_t(1));
    const auto r = runOp("Pooling", a, {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    // 9 sits at (h=1, w=1): row-major 4, column-major 1 + 1*2 = 3.
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{3}));
}

TEST(PoolingTest, MaxPaddingIsIgnoredAndIndicesPointIntoInput) {
    const TestTensor x = TestTensor::f32({1, 1, 3}, {-5, -6, -7});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2});
    a.set("pads_begin", std::vector<int64_t>{1});
    a.set("pads_end", std::vector<int64_t>{1});
    const auto r = runOp("Pooling", a, {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{-5, -5, -6, -7}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{0, 0, 1, 2}));
}

TEST(PoolingTest, MaxPropagatesNaN) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const TestTensor x = TestTensor::fromDoubles(DType::kF32, {1, 1, 4}, {1, nan, 3, 2});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2});
    a.set("strides", std::vector<int64_t>{2});
    const auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{nan, 3}), 0, 0);
}

TEST(PoolingTest, AvgAsymmetricPadsBothCountModes) {
    PoolCfg c;
    c.mode = "avg";
    c.kernel = {3, 2};
    c.strides = {2, 1};
    c.pb = {1, 0};
    c.pe = {0, 1};
    // H: (5+1+0-3)/2+1 = 2; W: (4+0+1-2)/1+1 = 4.
    checkAgainstNaive(c, {2, 3, 5, 4}, {2, 3, 2, 4}, 1);
    c.countIncludePad = true;
    checkAgainstNaive(c, {2, 3, 5, 4}, {2, 3, 2, 4}, 2);
}

TEST(PoolingTest, WindowEntirelyInPadding) {
    // pads_end 2 with kernel 2: the last window [3, 4] holds no input element.
    const TestTensor x = TestTensor::f32({1, 1, 3}, {4, -2, 6});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2});
    a.set("pads_end", std::vector<int64_t>{2});
    auto r = runOp("Pooling", a, {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{4, 6, 6, -inf}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{0, 2, 2, -1}));
    a.set("mode", "avg");
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 6, 0}), 1e-6, 0);
    a.set("count_include_pad", int64_t(1));
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 0}), 1e-6, 0);
}

TEST(PoolingTest, AvgCountIncludePadHandValues) {
    const TestTensor x = TestTensor::f32({1, 1, 3}, {2, 4, 6});
    ir::Attrs a;
    a.set("mode", "avg");
    a.set("kernel", std::vector<int64_t>{2});
    a.set("pads_begin", std::vector<int64_t>{1});
    a.set("count_include_pad", int64_t(1));
    auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3, 5}), 1e-6, 0);
    a.set("count_include_pad", int64_t(0));
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 3, 5}), 1e-6, 0);
}

TEST(PoolingTest, DilationsMaxAndAvg) {
    PoolCfg c;
    c.kernel = {3};
    c.dils = {2};
    // effective kernel 5: (7-5)/1+1 = 3.
    const TestTensor x = TestTensor::f32({1, 1, 7}, {1, 9, 2, 8, 3, 7, 4});
    auto r = runOp("Pooling", attrsOf(c), {x}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{3, 9, 4}), 0, 0);
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{4, 1, 6}));
    c.mode = "avg";
    c.dils = {2, 3};
    c.kernel = {2, 2};
    c.pb = {1, 1};
    c.pe = {0, 2};
    // H: (6+1-3)/1+1 = 5; W: (5+3-4)/1+1 = 5.
    checkAgainstNaive(c, {1, 2, 6, 5}, {1, 2, 5, 5}, 3);
}

TEST(PoolingTest, CeilModeAddsPartialWindow) {
    // S=6, K=3, stride 2: floor gives 2 windows, ceil 3 (the last covers 4, 5).
    const TestTensor x = TestTensor::f32({1, 1, 6}, {1, 2, 3, 4, 5, 6});
    ir::Attrs a;
    a.set("mode", "avg");
    a.set("kernel", std::vector<int64_t>{3});
    a.set("strides", std::vector<int64_t>{2});
    a.set("count_include_pad", int64_t(1));
    auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 2}));
    a.set("ceil_mode", int64_t(1));
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 3}));
    // The overhang beyond the (zero) end padding does not count as padding.
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 4, 5.5}), 1e-6, 0);
}

TEST(PoolingTest, CeilModeDropsWindowStartingInEndPadding) {
    // S=4, K=2, stride 2, pads_end 1: span 3, ceil -> 3 windows, but the third
    // would start at 4 (in the end padding), so 2 remain.
    const TestTensor x = TestTensor::f32({1, 1, 4}, {1, 2, 3, 4});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2});
    a.set("strides", std::vector<int64_t>{2});
    a.set("pads_end", std::vector<int64_t>{1});
    a.set("ceil_mode", int64_t(1));
    const auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 2}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{2, 4}), 0, 0);
}

TEST(PoolingTest, CeilModeVersusNaive2D) {
    PoolCfg c;
    c.mode = "avg";
    c.kernel = {3, 3};
    c.strides = {2, 3};
    c.countIncludePad = true;
    c.pb = {1, 0};
    c.pe = {0, 0};
    // H: ceil((7+1-3)/2)+1 = 4 (floor would give 3); W: ceil((8-3)/3)+1 = 3 (floor 2).
    checkAgainstNaive(c, {1, 2, 7, 8}, {1, 2, 4, 3}, 4, [] {
        ir::Attrs e;
        e.set("ceil_mode", int64_t(1));
        return e;
    }());
}

TEST(PoolingTest, AutoPadSameUpperAndLower) {
    const TestTensor x = TestTensor::f32({1, 1, 5}, {1, 5, 2, 4, 3});
    ir::Attrs a;
    a.set("mode", "avg");
    a.set("kernel", std::vector<int64_t>{2});
    a.set("pads_begin", std::vector<int64_t>{7});  // ignored under auto_pad
    a.set("auto_pad", "SAME_UPPER");
    auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 5}));
    // Pad at the end: windows [1,5] [5,2] [2,4] [4,3] [3].
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{3, 3.5, 3, 3.5, 3}), 1e-6, 0);
    a.set("auto_pad", "SAME_LOWER");
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3, 3.5, 3, 3.5}), 1e-6, 0);
    // Stride 2: O = ceil(5/2) = 3, total pad (3-1)*2+2-5 = 1, at the beginning.
    a.set("strides", std::vector<int64_t>{2});
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 1, 3}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 3.5, 3.5}), 1e-6, 0);
}

TEST(PoolingTest, AutoPadValidIgnoresPads) {
    const TestTensor x = TestTensor::f32({1, 1, 5}, {1, 5, 2, 4, 3});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2});
    a.set("strides", std::vector<int64_t>{2});
    a.set("pads_begin", std::vector<int64_t>{1});
    a.set("auto_pad", "VALID");
    const auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{5, 4}), 0, 0);
}

TEST(PoolingTest, Global3DAnd1D) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 3, 2, 3, 4}, 5);
    ir::Attrs a;
    a.set("mode", "avg");
    a.set("global", int64_t(1));
    auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{2, 3, 1, 1, 1}));
    const auto xv = x.toDoubles();
    std::vector<double> want(6, 0.0), wantMax(6, -1e30);
    for (size_t i = 0; i < xv.size(); ++i) {
        want[i / 24] += xv[i] / 24.0;
        wantMax[i / 24] = std::max(wantMax[i / 24], xv[i]);
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    a.set("mode", "max");
    r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), wantMax, 0, 0);

    const TestTensor x1 = TestTensor::f32({1, 2, 3}, {1, -2, 3, 4, 0, -4});
    a.set("mode", "lp");
    a.set("p", int64_t(1));
    r = runOp("Pooling", a, {x1});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 1}));
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{6, 8}), 1e-6, 0);
}

TEST(PoolingTest, LpPooling) {
    const TestTensor x = TestTensor::f32({1, 1, 4}, {3, -4, 0, 1});
    ir::Attrs a;
    a.set("mode", "lp");
    a.set("kernel", std::vector<int64_t>{2});
    a.set("strides", std::vector<int64_t>{2});
    const auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{5, 1}), 1e-6, 0);
    PoolCfg c;
    c.mode = "lp";
    c.p = 3;
    c.kernel = {2, 2, 2};
    c.strides = {1, 2, 1};
    c.pb = {0, 1, 1};
    c.pe = {1, 0, 0};
    // D: (3+1-2)+1 = 3; H: (4+1-2)/2+1 = 2; W: (3+1-2)+1 = 3.
    checkAgainstNaive(c, {1, 2, 3, 4, 3}, {1, 2, 3, 2, 3}, 6);
}

TEST(PoolingTest, Max3DVersusNaive) {
    PoolCfg c;
    c.kernel = {2, 3, 2};
    c.strides = {2, 1, 2};
    c.pb = {1, 1, 0};
    c.pe = {0, 1, 1};
    // D: (4+1-2)/2+1 = 2; H: (5+2-3)+1 = 5; W: (6+1-2)/2+1 = 3.
    checkAgainstNaive(c, {2, 3, 4, 5, 6}, {2, 3, 2, 5, 3}, 7);
}

TEST(PoolingTest, IntegerMax) {
    const TestTensor x8 = TestTensor::fromDoubles(DType::kI8, {1, 1, 4}, {-128, -5, 127, 3});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2});
    a.set("pads_begin", std::vector<int64_t>{1});
    auto r = runOp("Pooling", a, {x8}, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kI8);
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{-128, -5, 127, 127}));
    EXPECT_EQ(r.outputs[1].toInts(), (std::vector<int64_t>{0, 1, 2, 2}));
    const TestTensor x64 = TestTensor::i64({1, 1, 3}, {int64_t(1) << 60, 5, -(int64_t(1) << 61)});
    r = runOp("Pooling", a, {x64});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{int64_t(1) << 60, int64_t(1) << 60, 5}));
    const TestTensor xu8 = TestTensor::fromDoubles(DType::kU8, {1, 1, 3}, {0, 200, 100});
    r = runOp("Pooling", a, {xu8});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].toInts(), (std::vector<int64_t>{0, 200, 200}));
}

TEST(PoolingTest, HalfAndBFloat16) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        const TestTensor x = TestTensor::fromDoubles(t, {1, 1, 4}, {1, 2, 3, 5});
        ir::Attrs a;
        a.set("mode", "avg");
        a.set("kernel", std::vector<int64_t>{2});
        const auto r = runOp("Pooling", a, {x});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_EQ(r.outputs[0].dtype, t);
        EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1.5, 2.5, 4}), 0, 0);
    }
}

TEST(PoolingTest, EmptyBatch) {
    const TestTensor x = TestTensor::f32({0, 3, 4, 4}, {});
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2, 2});
    const auto r = runOp("Pooling", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 3, 3, 3}));
}

TEST(PoolingTest, UnknownDimsPropagate) {
    ir::Node n;
    n.op = "Pooling";
    n.name = "unknown_dims_pool";
    n.outputs = {1};
    n.attrs.set("kernel", std::vector<int64_t>{3, 3});
    n.attrs.set("strides", std::vector<int64_t>{2, 2});
    std::vector<ir::TensorDesc> in = {{DType::kF32, {-1, 8, -1, 9}, nullptr}}, out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{-1, 8, -1, 4}));
}

TEST(PoolingTest, Errors) {
    const TestTensor x = TestTensor::random(DType::kF32, {1, 1, 4, 4}, 8);
    auto base = [] {
        ir::Attrs a;
        a.set("kernel", std::vector<int64_t>{2, 2});
        return a;
    };
    auto fails = [](const ir::Attrs& a, const TestTensor& in, int outs = 1) {
        return !runOp("Pooling", a, {in}, outs).status.ok();
    };
    EXPECT_FALSE(fails(base(), x));
    ir::Attrs a = base();
    a.erase("kernel");
    EXPECT_TRUE(fails(a, x));  // kernel required unless global
    a = base();
    a.set("kernel", std::vector<int64_t>{2});
    EXPECT_TRUE(fails(a, x));  // kernel needs one entry per spatial dim
    a = base();
    a.set("strides", std::vector<int64_t>{1, 0});
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("pads_begin", std::vector<int64_t>{0, int64_t(1) << 40});  // absurdly large
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("dilations", std::vector<int64_t>{0, 1});
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("pads_end", std::vector<int64_t>{-1, 0});
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("mode", "median");
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("auto_pad", "SAME");
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("ceil_mode", int64_t(2));
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("mode", "lp");
    a.set("p", 0.0);
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("kernel", std::vector<int64_t>{5, 2});  // larger than the input
    EXPECT_TRUE(fails(a, x));
    a = base();
    a.set("mode", "avg");
    EXPECT_TRUE(fails(a, x, 2));  // Indices only for max
    EXPECT_TRUE(fails(a, TestTensor::i32({1, 1, 4, 4}, std::vector<int32_t>(16, 1))));  // avg on ints
    EXPECT_TRUE(fails(base(), TestTensor::boolean({1, 1, 4, 4}, std::vector<bool>(16, true))));
    EXPECT_TRUE(fails(base(), TestTensor::f32({4, 4}, std::vector<float>(16, 1))));  // rank 2
    a = base();
    a.set("kernel", std::vector<int64_t>{1, 1, 1, 1});
    EXPECT_TRUE(fails(a, TestTensor::f32({1, 1, 1, 1, 1, 1}, {1})));  // 4 spatial dims
    a = base();
    a.set("global", int64_t(1));
    EXPECT_TRUE(fails(a, TestTensor::f32({1, 1, 0}, {})));  // global over an empty dim
}

}  // namespace
}  // namespace kiln
