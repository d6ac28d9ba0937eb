#include <gtest/gtest.h>

#include "ir/graph.h"

using namespace kiln::ir;

TEST(Graph, TopoSortOrdersProducersFirstAndDetectsCycles) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {1, 4});
    g.inputs.push_back(x);
    // b consumes a's output but is added first.
    const int a = g.addNode("Identity", "a", {x}, 1);
    const int b = g.addNode("Identity", "b", {g.nodes[a].outputs[0]}, 1);
    std::swap(g.nodes[a], g.nodes[b]);
    ASSERT_TRUE(g.topoSort().ok());
    EXPECT_EQ(g.nodes[0].name, "a");
    EXPECT_EQ(g.nodes[1].name, "b");

    // A cycle: a reads b's output.
    g.nodes[0].inputs[0] = g.nodes[1].outputs[0];
    auto st = g.topoSort();
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.message().find("cycle"), std::string::npos) << st.message();
}

TEST(Graph, DanglingInputIsNamed) {
    Graph g;
    const int x = g.addValue("ghost", DType::kF32, {2});
    g.addNode("Identity", "reader", {x}, 1);
    auto st = g.topoSort();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("ghost"), std::string::npos);
    EXPECT_NE(st.message().find("reader"), std::string::npos);
}

TEST(Graph, CompactRenumbersAndDropsDead) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {3});
    g.inputs.push_back(x);
    const int n0 = g.addNode("Identity", "n0", {x}, 1);
    const int n1 = g.addNode("Identity", "n1", {g.nodes[n0].outputs[0]}, 1);
    g.outputs.push_back(g.nodes[n1].outputs[0]);
    g.replaceAllUses(g.nodes[n0].outputs[0], x);
    g.nodes[n0].dead = true;
    g.compact();
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.values.size(), 2u);
    EXPECT_EQ(g.nodes[0].inputs[0], g.inputs[0]);
    EXPECT_TRUE(g.validate().ok());
}

TEST(Shape, BroadcastFollowsNumpy) {
    Shape out;
    ASSERT_TRUE(broadcastShapes({2, 1, 4}, {3, 1}, out));
    EXPECT_EQ(out, (Shape{2, 3, 4}));
    EXPECT_FALSE(broadcastShapes({2, 3}, {4, 3, 2}, out));
    ASSERT_TRUE(broadcastShapes({}, {5}, out));
    EXPECT_EQ(out, (Shape{5}));
}

TEST(DType, HalfAndBF16RoundTrip) {
    for (float f : {0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f, 5.9604645e-08f}) {
        EXPECT_EQ(halfToFloat(floatToHalf(f)), f) << f;
    }
    EXPECT_EQ(halfToFloat(floatToHalf(1.0f + 1.0f / 4096)), 1.0f);  // ties to even
    EXPECT_EQ(bf16ToFloat(floatToBF16(3.0f)), 3.0f);
    EXPECT_EQ(fp8E4M3ToFloat(floatToFP8E4M3(448.0f)), 448.0f);
    EXPECT_EQ(fp8E4M3ToFloat(floatToFP8E4M3(1000.0f)), 448.0f);  // saturates
    EXPECT_EQ(fp8E4M3ToFloat(floatToFP8E4M3(0.375f)), 0.375f);
}
