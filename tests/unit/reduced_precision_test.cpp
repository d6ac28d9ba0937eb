// The CUDA builder's FP16 pass on IR graphs (no device needed: it only asks
// the CUDA tactics whether they support a layer): Casts only where a float16
// tensor meets a float32 reader or a network output, and float32 weights
// that nothing reads any more are dropped.
#include <gtest/gtest.h>

#include <algorithm>

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

int relu(ir::Graph& g, const std::string& name, int in) {
    const int n = g.addNode("Activation", name, {in}, 1);
    g.nodes[size_t(n)].attrs.set("type", std::string("relu"));
    return g.nodes[size_t(n)].outputs[0];
}

Status lower(ir::Graph& g) {
#ifdef KILN_HAVE_CUDA
    builder::BuildOptions opt;
    opt.backend = engine::Backend::kCUDA;
    opt.fp16 = true;
    KILN_RETURN_IF_ERROR(ir::inferGraph(g));
    KILN_RETURN_IF_ERROR(builder::applyReducedPrecision(g, opt, [](int, const std::string&) {}));
    KILN_RETURN_IF_ERROR(g.topoSort());
    KILN_RETURN_IF_ERROR(g.validate());
    return ir::inferGraph(g);
#else
    (void)g;
    return Status::Error("no CUDA backend");
#endif
}

#ifdef KILN_HAVE_CUDA
#define SKIP_WITHOUT_CUDA_BUILD()
#else
#define SKIP_WITHOUT_CUDA_BUILD() GTEST_SKIP() << "the CUDA backend is not built"
#endif

TEST(ReducedPrecision, CastsOnlyAtTheBoundaries) {
    SKIP_WITHOUT_CUDA_BUILD();
    // x -> relu -> relu -> relu -> y: one Cast down after x, one up before y.
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 8});
    g.inputs.push_back(x);
    int t = relu(g, "a", x);
    t = relu(g, "b", t);
    t = relu(g, "c", t);
    g.values[size_t(t)].name = "y";
    g.outputs.push_back(t);
    ASSERT_TRUE(lower(g).ok());
    EXPECT_EQ(countOp(g, "Activation"), 3);
    EXPECT_EQ(countOp(g, "Cast"), 2);
    for (const auto& n : g.nodes) {
        if (n.op == "Activation") {
            EXPECT_EQ(g.values[size_t(n.outputs[0])].dtype, DType::kF16) << n.name;
        }
    }
    // The bindings keep their names and float32.
    EXPECT_EQ(g.values[size_t(g.inputs[0])].name, "x");
    EXPECT_EQ(g.values[size_t(g.outputs[0])].name, "y");
    EXPECT_EQ(g.values[size_t(g.outputs[0])].dtype, DType::kF32);
    EXPECT_EQ(g.values[size_t(g.inputs[0])].dtype, DType::kF32);
}

TEST(ReducedPrecision, AFloat32ReaderKeepsItsCast) {
    SKIP_WITHOUT_CUDA_BUILD();
    // relu a feeds relu b (lowered) and relu p, pinned to float32: a's output
    // needs its float32 original (a Cast) for p only; p's output goes back down.
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {4});
    g.inputs.push_back(x);
    const int a = relu(g, "a", x);
    const int b = relu(g, "b", a);
    const int p = relu(g, "p", a);
    g.nodes[size_t(g.values[size_t(p)].producer)].precision = int(DType::kF32);
    const int e = g.addNode("ElementWise", "sum", {b, p}, 1);
    g.nodes[size_t(e)].attrs.set("op", std::string("sum"));
    const int y = g.nodes[size_t(e)].outputs[0];
    g.values[size_t(y)].name = "y";
    g.outputs.push_back(y);
    ASSERT_TRUE(lower(g).ok());
    // Down after x, up after a (for p), down after p (for the sum), up before y.
    EXPECT_EQ(countOp(g, "Cast"), 4);
    for (const auto& n : g.nodes) {
        if (n.name == "p") {
            EXPECT_EQ(g.values[size_t(n.inputs[0])].dtype, DType::kF32);
        }
        if (n.name == "b") {
            EXPECT_EQ(g.values[size_t(n.inputs[0])].dtype, DType::kF16);
        }
    }
}

