// Reshapes that move no data share their input's arena slot (ir/views.h):
// the planner gives them one offset and one lifetime, a transpose or a network
// output never shares; and the runtime's shape inference evaluates shape
// tensors on the host (backends/cpu/shape_eval.h), so an output whose extents come
// from an input's shape through Shape, Gather, Concat and Slice is known
// before any run.
#include <gtest/gtest.h>

#include <cstring>

#include "backends/cpu/shape_eval.h"
#include "builder/build.h"
#include "ir/op_schema.h"
#include "ir/views.h"

using namespace kiln;
using namespace kiln::ir;

namespace {

int unary(Graph& g, int x, const std::string& name) {
    const int n = g.addNode("Unary", name, {x}, 1);
    g.nodes[size_t(n)].attrs.set("op", "abs");
    return g.nodes[size_t(n)].outputs[0];
}

int reshape(Graph& g, int x, std::vector<int64_t> to, const std::string& name) {
    const int n = g.addNode("Shuffle", name, {x}, 1);
    g.nodes[size_t(n)].attrs.set("reshape", to);
    return g.nodes[size_t(n)].outputs[0];
}

template <class T>
ConstData bytesOf(std::vector<T> v) {
    auto b = std::make_shared<Bytes>(v.size() * sizeof(T));
    std::memcpy(b->data(), v.data(), b->size());
    return b;
}

}  // namespace

TEST(ArenaViews, ReshapesShareTheirInputsSlot) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 3, 4});
    g.inputs = {x};
    const int a = unary(g, x, "a");
    const int r1 = reshape(g, a, {6, 4}, "r1");
    const int r2 = reshape(g, r1, {4, 6}, "r2");  // a chain: both share a's slot
    const int b = unary(g, r2, "b");
    const int t = g.addNode("Shuffle", "t", {b}, 1);  // a transpose moves data
    g.nodes[size_t(t)].attrs.set("perm1", std::vector<int64_t>{1, 0});
    const int tv = g.nodes[size_t(t)].outputs[0];
    const int c = unary(g, tv, "c");
    const int out = reshape(g, c, {2, 12}, "out");  // a network output lives in the caller's buffer
    g.outputs = {out};
    ASSERT_TRUE(inferGraph(g).ok());
    Schedule sched;
    ASSERT_TRUE(buildSchedule(g, sched).ok());
    const auto view = arenaViews(g, sched, true);
    EXPECT_EQ(view[size_t(r1)].source, a);
    EXPECT_EQ(view[size_t(r2)].source, a);
    EXPECT_EQ(view[size_t(r2)].offset, 0);
    EXPECT_EQ(view[size_t(tv)].source, -1) << "a transpose moves data";
    EXPECT_EQ(view[size_t(out)].source, -1);
    engine::MemoryPlan plan;
    ASSERT_TRUE(builder::planMemory(g, true, plan).ok());
    EXPECT_EQ(plan.offsets[size_t(r1)], plan.offsets[size_t(a)]);
    EXPECT_EQ(plan.offsets[size_t(r2)], plan.offsets[size_t(a)]);
    // a (through r2) is read by b, so b cannot take its bytes: two 128-byte slots at most at once.
    EXPECT_NE(plan.offsets[size_t(b)], plan.offsets[size_t(a)]);
    EXPECT_EQ(plan.arenaBytes, 256u);
}

TEST(ArenaViews, ViewLifetimeKeepsTheSourceAlive) {
    // a -> r (view); a's last direct reader comes first, r's reader last: the
    // slot must stay reserved until r's reader, so d (made in between) gets other bytes.
    Graph g;
    const int x = g.addValue("x", DType::kF32, {16});
    g.inputs = {x};
    const int a = unary(g, x, "a");
    const int r = reshape(g, a, {4, 4}, "r");
    const int d = unary(g, x, "d");
    const int e = g.addNode("ElementWise", "e", {reshape(g, d, {4, 4}, "dr"), r}, 1);
    g.nodes[size_t(e)].attrs.set("op", "sum");
    g.outputs = {g.nodes[size_t(e)].outputs[0]};
    ASSERT_TRUE(inferGraph(g).ok());
    engine::MemoryPlan plan;
    ASSERT_TRUE(builder::planMemory(g, true, plan).ok());
    EXPECT_EQ(plan.offsets[size_t(r)], plan.offsets[size_t(a)]);
    EXPECT_NE(plan.offsets[size_t(d)], plan.offsets[size_t(a)]);
}

