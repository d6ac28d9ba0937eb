// Layer tests of the spatial, signal and recurrent layers through the public
// API (explicit batch): pooling dilation / Lp / indices, GridSample, RNN, DFT,
// Window, RoiAlign, MaxUnpool, AffineGrid, Col2Im, DeformConvolution,
// TfIdfVectorizer and ImageDecoder. Values are small enough to check by hand.
#include <cmath>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;

kiln::Dims d(std::vector<int64_t> v) {
    kiln::Dims r;
    r.nbDims = int32_t(v.size());
    for (size_t i = 0; i < v.size(); ++i) r.d[i] = v[i];
    return r;
}

HostTensor int64Tensor(std::vector<int64_t> shape, const std::vector<int64_t>& v) {
    HostTensor t;
    t.type = DataType::kINT64;
    t.shape = std::move(shape);
    t.bytes.resize(v.size() * 8);
    if (!v.empty()) std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
    return t;
}

TEST(LayerSpatial, PoolingDilationLpAndIndices) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, d({1, 1, 5}));
    // Max over taps {i, i+2} (dilation 2) with the indices of the maxima.
    auto* mp = h.net().addPoolingNd(*x, kiln::PoolingType::kMAX, d({2}));
    ASSERT_NE(mp, nullptr);
    mp->setDilationNd(d({2}));
    EXPECT_TRUE(dimsAre(mp->getDilationNd(), {2}));
    kiln::ITensor* idx = mp->addIndicesOutput();
    ASSERT_NE(idx, nullptr);
    EXPECT_EQ(mp->addIndicesOutput(), idx);
    EXPECT_EQ(mp->getNbOutputs(), 2);
    // L2 over windows of 2.
    auto* lp = h.net().addPoolingNd(*x, kiln::PoolingType::kLP, d({2}));
    ASSERT_NE(lp, nullptr);
    EXPECT_EQ(lp->getPoolingType(), kiln::PoolingType::kLP);
    lp->setLpNormOrder(2.f);
    h.output(mp->getOutput(0), "max");
    h.output(idx, "idx");
    h.output(lp->getOutput(0), "lp");
    auto r = h.run({{"x", floatTensor({1, 1, 5}, std::vector<float>{3, -1, 4, 1, -5})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("max"), {1, 1, 3}, {4, 1, 4}, 0, 0));
    EXPECT_EQ(r.out("idx").as<int64_t>(), (std::vector<int64_t>{2, 3, 2}));
    EXPECT_TRUE(allClose(r.out("lp"), {1, 1, 4}, {std::sqrt(10.0), std::sqrt(17.0), std::sqrt(17.0), std::sqrt(26.0)}));
}

TEST(LayerSpatial, GridSampleBorderAndNearest) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, d({1, 1, 1, 2}));
    auto* g = h.net().addInput("g", DataType::kFLOAT, d({1, 1, 2, 2}));
    auto* gs = h.net().addGridSample(*x, *g);
    ASSERT_NE(gs, nullptr);
    EXPECT_EQ(gs->getType(), kiln::LayerType::kGRID_SAMPLE);
    EXPECT_EQ(gs->getInterpolationMode(), kiln::InterpolationMode::kLINEAR);
    EXPECT_EQ(gs->getSampleMode(), kiln::SampleMode::kFILL);
    EXPECT_TRUE(gs->setSampleMode(kiln::SampleMode::kCLAMP));
    EXPECT_FALSE(gs->setSampleMode(kiln::SampleMode::kWRAP));
    EXPECT_EQ(gs->getSampleMode(), kiln::SampleMode::kCLAMP);
    auto* nearest = h.net().addGridSample(*x, *g);
    nearest->setInterpolationMode(kiln::InterpolationMode::kNEAREST);
    nearest->setAlignCorners(true);
    h.output(gs->getOutput(0), "lin");
    h.output(nearest->getOutput(0), "near");
    // Row [10, 20]; x = -1 (left edge without align_corners) and 0.2.
    auto r = h.run({{"x", floatTensor({1, 1, 1, 2}, std::vector<float>{10, 20})},
                    {"g", floatTensor({1, 1, 2, 2}, std::vector<float>{-1, 0, 0.2f, 0})}});
    ASSERT_RAN(r);
    // border: -0.5 clamps to pixel 0; 0.2 -> x = 0.7: 10 + 0.7 * 10.
    EXPECT_TRUE(allClose(r.out("lin"), {1, 1, 1, 2}, {10, 17}));
    // aligned nearest: x = 0 and x = 0.6 -> pixel 0 and 1.
    EXPECT_TRUE(allClose(r.out("near"), {1, 1, 1, 2}, {10, 20}, 0, 0));
}

