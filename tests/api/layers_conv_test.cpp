// Layer tests, convolution family: Convolution (2-D and 3-D), Deconvolution,
// Pooling. Each runs through the public API in an explicit-batch and an
// implicit-batch network, against float64 loops written here.
#include <algorithm>
#include <cmath>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;
using kiln::Dims;
using kiln::DimsHW;

// ---- float64 references ----------------------------------------------------

// Spatial parameters for up to 3 spatial dims; 2-D cases use a leading 1.
struct Spatial {
    int64_t s[3];
};

struct ConvParams {
    Spatial stride{{1, 1, 1}}, dil{{1, 1, 1}}, padB{{0, 0, 0}}, padE{{0, 0, 0}};
    int64_t groups = 1;
};

// x [N, C, D, H, W], w [M, C/g, KD, KH, KW], b [M] or empty -> [N, M, OD, OH, OW].
std::vector<double> refConv(const std::vector<double>& x, int64_t N, int64_t C, const Spatial& in,
                            const std::vector<double>& w, int64_t M, const Spatial& k, const std::vector<double>& b,
                            const ConvParams& p, Spatial& out) {
    for (int i = 0; i < 3; ++i)
        out.s[i] = (in.s[i] + p.padB.s[i] + p.padE.s[i] - (p.dil.s[i] * (k.s[i] - 1) + 1)) / p.stride.s[i] + 1;
    const int64_t cg = C / p.groups, mg = M / p.groups;
    std::vector<double> y(size_t(N * M * out.s[0] * out.s[1] * out.s[2]), 0.0);
    size_t o = 0;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t od = 0; od < out.s[0]; ++od)
                for (int64_t oh = 0; oh < out.s[1]; ++oh)
                    for (int64_t ow = 0; ow < out.s[2]; ++ow) {
                        double acc = b.empty() ? 0.0 : b[size_t(m)];
                        const int64_t g = m / mg;
                        for (int64_t c = 0; c < cg; ++c)
                            for (int64_t kd = 0; kd < k.s[0]; ++kd)
                                for (int64_t kh = 0; kh < k.s[1]; ++kh)
                                    for (int64_t kw = 0; kw < k.s[2]; ++kw) {
                                        const int64_t id = od * p.stride.s[0] - p.padB.s[0] + kd * p.dil.s[0];
                                        const int64_t ih = oh * p.stride.s[1] - p.padB.s[1] + kh * p.dil.s[1];
                                        const int64_t iw = ow * p.stride.s[2] - p.padB.s[2] + kw * p.dil.s[2];
                                        if (id < 0 || id >= in.s[0] || ih < 0 || ih >= in.s[1] || iw < 0 || iw >= in.s[2])
                                            continue;
                                        const int64_t ci = g * cg + c;
                                        const double xv = x[size_t((((n * C + ci) * in.s[0] + id) * in.s[1] + ih) * in.s[2] + iw)];
                                        const double wv = w[size_t((((m * cg + c) * k.s[0] + kd) * k.s[1] + kh) * k.s[2] + kw)];
                                        acc += xv * wv;
                                    }
                        y[o++] = acc;
                    }
    return y;
}

// Transposed 2-D convolution: x [N, C, H, W], w [C, M/g, KH, KW] -> [N, M, OH, OW].
std::vector<double> refDeconv2d(const std::vector<double>& x, int64_t N, int64_t C, int64_t H, int64_t W,
                                const std::vector<double>& w, int64_t M, int64_t KH, int64_t KW,
                                const std::vector<double>& b, int64_t stride, int64_t pad, int64_t groups,
                                int64_t& OH, int64_t& OW) {
    OH = stride * (H - 1) + KH - 2 * pad;
    OW = stride * (W - 1) + KW - 2 * pad;
    const int64_t cg = C / groups, mg = M / groups;
    std::vector<double> y(size_t(N * M * OH * OW), 0.0);
    for (int64_t n = 0; n < N; ++n)
        for (int64_t m = 0; m < M; ++m)
            for (int64_t i = 0; i < OH * OW; ++i) y[size_t((n * M + m) * OH * OW + i)] = b.empty() ? 0.0 : b[size_t(m)];
    for (int64_t n = 0; n < N; ++n)
        for (int64_t c = 0; c < C; ++c) {
            const int64_t g = c / cg;
            for (int64_t ih = 0; ih < H; ++ih)
                for (int64_t iw = 0; iw < W; ++iw)
                    for (int64_t mm = 0; mm < mg; ++mm)
                        for (int64_t kh = 0; kh < KH; ++kh)
                            for (int64_t kw = 0; kw < KW; ++kw) {
                                const int64_t oh = ih * stride - pad + kh, ow = iw * stride - pad + kw;
                                if (oh < 0 || oh >= OH || ow < 0 || ow >= OW) continue;
                                const int64_t m = g * mg + mm;
                                y[size_t(((n * M + m) * OH + oh) * OW + ow)] +=
                                    x[size_t(((n * C + c) * H + ih) * W + iw)] *
                                    w[size_t(((c * mg + mm) * KH + kh) * KW + kw)];
                            }
        }
    return y;
}

