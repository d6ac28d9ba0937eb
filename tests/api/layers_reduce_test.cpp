// Layer tests, reduction family: SoftMax (default axis, setAxes), Reduce
// (every op, axes bitmask, keepDims both ways), Normalization (layer,
// instance, group), TopK (max, min; int32 indices).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

#include "layer_test_util.h"

namespace {

using namespace layertest;
using kiln::DataType;
using kiln::ReduceOperation;

// Softmax of a row-major tensor `shape` along `axis`.
std::vector<double> refSoftmax(const std::vector<double>& x, const std::vector<int64_t>& shape, int axis) {
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; ++i) outer *= shape[size_t(i)];
    for (size_t i = size_t(axis) + 1; i < shape.size(); ++i) inner *= shape[i];
    const int64_t n = shape[size_t(axis)];
    std::vector<double> y(x.size());
    for (int64_t o = 0; o < outer; ++o)
        for (int64_t in = 0; in < inner; ++in) {
            double s = 0;
            for (int64_t k = 0; k < n; ++k) s += std::exp(x[size_t((o * n + k) * inner + in)]);
            for (int64_t k = 0; k < n; ++k) y[size_t((o * n + k) * inner + in)] = std::exp(x[size_t((o * n + k) * inner + in)]) / s;
        }
    return y;
}

// ---- SoftMax -----------------------------------------------------------------------

class LayerSoftMax : public LayerModeTest {};

TEST_P(LayerSoftMax, DefaultAxisIsTheChannel) {
    const int64_t C = 4, H = 2, W = 3;
    const auto xv = detValues(size_t(kBatch * C * H * W), 201, -3.0, 3.0);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* sm = h.net().addSoftMax(*x);
    ASSERT_NE(sm, nullptr) << h.logger().joined();
    EXPECT_EQ(sm->getType(), kiln::LayerType::kSOFTMAX);
    EXPECT_EQ(sm->getAxes(), h.axes(1u << 0));
    h.output(sm->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), full({C, H, W}), refSoftmax(xv, full({C, H, W}), 1), 1e-6, 1e-5));
}

