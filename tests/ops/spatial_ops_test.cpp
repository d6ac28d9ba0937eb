// Op tests of RoiAlign, Col2Im, MaxUnpool, AffineGrid, DeformConv and
// TfIdfVectorizer: plain float64 implementations written here (each in a
// different loop order than the kernel), hand values and error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "op_test_util.h"

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

// ---- RoiAlign ----

// Bilinear value at (y, x) as RoiAlign defines it (clamped to the last pixel,
// zero beyond one pixel outside).
double roiSample(const std::vector<double>& x, int64_t base, int64_t H, int64_t W, double y, double xx) {
    if (y < -1 || y > double(H) || xx < -1 || xx > double(W)) return 0;
    y = std::max(y, 0.0);
    xx = std::max(xx, 0.0);
    const int64_t y0 = std::min<int64_t>(int64_t(y), H - 1), x0 = std::min<int64_t>(int64_t(xx), W - 1);
    const int64_t y1 = std::min<int64_t>(y0 + 1, H - 1), x1 = std::min<int64_t>(x0 + 1, W - 1);
    if (int64_t(y) >= H - 1) y = double(y0);
    if (int64_t(xx) >= W - 1) xx = double(x0);
    const double ly = y - double(y0), lx = xx - double(x0);
    return (1 - ly) * (1 - lx) * x[size_t(base + y0 * W + x0)] + (1 - ly) * lx * x[size_t(base + y0 * W + x1)] +
           ly * (1 - lx) * x[size_t(base + y1 * W + x0)] + ly * lx * x[size_t(base + y1 * W + x1)];
}

TEST(RoiAlignTest, AverageMatchesDirectFormula) {
    const int64_t N = 2, C = 3, H = 6, W = 7, R = 3, OH = 2, OW = 3;
    const TestTensor x = TestTensor::random(DType::kF32, {N, C, H, W}, 1);
    const TestTensor rois = TestTensor::f32({R, 4}, {0.5f, 1, 5, 4.5f, -1, -1, 3, 2, 2, 2, 2.5f, 2.7f});
    const TestTensor idx = TestTensor::i64({R}, {1, 0, 1});
    for (int64_t halfPixel : {1, 0})
        for (int64_t ratio : {0, 2}) {
            SCOPED_TRACE("half_pixel " + std::to_string(halfPixel) + " ratio " + std::to_string(ratio));
            ir::Attrs a;
            a.set("output_height", OH);
            a.set("output_width", OW);
            a.set("sampling_ratio", ratio);
            a.set("spatial_scale", 0.9);
            a.set("half_pixel", halfPixel);
            const auto r = runOp("RoiAlign", a, {x, rois, idx});
            ASSERT_TRUE(r.status.ok()) << r.status.message();
            ASSERT_EQ(r.outputs[0].shape, (ir::Shape{R, C, OH, OW}));
            const auto xv = x.toDoubles(), rv = rois.toDoubles();
            std::vector<double> want;
            for (int64_t k = 0; k < R; ++k) {
                const int64_t b = idx.toInts()[size_t(k)];
                const double off = halfPixel ? 0.5 : 0;
                const double x1 = rv[size_t(k * 4)] * 0.9 - off, y1 = rv[size_t(k * 4 + 1)] * 0.9 - off;
                double w = rv[size_t(k * 4 + 2)] * 0.9 - off - x1, h = rv[size_t(k * 4 + 3)] * 0.9 - off - y1;
                if (!halfPixel) w = std::max(w, 1.0), h = std::max(h, 1.0);
                const int64_t gh = ratio ? ratio : int64_t(std::ceil(h / OH)),
                              gw = ratio ? ratio : int64_t(std::ceil(w / OW));
                for (int64_t c = 0; c < C; ++c)
                    for (int64_t i = 0; i < OH; ++i)
                        for (int64_t j = 0; j < OW; ++j) {
                            double sum = 0;
                            for (int64_t a1 = 0; a1 < gh; ++a1)
                                for (int64_t a2 = 0; a2 < gw; ++a2)
                                    sum += roiSample(xv, (b * C + c) * H * W, H, W, y1 + (i + (a1 + 0.5) / gh) * h / OH,
                                                     x1 + (j + (a2 + 0.5) / gw) * w / OW);
                            want.push_back(sum / double(std::max<int64_t>(gh * gw, 1)));
                        }
            }
            EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
        }
}

