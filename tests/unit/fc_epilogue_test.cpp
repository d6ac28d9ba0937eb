// The CUDA builder's FullyConnected epilogue pass on IR graphs (no device
// needed: it only asks the CUDA tactics whether they take the fused layer),
// and FullyConnected's epilogue itself on the CPU reference: the graph gives
// the same values before and after the pass, up to the roundings to float16
// the fused layer no longer makes between its steps.
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
using testutil::i64Const;
using testutil::randomHalves;
using testutil::runOnCpu;

constexpr int64_t kRows = 6, kIn = 32, kOut = 16;

int halfConst(ir::Graph& g, const std::string& name, ir::Shape shape, uint32_t seed) {
    auto bytes = std::make_shared<ir::Bytes>(randomHalves(ir::volume(shape), seed));
    return g.addConstant(name, DType::kF16, shape, bytes);
}

int fc(ir::Graph& g, const std::string& name, int x, int64_t in, int64_t out, uint32_t seed) {
    const int w = halfConst(g, name + "_w", {out, in}, seed), b = halfConst(g, name + "_b", {out}, seed + 1);
    const int n = g.addNode("FullyConnected", name, {x, w, b}, 1);
    g.nodes[size_t(n)].attrs.set("axis", int64_t(1));
    g.nodes[size_t(n)].attrs.set("keep_dims_1x1", int64_t(0));
    return g.nodes[size_t(n)].outputs[0];
}

#ifdef KILN_HAVE_CUDA
// x [6, 32] -> FC 32 -> + x -> GELU -> FC 16 -> + r [6, 16]; with sumIsOutput
// the first sum is a network output too, so the GELU reading it stays apart.
ir::Graph mlp(bool sumIsOutput) {
    ir::Graph g;
    const int x = g.addValue("x", DType::kF16, {kRows, kIn}), r = g.addValue("r", DType::kF16, {kRows, kOut});
    g.inputs = {x, r};
    const int h = fc(g, "fc1", x, kIn, kIn, 1);
    const int sum = g.addNode("ElementWise", "residual1", {h, x}, 1);
    g.nodes[size_t(sum)].attrs.set("op", std::string("sum"));
    const int s = g.nodes[size_t(sum)].outputs[0];
    const int act = g.addNode("Activation", "gelu", {s}, 1);
    g.nodes[size_t(act)].attrs.set("type", std::string("gelu_erf"));
    const int y = fc(g, "fc2", g.nodes[size_t(act)].outputs[0], kIn, kOut, 3);
    const int sum2 = g.addNode("ElementWise", "residual2", {r, y}, 1);
    g.nodes[size_t(sum2)].attrs.set("op", std::string("sum"));
    g.outputs = {g.nodes[size_t(sum2)].outputs[0]};
    if (sumIsOutput) g.outputs.push_back(s);
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

#endif

TEST(FcEpilogue, ResidualsAndGeluFoldIntoTheGemm) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    for (bool sumIsOutput : {false, true}) {
        ir::Graph g = mlp(sumIsOutput);
        const std::vector<std::vector<uint8_t> > in = {randomHalves(kRows * kIn, 5), randomHalves(kRows * kOut, 6)};
        const auto before = runOnCpu(g, in);
        ASSERT_TRUE(builder::fuseFcEpilogues(g, [](int, const std::string&) {}).ok());
        ASSERT_TRUE(g.topoSort().ok());
        ASSERT_TRUE(ir::inferGraph(g).ok());
        EXPECT_EQ(countOp(g, "ElementWise"), 0);
        // fc1 + x, then the GELU too unless the sum is also read as an output.
        EXPECT_EQ(countOp(g, "Activation"), sumIsOutput ? 1 : 0);
        ASSERT_EQ(countOp(g, "FullyConnected"), 2);
        for (const auto& n : g.nodes)
            if (n.op == "FullyConnected") {
                EXPECT_EQ(n.inputs.size(), 4u) << n.name;
                if (n.name == "fc1") {
                    EXPECT_EQ(n.attrs.getString("activation", ""), sumIsOutput ? "" : "gelu_erf");
                }
            }
        // One rounding to float16 instead of one per step: close, not equal.
        const auto after = runOnCpu(g, in);
        ASSERT_EQ(after.size(), before.size());
        for (size_t o = 0; o < after.size(); ++o) EXPECT_LT(testutil::maxHalfDiff(after[o], before[o]), 1e-2) << o;
    }
#endif
}

// In a dynamic engine the FC's input comes out of a Reshape to dims computed
// from Shape(x) at run time: inference alone gives the FC's output -1 extents,
// the residual its own; the pass compares them with the shape tensors
// evaluated at the graph's input shapes.
TEST(FcEpilogue, AResidualBehindARuntimeReshapeIsFolded) {
#ifndef KILN_HAVE_CUDA
    GTEST_SKIP() << "the CUDA backend is not built";
#else
    ir::Graph g;
    const int x = g.addValue("x", DType::kF16, {4, 10, kIn}), r = g.addValue("r", DType::kF16, {4, 10, kOut});
    g.inputs = {x, r};
    auto out0 = [&](int n) { return g.nodes[size_t(n)].outputs[0]; };
    const int shape = out0(g.addNode("Shape", "shape", {x}, 1));
    const int bs = out0(g.addNode("Gather", "bs", {shape, i64Const(g, "01", {0, 1})}, 1));
    const int dims = g.addNode("Concat", "dims", {bs, i64Const(g, "features", {kIn})}, 1);
    g.nodes[size_t(dims)].attrs.set("axis", int64_t(0));
    const int h = out0(g.addNode("Shuffle", "reshape", {x, out0(dims)}, 1));
    const int y = fc(g, "fc", h, kIn, kOut, 1);
    g.nodes[size_t(g.nodes.size() - 1)].attrs.set("axis", int64_t(2));
    const int sum = g.addNode("ElementWise", "residual", {y, r}, 1);
    g.nodes[size_t(sum)].attrs.set("op", std::string("sum"));
    g.outputs = {out0(sum)};
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    ASSERT_EQ(g.values[size_t(y)].shape, (ir::Shape{-1, -1, kOut}));  // what inference alone knows
    ASSERT_TRUE(builder::fuseFcEpilogues(g, [](int, const std::string&) {}).ok());
    EXPECT_EQ(countOp(g, "ElementWise"), 0);
#endif
}

TEST(FcEpilogue, AResidualOfAnotherShapeIsRefused) {
    ir::Graph g;
    const int x = g.addValue("x", DType::kF16, {kRows, kIn});
    g.inputs = {x};
    const int y = fc(g, "fc", x, kIn, kOut, 1);
    ir::Node& n = g.nodes[size_t(g.values[size_t(y)].producer)];
    n.inputs.push_back(x);  // [6, 32] for a [6, 16] output
    std::vector<ir::TensorDesc> out(1);
    Status s = ir::inferNode(n, ir::describeInputs(g, n), out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("residual"), std::string::npos) << s.message();
    n.inputs.pop_back();
    n.attrs.set("activation", std::string("swish"));
    s = ir::inferNode(n, ir::describeInputs(g, n), out);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("swish"), std::string::npos) << s.message();
}

}  // namespace
