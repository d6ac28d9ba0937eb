// FusedAttention's strided form (ir/ops/fused_attention.h) and the CUDA
// builder's attention layout pass that makes it. The pass's graphs are run on
// the CPU reference before and after the rewrite: the same bytes must come
// out (no device needed: the pass only asks the CUDA tactics whether they
// take the strided layer).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "cpu_graph_runner.h"
#include "graph_builders.h"
#include "ir/dtype.h"
#include "ir/graph.h"
#include "ir/op_schema.h"
#ifdef KILN_HAVE_CUDA
#include "builder/cuda/cuda_build.h"
#endif

namespace {

using namespace kiln;
using ir::DType;
using testutil::i64Const;
using testutil::out0;
using testutil::randomHalves;
using testutil::runOnCpu;
using testutil::shuffle;

constexpr int64_t kS = 20, kB = 3, kH = 2, kD = 64;

#ifdef KILN_HAVE_CUDA
// ViT's self-attention as torch exports it, on an in-projection P [S, B, 3·H·D]:
// Reshape -> Unsqueeze -> Transpose -> Squeeze -> Gather q/k/v -> Reshape to
// heads -> Transpose -> Reshape [B, H, S, D]; the attention's output
// Transposed to [S, B, H, D] and Reshaped to rows [S·B, H·D].
ir::Graph vitAttention() {
    ir::Graph g;
    const int p = g.addValue("p", DType::kF16, {kS, kB, 3 * kH * kD});
    g.inputs.push_back(p);
    int x = shuffle(g, "reshape", p, {}, {kS, kB, 3, kH * kD});
    x = shuffle(g, "unsqueeze", x, {}, {1, kS, kB, 3, kH * kD});
    x = shuffle(g, "transpose", x, {3, 1, 2, 0, 4}, {});
    x = shuffle(g, "squeeze", x, {}, {3, kS, kB, kH * kD});
    int qkv[3];
    for (int64_t i = 0; i < 3; ++i) {
        const std::string n = "qkv" + std::to_string(i);
        const int gather = g.addNode("Gather", n, {x, i64Const(g, n + "_index", {i}, true)}, 1);
        int h = shuffle(g, n + "_split", out0(g, gather), {}, {kS, kB * kH, kD});
        h = shuffle(g, n + "_heads", h, {1, 0, 2}, {});
        qkv[i] = shuffle(g, n + "_batch", h, {}, {kB, kH, kS, kD});
    }
    const int att = g.addNode("FusedAttention", "attention", {qkv[0], qkv[1], qkv[2]}, 1);
    g.nodes[size_t(att)].attrs.set("trans_k", int64_t(1));
    g.nodes[size_t(att)].attrs.set("scale", 0.125);
    int y = shuffle(g, "back", out0(g, att), {2, 0, 1, 3}, {});
    y = shuffle(g, "rows", y, {}, {kS * kB, kH * kD});
    g.values[size_t(y)].name = "y";
    g.outputs.push_back(y);
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

#endif

TEST(AttentionLayout, StridedViewsOutsideTheirTensorAreRefused) {
    ir::Graph g;
    const int p = g.addValue("p", DType::kF16, {kS, kB, 3 * kH * kD});
    g.inputs.push_back(p);
    const int att = g.addNode("FusedAttention", "attention", {p, p, p}, 1);
    ir::Node& n = g.nodes[size_t(att)];
    n.attrs.set("trans_k", int64_t(1));
    n.attrs.set("view_dims", std::vector<int64_t>{kB, kH, kS, kS, kD});
    const int64_t row = kB * 3 * kH * kD;
    n.attrs.set("q_view", std::vector<int64_t>{0, 3 * kH * kD, kD, row});
    n.attrs.set("k_view", std::vector<int64_t>{kH * kD, 3 * kH * kD, kD, row});
    n.attrs.set("v_view", std::vector<int64_t>{2 * kH * kD, 3 * kH * kD, kD, row});
    n.attrs.set("y_view", std::vector<int64_t>{0, kH * kD, kD, kB * kH * kD});
    n.attrs.set("y_shape", std::vector<int64_t>{kS * kB, kH * kD});
    std::vector<ir::TensorDesc> out(1);
    ASSERT_TRUE(ir::inferNode(n, ir::describeInputs(g, n), out).ok());
    EXPECT_EQ(out[0].shape, (ir::Shape{kS * kB, kH * kD}));
    // V one head further along runs past the end of P.
    n.attrs.set("v_view", std::vector<int64_t>{2 * kH * kD + kD, 3 * kH * kD, kD, row});
    Status s = ir::inferNode(n, ir::describeInputs(g, n), out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("v_view"), std::string::npos) << s.message();
    n.attrs.set("v_view", std::vector<int64_t>{2 * kH * kD, 3 * kH * kD, kD, row});
    // Y's heads on top of each other: elements written twice.
    n.attrs.set("y_view", std::vector<int64_t>{0, kH * kD, 0, kB * kH * kD});
    s = ir::inferNode(n, ir::describeInputs(g, n), out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("twice"), std::string::npos) << s.message();
    n.attrs.set("y_view", std::vector<int64_t>{0, kH * kD, kD, kB * kH * kD});
    n.attrs.set("y_shape", std::vector<int64_t>{kS * kB, kH * kD + 1});
    EXPECT_FALSE(ir::inferNode(n, ir::describeInputs(g, n), out).ok());
}

TEST(AttentionLayout, ViTHeadsAreReadAndWrittenInPlace) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    ir::Graph g = vitAttention();
    const std::vector<std::vector<uint8_t> > in = {randomHalves(kS * kB * 3 * kH * kD, 7)};
    const auto before = runOnCpu(g, in);
    ASSERT_EQ(before.size(), 1u);
    ASSERT_TRUE(builder::layOutAttention(g, {}, [](int, const std::string&) {}).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    // Every copy is gone: the attention reads P and writes y.
    ASSERT_EQ(g.nodes.size(), 1u);
    const ir::Node& n = g.nodes[0];
    EXPECT_EQ(n.op, "FusedAttention");
    EXPECT_EQ(n.inputs[0], g.inputs[0]);
    EXPECT_EQ(n.inputs[2], g.inputs[0]);
    EXPECT_EQ(n.outputs[0], g.outputs[0]);
    const int64_t row = kB * 3 * kH * kD;
    EXPECT_EQ(n.attrs.getInts("k_view"), (std::vector<int64_t>{kH * kD, 3 * kH * kD, kD, row}));
    EXPECT_EQ(n.attrs.getInts("y_view"), (std::vector<int64_t>{0, kH * kD, kD, kB * kH * kD}));
    EXPECT_EQ(runOnCpu(g, in), before);
#endif
}

TEST(AttentionLayout, ACopyOthersReadStaysAndDynamicShapesAreLeftAlone) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    // K's heads are also a network output: the copies making them stay (the
    // attention reads P all the same); the rest go.
    ir::Graph g = vitAttention();
    int heads = -1;
    for (const auto& n : g.nodes)
        if (n.name == "qkv1_heads") heads = n.outputs[0];
    ASSERT_GE(heads, 0);
    g.outputs.push_back(heads);
    const std::vector<std::vector<uint8_t> > in = {randomHalves(kS * kB * 3 * kH * kD, 9)};
    const auto before = runOnCpu(g, in);
    ASSERT_TRUE(builder::layOutAttention(g, {}, [](int, const std::string&) {}).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    EXPECT_EQ(g.nodes.size(), 8u);  // reshape, unsqueeze, transpose, squeeze, K's gather, split, heads; attention
    EXPECT_EQ(runOnCpu(g, in), before);

    // A FusedAttention whose operands have no static shape is not touched.
    ir::Graph d;
    std::vector<int> qkv;
    for (const char* name : {"q", "k", "v"}) {
        qkv.push_back(d.addValue(name, DType::kF16, {-1, kH, kS, kD}));
        d.inputs.push_back(qkv.back());
    }
    const int t = shuffle(d, "t", qkv[0], {0, 1, 2, 3}, {});
    const int att = d.addNode("FusedAttention", "attention", {t, qkv[1], qkv[2]}, 1);
    d.nodes[size_t(att)].attrs.set("trans_k", int64_t(1));
    d.outputs.push_back(out0(d, att));
    ASSERT_TRUE(d.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(d).ok());
    ASSERT_TRUE(builder::layOutAttention(d, {}, [](int, const std::string&) {}).ok());
    EXPECT_FALSE(d.nodes[size_t(att)].attrs.has("view_dims"));
#endif
}

#ifdef KILN_HAVE_CUDA
// BERT's self-attention in an engine with a dynamic batch and sequence: each
// of Q, K, V [B, S, H·D] reshaped to [Shape(x)[0], Shape(x)[1], H, D] (dims
// computed at run time) and transposed to heads; the output transposed back
// and reshaped to [B, S, H·D] the same way. With `positions`, Q first adds
// rows of a 20-row table cut to min(S, 20) rows, as BERT's position
// embeddings are: the graph is only valid for S <= 20, the profile's max.
ir::Graph bertAttention(bool positions = false) {
    ir::Graph g;
    std::vector<int> in;
    for (const char* n : {"q", "k", "v"}) {
        in.push_back(g.addValue(n, DType::kF16, {4, 20, kH * kD}));  // the profile's max
        g.inputs.push_back(in.back());
    }
    const int shape = out0(g, g.addNode("Shape", "shape", {in[0]}, 1));
    if (positions) {
        const int seq = out0(g, g.addNode("Gather", "seq", {shape, i64Const(g, "1", {1})}, 1));
        const int rows = g.addNode("ElementWise", "rows_capped", {seq, i64Const(g, "table_rows", {20})}, 1);
        g.nodes[size_t(rows)].attrs.set("op", std::string("min"));
        const int size = g.addNode("Concat", "slice_size",
                                   {i64Const(g, "one", {1}), out0(g, rows), i64Const(g, "width", {kH * kD})}, 1);
        g.nodes[size_t(size)].attrs.set("axis", int64_t(0));
        auto table = std::make_shared<ir::Bytes>(randomHalves(20 * kH * kD, 77));
        const int t = g.addConstant("positions", DType::kF16, {1, 20, kH * kD}, table);
        const int slice = g.addNode("Slice", "positions_cut", {t, -1, out0(g, size)}, 1);
        g.nodes[size_t(slice)].attrs.set("start", std::vector<int64_t>{0, 0, 0});
        const int add = g.addNode("ElementWise", "add_positions", {in[0], out0(g, slice)}, 1);
        g.nodes[size_t(add)].attrs.set("op", std::string("sum"));
        in[0] = out0(g, add);
    }
    const int bs = out0(g, g.addNode("Gather", "bs", {shape, i64Const(g, "01", {0, 1})}, 1));
    auto dims = [&](const std::string& name, const std::vector<int64_t>& tail) {
        const int c = g.addNode("Concat", name, {bs, i64Const(g, name + "_tail", tail)}, 1);
        g.nodes[size_t(c)].attrs.set("axis", int64_t(0));
        return out0(g, c);
    };
    const int headDims = dims("head_dims", {kH, kD}), rowDims = dims("row_dims", {kH * kD});
    int heads[3];
    for (int i = 0; i < 3; ++i) {
        const int r = out0(g, g.addNode("Shuffle", "split" + std::to_string(i), {in[size_t(i)], headDims}, 1));
        heads[i] = shuffle(g, "heads" + std::to_string(i), r, {0, 2, 1, 3}, {});
    }
    const int att = g.addNode("FusedAttention", "attention", {heads[0], heads[1], heads[2]}, 1);
    g.nodes[size_t(att)].attrs.set("trans_k", int64_t(1));
    g.nodes[size_t(att)].attrs.set("scale", 0.125);
    const int back = shuffle(g, "back", out0(g, att), {0, 2, 1, 3}, {});
    const int y = out0(g, g.addNode("Shuffle", "rows", {back, rowDims}, 1));
    g.outputs.push_back(y);
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}
#endif

class DynamicAttentionLayout : public ::testing::TestWithParam<bool> {};

TEST_P(DynamicAttentionLayout, HeadsFollowTheRunsShapes) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    ir::Graph g = bertAttention(GetParam());
    const ir::Graph before = g;
    const std::vector<ir::Shape> minShapes(3, ir::Shape{1, 8, kH * kD});
    ASSERT_TRUE(builder::layOutAttention(g, minShapes, [](int, const std::string&) {}).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    int att = -1, shuffles = 0;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
        if (g.nodes[i].op == "FusedAttention") att = int(i);
        shuffles += g.nodes[i].op == "Shuffle";
    }
    ASSERT_GE(att, 0);
    EXPECT_TRUE(g.nodes[size_t(att)].attrs.has("view_terms"));
    EXPECT_EQ(shuffles, 0);  // every copy gone
    EXPECT_EQ(g.nodes[size_t(att)].outputs[0], g.outputs[0]);
    {
        // A mask whose extents are known only at run time (BERT's, made from Shape and Where) is
        // checked then; known extents that do not broadcast are refused now.
        ir::Node masked = g.nodes[size_t(att)];
        std::vector<ir::TensorDesc> in, out(1);
        for (int v : masked.inputs) in.push_back({DType::kF16, g.values[size_t(v)].shape, nullptr});
        masked.inputs.push_back(int(g.values.size()));  // any id: inference reads the descriptors
        in.push_back({DType::kF16, {-1, -1, -1, -1}, nullptr});
        EXPECT_TRUE(ir::inferNode(masked, in, out).ok());
        in.back().shape = {4, 1, 1, 7};
        EXPECT_FALSE(ir::inferNode(masked, in, out).ok());
    }
    // The same values as before the rewrite at the max shapes and at others inside the profile.
    for (const ir::Shape& s : {ir::Shape{4, 20, kH * kD}, ir::Shape{2, 9, kH * kD}, ir::Shape{1, 8, kH * kD}}) {
        std::vector<std::vector<uint8_t> > in;
        for (uint32_t k = 0; k < 3; ++k) in.push_back(randomHalves(ir::volume(s), 30 + k));
        const std::vector<ir::Shape> shapes(3, s);
        const auto want = runOnCpu(before, in, shapes), got = runOnCpu(g, in, shapes);
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0].size(), size_t(ir::volume(s)) * 2) << ir::shapeToString(s);
        EXPECT_EQ(got, want) << ir::shapeToString(s);
    }
#endif
}

INSTANTIATE_TEST_SUITE_P(Bert, DynamicAttentionLayout, ::testing::Bool(), [](const ::testing::TestParamInfo<bool>& i) {
    return std::string(i.param ? "WithAPositionTable" : "Plain");
});

}  // namespace