TEST(RoiAlignTest, MaxModeAndBadBatchIndex) {
    // One sample per cell (ratio 1) at a pixel center: max mode gives the
    // largest weighted neighbour, i.e. the pixel itself.
    const TestTensor x = TestTensor::f32({1, 1, 2, 2}, {1, 2, 3, 4});
    ir::Attrs a;
    a.set("mode", "max");
    a.set("sampling_ratio", int64_t(1));
    a.set("output_height", int64_t(2));
    a.set("output_width", int64_t(2));
    // Region [0, 2] shifted by -0.5 to [-0.5, 1.5]: bins of 1, samples at the pixel centers 0 and 1.
    const auto r = runOp("RoiAlign", a, {x, TestTensor::f32({1, 4}, {0, 0, 2, 2}), TestTensor::i64({1}, {0})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 4}), 1e-6, 0);
    const auto bad = runOp("RoiAlign", a, {x, TestTensor::f32({1, 4}, {0, 0, 1, 1}), TestTensor::i64({1}, {3})});
    EXPECT_FALSE(bad.status.ok());
}

// ---- Col2Im ----

TEST(Col2ImTest, MatchesGatherFormulation) {
    // 2-D and 3-D, with strides, dilations and pads.
    struct Case {
        std::vector<int64_t> image, block, strides, dil, pads;
    };
    const Case cases[] = {{{5, 5}, {1, 5}, {1, 1}, {1, 1}, {0, 1, 0, 1}},
                          {{6, 7}, {2, 3}, {2, 1}, {1, 2}, {1, 0, 1, 2}},
                          {{3, 4, 5}, {2, 2, 2}, {1, 2, 1}, {1, 1, 2}, {0, 1, 1, 1, 0, 0}}};
    uint32_t seed = 10;
    for (const Case& c : cases) {
        const size_t k = c.image.size();
        int64_t K = 1, L = 1;
        std::vector<int64_t> blocks;
        for (size_t i = 0; i < k; ++i) {
            K *= c.block[i];
            blocks.push_back(
                (c.image[i] + c.pads[i] + c.pads[k + i] - (c.dil[i] * (c.block[i] - 1) + 1)) / c.strides[i] + 1);
            L *= blocks.back();
        }
        const int64_t N = 2, C = 2;
        const TestTensor x = TestTensor::random(DType::kF32, {N, C * K, L}, seed++);
        ir::Attrs a;
        a.set("strides", c.strides);
        a.set("dilations", c.dil);
        a.set("pads", c.pads);
        const auto r =
            runOp("Col2Im", a, {x, TestTensor::i64({int64_t(k)}, c.image), TestTensor::i64({int64_t(k)}, c.block)});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        // Gather view: every image position sums the (offset, block) pairs landing on it.
        int64_t img = 1;
        for (int64_t v : c.image) img *= v;
        const auto xv = x.toDoubles();
        std::vector<double> want;
        for (int64_t nc = 0; nc < N * C; ++nc)
            for (int64_t p = 0; p < img; ++p) {
                std::vector<int64_t> pos(k);
                for (size_t i = k, rem = size_t(p); i-- > 0;)
                    pos[i] = int64_t(rem) % c.image[i], rem /= size_t(c.image[i]);
                double sum = 0;
                for (int64_t kk = 0; kk < K; ++kk) {
                    int64_t blockFlat = 0;
                    bool ok = true;
                    for (size_t i = 0, rem = 0; i < k; ++i) {
                        (void)rem;
                        int64_t stride = 1;
                        for (size_t j = i + 1; j < k; ++j) stride *= c.block[j];
                        const int64_t off = (kk / stride) % c.block[i];
                        const int64_t t = pos[i] + c.pads[i] - off * c.dil[i];
                        if (t < 0 || t % c.strides[i] != 0 || t / c.strides[i] >= blocks[i]) ok = false;
                        blockFlat = blockFlat * blocks[i] + (ok ? t / c.strides[i] : 0);
                    }
                    if (ok) sum += xv[size_t((nc * K + kk) * L + blockFlat)];
                }
                want.push_back(sum);
            }
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    }
}

