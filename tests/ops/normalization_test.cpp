// Normalization (layer / instance / group) against float64 loops in the test.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;

std::vector<int64_t> unravel(int64_t flat, const ir::Shape& s) {
    std::vector<int64_t> idx(s.size());
    for (int d = int(s.size()) - 1; d >= 0; --d) {
        idx[size_t(d)] = flat % s[size_t(d)];
        flat /= s[size_t(d)];
    }
    return idx;
}

// Flat index into `p` (numpy-broadcast to x) of the element at x index `idx`.
int64_t broadcastIndex(const std::vector<int64_t>& idx, const ir::Shape& p) {
    int64_t o = 0;
    const size_t lead = idx.size() - p.size();
    for (size_t d = 0; d < p.size(); ++d) o = o * p[d] + (p[d] == 1 ? 0 : idx[lead + d]);
    return o;
}

// Generic: `groupOf(idx)` names the statistics group of each element;
// `paramOf(idx)` the Scale/Bias element for it.
template <typename GroupFn, typename ScaleFn, typename BiasFn>
std::vector<double> normalizeExpected(const TestTensor& x, const TestTensor& scale, const TestTensor& bias,
                                      double eps, int64_t numGroups, GroupFn groupOf, ScaleFn scaleOf, BiasFn biasOf) {
    const auto xv = x.toDoubles(), sv = scale.toDoubles(), bv = bias.toDoubles();
    std::vector<double> sum(size_t(numGroups), 0), sq(size_t(numGroups), 0), cnt(size_t(numGroups), 0);
    for (size_t i = 0; i < xv.size(); ++i) {
        const int64_t g = groupOf(unravel(int64_t(i), x.shape));
        sum[size_t(g)] += xv[i];
        cnt[size_t(g)] += 1;
    }
    for (size_t i = 0; i < xv.size(); ++i) {
        const int64_t g = groupOf(unravel(int64_t(i), x.shape));
        const double d = xv[i] - sum[size_t(g)] / cnt[size_t(g)];
        sq[size_t(g)] += d * d;
    }
    std::vector<double> y(xv.size());
    for (size_t i = 0; i < xv.size(); ++i) {
        const auto idx = unravel(int64_t(i), x.shape);
        const size_t g = size_t(groupOf(idx));
        const double mean = sum[g] / cnt[g], var = sq[g] / cnt[g];
        y[i] = (xv[i] - mean) / std::sqrt(var + eps) * sv[size_t(scaleOf(idx))] + bv[size_t(biasOf(idx))];
    }
    return y;
}

std::vector<double> layerExpected(const TestTensor& x, const TestTensor& scale, const TestTensor& bias,
                                  std::vector<bool> reduced, double eps) {
    int64_t groups = 1;
    for (size_t d = 0; d < x.shape.size(); ++d)
        if (!reduced[d]) groups *= x.shape[d];
    auto groupOf = [&](const std::vector<int64_t>& idx) {
        int64_t g = 0;
        for (size_t d = 0; d < idx.size(); ++d)
            if (!reduced[d]) g = g * x.shape[d] + idx[d];
        return g;
    };
    return normalizeExpected(
        x, scale, bias, eps, groups, groupOf, [&](const auto& idx) { return broadcastIndex(idx, scale.shape); },
        [&](const auto& idx) { return broadcastIndex(idx, bias.shape); });
}

std::vector<double> groupExpected(const TestTensor& x, const TestTensor& scale, const TestTensor& bias,
                                  int64_t numGroups, double eps) {
    const int64_t c = x.shape[1], perGroup = c / numGroups;
    return normalizeExpected(
        x, scale, bias, eps, x.shape[0] * numGroups,
        [&](const auto& idx) { return idx[0] * numGroups + idx[1] / perGroup; },
        [](const auto& idx) { return idx[1]; }, [](const auto& idx) { return idx[1]; });
}

ir::Attrs normAttrs(const std::string& kind, double eps = 1e-5) {
    ir::Attrs a;
    a.set("kind", kind);
    a.set("epsilon", eps);
    return a;
}

TestTensor rnd(ir::Shape s, uint32_t seed, DType t = DType::kF32) { return TestTensor::random(t, std::move(s), seed, -2, 2); }

