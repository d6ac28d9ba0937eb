// kiln_onnx: the random generators (RandomUniform/Normal[Like], Bernoulli,
// Multinomial). Their values are kiln's own stream, so the tests check ranges,
// moments over many draws, the certain cases (p = 0 or 1, one class with all the
// mass) and that a seed always gives the same values.
#include <cmath>

#include "onnx_test_util.h"

using namespace onnx_test;

namespace {

constexpr int64_t kN = 4096;

double mean(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += x;
    return v.empty() ? NAN : s / double(v.size());
}

double stddev(const std::vector<float>& v) {
    const double m = mean(v);
    double s = 0;
    for (float x : v) s += (x - m) * (x - m);
    return std::sqrt(s / double(v.size()));
}

}  // namespace

TEST(OnnxRandomOps, RandomUniformLikeRangeMomentsAndSeed) {
    const std::vector<float> x(kN, 0.f);
    auto n = opNode({"x"}, "RandomUniformLike", {attrF("low", 2.f), attrF("high", 5.f), attrF("seed", 3.f)});
    const auto y = runOp(n, {}, {kN}, x, 15);
    ASSERT_EQ(y.size(), size_t(kN));
    for (float v : y) {
        ASSERT_GE(v, 2.f);
        ASSERT_LT(v, 5.f);
    }
    EXPECT_NEAR(mean(y), 3.5, 0.1);
    EXPECT_NEAR(stddev(y), 3.0 / std::sqrt(12.0), 0.05);
    EXPECT_EQ(runOp(n, {}, {kN}, x, 15), y);  // same seed, same values
    auto other = opNode({"x"}, "RandomUniformLike", {attrF("low", 2.f), attrF("high", 5.f), attrF("seed", 4.f)});
    EXPECT_NE(runOp(other, {}, {kN}, x, 15), y);
}

TEST(OnnxRandomOps, RandomNormalAndNormalLikeMoments) {
    const std::vector<float> x(kN, 0.f);
    const auto like =
        runOp(opNode({"x"}, "RandomNormalLike", {attrF("mean", 1.f), attrF("scale", 2.f)}), {}, {kN}, x, 15);
    EXPECT_NEAR(mean(like), 1.0, 0.15);
    EXPECT_NEAR(stddev(like), 2.0, 0.15);
    // RandomNormal takes its shape from the attribute; added to x to make the graph's output.
    const auto fromShape = runNodes(
        {chainNode({}, "r", "RandomNormal", {attrIs("shape", {kN}), attrF("mean", -3.f), attrF("scale", 0.5f)}),
         node({"x", "r"}, {"y"}, "add", "Add")},
        {}, {kN}, x, 15);
    EXPECT_NEAR(mean(fromShape), -3.0, 0.05);
    EXPECT_NEAR(stddev(fromShape), 0.5, 0.05);
}

TEST(OnnxRandomOps, BernoulliCertainAndFrequency) {
    std::vector<float> p(kN);
    for (int64_t i = 0; i < kN; ++i) p[size_t(i)] = float(i % 2);  // p = 0 or 1: certain outcomes
    EXPECT_EQ(runOp(opNode({"x"}, "Bernoulli", {}), {}, {kN}, p, 15), p);
    const std::vector<float> third(kN, 0.3f);
    EXPECT_NEAR(mean(runOp(opNode({"x"}, "Bernoulli", {attrF("seed", 1.f)}), {}, {kN}, third, 15)), 0.3, 0.03);
}

TEST(OnnxRandomOps, MultinomialCertainAndFrequency) {
    // Row 0 puts all its mass on class 0, row 1 on class 2 (log-probabilities).
    const std::vector<float> certain = {0, -100, -100, -100, -100, 0};
    const auto y = runNodes({chainNode({"x"}, "s", "Multinomial", {attrI("sample_size", 5)}),
                             chainNode({"s"}, "y", "Cast", {attrI("to", 1)})},
                            {}, {2, 3}, certain, 15);
    EXPECT_EQ(y, (std::vector<float>{0, 0, 0, 0, 0, 2, 2, 2, 2, 2}));
    const std::vector<float> logp = {std::log(0.2f), std::log(0.8f)};
    const auto draws = runNodes({chainNode({"x"}, "s", "Multinomial", {attrI("sample_size", 2000), attrI("dtype", 7)}),
                                 chainNode({"s"}, "y", "Cast", {attrI("to", 1)})},
                                {}, {1, 2}, logp, 15);
    ASSERT_EQ(draws.size(), 2000u);
    EXPECT_NEAR(mean(draws), 0.8, 0.04);
}

TEST(OnnxRandomOps, BadAttributesNameTheProblem) {
    CapturingLogger log;
    auto builder = kiln::createInferBuilder(log);
    auto network = builder->createNetworkV2(0);
    auto parser = kiln::onnx::createParser(*network, log);
    std::string graph, opsetBytes, m;
    putBytes(graph, 1, opNode({"x"}, "RandomUniformLike", {attrI("dtype", 7)}));  // int64: not a float type
    putBytes(graph, 2, "g");
    putBytes(graph, 11, typedInfo("x", {4}));
    putBytes(graph, 12, typedInfo("y", {}));
    putInt(m, 1, 8);
    putInt(opsetBytes, 2, 15);
    putBytes(m, 8, opsetBytes);
    putBytes(m, 7, graph);
    ASSERT_FALSE(parser->parse(m.data(), m.size()));
    EXPECT_NE(std::string(parser->getError(0)->desc()).find("float type"), std::string::npos)
        << parser->getError(0)->desc();
}