TEST(ArenaViews, AGatherOfOneSliceIsAViewAtItsOffset) {
    // a [3, 4, 8] -> gather index 1 (or -2) on axis 0 -> [4, 8], 128 bytes into
    // a's slot; a Gather along another axis, or of two indices, moves data; and
    // where shapes vary with the profile there is no offset view at all.
    Graph g;
    const int x = g.addValue("x", DType::kF32, {3, 4, 8});
    g.inputs = {x};
    const int a = unary(g, x, "a");
    auto gather = [&](std::vector<int64_t> idx, Shape idxShape, int64_t axis, const std::string& name) {
        const int i = g.addConstant(name + "_i", DType::kI64, std::move(idxShape), bytesOf(std::move(idx)));
        const int n = g.addNode("Gather", name, {a, i}, 1);
        g.nodes[size_t(n)].attrs.set("axis", axis);
        return unary(g, g.nodes[size_t(n)].outputs[0], name + "_use");
    };
    gather({1}, {}, 0, "g1");
    gather({-2}, {1}, 0, "g1_neg");
    gather({1}, {}, 1, "axis1");
    gather({0, 2}, {2}, 0, "two");
    g.outputs = {unary(g, a, "keep")};
    for (const auto& n : g.nodes)  // every gather's reader is an output
        if (n.name.ends_with("_use")) g.outputs.push_back(n.outputs[0]);
    ASSERT_TRUE(inferGraph(g).ok());
    Schedule sched;
    ASSERT_TRUE(buildSchedule(g, sched).ok());
    auto outOf = [&](const std::string& name) {
        for (const auto& n : g.nodes)
            if (n.name == name) return n.outputs[0];
        return -1;
    };
    const auto view = arenaViews(g, sched, true);
    EXPECT_EQ(view[size_t(outOf("g1"))].source, a);
    EXPECT_EQ(view[size_t(outOf("g1"))].offset, 128);
    EXPECT_EQ(view[size_t(outOf("g1_neg"))].source, a);
    EXPECT_EQ(view[size_t(outOf("g1_neg"))].offset, 128);
    EXPECT_EQ(view[size_t(outOf("axis1"))].source, -1);
    EXPECT_EQ(view[size_t(outOf("two"))].source, -1);
    EXPECT_EQ(arenaViews(g, sched, false)[size_t(outOf("g1"))].source, -1);
    engine::MemoryPlan plan;
    ASSERT_TRUE(builder::planMemory(g, true, plan).ok());
    EXPECT_EQ(plan.offsets[size_t(outOf("g1"))], plan.offsets[size_t(a)] + 128);
}

TEST(HostShapeValues, ExtentsComputedFromAnInputsShapeAreKnownBeforeARun) {
    // y = x + table[0:1, 0:seq], seq = Shape(x)[1]: how BERT's position
    // embeddings are exported. With x [1, 5], y is [1, 5]; shape inference
    // alone cannot tell (the slice's size is a computed value).
    Graph g;
    const int x = g.addValue("x", DType::kF32, {-1, -1});
    g.inputs = {x};
    const int table = g.addConstant("table", DType::kF32, {1, 8}, bytesOf(std::vector<float>(8, 1.f)));
    const int shape = g.nodes[size_t(g.addNode("Shape", "shape", {x}, 1))].outputs[0];
    const int one = g.addConstant("one", DType::kI64, {1}, bytesOf(std::vector<int64_t>{1}));
    const int seq = g.nodes[size_t(g.addNode("Gather", "seq", {shape, one}, 1))].outputs[0];
    const int cat = g.addNode("Concat", "size", {one, seq}, 1);
    g.nodes[size_t(cat)].attrs.set("axis", int64_t(0));
    const int zeros = g.addConstant("zeros", DType::kI64, {2}, bytesOf(std::vector<int64_t>{0, 0}));
    const int slice = g.addNode("Slice", "slice", {table, zeros, g.nodes[size_t(cat)].outputs[0]}, 1);
    const int sum = g.addNode("ElementWise", "sum", {x, g.nodes[size_t(slice)].outputs[0]}, 1);
    g.nodes[size_t(sum)].attrs.set("op", "sum");
    const int y = g.nodes[size_t(sum)].outputs[0];
    g.outputs = {y};
    ASSERT_TRUE(inferGraph(g).ok());
    EXPECT_EQ(g.values[size_t(y)].shape, (Shape{-1, -1}));
    for (int64_t s : {1, 5, 8}) {
        const auto shapes = cpu::inferWithHostValues(g, {{1, s}});
        EXPECT_EQ(shapes[size_t(y)], (Shape{1, s}));
    }
    // Beyond the table the slice fails: its shape stays as the graph records it.
    const int sliced = g.nodes[size_t(slice)].outputs[0];
    EXPECT_EQ(cpu::inferWithHostValues(g, {{1, 9}})[size_t(sliced)], (Shape{-1, -1}));
}

