// kiln_onnx: converters that decompose NN ops into kiln layers (losses, Trilu,
// Hardmax, Shrink, Celu, LpNormalization, MVN, DepthToSpace/SpaceToDepth), each
// checked on the CPU against a reference computed here.
#include "onnx_test_util.h"

using namespace onnx_test;

namespace {

Attr attrS(const std::string& name, const std::string& v) {
    Attr a;
    putBytes(a.bytes, 1, name);
    putBytes(a.bytes, 4, v);
    putInt(a.bytes, 20, 3);
    return a;
}

}  // namespace

TEST(OnnxNNOps, NegativeLogLikelihoodLossWeightedMeanWithIgnoreIndex) {
    const std::vector<float> x = {-1, -2, -3, -4, -0.5f, -1.5f, -2.5f, -3.5f, -0.1f, -0.2f, -0.3f, -0.4f};
    const std::vector<int64_t> target = {2, 1, 3};  // the second sample is ignored
    const std::vector<float> w = {0.5f, 1, 2, 4};
    for (const char* reduction : {"none", "sum", "mean"}) {
        SCOPED_TRACE(reduction);
        auto n = opNode({"x", "t", "w"}, "NegativeLogLikelihoodLoss",
                        {attrS("reduction", reduction), attrI("ignore_index", 1)});
        const float l0 = -x[2] * w[2], l2 = -x[11] * w[3];
        std::vector<float> want;
        if (std::string(reduction) == "none")
            want = {l0, 0.f, l2};
        else if (std::string(reduction) == "sum")
            want = {l0 + l2};
        else
            want = {(l0 + l2) / (w[2] + w[3])};
        expectNear(runOp(n, {int64Init("t", target), floatInit("w", {4}, w)}, {3, 4}, x, 13), want);
    }
}

TEST(OnnxNNOps, SoftmaxCrossEntropyLossMeanOverClassAxis1) {
    // x [N=2, C=3]: mean over the samples of -log_softmax(x)[label].
    const std::vector<float> x = {1, 2, 3, 0.5f, 0.5f, -1};
    const std::vector<int64_t> labels = {2, 0};
    auto n = opNode({"x", "t"}, "SoftmaxCrossEntropyLoss", {});
    double total = 0;
    for (int i = 0; i < 2; ++i) {
        double s = 0;
        for (int c = 0; c < 3; ++c) s += std::exp(double(x[size_t(i * 3 + c)]));
        total += -(double(x[size_t(i * 3 + labels[size_t(i)])]) - std::log(s));
    }
    expectNear(runOp(n, {int64Init("t", labels)}, {2, 3}, x, 13), {float(total / 2)});
}

TEST(OnnxNNOps, TriluLowerAndUpperWithConstantK) {
    const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // [3, 4]
    std::vector<float> lower(12), upper(12);
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 4; ++j) {
            lower[size_t(i * 4 + j)] = j - i <= 1 ? x[size_t(i * 4 + j)] : 0;
            upper[size_t(i * 4 + j)] = j - i >= -1 ? x[size_t(i * 4 + j)] : 0;
        }
    expectNear(runOp(opNode({"x", "k"}, "Trilu", {attrI("upper", 0)}), {int64Init("k", {1})}, {3, 4}, x, 14), lower);
    expectNear(runOp(opNode({"x", "k"}, "Trilu", {}), {int64Init("k", {-1})}, {3, 4}, x, 14), upper);
}

TEST(OnnxNNOps, HardmaxFirstMaximumWins) {
    const std::vector<float> x = {1, 3, 3, 0, -1, -2, -1, -5};  // [2, 4]
    expectNear(runOp(opNode({"x"}, "Hardmax", {}), {}, {2, 4}, x, 13), {0, 1, 0, 0, 1, 0, 0, 0});
    // opset 11: axis 0 flattens the whole [2, 4] into one row.
    expectNear(runOp(opNode({"x"}, "Hardmax", {attrI("axis", 0)}), {}, {2, 4}, x, 11), {0, 1, 0, 0, 0, 0, 0, 0});
}

TEST(OnnxNNOps, ShrinkCeluLpNormalization) {
    const std::vector<float> x = {-3, -1, 0, 0.5f, 2, 4};
    expectNear(runOp(opNode({"x"}, "Shrink", {attrF("lambd", 1.f), attrF("bias", 0.5f)}), {}, {6}, x, 9),
               {-2.5f, 0, 0, 0, 1.5f, 3.5f});
    std::vector<float> celu;
    for (float v : x) celu.push_back(v >= 0 ? v : 2.f * (std::exp(v / 2.f) - 1.f));
    expectNear(runOp(opNode({"x"}, "Celu", {attrF("alpha", 2.f)}), {}, {6}, x, 12), celu);
    // [2, 3], p = 1 along axis 0.
    std::vector<float> l1(6);
    for (int j = 0; j < 3; ++j) {
        const float s = std::fabs(x[size_t(j)]) + std::fabs(x[size_t(3 + j)]);
        l1[size_t(j)] = x[size_t(j)] / s;
        l1[size_t(3 + j)] = x[size_t(3 + j)] / s;
    }
    expectNear(runOp(opNode({"x"}, "LpNormalization", {attrI("axis", 0), attrI("p", 1)}), {}, {2, 3}, x, 1), l1);
}