TEST(Col2ImTest, Errors) {
    const TestTensor x = TestTensor::random(DType::kF32, {1, 4, 4}, 1);
    ir::Attrs a;
    // 4 blocks of 2x2 fit a 3x3 image, not a 4x4 one.
    EXPECT_TRUE(runOp("Col2Im", a, {x, TestTensor::i64({2}, {3, 3}), TestTensor::i64({2}, {2, 2})}).status.ok());
    EXPECT_FALSE(runOp("Col2Im", a, {x, TestTensor::i64({2}, {4, 4}), TestTensor::i64({2}, {2, 2})}).status.ok());
    // Channels not a multiple of the block volume.
    EXPECT_FALSE(runOp("Col2Im", a, {x, TestTensor::i64({2}, {3, 3}), TestTensor::i64({2}, {3, 1})}).status.ok());
}

// ---- MaxUnpool ----

TEST(MaxUnpoolTest, ScattersAndComputesShape) {
    ir::Attrs a;
    a.set("kernel", std::vector<int64_t>{2, 2});
    a.set("strides", std::vector<int64_t>{2, 2});
    const TestTensor x = TestTensor::f32({1, 2, 1, 2}, {1, 2, 3, 4});
    const TestTensor idx = TestTensor::i64({1, 2, 1, 2}, {0, 3, 9, 15});
    auto r = runOp("MaxUnpool", a, {x, idx});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 2, 4}));
    std::vector<double> want(16, 0.0);
    want[0] = 1, want[3] = 2, want[9] = 3, want[15] = 4;
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
    // A larger output shape keeps the default [2, 4] block in its leading corner.
    r = runOp("MaxUnpool", a, {x, idx, TestTensor::i64({4}, {1, 2, 3, 5})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 3, 5}));
    std::vector<double> big(30, 0.0);
    big[0] = 1, big[3] = 2, big[15 + 1] = 3, big[15 + 5 + 3] = 4;  // plane 1: (0,1) and (1,3)
    EXPECT_CLOSE(r.outputs[0].toDoubles(), big, 0, 0);
    // An index outside the default shape, and an output smaller than it.
    EXPECT_FALSE(runOp("MaxUnpool", a, {x, TestTensor::i64({1, 2, 1, 2}, {0, 3, 9, 16})}).status.ok());
    EXPECT_FALSE(runOp("MaxUnpool", a, {x, idx, TestTensor::i64({4}, {1, 2, 2, 3})}).status.ok());
}

// ---- AffineGrid ----