TEST_P(LayerSoftMax, SetAxesPicksTheAxis) {
    const int64_t C = 2, H = 3, W = 4;
    const auto xv = detValues(size_t(kBatch * C * H * W), 202, -3.0, 3.0);
    auto* x = h.input("x", {C, H, W});
    ASSERT_NE(x, nullptr);
    auto* smH = h.net().addSoftMax(*x);
    auto* smW = h.net().addSoftMax(*x);
    ASSERT_TRUE(smH && smW) << h.logger().joined();
    smH->setAxes(h.axes(1u << 1));
    smW->setAxes(h.axes(1u << 2));
    EXPECT_EQ(smH->getAxes(), h.axes(1u << 1));
    EXPECT_EQ(smW->getAxes(), h.axes(1u << 2));
    // Two bits are refused (and logged); the axis stays.
    const size_t before = h.logger().errors.size();
    smW->setAxes(h.axes(3u));
    EXPECT_GT(h.logger().errors.size(), before);
    EXPECT_EQ(smW->getAxes(), h.axes(1u << 2));
    h.output(smH->getOutput(0), "h");
    h.output(smW->getOutput(0), "w");
    auto r = h.run({{"x", floatTensor(full({C, H, W}), xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("h"), full({C, H, W}), refSoftmax(xv, full({C, H, W}), 2), 1e-6, 1e-5));
    EXPECT_TRUE(allClose(r.out("w"), full({C, H, W}), refSoftmax(xv, full({C, H, W}), 3), 1e-6, 1e-5));
}
LAYER_INSTANTIATE_MODES(LayerSoftMax);

// ---- Reduce --------------------------------------------------------------------------

struct RedCase {
    ReduceOperation op;
    const char* name;
};
const RedCase kRedCases[] = {{ReduceOperation::kSUM, "SUM"},
                             {ReduceOperation::kPROD, "PROD"},
                             {ReduceOperation::kMAX, "MAX"},
                             {ReduceOperation::kMIN, "MIN"},
                             {ReduceOperation::kAVG, "AVG"}};

class LayerReduce : public ::testing::TestWithParam<std::tuple<Mode, int, bool>> {};

TEST_P(LayerReduce, AxesBitmaskAndKeepDims) {
    // Item [3, 2, 4] reduced over item axes 0 and 2 (mask 0b101).
    const Mode mode = std::get<0>(GetParam());
    const RedCase& c = kRedCases[std::get<1>(GetParam())];
    const bool keep = std::get<2>(GetParam());
    NetHarness h(mode);
    const int64_t A = 3, B = 2, D = 4;
    const auto xv = detValues(size_t(kBatch * A * B * D), 211, -1.5, 1.5);
    auto* x = h.input("x", {A, B, D});
    ASSERT_NE(x, nullptr);
    auto* red = h.net().addReduce(*x, ReduceOperation::kSUM, h.axes(0b001), !keep);
    ASSERT_NE(red, nullptr) << h.logger().joined();
    EXPECT_EQ(red->getType(), kiln::LayerType::kREDUCE);
    red->setOperation(c.op);
    red->setReduceAxes(h.axes(0b101));
    red->setKeepDimensions(keep);
    EXPECT_EQ(red->getOperation(), c.op);
    EXPECT_EQ(red->getReduceAxes(), h.axes(0b101));
    EXPECT_EQ(red->getKeepDimensions(), keep);
    std::vector<double> want;
    for (int64_t n = 0; n < kBatch; ++n)
        for (int64_t b = 0; b < B; ++b) {
            double acc = c.op == ReduceOperation::kPROD ? 1.0
                         : c.op == ReduceOperation::kMAX ? -INFINITY
                         : c.op == ReduceOperation::kMIN ? INFINITY
                                                         : 0.0;
            for (int64_t a = 0; a < A; ++a)
                for (int64_t d = 0; d < D; ++d) {
                    const double v = xv[size_t(((n * A + a) * B + b) * D + d)];
                    switch (c.op) {
                        case ReduceOperation::kSUM:
                        case ReduceOperation::kAVG: acc += v; break;
                        case ReduceOperation::kPROD: acc *= v; break;
                        case ReduceOperation::kMAX: acc = std::max(acc, v); break;
                        case ReduceOperation::kMIN: acc = std::min(acc, v); break;
                    }
                }
            if (c.op == ReduceOperation::kAVG) acc /= double(A * D);
            want.push_back(acc);
        }
    const std::vector<int64_t> item = keep ? std::vector<int64_t>{1, B, 1} : std::vector<int64_t>{B};
    std::vector<int64_t> wantDims = item;
    if (!h.implicit()) wantDims.insert(wantDims.begin(), kBatch);
    EXPECT_TRUE(dimsAre(red->getOutput(0)->getDimensions(), wantDims)) << h.logger().joined();
    h.output(red->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({kBatch, A, B, D}, xv)}});
    ASSERT_RAN(r);
    std::vector<int64_t> shape = item;
    shape.insert(shape.begin(), kBatch);
    EXPECT_TRUE(allClose(r.out("y"), shape, want, 1e-6, 1e-5)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Layers, LayerReduce,
                         ::testing::Combine(::testing::Values(Mode::kExplicit, Mode::kImplicit),
                                            ::testing::Range(0, int(std::size(kRedCases))), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<Mode, int, bool>>& i) {
                             return std::string(kRedCases[std::get<1>(i.param)].name) +
                                    (std::get<2>(i.param) ? "_Keep_" : "_Drop_") + modeName(std::get<0>(i.param));
                         });

TEST(LayerReduceExplicit, Int32SumOverBatchAxis) {
    // In an explicit network the batch axis is an ordinary axis (bit 0).
    NetHarness h(Mode::kExplicit);
    auto* x = h.net().addInput("x", DataType::kINT32, kiln::Dims2{3, 2});
    ASSERT_NE(x, nullptr);
    auto* red = h.net().addReduce(*x, ReduceOperation::kSUM, 1u, false);
    ASSERT_NE(red, nullptr) << h.logger().joined();
    EXPECT_EQ(red->getOutput(0)->getType(), DataType::kINT32);
    h.output(red->getOutput(0), "y");
    auto r = h.run({{"x", int32Tensor({3, 2}, {1, -20, 300, 4, -5, 60})}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {2}, {296, 44}, 0, 0));
}

// ---- Normalization (explicit batch: TensorRT has it only there) -------------------------

// (x - mean) / sqrt(var + eps) over groups of `groupSize` consecutive elements.
std::vector<double> refNormalizeGroups(const std::vector<double>& x, int64_t groupSize, double eps) {
    std::vector<double> y(x.size());
    for (size_t g = 0; g < x.size() / size_t(groupSize); ++g) {
        double mean = 0, var = 0;
        for (int64_t i = 0; i < groupSize; ++i) mean += x[g * size_t(groupSize) + size_t(i)];
        mean /= double(groupSize);
        for (int64_t i = 0; i < groupSize; ++i) {
            const double d = x[g * size_t(groupSize) + size_t(i)] - mean;
            var += d * d;
        }
        var /= double(groupSize);
        for (int64_t i = 0; i < groupSize; ++i) {
            const size_t k = g * size_t(groupSize) + size_t(i);
            y[k] = (x[k] - mean) / std::sqrt(var + eps);
        }
    }
    return y;
}

TEST(LayerNormalization, LayerNormOverLastAxis) {
    NetHarness h(Mode::kExplicit);
    const int64_t N = 2, T = 3, D = 4;
    const auto xv = detValues(size_t(N * T * D), 221, -2.0, 2.0);
    const std::vector<double> gamma = {1.0, 0.5, -2.0, 1.5}, beta = {0.0, 0.25, -1.0, 3.0};
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims3{N, T, D});
    ASSERT_NE(x, nullptr);
    auto* s = h.constant({1, 1, D}, gamma);
    auto* b = h.constant({1, 1, D}, beta);
    ASSERT_TRUE(s && b);
    auto* ln = h.net().addNormalization(*x, *s->getOutput(0), *b->getOutput(0), 1u << 2);
    ASSERT_NE(ln, nullptr) << h.logger().joined();
    EXPECT_EQ(ln->getType(), kiln::LayerType::kNORMALIZATION);
    EXPECT_EQ(ln->getAxes(), 1u << 2);
    EXPECT_FLOAT_EQ(ln->getEpsilon(), 1e-5f);  // TensorRT's default
    ln->setEpsilon(1e-3f);
    EXPECT_FLOAT_EQ(ln->getEpsilon(), 1e-3f);
    auto norm = refNormalizeGroups(xv, D, 1e-3);
    for (size_t i = 0; i < norm.size(); ++i) norm[i] = norm[i] * gamma[i % D] + beta[i % D];
    h.output(ln->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({N, T, D}, xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {N, T, D}, norm, 1e-5, 1e-5));
}