void checkLayer(const ir::Shape& xs, std::vector<int64_t> axes, const ir::Shape& ss, const ir::Shape& bs,
                double eps = 1e-5, DType t = DType::kF32, double tol = 1e-5, DType paramType = DType::kF32) {
    SCOPED_TRACE("layer " + ir::shapeToString(xs) + " scale " + ir::shapeToString(ss));
    const TestTensor x = rnd(xs, 1, t), scale = rnd(ss, 2, paramType), bias = rnd(bs, 3, paramType);
    ir::Attrs a = normAttrs("layer", eps);
    std::vector<bool> reduced(xs.size(), false);
    if (axes.empty()) reduced.back() = true;  // default: the last axis
    else a.set("axes", axes);
    for (int64_t ax : axes) reduced[size_t(ax < 0 ? ax + int64_t(xs.size()) : ax)] = true;
    const OpResult r = runOp("Normalization", a, {x, scale, bias});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, xs);
    EXPECT_EQ(r.outputs[0].dtype, t);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), layerExpected(x, scale, bias, reduced, eps), tol, tol);
}

TEST(NormalizationTest, LayerDefaultLastAxis) { checkLayer({2, 3, 4}, {}, {4}, {4}); }

TEST(NormalizationTest, LayerSeveralAxes) {
    checkLayer({2, 3, 4}, {1, 2}, {3, 4}, {3, 4});
    checkLayer({2, 3, 4}, {-2, -1}, {1, 4}, {3, 1});
    checkLayer({2, 3, 4}, {0, 2}, {2, 1, 4}, {1});   // non-contiguous axes
    checkLayer({2, 3, 4}, {0, 1, 2}, {2, 3, 4}, {4}); // every axis
    checkLayer({3, 5, 2, 4}, {-3}, {5, 1, 1}, {1});
}

TEST(NormalizationTest, LayerEpsilonAndManyRows) {
    checkLayer({40, 16}, {-1}, {16}, {16}, 0.5);
    checkLayer({8, 6, 7}, {1}, {6, 1}, {7}, 1e-3);
}

TEST(NormalizationTest, LayerHalfAndBFloat16) {
    checkLayer({4, 8}, {-1}, {8}, {8}, 1e-5, DType::kF16, 5e-3);
    checkLayer({4, 8}, {-1}, {8}, {8}, 1e-5, DType::kBF16, 3e-2);
}

// Transformer widths (the CUDA backend moves 16-bit rows whose length is a
// multiple of 8 sixteen bytes at a time, 256 elements per warp pass): whole
// and partial passes, parameters in float32 and in the input's type, and a
// width that is no multiple of 8.
TEST(NormalizationTest, LayerHalfTransformerWidths) {
    checkLayer({3, 5, 768}, {-1}, {768}, {768}, 1e-5, DType::kF16, 5e-3);
    checkLayer({3, 5, 768}, {-1}, {768}, {768}, 1e-6, DType::kF16, 5e-3, DType::kF16);
    checkLayer({7, 520}, {-1}, {520}, {520}, 1e-5, DType::kBF16, 3e-2);
    checkLayer({9, 64}, {-1}, {64}, {64}, 1e-5, DType::kF16, 5e-3, DType::kF16);
    checkLayer({2, 1024}, {-1}, {1024}, {1024}, 1e-5, DType::kF16, 5e-3);
    checkLayer({5, 12}, {-1}, {12}, {12}, 1e-5, DType::kF16, 5e-3);
}

TEST(NormalizationTest, ConstantRowGivesBias) {
    // Zero variance: (x - mean) = 0, so the output is exactly Bias.
    const TestTensor x = TestTensor::f32({2, 3}, {5, 5, 5, -1, -1, -1});
    const OpResult r = runOp("Normalization", normAttrs("layer"),
                             {x, TestTensor::f32({3}, {2, 2, 2}), TestTensor::f32({3}, {0.5f, 1.5f, -3})});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_CLOSE(r.outputs[0].toDoubles(), (std::vector<double>{0.5, 1.5, -3, 0.5, 1.5, -3}), 0, 1e-7);
}