TEST(AffineGridTest, TwoAndThreeDimensions) {
    const TestTensor theta2 = TestTensor::random(DType::kF32, {2, 2, 3}, 3);
    for (bool align : {false, true}) {
        ir::Attrs a;
        a.set("align_corners", align);
        const auto r = runOp("AffineGrid", a, {theta2, TestTensor::i64({4}, {2, 5, 3, 4})});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 3, 4, 2}));
        const auto t = theta2.toDoubles();
        std::vector<double> want;
        auto base = [&](int64_t i, int64_t S) { return align ? -1 + 2.0 * i / (S - 1) : -1 + (2.0 * i + 1) / S; };
        for (int64_t n = 0; n < 2; ++n)
            for (int64_t hh = 0; hh < 3; ++hh)
                for (int64_t ww = 0; ww < 4; ++ww)
                    for (int64_t row = 0; row < 2; ++row) {
                        const double* m = t.data() + (n * 2 + row) * 3;
                        want.push_back(m[0] * base(ww, 4) + m[1] * base(hh, 3) + m[2]);
                    }
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-6);
    }
    // 3-D identity: the grid is the base coordinates themselves.
    const TestTensor eye = TestTensor::f32({1, 3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
    const auto r = runOp("AffineGrid", ir::Attrs{}, {eye, TestTensor::i64({5}, {1, 1, 2, 1, 2})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, (ir::Shape{1, 2, 1, 2, 3}));
    // (x, y, z) with x over W = 2 (+-0.5), y over H = 1 (0), z over D = 2 (+-0.5).
    EXPECT_CLOSE(r.outputs[0].toDoubles(),
                 (std::vector<double>{-0.5, 0, -0.5, 0.5, 0, -0.5, -0.5, 0, 0.5, 0.5, 0, 0.5}), 1e-6, 1e-7);
    EXPECT_FALSE(runOp("AffineGrid", ir::Attrs{}, {eye, TestTensor::i64({4}, {1, 1, 2, 2})}).status.ok());
}

// ---- DeformConv ----

TEST(DeformConvTest, ZeroOffsetsEqualConvolution) {
    const TestTensor x = TestTensor::random(DType::kF32, {2, 4, 5, 6}, 5);
    const TestTensor w = TestTensor::random(DType::kF32, {6, 2, 3, 2}, 6);
    const TestTensor b = TestTensor::random(DType::kF32, {6}, 7);
    ir::Attrs a;
    a.set("group", int64_t(2));
    a.set("strides", std::vector<int64_t>{2, 1});
    a.set("pads_begin", std::vector<int64_t>{1, 0});
    a.set("pads_end", std::vector<int64_t>{1, 1});
    a.set("dilations", std::vector<int64_t>{1, 2});
    const auto conv = runOp("Convolution", a, {x, w, b});
    ASSERT_TRUE(conv.status.ok()) << conv.status.message();
    const ir::Shape& ys = conv.outputs[0].shape;
    a.set("offset_group", int64_t(2));
    const TestTensor off = TestTensor::fromDoubles(DType::kF32, {2, 2 * 2 * 6, ys[2], ys[3]},
                                                   std::vector<double>(size_t(2 * 24 * ys[2] * ys[3]), 0.0));
    const auto r = runOp("DeformConv", a, {x, w, off, b});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    ASSERT_EQ(r.outputs[0].shape, ys);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), conv.outputs[0].toDoubles(), 1e-5, 1e-5);
}

TEST(DeformConvTest, OffsetsAndMaskByFormula) {
    const int64_t C = 2, H = 4, W = 4, M = 1, kH = 2, kW = 2, og = 2;
    const TestTensor x = TestTensor::random(DType::kF32, {1, C, H, W}, 8);
    const TestTensor w = TestTensor::random(DType::kF32, {M, C, kH, kW}, 9);
    const int64_t OH = 3, OW = 3;
    const TestTensor off = TestTensor::random(DType::kF32, {1, og * 2 * kH * kW, OH, OW}, 10, -1.5, 1.5);
    const TestTensor mask = TestTensor::random(DType::kF32, {1, og * kH * kW, OH, OW}, 11, 0, 1);
    ir::Attrs a;
    a.set("offset_group", og);
    const auto r = runOp("DeformConv", a, {x, w, off, TestTensor::none(), mask});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    const auto xv = x.toDoubles(), wv = w.toDoubles(), ov = off.toDoubles(), mv = mask.toDoubles();
    auto px = [&](int64_t c, int64_t y, int64_t xx) {
        return y < 0 || y >= H || xx < 0 || xx >= W ? 0.0 : xv[size_t((c * H + y) * W + xx)];
    };
    std::vector<double> want;
    for (int64_t i = 0; i < OH; ++i)
        for (int64_t j = 0; j < OW; ++j) {
            double sum = 0;
            for (int64_t c = 0; c < C; ++c) {
                const int64_t g = c / (C / og);
                for (int64_t ki = 0; ki < kH; ++ki)
                    for (int64_t kj = 0; kj < kW; ++kj) {
                        const int64_t tap = g * kH * kW + ki * kW + kj;
                        const double dy = ov[size_t(((tap * 2) * OH + i) * OW + j)];
                        const double dx = ov[size_t(((tap * 2 + 1) * OH + i) * OW + j)];
                        const double y = double(i + ki) + dy, xx = double(j + kj) + dx;
                        const int64_t y0 = int64_t(std::floor(y)), x0 = int64_t(std::floor(xx));
                        const double ly = y - double(y0), lx = xx - double(x0);
                        const double v = (1 - ly) * (1 - lx) * px(c, y0, x0) + (1 - ly) * lx * px(c, y0, x0 + 1) +
                                         ly * (1 - lx) * px(c, y0 + 1, x0) + ly * lx * px(c, y0 + 1, x0 + 1);
                        sum += wv[size_t((c * kH + ki) * kW + kj)] * v * mv[size_t((tap * OH + i) * OW + j)];
                    }
            }
            want.push_back(sum);
        }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-5, 1e-5);
}

