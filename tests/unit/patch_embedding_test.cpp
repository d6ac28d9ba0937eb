// The patch-embedding pass on IR graphs: a convolution whose kernel is its
// stride becomes a Shuffle and a FullyConnected, with the same values on the
// CPU reference before and after (up to the order of the sums); ViT's
// flatten-and-transpose of the output becomes a reshape; convolutions that
// are not patch cuts are left alone.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "builder/pass.h"
#include "cpu_graph_runner.h"
#include "graph_builders.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace {

using namespace kiln;
using ir::DType;
using testutil::countOp;
using testutil::floatConst;
using testutil::out0;
using testutil::randomFloats;
using testutil::runOnCpu;

struct Conv {
    int64_t outChannels = 8, inChannels = 3, kernel = 8, stride = 8, group = 1, pad = 0;
    bool bias = true;
};

// x [batch, 3, 32, 32] -> Convolution -> y; with `tokens`, y [N, K, Ho, Wo]
// -> reshape [N, K, Ho·Wo] -> transpose [N, Ho·Wo, K], as torchvision's ViT.
ir::Graph patchNet(const Conv& c, bool tokens, int64_t batch = 2) {
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {batch, c.inChannels, 32, 32});
    g.inputs = {x};
    std::vector<int> in{x, floatConst(g, "w", {c.outChannels, c.inChannels / c.group, c.kernel, c.kernel}, 1)};
    if (c.bias) in.push_back(floatConst(g, "b", {c.outChannels}, 2));
    const int conv = g.addNode("Convolution", "conv_proj", in, 1);
    ir::Attrs& a = g.nodes[size_t(conv)].attrs;
    a.set("strides", std::vector<int64_t>{c.stride, c.stride});
    a.set("pads_begin", std::vector<int64_t>{c.pad, c.pad});
    a.set("pads_end", std::vector<int64_t>{c.pad, c.pad});
    a.set("group", c.group);
    int y = out0(g, conv);
    if (tokens) {
        const int64_t side = 32 / c.kernel;
        const int flat = g.addNode("Shuffle", "flatten", {y}, 1);
        g.nodes[size_t(flat)].attrs.set("reshape", std::vector<int64_t>{0, c.outChannels, side * side});
        const int t = g.addNode("Shuffle", "tokens", {out0(g, flat)}, 1);
        g.nodes[size_t(t)].attrs.set("perm1", std::vector<int64_t>{0, 2, 1});
        y = out0(g, t);
    }
    g.outputs = {y};
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

bool runPass(ir::Graph& g) {
    bool changed = false;
    EXPECT_TRUE(builder::makePatchEmbedding()->run(g, changed).ok());
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return changed;
}

void expectClose(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
    ASSERT_EQ(got.size(), want.size());
    ASSERT_FALSE(want.empty());
    const auto* a = reinterpret_cast<const float*>(got.data());
    const auto* b = reinterpret_cast<const float*>(want.data());
    for (size_t i = 0; i < want.size() / 4; ++i) ASSERT_NEAR(a[i], b[i], 1e-5f * (1 + std::fabs(b[i]))) << i;
}

TEST(PatchEmbedding, ViTTokensComeStraightOutOfTheGemm) {
    ir::Graph g = patchNet({}, true);
    const ir::Graph before = g;
    ASSERT_TRUE(runPass(g));
    EXPECT_EQ(countOp(g, "Convolution"), 0);
    EXPECT_EQ(countOp(g, "FullyConnected"), 1);
    EXPECT_EQ(countOp(g, "Shuffle"), 2);  // the patch cut, and a reshape that moves nothing
    EXPECT_EQ(g.values[size_t(g.outputs[0])].shape, (ir::Shape{2, 16, 8}));
    const std::vector<std::vector<uint8_t>> in = {randomFloats(2 * 3 * 32 * 32, 5)};
    const auto want = runOnCpu(before, in), got = runOnCpu(g, in);
    ASSERT_EQ(got.size(), 1u);
    expectClose(got[0], want[0]);
}

TEST(PatchEmbedding, OtherReadersGetTheConvolutionsLayoutWithADynamicBatch) {
    Conv c;
    c.bias = false;
    c.kernel = c.stride = 4;
    ir::Graph g = patchNet(c, false, -1);
    const ir::Graph before = g;
    ASSERT_TRUE(runPass(g));
    EXPECT_EQ(countOp(g, "Convolution"), 0);
    EXPECT_EQ(g.values[size_t(g.outputs[0])].shape, (ir::Shape{-1, 8, 8, 8}));
    for (int64_t batch : {1, 3}) {
        const std::vector<std::vector<uint8_t>> in = {randomFloats(batch * 3 * 32 * 32, 6)};
        const std::vector<ir::Shape> shapes = {{batch, 3, 32, 32}};
        const auto want = runOnCpu(before, in, shapes), got = runOnCpu(g, in, shapes);
        ASSERT_EQ(got.size(), 1u);
        expectClose(got[0], want[0]);
    }
}

TEST(PatchEmbedding, OtherConvolutionsAreLeftAlone) {
    Conv strided, padded, grouped, pointwise;
    strided.stride = 4;
    padded.pad = 1;
    grouped.group = 3;
    grouped.outChannels = 6;
    pointwise.kernel = pointwise.stride = 1;
    for (const Conv& c : {strided, padded, grouped, pointwise}) {
        ir::Graph g = patchNet(c, false);
        EXPECT_FALSE(runPass(g));
        EXPECT_EQ(countOp(g, "Convolution"), 1);
    }
}

}  // namespace