TEST(ReducedPrecision, ShapeReadsTheSixteenBitTensor) {
    SKIP_WITHOUT_CUDA_BUILD();
    // relu a feeds Shape (only its extents) and relu b: no float32 copy of a
    // is made for the Shape (dynamic BERT had a hundred such Casts).
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 8});
    g.inputs.push_back(x);
    const int a = relu(g, "a", x);
    const int shape = g.addNode("Shape", "shape", {a}, 1);
    const int s = g.nodes[size_t(shape)].outputs[0];
    g.values[size_t(s)].name = "s";
    g.outputs.push_back(s);
    const int y = relu(g, "b", a);
    g.values[size_t(y)].name = "y";
    g.outputs.push_back(y);
    ASSERT_TRUE(lower(g).ok());
    EXPECT_EQ(countOp(g, "Cast"), 2);  // down after x, up before y
    for (const auto& n : g.nodes) {
        if (n.op == "Shape") {
            EXPECT_EQ(g.values[size_t(n.inputs[0])].dtype, DType::kF16);
        }
    }
}

TEST(ReducedPrecision, AReshapeToARuntimeShapeIsLowered) {
    SKIP_WITHOUT_CUDA_BUILD();
    // a -> Reshape(a, Shape(a)) -> relu -> y: the CUDA Shuffle needs its dims
    // on the host, which the pass evaluates; no float32 detour around it.
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 8});
    g.inputs.push_back(x);
    const int a = relu(g, "a", x);
    const int shape = g.addNode("Shape", "shape", {a}, 1);
    const int r = g.addNode("Shuffle", "reshape", {a, g.nodes[size_t(shape)].outputs[0]}, 1);
    const int y = relu(g, "b", g.nodes[size_t(r)].outputs[0]);
    g.values[size_t(y)].name = "y";
    g.outputs.push_back(y);
    ASSERT_TRUE(lower(g).ok());
    EXPECT_EQ(countOp(g, "Cast"), 2);  // down after x, up before y
    for (const auto& n : g.nodes) {
        if (n.op == "Shuffle") {
            EXPECT_EQ(g.values[size_t(n.outputs[0])].dtype, DType::kF16);
        }
    }
}

TEST(ReducedPrecision, UnreadFloat32WeightsAreDropped) {
    SKIP_WITHOUT_CUDA_BUILD();
    // x * w (w a float32 constant): after lowering only the float16 copy of w is left.
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 3});
    g.inputs.push_back(x);
    auto bytes = std::make_shared<ir::Bytes>(6 * sizeof(float));
    for (int i = 0; i < 6; ++i) ir::storeFromDouble(bytes->data(), DType::kF32, i, 0.5 * i + 1);
    const int w = g.addConstant("w", DType::kF32, {2, 3}, bytes);
    const int e = g.addNode("ElementWise", "mul", {x, w}, 1);
    g.nodes[size_t(e)].attrs.set("op", std::string("prod"));
    const int y = g.nodes[size_t(e)].outputs[0];
    g.values[size_t(y)].name = "y";
    g.outputs.push_back(y);
    ASSERT_TRUE(lower(g).ok());
    int f32Constants = 0, f16Constants = 0;
    for (const auto& v : g.values) {
        if (!v.isConstant()) continue;
        f32Constants += v.dtype == DType::kF32;
        f16Constants += v.dtype == DType::kF16;
    }
    EXPECT_EQ(f32Constants, 0);
    EXPECT_EQ(f16Constants, 1);
    EXPECT_EQ(countOp(g, "Cast"), 2);
}

}  // namespace