TEST(LayerSpatial, RnnTanhStepsAndLstmOutputs) {
    NetHarness h(Mode::kExplicit);
    // T = 2, N = 1, I = 1, H = 1.
    auto* x = h.net().addInput("x", DataType::kFLOAT, d({2, 1, 1}));
    auto* w = h.constant({1, 1, 1}, {0.5})->getOutput(0);
    auto* rw = h.constant({1, 1, 1}, {-1.0})->getOutput(0);
    auto* rnn = h.net().addRNN(*x, kiln::RNNOperation::kTANH, 1, *w, *rw);
    ASSERT_NE(rnn, nullptr) << h.logger().joined();
    EXPECT_EQ(rnn->getType(), kiln::LayerType::kRNN);
    EXPECT_EQ(rnn->getNbOutputs(), 2);
    EXPECT_EQ(rnn->getActivation(0, 0), kiln::ActivationType::kTANH);
    EXPECT_FALSE(rnn->setActivation(0, 1, kiln::ActivationType::kRELU, 0, 0));  // one function only
    EXPECT_FALSE(rnn->setActivation(0, 0, kiln::ActivationType::kGELU_ERF, 0, 0));
    h.output(rnn->getOutput(0), "y");
    h.output(rnn->getOutput(1), "yh");
    auto* w4 = h.constant({1, 4, 1}, {0.1, 0.2, 0.3, 0.4})->getOutput(0);
    auto* r4 = h.constant({1, 4, 1}, {0, 0, 0, 0})->getOutput(0);
    auto* lstm = h.net().addRNN(*x, kiln::RNNOperation::kLSTM, 1, *w4, *r4);
    ASSERT_NE(lstm, nullptr);
    EXPECT_EQ(lstm->getNbOutputs(), 3);
    lstm->setDirection(kiln::RNNDirection::kREVERSE);
    h.output(lstm->getOutput(2), "yc");
    auto r = h.run({{"x", floatTensor({2, 1, 1}, std::vector<float>{1, 2})}});
    ASSERT_RAN(r);
    const double h1 = std::tanh(0.5), h2 = std::tanh(1.0 - h1);
    EXPECT_TRUE(allClose(r.out("y"), {2, 1, 1, 1}, {h1, h2}));
    EXPECT_TRUE(allClose(r.out("yh"), {1, 1, 1}, {h2}));
    // Reverse LSTM with R = 0: step x = 2 then x = 1; gates i, o, f, c = sig, sig, sig, tanh.
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    const double c1 = sig(0.2) * std::tanh(0.8);
    const double c2 = sig(0.3) * c1 + sig(0.1) * std::tanh(0.4);
    EXPECT_TRUE(allClose(r.out("yc"), {1, 1, 1}, {c2}));
}

TEST(LayerSpatial, RnnNeedsExplicitBatch) {
    NetHarness h(Mode::kImplicit);
    auto* x = h.input("x", {2, 1});
    auto* w = h.constant({1, 1, 1}, {0.5})->getOutput(0);
    EXPECT_EQ(h.net().addRNN(*x, kiln::RNNOperation::kTANH, 1, *w, *w), nullptr);
    EXPECT_FALSE(h.logger().errors.empty());
}