// ---- TfIdfVectorizer ----

ir::Attrs tfidfAttrs(const std::string& mode, int64_t lo, int64_t hi, int64_t skip) {
    ir::Attrs a;
    a.set("mode", mode);
    a.set("min_gram_length", lo);
    a.set("max_gram_length", hi);
    a.set("max_skip_count", skip);
    // 1-grams 2, 3, 5, 4; 2-grams (5,6) (7,8) (6,7).
    a.set("pool", std::vector<int64_t>{2, 3, 5, 4, 5, 6, 7, 8, 6, 7});
    a.set("ngram_counts", std::vector<int64_t>{0, 4});
    a.set("ngram_indexes", std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6});
    return a;
}

// Counts by brute force over all (skip, start, length) choices.
std::vector<double> bruteCounts(const std::vector<int64_t>& row, int64_t lo, int64_t hi, int64_t skip) {
    const std::map<std::vector<int64_t>, int> col = {{{2}, 0},    {{3}, 1},    {{5}, 2},   {{4}, 3},
                                                     {{5, 6}, 4}, {{7, 8}, 5}, {{6, 7}, 6}};
    std::vector<double> counts(7, 0.0);
    const int64_t L = int64_t(row.size());
    for (int64_t n = lo; n <= hi; ++n)
        for (int64_t d = 1; d <= (n == 1 ? 1 : skip + 1); ++d)
            for (int64_t s = 0; s + (n - 1) * d < L; ++s) {
                std::vector<int64_t> g;
                for (int64_t q = 0; q < n; ++q) g.push_back(row[size_t(s + q * d)]);
                auto it = col.find(g);
                if (it != col.end()) counts[size_t(it->second)] += 1;
            }
    return counts;
}

TEST(TfIdfVectorizerTest, CountsWithSkipsAndBatches) {
    const std::vector<int64_t> row0 = {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8}, row1 = {4, 5, 6, 7, 8, 7, 6, 5, 6, 7, 2, 2};
    for (int64_t skip : {0, 5})
        for (auto [lo, hi] : {std::pair<int64_t, int64_t>{1, 2}, {2, 2}, {1, 1}}) {
            SCOPED_TRACE("skip " + std::to_string(skip) + " n " + std::to_string(lo) + ".." + std::to_string(hi));
            std::vector<int64_t> both = row0;
            both.insert(both.end(), row1.begin(), row1.end());
            const auto r = runOp("TfIdfVectorizer", tfidfAttrs("TF", lo, hi, skip), {TestTensor::i64({2, 12}, both)});
            ASSERT_TRUE(r.status.ok()) << r.status.message();
            ASSERT_EQ(r.outputs[0].shape, (ir::Shape{2, 7}));
            std::vector<double> want = bruteCounts(row0, lo, hi, skip);
            const auto w1 = bruteCounts(row1, lo, hi, skip);
            want.insert(want.end(), w1.begin(), w1.end());
            EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 0, 0);
        }
}