struct PoolParams {
    bool max = true;
    int64_t kh = 2, kw = 2, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
    bool ceil = false, excludePad = true;
};

// 2-D pooling over [N*C, H, W] planes.
std::vector<double> refPool(const std::vector<double>& x, int64_t planes, int64_t H, int64_t W, const PoolParams& p,
                            int64_t& OH, int64_t& OW) {
    auto outSize = [&](int64_t in, int64_t k, int64_t s, int64_t a, int64_t b) {
        const int64_t span = in + a + b - k;
        int64_t o = (p.ceil ? (span + s - 1) / s : span / s) + 1;
        if (p.ceil && (o - 1) * s >= in + a) --o;  // a window may not start in the end padding
        return o;
    };
    OH = outSize(H, p.kh, p.sh, p.pt, p.pb);
    OW = outSize(W, p.kw, p.sw, p.pl, p.pr);
    std::vector<double> y;
    for (int64_t pl = 0; pl < planes; ++pl)
        for (int64_t oh = 0; oh < OH; ++oh)
            for (int64_t ow = 0; ow < OW; ++ow) {
                double acc = p.max ? -INFINITY : 0.0;
                int64_t real = 0, padded = 0;
                for (int64_t a = 0; a < p.kh; ++a)
                    for (int64_t b = 0; b < p.kw; ++b) {
                        const int64_t ih = oh * p.sh - p.pt + a, iw = ow * p.sw - p.pl + b;
                        const bool inPadded = ih < H + p.pb && iw < W + p.pr;  // (begin side is never < -pad)
                        if (inPadded) ++padded;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                        ++real;
                        const double v = x[size_t((pl * H + ih) * W + iw)];
                        acc = p.max ? std::max(acc, v) : acc + v;
                    }
                if (!p.max) acc /= double(p.excludePad ? real : padded);
                y.push_back(acc);
            }
    return y;
}

Dims dims3(int64_t a, int64_t b, int64_t c) { return kiln::Dims3{a, b, c}; }

// ---- Convolution ---------------------------------------------------------------

class LayerConvolution : public LayerModeTest {
protected:
    // Builds x -> conv(2-D, C in, M maps, kernel) with `configure`, runs, compares.
    template <class F>
    void runConv2d(int64_t C, int64_t H, int64_t W, int64_t M, int64_t KH, int64_t KW, const ConvParams& ref,
                   bool bias, F configure) {
        const auto xv = detValues(size_t(kBatch * C * H * W), 11);
        const auto wv = detValues(size_t(M * (C / ref.groups) * KH * KW), 12);
        const auto bv = bias ? detValues(size_t(M), 13) : std::vector<double>{};
        auto* x = h.input("x", {C, H, W});
        ASSERT_NE(x, nullptr);
        auto* conv = h.net().addConvolution(*x, int32_t(M), DimsHW{KH, KW}, h.weights(wv),
                                            bias ? h.weights(bv) : kiln::Weights{DataType::kFLOAT, nullptr, 0});
        ASSERT_NE(conv, nullptr) << h.logger().joined();
        EXPECT_EQ(conv->getType(), kiln::LayerType::kCONVOLUTION);
        configure(conv);
        Spatial out;
        const auto want = refConv(xv, kBatch, C, Spatial{{1, H, W}}, wv, M, Spatial{{1, KH, KW}}, bv, ref, out);
        EXPECT_TRUE(dimsAre(conv->getOutput(0)->getDimensions(),
                            h.implicit() ? std::vector<int64_t>{M, out.s[1], out.s[2]}
                                         : std::vector<int64_t>{kBatch, M, out.s[1], out.s[2]}))
            << h.logger().joined();
        h.output(conv->getOutput(0), "y");
        auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
        ASSERT_RAN(r);
        EXPECT_TRUE(allClose(r.out("y"), full({M, out.s[1], out.s[2]}), want, 1e-5, 1e-5));
    }
};

