// Row shuffles moved across projections for the attention layout pass
// (builder/cuda/row_shuffle_motion.cpp), on IR graphs run before and after
// on the CPU reference: ViT's batch_first attention block, whose transposes
// around the projections end up inside the attention's views, and a block
// the layout pass cannot take, which keeps its transposes where they were.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "cpu_graph_runner.h"
#include "graph_builders.h"
#include "ir/graph.h"
#include "ir/op_schema.h"
#ifdef KILN_HAVE_CUDA
#include "builder/cuda/cuda_build.h"
#endif

namespace {

using namespace kiln;
using ir::DType;
using testutil::countOp;
using testutil::out0;
using testutil::randomHalves;
using testutil::runOnCpu;
using testutil::shuffle;

#ifdef KILN_HAVE_CUDA
constexpr int64_t kB = 2, kS = 5, kH = 2, kD = 64, kE = kH * kD;

int fc(ir::Graph& g, const std::string& name, int x, int64_t in, int64_t out, int64_t axis, uint32_t seed) {
    auto w = std::make_shared<ir::Bytes>(randomHalves(out * in, seed));
    auto b = std::make_shared<ir::Bytes>(randomHalves(out, seed + 1));
    for (size_t k = 0; k + 1 < w->size(); k += 2) (*w)[k + 1] &= 0xdf;  // weights /2..: sums of 128 stay small
    const int n = g.addNode(
        "FullyConnected", name,
        {x, g.addConstant(name + "_w", DType::kF16, {out, in}, w), g.addConstant(name + "_b", DType::kF16, {out}, b)},
        1);
    g.nodes[size_t(n)].attrs.set("axis", axis);
    g.nodes[size_t(n)].attrs.set("keep_dims_1x1", int64_t(0));
    return out0(g, n);
}

int i64Scalar(ir::Graph& g, const std::string& name, int64_t v) {
    auto bytes = std::make_shared<ir::Bytes>(8);
    std::memcpy(bytes->data(), &v, 8);
    return g.addConstant(name, DType::kI64, {}, bytes);
}

// x [B, S, E] -> transpose [S, B, E] -> in-projection -> ViT's head split ->
// attention -> rows [S·B, E] -> out-projection -> [S, B, E] -> transpose
// [B, S, E] -> + x, as torch exports nn.MultiheadAttention(batch_first=True).
ir::Graph vitBlock(bool layoutCanTakeIt) {
    ir::Graph g;
    const int x = g.addValue("x", DType::kF16, {kB, kS, kE});
    g.inputs = {x};
    const int p = fc(g, "in_proj", shuffle(g, "to_seq_first", x, {1, 0, 2}, {}), kE, 3 * kE, 2, 1);
    int h = shuffle(g, "reshape", p, {}, {kS, kB, 3, kE});
    h = shuffle(g, "unsqueeze", h, {}, {1, kS, kB, 3, kE});
    h = shuffle(g, "transpose", h, {3, 1, 2, 0, 4}, {});
    h = shuffle(g, "squeeze", h, {}, {3, kS, kB, kE});
    int qkv[3];
    for (int64_t i = 0; i < 3; ++i) {
        const std::string n = "qkv" + std::to_string(i);
        const int gather = g.addNode("Gather", n, {h, i64Scalar(g, n + "_index", i)}, 1);
        int t = shuffle(g, n + "_split", out0(g, gather), {}, {kS, kB * kH, kD});
        t = shuffle(g, n + "_heads", t, {1, 0, 2}, {});
        qkv[i] = shuffle(g, n + "_batch", t, {}, {kB, kH, kS, kD});
    }
    if (!layoutCanTakeIt) {  // Q computed, not a view: the copies that make Q's input stay
        const int relu = g.addNode("Activation", "q_relu", {qkv[0]}, 1);
        g.nodes[size_t(relu)].attrs.set("type", std::string("relu"));
        qkv[0] = out0(g, relu);
    }
    const int att = g.addNode("FusedAttention", "attention", {qkv[0], qkv[1], qkv[2]}, 1);
    g.nodes[size_t(att)].attrs.set("trans_k", int64_t(1));
    g.nodes[size_t(att)].attrs.set("scale", 0.125);
    int y = shuffle(g, "back", out0(g, att), {2, 0, 1, 3}, {});
    y = shuffle(g, "rows", y, {}, {kS * kB, kE});
    y = fc(g, "out_proj", y, kE, kE, 1, 3);
    y = shuffle(g, "unrows", y, {}, {kS, kB, kE});
    y = shuffle(g, "to_batch_first", y, {1, 0, 2}, {});
    const int sum = g.addNode("ElementWise", "residual", {y, x}, 1);
    g.nodes[size_t(sum)].attrs.set("op", std::string("sum"));
    g.outputs = {out0(g, sum)};
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

#endif

TEST(RowShuffleMotion, ViTTransposesMoveIntoTheAttentionViews) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    ir::Graph g = vitBlock(true);
    const std::vector<std::vector<uint8_t> > in = {randomHalves(kB * kS * kE, 5)};
    const auto before = runOnCpu(g, in);
    ASSERT_TRUE(builder::layOutAttentionMovingRows(g, {}, [](int, const std::string&) {}).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    EXPECT_EQ(countOp(g, "Shuffle"), 0);  // both transposes and every head copy gone
    EXPECT_EQ(countOp(g, "Gather"), 0);
    int proj = -1;
    for (size_t i = 0; i < g.nodes.size(); ++i)
        if (g.nodes[i].name == "out_proj") proj = int(i);
    ASSERT_GE(proj, 0);
    // The out-projection now writes [B, S, E] rows: its residual can join its epilogue.
    EXPECT_EQ(g.values[size_t(g.nodes[size_t(proj)].outputs[0])].shape, (ir::Shape{kB, kS, kE}));
    EXPECT_EQ(runOnCpu(g, in), before);  // the same arithmetic per row: bit-identical
#endif
}

TEST(RowShuffleMotion, TransposesStayWhereTheLayoutCannotTakeThem) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    // Q goes through a ReLU, so the copies feeding it stay, and with them the
    // moved transpose after the in-projection: the motion is undone (the
    // transpose would copy 3·E columns there instead of E).
    ir::Graph g = vitBlock(false);
    const std::vector<std::vector<uint8_t> > in = {randomHalves(kB * kS * kE, 6)};
    const auto before = runOnCpu(g, in);
    ASSERT_TRUE(builder::layOutAttentionMovingRows(g, {}, [](int, const std::string&) {}).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    int toSeq = -1, inProj = -1, toBatch = -1;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        if (g.nodes[i].name == "to_seq_first") toSeq = int(i);
        if (g.nodes[i].name == "in_proj") inProj = int(i);
        if (g.nodes[i].name == "to_batch_first") toBatch = int(i);
    }
    ASSERT_GE(toSeq, 0);
    ASSERT_GE(inProj, 0);
    EXPECT_GE(toBatch, 0);
    EXPECT_EQ(g.nodes[size_t(inProj)].inputs[0], g.nodes[size_t(toSeq)].outputs[0]);
    // K and V are still read in place (the plain layout), and the values do not change.
    EXPECT_EQ(runOnCpu(g, in), before);
#endif
}

}  // namespace