TEST(NormalizationTest, Instance) {
    for (const ir::Shape& s : {ir::Shape{2, 3, 2, 2}, ir::Shape{1, 2, 2, 2, 3}, ir::Shape{3, 4, 5}}) {
        SCOPED_TRACE(ir::shapeToString(s));
        const TestTensor x = rnd(s, 4), scale = rnd({s[1]}, 5), bias = rnd({s[1]}, 6);
        const OpResult r = runOp("Normalization", normAttrs("instance", 1e-3), {x, scale, bias});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), groupExpected(x, scale, bias, s[1], 1e-3), 1e-5, 1e-5);
    }
}

TEST(NormalizationTest, GroupCounts) {
    const ir::Shape s = {2, 4, 3, 2};
    const TestTensor x = rnd(s, 7), scale = rnd({4}, 8), bias = rnd({4}, 9);
    for (int64_t g : {1, 2, 4}) {
        SCOPED_TRACE("groups " + std::to_string(g));
        ir::Attrs a = normAttrs("group");
        a.set("num_groups", g);
        const OpResult r = runOp("Normalization", a, {x, scale, bias});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        EXPECT_CLOSE(r.outputs[0].toDoubles(), groupExpected(x, scale, bias, g, 1e-5), 1e-5, 1e-5);
    }
    // groups = C is instance norm.
    ir::Attrs a = normAttrs("group");
    a.set("num_groups", int64_t(4));
    const OpResult g = runOp("Normalization", a, {x, scale, bias});
    const OpResult in = runOp("Normalization", normAttrs("instance"), {x, scale, bias});
    ASSERT_TRUE(g.status.ok() && in.status.ok());
    EXPECT_CLOSE(g.outputs[0].toDoubles(), in.outputs[0].toDoubles(), 0, 0);
}

TEST(NormalizationTest, GroupHalfInput) {
    const TestTensor x = rnd({2, 6, 5}, 10, DType::kF16), scale = rnd({6}, 11), bias = rnd({6}, 12);
    ir::Attrs a = normAttrs("group");
    a.set("num_groups", int64_t(3));
    const OpResult r = runOp("Normalization", a, {x, scale, bias});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].dtype, DType::kF16);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), groupExpected(x, scale, bias, 3, 1e-5), 5e-3, 5e-3);
}

void expectError(const ir::Attrs& a, const std::vector<TestTensor>& in, const std::string& fragment) {
    const OpResult r = runOp("Normalization", a, in);
    EXPECT_FALSE(r.status.ok()) << "expected an error mentioning '" << fragment << "'";
    EXPECT_NE(r.status.message().find(fragment), std::string::npos) << r.status.message();
}

TEST(NormalizationTest, ErrorsNameTheProblem) {
    const TestTensor x = rnd({2, 4, 3}, 1), c4 = rnd({4}, 2), c3 = rnd({3}, 3);
    expectError(normAttrs("batch"), {x, c4, c4}, "batch");
    ir::Attrs g = normAttrs("group");
    g.set("num_groups", int64_t(3));
    expectError(g, {x, c4, c4}, "divisible");
    g.set("num_groups", int64_t(0));
    expectError(g, {x, c4, c4}, "num_groups");
    expectError(normAttrs("instance"), {x, c3, c4}, "Scale");
    expectError(normAttrs("instance"), {x, c4, c3}, "Bias");
    expectError(normAttrs("instance"), {rnd({4}, 1), c4, c4}, "[N, C");
    expectError(normAttrs("layer"), {x, c4, c3}, "Scale");  // last axis is 3: [4] does not broadcast
    ir::Attrs l = normAttrs("layer");
    l.set("axes", std::vector<int64_t>{1, -2});
    expectError(l, {x, c3, c3}, "repeated");
    l.set("axes", std::vector<int64_t>{3});
    expectError(l, {x, c3, c3}, "axis 3");
    expectError(normAttrs("layer", -1.0), {x, c3, c3}, "epsilon");
    expectError(normAttrs("layer"), {TestTensor::i32({2, 3}, {1, 2, 3, 4, 5, 6}), c3, c3}, "int32");
}

}  // namespace
}  // namespace kiln::test