TEST_P(LayerConvolution, StrideAndSymmetricPadding) {
    ConvParams p;
    p.stride = {{1, 2, 1}};
    p.padB = p.padE = {{0, 1, 1}};
    runConv2d(2, 5, 6, 3, 3, 3, p, true, [](kiln::IConvolutionLayer* c) {
        c->setStride(DimsHW{2, 1});
        c->setPadding(DimsHW{1, 1});
        EXPECT_TRUE(dimsAre(c->getStrideNd(), {2, 1}));
        EXPECT_TRUE(dimsAre(c->getPaddingNd(), {1, 1}));
        EXPECT_TRUE(dimsAre(c->getPrePadding(), {1, 1}));
        EXPECT_TRUE(dimsAre(c->getPostPadding(), {1, 1}));
        EXPECT_TRUE(dimsAre(c->getKernelSizeNd(), {3, 3}));
        EXPECT_EQ(c->getNbOutputMaps(), 3);
        EXPECT_EQ(c->getNbGroups(), 1);
        EXPECT_TRUE(dimsAre(c->getDilationNd(), {1, 1}));
        EXPECT_EQ(c->getKernelWeights().count, 3 * 2 * 3 * 3);
        EXPECT_EQ(c->getBiasWeights().count, 3);
    });
}

TEST_P(LayerConvolution, AsymmetricPrePostPaddingWithoutBias) {
    ConvParams p;
    p.padB = {{0, 0, 2}};
    p.padE = {{0, 1, 0}};
    runConv2d(3, 4, 4, 2, 2, 3, p, false, [](kiln::IConvolutionLayer* c) {
        c->setPrePadding(kiln::Dims2{0, 2});
        c->setPostPadding(kiln::Dims2{1, 0});
        EXPECT_TRUE(dimsAre(c->getPrePadding(), {0, 2}));
        EXPECT_TRUE(dimsAre(c->getPostPadding(), {1, 0}));
        EXPECT_EQ(c->getBiasWeights().count, 0);
    });
}

TEST_P(LayerConvolution, SameUpperPutsOddPaddingAtTheEnd) {
    // H = 6, k = 3, s = 2: out 3, total pad 1 -> (0 before, 1 after);
    // W = 5: out 3, total pad 2 -> (1, 1).
    ConvParams p;
    p.stride = {{1, 2, 2}};
    p.padB = {{0, 0, 1}};
    p.padE = {{0, 1, 1}};
    runConv2d(2, 6, 5, 2, 3, 3, p, true, [](kiln::IConvolutionLayer* c) {
        c->setStrideNd(kiln::Dims2{2, 2});
        c->setPaddingMode(kiln::PaddingMode::kSAME_UPPER);
        EXPECT_EQ(c->getPaddingMode(), kiln::PaddingMode::kSAME_UPPER);
    });
}

TEST_P(LayerConvolution, DilationAndGroups) {
    ConvParams p;
    p.dil = {{1, 2, 1}};
    p.groups = 2;
    runConv2d(4, 6, 5, 4, 2, 2, p, true, [](kiln::IConvolutionLayer* c) {
        c->setDilation(DimsHW{2, 1});
        c->setNbGroups(2);
        EXPECT_EQ(c->getNbGroups(), 2);
        EXPECT_TRUE(dimsAre(c->getDilationNd(), {2, 1}));
    });
}