TEST(LayerSpatial, DftOfConstantAndWindow) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, d({4, 1}));
    auto* dft = h.net().addDFT(*x, 0);
    ASSERT_NE(dft, nullptr);
    dft->setOnesided(true);
    EXPECT_TRUE(dft->getOnesided());
    h.output(dft->getOutput(0), "spec");
    auto* size = h.constant({}, {4}, DataType::kINT32)->getOutput(0);
    auto* win = h.net().addWindow(*size, kiln::WindowType::kHANN);
    ASSERT_NE(win, nullptr);
    win->setPeriodic(false);
    h.output(win->getOutput(0), "win");
    auto r = h.run({{"x", floatTensor({4, 1}, std::vector<float>{1, 2, 3, 4})}});
    ASSERT_RAN(r);
    // [1, 2, 3, 4]: X0 = 10, X1 = -2 + 2i, X2 = -2.
    EXPECT_TRUE(allClose(r.out("spec"), {3, 2}, {10, 0, -2, 2, -2, 0}));
    EXPECT_TRUE(allClose(r.out("win"), {4}, {0, 0.75, 0.75, 0}, 1e-6));
}

TEST(LayerSpatial, RoiAlignAverageOfConstantRegion) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, d({1, 1, 4, 4}));
    auto* rois = h.constant({1, 4}, {0, 0, 2, 2})->getOutput(0);
    auto* idx = h.constant({1}, {0}, DataType::kINT32)->getOutput(0);
    auto* ra = h.net().addRoiAlign(*x, *rois, *idx);
    ASSERT_NE(ra, nullptr);
    ra->setOutputSize(1, 1);
    ra->setSamplingRatio(2);
    ra->setAligned(false);
    EXPECT_EQ(ra->getOutputWidth(), 1);
    h.output(ra->getOutput(0), "y");
    std::vector<float> xv(16);
    for (int i = 0; i < 16; ++i) xv[size_t(i)] = float(i % 4);  // value = column
    auto r = h.run({{"x", floatTensor({1, 1, 4, 4}, xv)}});
    ASSERT_RAN(r);
    // Samples at x = 0.5 and 1.5 (region [0, 2], no half-pixel shift): mean 1.
    EXPECT_TRUE(allClose(r.out("y"), {1, 1, 1, 1}, {1.0}));
}

