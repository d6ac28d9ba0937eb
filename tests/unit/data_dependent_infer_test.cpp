// Build-time shape inference when a value-carrying input (axes, reshape dims,
// slice size, pads, resize sizes/scales, K, a fill's shape) is not known yet:
// the rank is known, the extents are -1; and the memory planner leaves such
// tensors out of the arena.
#include <gtest/gtest.h>

#include "builder/build.h"
#include "ir/op_schema.h"

using namespace kiln;
using namespace kiln::ir;

namespace {

Node node(const std::string& op, int inputs, int outputs = 1) {
    Node n;
    n.op = op;
    n.name = "n";
    for (int i = 0; i < inputs; ++i) n.inputs.push_back(i);
    for (int i = 0; i < outputs; ++i) n.outputs.push_back(inputs + i);
    return n;
}

// An int64 1-D tensor of `len` values not known at build time.
TensorDesc unknownInts(int64_t len) { return {DType::kI64, {len}, nullptr}; }

Shape infer(const Node& n, const std::vector<TensorDesc>& in, size_t output = 0) {
    std::vector<TensorDesc> out;
    Status st = inferNode(n, in, out);
    EXPECT_TRUE(st.ok()) << st.message();
    return st.ok() ? out[output].shape : Shape{-99};
}

const TensorDesc kX{DType::kF32, {2, 3, 4}, nullptr};

}  // namespace

TEST(DataDependentInference, ReduceAxesInput) {
    Node n = node("Reduce", 2);
    n.attrs.set("keepdims", int64_t(0));
    EXPECT_EQ(infer(n, {kX, unknownInts(2)}), (Shape{-1}));
    n.attrs.set("keepdims", int64_t(1));
    EXPECT_EQ(infer(n, {kX, unknownInts(2)}), (Shape{-1, -1, -1}));
    const int64_t axes[] = {-1};
    EXPECT_EQ(infer(n, {kX, {DType::kI64, {1}, axes}}), (Shape{2, 3, 1}));
    // Empty axes: every axis, or none with noop_with_empty_axes.
    EXPECT_EQ(infer(n, {kX, unknownInts(0)}), (Shape{1, 1, 1}));
    n.attrs.set("noop_with_empty_axes", int64_t(1));
    EXPECT_EQ(infer(n, {kX, unknownInts(0)}), (Shape{2, 3, 4}));
    std::vector<TensorDesc> out;
    EXPECT_FALSE(inferNode(n, {kX, unknownInts(4)}, out).ok()) << "more axes than dims";
}

TEST(DataDependentInference, ShuffleSliceFillTopK) {
    EXPECT_EQ(infer(node("Shuffle", 2), {kX, unknownInts(2)}), (Shape{-1, -1}));
    Node slice = node("Slice", 3);
    EXPECT_EQ(infer(slice, {kX, unknownInts(3), unknownInts(3)}), (Shape{-1, -1, -1}));
    const int64_t size[] = {1, 2, 3};
    EXPECT_EQ(infer(slice, {kX, unknownInts(3), {DType::kI64, {3}, size}}), (Shape{1, 2, 3}))
        << "a known size with an unknown start keeps the shape";
    Node fill = node("Fill", 1);
    fill.attrs.set("dtype", int64_t(DType::kI32));
    EXPECT_EQ(infer(fill, {unknownInts(3)}), (Shape{-1, -1, -1}));
    Node topk = node("TopK", 2, 2);
    topk.attrs.set("axis", int64_t(1));
    EXPECT_EQ(infer(topk, {kX, {DType::kI64, {1}, nullptr}}, 1), (Shape{2, -1, 4}));
}

TEST(DataDependentInference, PadAndResize) {
    EXPECT_EQ(infer(node("Pad", 2), {kX, unknownInts(6)}), (Shape{-1, -1, -1}));
    Node sizes = node("Resize", 2);
    EXPECT_EQ(infer(sizes, {kX, unknownInts(3)}), (Shape{-1, -1, -1}));
    Node scales = node("Resize", 3);
    scales.inputs[1] = -1;
    EXPECT_EQ(infer(scales, {kX, {}, {DType::kF32, {3}, nullptr}}), (Shape{-1, -1, -1}));
    const float s[] = {1.f, 2.f, 0.5f};
    EXPECT_EQ(infer(scales, {kX, {}, {DType::kF32, {3}, s}}), (Shape{2, 6, 2}));
}

TEST(DataDependentInference, PlannerLeavesRunTimeSizedTensorsOutOfTheArena) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 3, 4});
    const int axes = g.addValue("axes", DType::kI64, {1});
    g.inputs = {x, axes};
    const int r = g.addNode("Reduce", "r", {x, axes}, 1);
    g.nodes[size_t(r)].attrs.set("keepdims", int64_t(1));
    const int e = g.addNode("Unary", "e", {g.nodes[size_t(r)].outputs[0]}, 1);
    g.nodes[size_t(e)].attrs.set("op", "exp");
    const int u = g.addNode("Unary", "u", {x}, 1);
    g.nodes[size_t(u)].attrs.set("op", "abs");
    const int a = g.addNode("Unary", "a", {g.nodes[size_t(u)].outputs[0]}, 1);
    g.nodes[size_t(a)].attrs.set("op", "abs");
    g.outputs = {g.nodes[size_t(e)].outputs[0], g.nodes[size_t(a)].outputs[0]};
    ASSERT_TRUE(inferGraph(g).ok());
    const int reduced = g.nodes[size_t(r)].outputs[0];
    EXPECT_EQ(g.values[size_t(reduced)].shape, (Shape{-1, -1, -1}));
    engine::MemoryPlan plan;
    ASSERT_TRUE(builder::planMemory(g, true, plan).ok());
    EXPECT_EQ(plan.offsets[size_t(reduced)], -1);
    EXPECT_GE(plan.offsets[size_t(g.nodes[size_t(u)].outputs[0])], 0);
    EXPECT_EQ(plan.arenaBytes, 2u * 3 * 4 * 4 + 32) << "only the static intermediate (96 bytes, aligned to 128)";
}