TEST(TfIdfVectorizerTest, IdfAndTfidfWeights) {
    const TestTensor x = TestTensor::i32({6}, {2, 2, 5, 6, 3, 9});
    ir::Attrs a = tfidfAttrs("IDF", 1, 2, 0);
    a.set("weights", std::vector<double>{0.5, 2, 3, 4, 5, 6, 7});
    auto r = runOp("TfIdfVectorizer", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    // counts: 2 -> 2, 3 -> 1, 5 -> 1, (5,6) -> 1.
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.5, 2, 3, 0, 5, 0, 0}), 0, 0);
    a.set("mode", "TFIDF");
    r = runOp("TfIdfVectorizer", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 2, 3, 0, 5, 0, 0}), 0, 0);
    // A pool that does not split into 2-grams.
    ir::Attrs bad = tfidfAttrs("TF", 1, 2, 0);
    bad.set("pool", std::vector<int64_t>{2, 3, 5, 4, 5, 6, 7});
    EXPECT_FALSE(runOp("TfIdfVectorizer", bad, {x}).status.ok());
}

// ---- TreeEnsemble ----

TEST(TreeEnsembleTest, TwoTreesMembershipMissingAndAggregates) {
    // Tree 0 (root node 0): x0 <= 0.5 ? leaf 0 : (x1 in {1, 3} ? leaf 1 : leaf 2).
    // Tree 1 (root node 2): x1 > 2 (NaN goes true) ? leaf 3 : leaf 4.
    ir::Attrs a;
    a.set("n_targets", int64_t(2));
    a.set("nodes_featureids", std::vector<int64_t>{0, 1, 1});
    a.set("nodes_modes", std::vector<int64_t>{0, 6, 3});
    a.set("nodes_splits", std::vector<double>{0.5, 0, 2});
    a.set("nodes_truenodeids", std::vector<int64_t>{0, 1, 3});
    a.set("nodes_trueleafs", std::vector<int64_t>{1, 1, 1});
    a.set("nodes_falsenodeids", std::vector<int64_t>{1, 2, 4});
    a.set("nodes_falseleafs", std::vector<int64_t>{0, 1, 1});
    a.set("nodes_missing_value_tracks_true", std::vector<int64_t>{0, 0, 1});
    a.set("membership_values", std::vector<double>{1, 3, std::nan("")});
    a.set("leaf_targetids", std::vector<int64_t>{0, 0, 1, 1, 0});
    a.set("leaf_weights", std::vector<double>{1, 2, 3, 10, 20});
    a.set("tree_roots", std::vector<int64_t>{0, 2});
    const double nan = std::nan("");
    const TestTensor x = TestTensor::fromDoubles(DType::kF32, {4, 2}, {0, 5, 1, 3, 1, 2, 1, nan});
    // Rows: (0,5): leaf 0 (t0 += 1), 5 > 2 -> leaf 3 (t1 += 10). (1,3): member -> leaf 1 (t0 += 2),
    // leaf 3. (1,2): not member -> leaf 2 (t1 += 3), 2 > 2 false -> leaf 4 (t0 += 20).
    // (1,NaN): not member -> leaf 2, NaN tracks true -> leaf 3.
    auto r = runOp("TreeEnsemble", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 10, 2, 10, 20, 3, 0, 13}), 1e-6, 0);
    a.set("aggregate_function", int64_t(0));  // average over the 2 trees
    r = runOp("TreeEnsemble", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.5, 5, 1, 5, 10, 1.5, 0, 6.5}), 1e-6, 0);
    a.set("aggregate_function", int64_t(1));
    a.set("post_transform", int64_t(2));  // logistic
    r = runOp("TreeEnsemble", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_NEAR(r.outputs[0].toDoubles()[0], 1 / (1 + std::exp(-1.0)), 1e-6);
    // A member node without its set is an error.
    a.set("membership_values", std::vector<double>{1, 3});
    EXPECT_FALSE(runOp("TreeEnsemble", a, {x}).status.ok());
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

using ir::DType;
using test::runOp;
using test::TestTensor;

TestTensor asFloat32(const TestTensor& t) { return TestTensor::fromDoubles(DType::kF32, t.shape, t.toDoubles()); }

// 16-bit inputs give the float32 result of the same values, rounded to the
// narrow type: RoiAlign (both modes), DeformConv (groups, offset groups, mask,
// bias), AffineGrid.
TEST(SpatialOpsTest, SixteenBitTypesMatchFloat) {
    for (DType t : {DType::kF16, DType::kBF16}) {
        SCOPED_TRACE(t == DType::kF16 ? "float16" : "bfloat16");
        const double tol = t == DType::kF16 ? 2e-3 : 1e-2;
        {
            const TestTensor x = TestTensor::random(t, {2, 3, 6, 7}, 80);
            const TestTensor rois = TestTensor::fromDoubles(t, {3, 4}, {0.5, 1, 5, 4.5, -1, -1, 3, 2, 2, 2, 6, 5.5});
            const TestTensor idx = TestTensor::i32({3}, {1, 0, 1});
            for (const char* mode : {"avg", "max"}) {
                ir::Attrs a;
                a.set("mode", mode);
                a.set("output_height", int64_t(2));
                a.set("output_width", int64_t(3));
                a.set("spatial_scale", 0.9);
                const auto rn = runOp("RoiAlign", a, {x, rois, idx});
                const auto rw = runOp("RoiAlign", a, {asFloat32(x), asFloat32(rois), idx});
                ASSERT_TRUE(rn.status.ok() && rw.status.ok()) << rn.status.message() << rw.status.message();
                EXPECT_EQ(rn.outputs[0].dtype, t);
                EXPECT_CLOSE(rn.outputs[0].toDoubles(), rw.outputs[0].toDoubles(), tol, tol);
            }
        }
        {
            const TestTensor x = TestTensor::random(t, {2, 4, 5, 6}, 81), w = TestTensor::random(t, {6, 2, 3, 2}, 82);
            const TestTensor off = TestTensor::random(t, {2, 2 * 2 * 6, 3, 5}, 83, -1.5, 1.5);
            const TestTensor mask = TestTensor::random(t, {2, 2 * 6, 3, 5}, 84, 0, 1);
            const TestTensor b = TestTensor::random(t, {6}, 85);
            ir::Attrs a;
            a.set("group", int64_t(2));
            a.set("offset_group", int64_t(2));
            a.set("strides", std::vector<int64_t>{2, 1});
            a.set("pads_begin", std::vector<int64_t>{1, 0});
            a.set("pads_end", std::vector<int64_t>{1, 1});
            a.set("dilations", std::vector<int64_t>{1, 2});
            const auto rn = runOp("DeformConv", a, {x, w, off, b, mask});
            const auto rw =
                runOp("DeformConv", a, {asFloat32(x), asFloat32(w), asFloat32(off), asFloat32(b), asFloat32(mask)});
            ASSERT_TRUE(rn.status.ok() && rw.status.ok()) << rn.status.message() << rw.status.message();
            EXPECT_EQ(rn.outputs[0].shape, (ir::Shape{2, 6, 3, 5}));
            EXPECT_CLOSE(rn.outputs[0].toDoubles(), rw.outputs[0].toDoubles(), tol, tol);
        }
        {
            const TestTensor theta = TestTensor::random(t, {2, 3, 4}, 86);
            const TestTensor size = TestTensor::i64({5}, {2, 1, 3, 4, 5});
            ir::Attrs a;
            a.set("align_corners", true);
            const auto rn = runOp("AffineGrid", a, {theta, size}),
                       rw = runOp("AffineGrid", a, {asFloat32(theta), size});
            ASSERT_TRUE(rn.status.ok() && rw.status.ok()) << rn.status.message() << rw.status.message();
            EXPECT_CLOSE(rn.outputs[0].toDoubles(), rw.outputs[0].toDoubles(), tol, tol);
        }
    }
}

// The trees of TwoTreesMembershipMissingAndAggregates on float64 input with
// min / max aggregation, softmax, softmax_zero and probit.
TEST(TreeEnsembleTest, MinMaxSoftmaxAndProbit) {
    ir::Attrs a;
    a.set("n_targets", int64_t(2));
    a.set("nodes_featureids", std::vector<int64_t>{0, 1, 1});
    a.set("nodes_modes", std::vector<int64_t>{0, 6, 3});
    a.set("nodes_splits", std::vector<double>{0.5, 0, 2});
    a.set("nodes_truenodeids", std::vector<int64_t>{0, 1, 3});
    a.set("nodes_trueleafs", std::vector<int64_t>{1, 1, 1});
    a.set("nodes_falsenodeids", std::vector<int64_t>{1, 2, 4});
    a.set("nodes_falseleafs", std::vector<int64_t>{0, 1, 1});
    a.set("nodes_missing_value_tracks_true", std::vector<int64_t>{0, 0, 1});
    a.set("membership_values", std::vector<double>{1, 3, std::nan("")});
    a.set("leaf_targetids", std::vector<int64_t>{0, 0, 1, 1, 0});
    a.set("leaf_weights", std::vector<double>{1, 2, 3, 10, 20});
    a.set("tree_roots", std::vector<int64_t>{0, 2});
    const double nan = std::nan("");
    const TestTensor x = TestTensor::fromDoubles(DType::kF64, {4, 2}, {0, 5, 1, 3, 1, 2, 1, nan});
    // Leaves per row (target, weight): (0,1) (1,10) | (0,2) (1,10) | (1,3) (0,20) | (1,3) (1,10).
    const double fmax = double(std::numeric_limits<float>::max());
    a.set("aggregate_function", int64_t(3));
    auto r = runOp("TreeEnsemble", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF64);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 10, 2, 10, 20, 3, -fmax, 10}), 0, 0);
    a.set("aggregate_function", int64_t(2));
    r = runOp("TreeEnsemble", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{1, 10, 2, 10, 20, 3, fmax, 3}), 0, 0);
    // Sums (1, 10) (2, 10) (20, 3) (0, 13) through softmax and softmax_zero.
    a.set("aggregate_function", int64_t(1));
    auto softmax = [](double u, double v) {
        return std::vector<double>{1 / (1 + std::exp(v - u)), 1 / (1 + std::exp(u - v))};
    };
    for (int64_t post : {1, 3}) {
        a.set("post_transform", post);
        r = runOp("TreeEnsemble", a, {x});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        std::vector<double> want;
        for (auto [u, v] : {std::pair<double, double>{1, 10}, {2, 10}, {20, 3}, {0, 13}}) {
            auto s = softmax(u, v);
            if (post == 3 && u == 0) s = {0, 1};  // softmax_zero keeps the zero
            want.insert(want.end(), s.begin(), s.end());
        }
        EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-12, 1e-14);
    }
    // Probit of one target's sums in (0, 1), against a bisection of the normal CDF.
    a.set("n_targets", int64_t(1));
    a.set("leaf_targetids", std::vector<int64_t>{0, 0, 0, 0, 0});
    a.set("leaf_weights", std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.05});
    a.set("post_transform", int64_t(4));
    r = runOp("TreeEnsemble", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    std::vector<double> want;
    for (double p : {0.5, 0.6, 0.35, 0.7}) {
        double lo = -10, hi = 10;
        for (int i = 0; i < 200; ++i) {
            const double mid = (lo + hi) / 2;
            (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
        }
        want.push_back((lo + hi) / 2);
    }
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, 1e-9, 1e-9);
}

}  // namespace
}  // namespace kiln