TEST_P(LayerConvolution, ThreeDimensionalViaAddConvolutionNd) {
    const int64_t C = 2, D = 3, H = 4, W = 4, M = 2;
    const auto xv = detValues(size_t(kBatch * C * D * H * W), 21);
    const auto wv = detValues(size_t(M * C * 2 * 2 * 3), 22);
    const auto bv = detValues(size_t(M), 23);
    auto* x = h.input("x", {C, D, H, W});
    ASSERT_NE(x, nullptr);
    auto* conv = h.net().addConvolutionNd(*x, M, dims3(2, 2, 3), h.weights(wv), h.weights(bv));
    ASSERT_NE(conv, nullptr) << h.logger().joined();
    conv->setStrideNd(dims3(1, 2, 1));
    conv->setPaddingNd(dims3(0, 1, 1));
    EXPECT_TRUE(dimsAre(conv->getKernelSizeNd(), {2, 2, 3}));
    EXPECT_TRUE(dimsAre(conv->getStrideNd(), {1, 2, 1}));
    EXPECT_TRUE(dimsAre(conv->getPaddingNd(), {0, 1, 1}));
    ConvParams p;
    p.stride = {{1, 2, 1}};
    p.padB = p.padE = {{0, 1, 1}};
    Spatial out;
    const auto want = refConv(xv, kBatch, C, Spatial{{D, H, W}}, wv, M, Spatial{{2, 2, 3}}, bv, p, out);
    ASSERT_EQ(out.s[0], 2);
    ASSERT_EQ(out.s[1], 3);
    ASSERT_EQ(out.s[2], 4);
    h.output(conv->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, D, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({M, 2, 3, 4}), want, 1e-5, 1e-5));
}
LAYER_INSTANTIATE_MODES(LayerConvolution);

// ---- Deconvolution -------------------------------------------------------------

class LayerDeconvolution : public LayerModeTest {
protected:
    void runDeconv(int64_t C, int64_t H, int64_t W, int64_t M, int64_t K, int64_t stride, int64_t pad, int64_t groups) {
        const auto xv = detValues(size_t(kBatch * C * H * W), 31);
        const auto wv = detValues(size_t(C * (M / groups) * K * K), 32);
        const auto bv = detValues(size_t(M), 33);
        auto* x = h.input("x", {C, H, W});
        ASSERT_NE(x, nullptr);
        auto* d = h.net().addDeconvolution(*x, int32_t(M), DimsHW{K, K}, h.weights(wv), h.weights(bv));
        ASSERT_NE(d, nullptr) << h.logger().joined();
        EXPECT_EQ(d->getType(), kiln::LayerType::kDECONVOLUTION);
        d->setStride(DimsHW{stride, stride});
        d->setPadding(DimsHW{pad, pad});
        d->setNbGroups(groups);
        EXPECT_TRUE(dimsAre(d->getStrideNd(), {stride, stride}));
        EXPECT_EQ(d->getNbGroups(), groups);
        int64_t OH, OW;
        const auto want = refDeconv2d(xv, kBatch, C, H, W, wv, M, K, K, bv, stride, pad, groups, OH, OW);
        h.output(d->getOutput(0), "y");
        auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
        ASSERT_RAN(r);
        EXPECT_TRUE(allClose(r.out("y"), full({M, OH, OW}), want, 1e-5, 1e-5));
    }
};

TEST_P(LayerDeconvolution, StridePaddingBias) { runDeconv(2, 2, 3, 3, 3, 2, 1, 1); }
TEST_P(LayerDeconvolution, Groups) { runDeconv(4, 3, 2, 2, 2, 1, 0, 2); }
LAYER_INSTANTIATE_MODES(LayerDeconvolution);

// ---- Pooling ---------------------------------------------------------------------