TEST(LayerSpatial, MaxUnpoolAffineGridCol2Im) {
    NetHarness h(Mode::kExplicit);
    auto* v = h.net().addInput("v", DataType::kFLOAT, d({1, 1, 1, 2}));
    auto* i = h.net().addInput("i", DataType::kINT64, d({1, 1, 1, 2}));
    auto* up = h.net().addMaxUnpool(*v, *i, d({2, 2}));
    ASSERT_NE(up, nullptr);
    up->setStrideNd(d({2, 2}));
    h.output(up->getOutput(0), "up");
    auto* theta = h.constant({1, 2, 3}, {1, 0, 0, 0, 1, 0})->getOutput(0);
    auto* size = h.constant({4}, {1, 1, 2, 2}, DataType::kINT32)->getOutput(0);
    auto* ag = h.net().addAffineGrid(*theta, *size);
    ASSERT_NE(ag, nullptr);
    ag->setAlignCorners(true);
    h.output(ag->getOutput(0), "grid");
    // Col2Im: [1, 1*4, 1] (one 2x2 block) into a 2x2 image.
    auto* cols = h.net().addInput("cols", DataType::kFLOAT, d({1, 4, 1}));
    auto* c2i = h.net().addCol2Im(*cols, d({2, 2}), d({2, 2}));
    ASSERT_NE(c2i, nullptr);
    h.output(c2i->getOutput(0), "img");
    auto r = h.run({{"v", floatTensor({1, 1, 1, 2}, std::vector<float>{5, 7})},
                    {"i", int64Tensor({1, 1, 1, 2}, {1, 6})},
                    {"cols", floatTensor({1, 4, 1}, std::vector<float>{1, 2, 3, 4})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("up"), {1, 1, 2, 4}, {0, 5, 0, 0, 0, 0, 7, 0}, 0, 0));
    EXPECT_TRUE(allClose(r.out("grid"), {1, 2, 2, 2}, {-1, -1, 1, -1, -1, 1, 1, 1}));
    EXPECT_TRUE(allClose(r.out("img"), {1, 1, 2, 2}, {1, 2, 3, 4}));
}

TEST(LayerSpatial, DeformConvolutionWithZeroOffsetsIsConvolution) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kFLOAT, d({1, 1, 2, 3}));
    auto* w = h.constant({1, 1, 1, 2}, {1, -1})->getOutput(0);
    auto* off = h.constant({1, 4, 2, 2}, std::vector<double>(16, 0.0))->getOutput(0);
    auto* dc = h.net().addDeformConvolution(*x, *w, *off);
    ASSERT_NE(dc, nullptr);
    auto* b = h.constant({1}, {0.5})->getOutput(0);
    dc->setBias(*b);
    h.output(dc->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({1, 1, 2, 3}, std::vector<float>{1, 4, 2, 0, 3, 9})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {1, 1, 2, 2}, {-2.5, 2.5, -2.5, -5.5}));
}

TEST(LayerSpatial, TfIdfCountsBigrams) {
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kINT32, d({6}));
    auto* tf = h.net().addTfIdfVectorizer(*x);
    ASSERT_NE(tf, nullptr);
    tf->setGramLengths(2, 2);
    // Pool: no 1-grams, 2-grams (1,2) and (2,3).
    const int64_t pool[] = {1, 2, 2, 3}, starts[] = {0, 0}, idx[] = {0, 1};
    EXPECT_TRUE(tf->setPool(pool, 4, starts, 2, idx, 2));
    h.output(tf->getOutput(0), "y");
    auto r = h.run({{"x", int32Tensor({6}, {1, 2, 3, 1, 2, 2})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2}, {2, 1}, 0, 0));
}

TEST(LayerSpatial, ImageDecoderBmpRunsWithRuntimeShape) {
    // A 2x1 24-bit BMP (bottom-up rows): top pixel red, bottom pixel blue.
    std::vector<uint8_t> bmp = {'B', 'M', 62,  0, 0, 0, 0, 0, 0,  0, 54, 0, 0, 0, 40,  0, 0, 0, 1, 0,
                                0,   0,   2,   0, 0, 0, 1, 0, 24, 0, 0,  0, 0, 0, 8,   0, 0, 0, 0, 0,
                                0,   0,   0,   0, 0, 0, 0, 0, 0,  0, 0,  0, 0, 0, 255, 0, 0, 0,  // bottom row: BGR blue
                                                                                                 // + padding
                                0,   0,   255, 0};                                               // top row: red
    NetHarness h(Mode::kExplicit);
    auto* data = h.constant({int64_t(bmp.size())}, std::vector<double>(bmp.begin(), bmp.end()), DataType::kUINT8);
    auto* dec = h.net().addImageDecoder(*data->getOutput(0));
    ASSERT_NE(dec, nullptr);
    dec->setPixelFormat(kiln::PixelFormat::kGRAYSCALE);
    h.output(dec->getOutput(0), "img");
    auto r = h.run({});
    ASSERT_RAN(r);
    // Luma of red and blue with Pillow's integer weights.
    const double red = (255 * 19595 + 0x8000) >> 16, blue = (255 * 7471 + 0x8000) >> 16;
    EXPECT_TRUE(allClose(r.out("img"), {2, 1, 1}, {red, blue}, 0, 0));
}

}  // namespace