class LayerNormalizationInstance : public ::testing::TestWithParam<bool> {};

TEST_P(LayerNormalizationInstance, OverSpatialAxesWithPerChannelScale) {
    // Scale/bias as addConstant [1, C, 1, 1] (TensorRT's form) or [C] (also allowed by kiln's header).
    const bool fourD = GetParam();
    NetHarness h(Mode::kExplicit);
    const int64_t N = 2, C = 3, H = 2, W = 4;
    const auto xv = detValues(size_t(N * C * H * W), 231, -2.0, 2.0);
    const std::vector<double> gamma = {2.0, -0.5, 1.0}, beta = {0.5, 0.0, -1.0};
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims4{N, C, H, W});
    ASSERT_NE(x, nullptr);
    const std::vector<int64_t> pd = fourD ? std::vector<int64_t>{1, C, 1, 1} : std::vector<int64_t>{C};
    auto* s = h.constant(pd, gamma);
    auto* b = h.constant(pd, beta);
    ASSERT_TRUE(s && b);
    auto* in = h.net().addNormalization(*x, *s->getOutput(0), *b->getOutput(0), (1u << 2) | (1u << 3));
    ASSERT_NE(in, nullptr) << h.logger().joined();
    EXPECT_EQ(in->getAxes(), (1u << 2) | (1u << 3));
    EXPECT_EQ(in->getNbGroups(), 1);
    auto norm = refNormalizeGroups(xv, H * W, 1e-5);
    for (size_t i = 0; i < norm.size(); ++i) {
        const size_t c = (i / size_t(H * W)) % size_t(C);
        norm[i] = norm[i] * gamma[c] + beta[c];
    }
    h.output(in->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({N, C, H, W}, xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {N, C, H, W}, norm, 1e-5, 1e-5));
}
INSTANTIATE_TEST_SUITE_P(Layers, LayerNormalizationInstance, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Scale1C11" : "ScaleC"; });

class LayerNormalizationGroup : public ::testing::TestWithParam<bool> {};

TEST_P(LayerNormalizationGroup, SetNbGroupsSplitsChannels) {
    const bool fourD = GetParam();
    NetHarness h(Mode::kExplicit);
    const int64_t N = 2, C = 4, H = 2, W = 3, G = 2;
    const auto xv = detValues(size_t(N * C * H * W), 241, -2.0, 2.0);
    const std::vector<double> gamma = {1.0, 2.0, -1.0, 0.5}, beta = {0.0, 1.0, 0.5, -0.5};
    auto* x = h.net().addInput("x", DataType::kFLOAT, kiln::Dims4{N, C, H, W});
    ASSERT_NE(x, nullptr);
    const std::vector<int64_t> pd = fourD ? std::vector<int64_t>{1, C, 1, 1} : std::vector<int64_t>{C};
    auto* s = h.constant(pd, gamma);
    auto* b = h.constant(pd, beta);
    ASSERT_TRUE(s && b);
    auto* gn = h.net().addNormalization(*x, *s->getOutput(0), *b->getOutput(0), (1u << 2) | (1u << 3));
    ASSERT_NE(gn, nullptr) << h.logger().joined();
    gn->setNbGroups(G);
    EXPECT_EQ(gn->getNbGroups(), G);
    auto norm = refNormalizeGroups(xv, (C / G) * H * W, 1e-5);
    for (size_t i = 0; i < norm.size(); ++i) {
        const size_t c = (i / size_t(H * W)) % size_t(C);
        norm[i] = norm[i] * gamma[c] + beta[c];
    }
    h.output(gn->getOutput(0), "y");
    auto r = h.run({{"x", floatTensor({N, C, H, W}, xv)}});
    ASSERT_RAN(r);
    EXPECT_TRUE(allClose(r.out("y"), {N, C, H, W}, norm, 1e-5, 1e-5));
}
INSTANTIATE_TEST_SUITE_P(Layers, LayerNormalizationGroup, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Scale1C11" : "ScaleC"; });

// ---- TopK ----------------------------------------------------------------------------

class LayerTopK : public LayerModeTest {};

TEST_P(LayerTopK, MaxAndMinWithInt32Indices) {
    // Item [3, 5], top 2 along item axis 1.
    const int64_t R = 3, L = 5, K = 2;
    std::vector<double> xv(size_t(kBatch * R * L));
    for (size_t i = 0; i < xv.size(); ++i) xv[i] = double((i * 7 + 3) % 17) - 8.0 + 0.25 * double(i / 17);  // distinct per row
    auto* x = h.input("x", {R, L});
    ASSERT_NE(x, nullptr);
    auto* mx = h.net().addTopK(*x, kiln::TopKOperation::kMAX, int32_t(K), h.axes(1u << 1));
    auto* mn = h.net().addTopK(*x, kiln::TopKOperation::kMAX, 1, h.axes(1u << 0));
    ASSERT_TRUE(mx && mn) << h.logger().joined();
    mn->setOperation(kiln::TopKOperation::kMIN);
    mn->setK(int32_t(K));
    mn->setReduceAxes(h.axes(1u << 1));
    EXPECT_EQ(mx->getType(), kiln::LayerType::kTOPK);
    EXPECT_EQ(mx->getNbOutputs(), 2);
    EXPECT_EQ(mn->getOperation(), kiln::TopKOperation::kMIN);
    EXPECT_EQ(mn->getK(), K);
    EXPECT_EQ(mn->getReduceAxes(), h.axes(1u << 1));
    EXPECT_EQ(mx->getOutput(1)->getType(), DataType::kINT32);
    h.output(mx->getOutput(0), "maxv");
    h.output(mx->getOutput(1), "maxi");
    h.output(mn->getOutput(0), "minv");
    h.output(mn->getOutput(1), "mini");
    std::vector<double> wmaxv, wmaxi, wminv, wmini;
    for (int64_t row = 0; row < kBatch * R; ++row) {
        std::vector<int64_t> idx(static_cast<size_t>(L));
        std::iota(idx.begin(), idx.end(), 0);
        auto at = [&](int64_t i) { return xv[size_t(row * L + i)]; };
        std::vector<int64_t> desc = idx, asc = idx;
        std::stable_sort(desc.begin(), desc.end(), [&](int64_t a, int64_t b) { return at(a) > at(b); });
        std::stable_sort(asc.begin(), asc.end(), [&](int64_t a, int64_t b) { return at(a) < at(b); });
        for (int64_t k = 0; k < K; ++k) {
            wmaxv.push_back(at(desc[size_t(k)]));
            wmaxi.push_back(double(desc[size_t(k)]));
            wminv.push_back(at(asc[size_t(k)]));
            wmini.push_back(double(asc[size_t(k)]));
        }
    }
    auto r = h.run({{"x", floatTensor(full({R, L}), xv)}});
    ASSERT_RAN(r);
    EXPECT_EQ(r.out("maxi").type, DataType::kINT32);
    EXPECT_EQ(r.out("mini").type, DataType::kINT32);
    EXPECT_TRUE(allClose(r.out("maxv"), full({R, K}), wmaxv, 0, 0));
    EXPECT_TRUE(allClose(r.out("maxi"), full({R, K}), wmaxi, 0, 0));
    EXPECT_TRUE(allClose(r.out("minv"), full({R, K}), wminv, 0, 0));
    EXPECT_TRUE(allClose(r.out("mini"), full({R, K}), wmini, 0, 0));
}
LAYER_INSTANTIATE_MODES(LayerTopK);

}  // namespace