class LayerPooling : public LayerModeTest {
protected:
    template <class F>
    void runPool(int64_t C, int64_t H, int64_t W, const PoolParams& p, F configure) {
        const auto xv = detValues(size_t(kBatch * C * H * W), 41, -2.0, 2.0);
        auto* x = h.input("x", {C, H, W});
        ASSERT_NE(x, nullptr);
        auto* pool = h.net().addPooling(*x, p.max ? kiln::PoolingType::kMAX : kiln::PoolingType::kAVERAGE,
                                        DimsHW{p.kh, p.kw});
        ASSERT_NE(pool, nullptr) << h.logger().joined();
        EXPECT_EQ(pool->getType(), kiln::LayerType::kPOOLING);
        EXPECT_EQ(pool->getPoolingType(), p.max ? kiln::PoolingType::kMAX : kiln::PoolingType::kAVERAGE);
        EXPECT_TRUE(dimsAre(pool->getWindowSizeNd(), {p.kh, p.kw}));
        configure(pool);
        int64_t OH, OW;
        const auto want = refPool(xv, kBatch * C, H, W, p, OH, OW);
        h.output(pool->getOutput(0), "y");
        auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
        ASSERT_RAN(r);
        EXPECT_TRUE(allClose(r.out("y"), full({C, OH, OW}), want, 1e-6, 1e-6));
    }
};

TEST_P(LayerPooling, MaxWithStrideAndPadding) {
    PoolParams p;
    p.kh = p.kw = 3;
    p.sh = p.sw = 2;
    p.pt = p.pl = p.pb = p.pr = 1;
    runPool(2, 4, 5, p, [](kiln::IPoolingLayer* l) {
        l->setStride(DimsHW{2, 2});
        l->setPadding(DimsHW{1, 1});
        EXPECT_TRUE(dimsAre(l->getStrideNd(), {2, 2}));
        EXPECT_TRUE(dimsAre(l->getPaddingNd(), {1, 1}));
    });
}

TEST_P(LayerPooling, AverageExcludesPaddingByDefault) {
    PoolParams p;
    p.max = false;
    p.kh = p.kw = 3;
    p.pt = p.pl = p.pb = p.pr = 1;
    runPool(2, 3, 4, p, [](kiln::IPoolingLayer* l) {
        EXPECT_TRUE(l->getAverageCountExcludesPadding());
        l->setPadding(DimsHW{1, 1});
    });
}

TEST_P(LayerPooling, AverageCountingPadding) {
    PoolParams p;
    p.max = false;
    p.excludePad = false;
    p.kh = p.kw = 3;
    p.sh = 1;
    p.sw = 2;
    p.pt = p.pl = p.pb = p.pr = 1;
    runPool(2, 3, 5, p, [](kiln::IPoolingLayer* l) {
        l->setPadding(DimsHW{1, 1});
        l->setStride(DimsHW{1, 2});
        l->setAverageCountExcludesPadding(false);
        EXPECT_FALSE(l->getAverageCountExcludesPadding());
    });
}

TEST_P(LayerPooling, AsymmetricPrePostPaddingMax) {
    PoolParams p;
    p.kh = 2;
    p.kw = 3;
    p.pt = 1;
    p.pr = 2;
    runPool(1, 3, 4, p, [](kiln::IPoolingLayer* l) {
        l->setPrePadding(kiln::Dims2{1, 0});
        l->setPostPadding(kiln::Dims2{0, 2});
        EXPECT_TRUE(dimsAre(l->getPrePadding(), {1, 0}));
        EXPECT_TRUE(dimsAre(l->getPostPadding(), {0, 2}));
    });
}

TEST_P(LayerPooling, ExplicitRoundUpMax) {
    // 5 wide, window 2, stride 2: round down gives 2 windows, round up 3 (the
    // last one covers only column 4).
    PoolParams p;
    p.sh = p.sw = 2;
    p.ceil = true;
    runPool(2, 5, 5, p, [](kiln::IPoolingLayer* l) {
        l->setStride(DimsHW{2, 2});
        l->setPaddingMode(kiln::PaddingMode::kEXPLICIT_ROUND_UP);
        EXPECT_EQ(l->getPaddingMode(), kiln::PaddingMode::kEXPLICIT_ROUND_UP);
    });
}

TEST_P(LayerPooling, ExplicitRoundUpAverage) {
    PoolParams p;
    p.max = false;
    p.kh = p.kw = 3;
    p.sh = p.sw = 2;
    p.ceil = true;
    runPool(1, 6, 4, p, [](kiln::IPoolingLayer* l) {
        l->setStride(DimsHW{2, 2});
        l->setPaddingMode(kiln::PaddingMode::kEXPLICIT_ROUND_UP);
    });
}
LAYER_INSTANTIATE_MODES(LayerPooling);

}  // namespace
