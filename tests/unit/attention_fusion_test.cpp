// The CUDA builder's attention fusion on IR graphs (no device needed: it only
// asks the CUDA tactics whether they support the fused layer). In a dynamic
// engine the heads come from Reshapes whose dims are shape tensors computed
// at run time, so shape inference alone leaves Q, K and V without extents;
// the pass evaluates those shape tensors at the profile's max shapes.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "graph_builders.h"
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

#ifdef KILN_HAVE_CUDA
// x [B, S, 128] -> Reshape to [Shape(x)[0], Shape(x)[1], 2, 64] -> [B, 2, S, 64].
int heads(ir::Graph& g, const std::string& name, int x) {
    const int shape = out0(g, g.addNode("Shape", name + "_shape", {x}, 1));
    const int bs = g.addNode("Gather", name + "_bs", {shape, i64Const(g, name + "_01", {0, 1})}, 1);
    const int dims = g.addNode("Concat", name + "_dims", {out0(g, bs), i64Const(g, name + "_hd", {2, 64})}, 1);
    g.nodes[size_t(dims)].attrs.set("axis", int64_t(0));
    const int r = g.addNode("Shuffle", name + "_reshape", {x, out0(g, dims)}, 1);
    const int t = g.addNode("Shuffle", name + "_heads", {out0(g, r)}, 1);
    g.nodes[size_t(t)].attrs.set("perm1", std::vector<int64_t>{0, 2, 1, 3});
    return out0(g, t);
}
#endif

TEST(AttentionFusion, HeadsReshapedToRuntimeDimsAreFused) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    ir::Graph g;
    std::vector<int> in;
    for (const char* n : {"q", "k", "v"}) {
        in.push_back(g.addValue(n, DType::kF16, {4, 40, 128}));
        g.inputs.push_back(in.back());
    }
    const int q = heads(g, "q", in[0]), k = heads(g, "k", in[1]), v = heads(g, "v", in[2]);
    const int kt = g.addNode("Shuffle", "kt", {k}, 1);
    g.nodes[size_t(kt)].attrs.set("perm1", std::vector<int64_t>{0, 1, 3, 2});
    const int s = g.addNode("MatMul", "scores", {q, out0(g, kt)}, 1);
    const int p = g.addNode("Softmax", "softmax", {out0(g, s)}, 1);
    g.nodes[size_t(p)].attrs.set("axis", int64_t(-1));
    const int y = g.addNode("MatMul", "pv", {out0(g, p), v}, 1);
    g.values[size_t(out0(g, y))].name = "y";
    g.outputs.push_back(out0(g, y));
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    EXPECT_EQ(g.values[size_t(q)].shape, (ir::Shape{-1, -1, -1, -1}));  // what inference alone knows
    ASSERT_TRUE(builder::fuseAttention(g, [](int, const std::string&) {}).ok());
    int fused = 0;
    for (const auto& n : g.nodes) {
        EXPECT_NE(n.op, "Softmax");
        if (n.op != "FusedAttention") continue;
        ++fused;
        EXPECT_EQ(n.attrs.getInt("trans_k", 0), 1);  // the Transpose making Kᵀ now makes K
    }
    EXPECT_EQ(fused, 1);
    ASSERT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
#endif
}

// Q [2, 2, 40, 64], K as a Transpose of [2, 2, 40, 64] (so Kᵀ), V; scores +
// mask -> Softmax -> Where(IsNaN(P), 0, P) -> MatMul: one FusedAttention with
// nan_to_zero and trans_k, the Transpose left as an identity (a view).
TEST(AttentionFusion, NanGuardAndTransposedKFold) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    ir::Graph g;
    std::vector<int> in;
    for (const char* n : {"q", "k", "v"}) {
        in.push_back(g.addValue(n, DType::kF16, {2, 2, 40, 64}));
        g.inputs.push_back(in.back());
    }
    const int mask = g.addValue("mask", DType::kF16, {2, 1, 1, 40});
    g.inputs.push_back(mask);
    const int ktNode = g.addNode("Shuffle", "kt", {in[1]}, 1);
    g.nodes[size_t(ktNode)].attrs.set("perm1", std::vector<int64_t>{0, 1, 3, 2});
    const int s = g.addNode("MatMul", "scores", {in[0], out0(g, ktNode)}, 1);
    const int m = g.addNode("ElementWise", "masked", {out0(g, s), mask}, 1);
    g.nodes[size_t(m)].attrs.set("op", std::string("sum"));
    const int p = g.addNode("Softmax", "softmax", {out0(g, m)}, 1);
    g.nodes[size_t(p)].attrs.set("axis", int64_t(-1));
    const int isnan = g.addNode("Unary", "isnan", {out0(g, p)}, 1);
    g.nodes[size_t(isnan)].attrs.set("op", std::string("isnan"));
    auto zeroBytes = std::make_shared<ir::Bytes>(2, uint8_t(0));
    const int zero = g.addConstant("zero", DType::kF16, {}, zeroBytes);
    const int where = g.addNode("Select", "guard", {out0(g, isnan), zero, out0(g, p)}, 1);
    const int y = g.addNode("MatMul", "pv", {out0(g, where), in[2]}, 1);
    g.values[size_t(out0(g, y))].name = "y";
    g.outputs.push_back(out0(g, y));
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    ASSERT_TRUE(builder::fuseAttention(g, [](int, const std::string&) {}).ok());
    int fused = 0;
    for (const auto& n : g.nodes) {
        EXPECT_TRUE(n.op != "Softmax" && n.op != "Select" && n.op != "Unary") << n.op;
        if (n.op == "Shuffle") {  // now makes K: an identity
            EXPECT_EQ(n.attrs.getInts("perm1"), (std::vector<int64_t>{0, 1, 2, 3}));
            EXPECT_EQ(g.values[size_t(n.outputs[0])].shape, (ir::Shape{2, 2, 40, 64}));
        }
        if (n.op != "FusedAttention") continue;
        ++fused;
        EXPECT_EQ(n.attrs.getInt("trans_k", 0), 1);
        EXPECT_EQ(n.attrs.getInt("nan_to_zero", 0), 1);
        EXPECT_EQ(n.inputs.size(), 4u);  // the mask
    }
    EXPECT_EQ(fused, 1);
    ASSERT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
#endif
}

}  // namespace
