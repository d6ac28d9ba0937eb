// Layer tests, Resize (nearest and linear; scales, output dimensions, align
// corners, TensorRT's defaults) and Shape.
#include <algorithm>
#include <cmath>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;

// ---- Resize ----------------------------------------------------------------------------------

// 1-D linear sampling of `in` (extent n) at position x, clamped to the edges.
double lerpAt(const double* in, int64_t stride, int64_t n, double x) {
    x = std::min(std::max(x, 0.0), double(n - 1));
    const int64_t i0 = int64_t(std::floor(x)), i1 = std::min(i0 + 1, n - 1);
    const double t = x - double(i0);
    return in[i0 * stride] * (1 - t) + in[i1 * stride] * t;
}

class LayerResize : public LayerModeTest {};

TEST_P(LayerResize, NearestWithScales) {
    const int64_t C = 2, H = 2, W = 3;
    const auto xv = detValues(size_t(kBatch * C * H * W), 351);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* rs = h.net().addResize(*x);
    ASSERT_NE(rs, nullptr) << h.logger().joined();
    EXPECT_EQ(rs->getType(), kiln::LayerType::kRESIZE);
    EXPECT_EQ(rs->getResizeMode(), kiln::InterpolationMode::kNEAREST);
    const std::vector<float> scales = h.implicit() ? std::vector<float>{1, 2, 2} : std::vector<float>{1, 1, 2, 2};
    rs->setScales(scales.data(), int32_t(scales.size()));
    float back[8] = {};
    EXPECT_EQ(rs->getScales(8, back), int32_t(scales.size()));
    EXPECT_EQ(back[scales.size() - 1], 2.0f);
    std::vector<double> want;
    for (int64_t nc = 0; nc < kBatch * C; ++nc)
        for (int64_t i = 0; i < 2 * H; ++i)
            for (int64_t j = 0; j < 2 * W; ++j) want.push_back(xv[size_t((nc * H + i / 2) * W + j / 2)]);
    h.output(rs->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, 2 * H, 2 * W}), want, 0, 0));
}

TEST_P(LayerResize, NearestAsymmetricFloorNonIntegerScale) {
    // W 4 -> 6 (scale 1.5): source column floor(j / 1.5) = 0 0 1 2 2 3.
    const int64_t H = 2, W = 4;
    const auto xv = detValues(size_t(kBatch * H * W), 352);
    auto* x = h.input("x", {H, W});
    ASSERT_NE(x, nullptr);
    auto* rs = h.net().addResize(*x);
    ASSERT_NE(rs, nullptr);
    rs->setCoordinateTransformation(kiln::ResizeCoordinateTransformation::kASYMMETRIC);
    rs->setNearestRounding(kiln::ResizeRoundMode::kFLOOR);
    EXPECT_EQ(rs->getCoordinateTransformation(), kiln::ResizeCoordinateTransformation::kASYMMETRIC);
    EXPECT_EQ(rs->getNearestRounding(), kiln::ResizeRoundMode::kFLOOR);
    const std::vector<float> scales = h.implicit() ? std::vector<float>{1, 1.5f} : std::vector<float>{1, 1, 1.5f};
    rs->setScales(scales.data(), int32_t(scales.size()));
    const int64_t src[] = {0, 0, 1, 2, 2, 3};
    std::vector<double> want;
    for (int64_t row = 0; row < kBatch * H; ++row)
        for (int64_t j = 0; j < 6; ++j) want.push_back(xv[size_t(row * W + src[j])]);
    h.output(rs->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({H, 6}), want, 0, 0));
}