TEST(OnnxNNOps, MeanVarianceNormalizationOverChosenAxes) {
    const std::vector<float> x = {1, 2, 4, 7, 0, -2, 3, 3};  // [2, 4], axes {1}
    std::vector<float> want(8);
    for (int r = 0; r < 2; ++r) {
        double m = 0, m2 = 0;
        for (int j = 0; j < 4; ++j) {
            m += x[size_t(r * 4 + j)] / 4.0;
            m2 += double(x[size_t(r * 4 + j)]) * x[size_t(r * 4 + j)] / 4.0;
        }
        for (int j = 0; j < 4; ++j)
            want[size_t(r * 4 + j)] = float((x[size_t(r * 4 + j)] - m) / (std::sqrt(m2 - m * m) + 1e-9));
    }
    expectNear(runOp(opNode({"x"}, "MeanVarianceNormalization", {attrIs("axes", {1})}), {}, {2, 4}, x, 13), want);
}

TEST(OnnxNNOps, DepthToSpaceBothModesAndSpaceToDepthInverse) {
    // x [1, 8, 1, 2], blocksize 2 -> [1, 2, 2, 4].
    std::vector<float> x(16);
    for (int i = 0; i < 16; ++i) x[size_t(i)] = float(i);
    std::vector<float> dcr(16), crd(16);
    for (int c = 0; c < 2; ++c)
        for (int h = 0; h < 2; ++h)
            for (int w = 0; w < 4; ++w) {
                const int bh = h % 2, bw = w % 2, ih = h / 2, iw = w / 2;
                dcr[size_t((c * 2 + h) * 4 + w)] = x[size_t(((bh * 2 + bw) * 2 + c) * 2 + ih * 2 + iw)];
                crd[size_t((c * 2 + h) * 4 + w)] = x[size_t(((c * 2 + bh) * 2 + bw) * 2 + ih * 2 + iw)];
            }
    expectNear(runOp(opNode({"x"}, "DepthToSpace", {attrI("blocksize", 2)}), {}, {1, 8, 1, 2}, x, 13), dcr);
    expectNear(
        runOp(opNode({"x"}, "DepthToSpace", {attrI("blocksize", 2), attrS("mode", "CRD")}), {}, {1, 8, 1, 2}, x, 13),
        crd);
    // SpaceToDepth undoes DCR DepthToSpace.
    expectNear(runOp(opNode({"x"}, "SpaceToDepth", {attrI("blocksize", 2)}), {}, {1, 2, 2, 4}, dcr, 13), x);
}

TEST(OnnxNNOps, GroupNormalizationOpset18ScalesPerGroup) {
    // x [1, 4, 2], 2 groups of 2 channels; opset 18 gives scale/bias per group.
    const std::vector<float> x = {1, 2, 3, 5, -1, 0, 4, 8};
    const std::vector<float> scale = {2, -1}, bias = {0.5f, 3};
    std::vector<float> want(8);
    for (int g = 0; g < 2; ++g) {
        double m = 0, v = 0;
        for (int i = 0; i < 4; ++i) m += x[size_t(g * 4 + i)] / 4.0;
        for (int i = 0; i < 4; ++i) v += (x[size_t(g * 4 + i)] - m) * (x[size_t(g * 4 + i)] - m) / 4.0;
        for (int i = 0; i < 4; ++i)
            want[size_t(g * 4 + i)] =
                float((x[size_t(g * 4 + i)] - m) / std::sqrt(v + 1e-5) * scale[size_t(g)] + bias[size_t(g)]);
    }
    auto n = opNode({"x", "s", "b"}, "GroupNormalization", {attrI("num_groups", 2)});
    expectNear(runOp(n, {floatInit("s", {2}, scale), floatInit("b", {2}, bias)}, {1, 4, 2}, x, 18), want);
}

TEST(OnnxNNOps, DropoutTrainingModeDropsAndRescales) {
    // A scalar bool initializer: data_type 9, one int32_data value.
    std::string training;
    putInt(training, 2, 9);
    putBytes(training, 8, "t");
    putInt(training, 5, 1);
    std::vector<float> x(64);
    for (int i = 0; i < 64; ++i) x[size_t(i)] = float(i + 1);
    const auto y = runOp(opNode({"x", "r", "t"}, "Dropout", {}), {floatInit("r", {}, {0.25f}), training}, {64}, x, 13);
    ASSERT_EQ(y.size(), x.size());
    int dropped = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        if (y[i] == 0.f)
            ++dropped;
        else
            EXPECT_NEAR(y[i], x[i] / 0.75f, 1e-4f) << i;  // kept elements scale by 1 / (1 - ratio)
    }
    EXPECT_GT(dropped, 0);
    EXPECT_LT(dropped, 40);  // about a quarter of 64
    // Ratio 0 in training mode drops nothing.
    expectNear(runOp(opNode({"x", "r", "t"}, "Dropout", {}), {floatInit("r", {}, {0.f}), training}, {64}, x, 13), x);
}