TEST(HostShapeValues, ValuesFromDataStayUnknown) {
    // The slice size is a network input (data): nothing to evaluate.
    Graph g;
    const int x = g.addValue("x", DType::kF32, {4, 4});
    const int size = g.addValue("size", DType::kI64, {2});
    g.inputs = {x, size};
    const int zeros = g.addConstant("zeros", DType::kI64, {2}, bytesOf(std::vector<int64_t>{0, 0}));
    const int slice = g.addNode("Slice", "slice", {x, zeros, size}, 1);
    const int y = g.nodes[size_t(slice)].outputs[0];
    g.outputs = {y};
    ASSERT_TRUE(inferGraph(g).ok());
    EXPECT_EQ(cpu::inferWithHostValues(g, {{4, 4}, {2}})[size_t(y)], (Shape{-1, -1}));
}

TEST(HostShapeValues, BuilderRecordsMaxShapesOfReshapesComputedFromShapes) {
    // r = Reshape(a, [Shape(a)[0], 2, 4]) in an engine for batches 1..4: the
    // plan records r at the max batch, [4, 2, 4], with an arena slot (as a view
    // of a), instead of [-1, -1, -1] allocated at run time.
    Graph g;
    const int x = g.addValue("x", DType::kF32, {-1, 8});
    g.inputs = {x};
    const int a = unary(g, x, "a");
    const int shape = g.nodes[size_t(g.addNode("Shape", "shape", {a}, 1))].outputs[0];
    const int zero = g.addConstant("zero", DType::kI64, {1}, bytesOf(std::vector<int64_t>{0}));
    const int dims = g.addConstant("dims", DType::kI64, {2}, bytesOf(std::vector<int64_t>{2, 4}));
    const int n = g.nodes[size_t(g.addNode("Gather", "n", {shape, zero}, 1))].outputs[0];
    const int cat = g.addNode("Concat", "spec", {n, dims}, 1);
    g.nodes[size_t(cat)].attrs.set("axis", int64_t(0));
    const int rn = g.addNode("Shuffle", "r", {a, g.nodes[size_t(cat)].outputs[0]}, 1);
    const std::string rName = g.values[size_t(g.nodes[size_t(rn)].outputs[0])].name;
    g.outputs = {unary(g, g.nodes[size_t(rn)].outputs[0], "y")};
    ASSERT_TRUE(inferGraph(g).ok());
    builder::BuildOptions opt;
    opt.profiles.push_back({{{1, 8}}, {{2, 8}}, {{4, 8}}});
    engine::Plan plan;
    const Status st = builder::buildPlan(
        g, opt, [](int, const std::string&) {}, plan);
    ASSERT_TRUE(st.ok()) << st.message();
    const Graph& pg = plan.graph;
    int r = -1;
    for (size_t v = 0; v < pg.values.size(); ++v)
        if (pg.values[v].name == rName) r = int(v);
    ASSERT_GE(r, 0);
    EXPECT_EQ(pg.values[size_t(r)].shape, (Shape{4, 2, 4}));
    EXPECT_GE(plan.memory.offsets[size_t(r)], 0);
}