TEST_P(LayerResize, LinearAlignCornersWithOutputDimensions) {
    // Item [1, 2, 3] -> [1, 3, 5]: source coordinates i * (in-1)/(out-1).
    const int64_t H = 2, W = 3, OH = 3, OW = 5;
    const auto xv = detValues(size_t(kBatch * H * W), 353);
    auto* x = h.input("x", {1, H, W});
    ASSERT_NE(x, nullptr);
    auto* rs = h.net().addResize(*x);
    ASSERT_NE(rs, nullptr);
    rs->setResizeMode(kiln::InterpolationMode::kLINEAR);
    rs->setCoordinateTransformation(kiln::ResizeCoordinateTransformation::kALIGN_CORNERS);
    rs->setOutputDimensions(h.dims({1, OH, OW}, kBatch));
    EXPECT_EQ(rs->getResizeMode(), kiln::InterpolationMode::kLINEAR);
    EXPECT_EQ(rs->getCoordinateTransformation(), kiln::ResizeCoordinateTransformation::kALIGN_CORNERS);
    EXPECT_TRUE(dimsAre(rs->getOutputDimensions(),
                        h.implicit() ? std::vector<int64_t>{1, OH, OW} : std::vector<int64_t>{kBatch, 1, OH, OW}));
    EXPECT_TRUE(dimsAre(rs->getOutput(0)->getDimensions(),
                        h.implicit() ? std::vector<int64_t>{1, OH, OW} : std::vector<int64_t>{kBatch, 1, OH, OW}))
        << h.logger().joined();
    std::vector<double> want;
    for (int64_t n = 0; n < kBatch; ++n) {
        const double* img = xv.data() + n * H * W;
        for (int64_t i = 0; i < OH; ++i)
            for (int64_t j = 0; j < OW; ++j) {
                const double sy = double(i) * double(H - 1) / double(OH - 1), sx = double(j) * double(W - 1) / double(OW - 1);
                const int64_t y0 = int64_t(std::floor(sy)), y1 = std::min(y0 + 1, H - 1);
                const double ty = sy - double(y0);
                want.push_back(lerpAt(img + y0 * W, 1, W, sx) * (1 - ty) + lerpAt(img + y1 * W, 1, W, sx) * ty);
            }
    }
    h.output(rs->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({1, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({1, OH, OW}), want, 1e-6, 1e-6));
}

TEST_P(LayerResize, LinearAsymmetricWithScales) {
    // 1-D rows: W 3 -> 6, source x = j / 2 (clamped at the last column).
    const int64_t H = 2, W = 3;
    const auto xv = detValues(size_t(kBatch * H * W), 354);
    auto* x = h.input("x", {H, W});
    ASSERT_NE(x, nullptr);
    auto* rs = h.net().addResize(*x);
    ASSERT_NE(rs, nullptr);
    rs->setResizeMode(kiln::InterpolationMode::kLINEAR);
    rs->setCoordinateTransformation(kiln::ResizeCoordinateTransformation::kASYMMETRIC);
    const std::vector<float> scales = h.implicit() ? std::vector<float>{1, 2} : std::vector<float>{1, 1, 2};
    rs->setScales(scales.data(), int32_t(scales.size()));
    std::vector<double> want;
    for (int64_t row = 0; row < kBatch * H; ++row)
        for (int64_t j = 0; j < 2 * W; ++j) want.push_back(lerpAt(xv.data() + row * W, 1, W, double(j) / 2.0));
    h.output(rs->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({H, 2 * W}), want, 1e-6, 1e-6));
}
TEST_P(LayerResize, DefaultsAreTensorRTsAsymmetricAndFloor) {
    // Linear W 3 -> 6 without setting a transformation: TensorRT's default
    // kASYMMETRIC samples x = j / 2 (half-pixel would sample (j + 0.5) / 2 - 0.5).
    const int64_t H = 2, W = 3;
    const auto xv = detValues(size_t(kBatch * H * W), 355);
    auto* x = h.input("x", {H, W});
    ASSERT_NE(x, nullptr);
    auto* rs = h.net().addResize(*x);
    ASSERT_NE(rs, nullptr);
    EXPECT_EQ(rs->getCoordinateTransformation(), kiln::ResizeCoordinateTransformation::kASYMMETRIC);
    EXPECT_EQ(rs->getNearestRounding(), kiln::ResizeRoundMode::kFLOOR);
    rs->setResizeMode(kiln::InterpolationMode::kLINEAR);
    const std::vector<float> scales = h.implicit() ? std::vector<float>{1, 2} : std::vector<float>{1, 1, 2};
    rs->setScales(scales.data(), int32_t(scales.size()));
    std::vector<double> want;
    for (int64_t row = 0; row < kBatch * H; ++row)
        for (int64_t j = 0; j < 2 * W; ++j) want.push_back(lerpAt(xv.data() + row * W, 1, W, double(j) / 2.0));
    h.output(rs->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({H, 2 * W}), want, 1e-6, 1e-6));
}
LAYER_INSTANTIATE_MODES(LayerResize);

// ---- Shape (explicit batch) -------------------------------------------------------------------

TEST(LayerShape, GivesTheInputDims) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims3{2, 3, 4});
    ASSERT_NE(x, nullptr);
    auto* s = h.net().addShape(*x);
    ASSERT_NE(s, nullptr) << h.logger().joined();
    EXPECT_EQ(s->getType(), kiln::LayerType::kSHAPE);
    EXPECT_TRUE(dimsAre(s->getOutput(0)->getDimensions(), {3}));
    const DataType t = s->getOutput(0)->getType();
    EXPECT_TRUE(t == DataType::kINT32 || t == DataType::kINT64) << int(t);
    h.output(s->getOutput(0), "s");
    auto r = h.run({{"x", floatTensor({2, 3, 4}, detValues(24, 361))}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("s"), {3}, {2, 3, 4}, 0, 0));
}

}  // namespace
