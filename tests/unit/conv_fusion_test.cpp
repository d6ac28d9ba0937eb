// The CUDA builder's convolution fusion on IR graphs (no device needed): a
// clip (ReLU6) joins a depthwise convolution as FusedConvolution's "clip"
// activation, and the fused graph gives the unfused one's values on the CPU
// reference; other convolutions keep their clip apart (cuDNN's and cuBLASLt's
// epilogues have none).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>

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
using testutil::runOnCpu;

std::vector<uint8_t> randomFloats(int64_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<uint8_t> b(size_t(n) * 4);
    for (int64_t i = 0; i < n; ++i) {
        const float v = u(rng);
        std::memcpy(b.data() + i * 4, &v, 4);
    }
    return b;
}

int floatConst(ir::Graph& g, const std::string& name, ir::Shape shape, uint32_t seed) {
    auto bytes = std::make_shared<ir::Bytes>(randomFloats(ir::volume(shape), seed, 1.f));
    return g.addConstant(name, DType::kF32, shape, bytes);
}

// x [2, 8, 9, 9] -> 3x3 convolution (depthwise: group 8, W [8, 1, 3, 3];
// else W [8, 8, 3, 3]) with a bias -> clip [0, 6].
ir::Graph convClip(bool depthwise) {
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 8, 9, 9});
    g.inputs = {x};
    const int w = floatConst(g, "w", {8, depthwise ? 1 : 8, 3, 3}, 1), b = floatConst(g, "b", {8}, 2);
    const int conv = g.addNode("Convolution", "conv", {x, w, b}, 1);
    auto& a = g.nodes[size_t(conv)].attrs;
    a.set("kernel", std::vector<int64_t>{3, 3});
    a.set("pads_begin", std::vector<int64_t>{1, 1});
    a.set("pads_end", std::vector<int64_t>{1, 1});
    if (depthwise) a.set("group", int64_t(8));
    const int clip = g.addNode("Activation", "relu6", {out0(g, conv)}, 1);
    g.nodes[size_t(clip)].attrs.set("type", std::string("clip"));
    g.nodes[size_t(clip)].attrs.set("alpha", 0.f);
    g.nodes[size_t(clip)].attrs.set("beta", 6.f);
    g.outputs = {out0(g, clip)};
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

}  // namespace

#ifdef KILN_HAVE_CUDA
TEST(ConvFusion, ClipJoinsADepthwiseConvolution) {
    ir::Graph g = convClip(true);
    const auto x = randomFloats(2 * 8 * 9 * 9, 3, 4.f);
    const auto before = runOnCpu(g, {x});
    ASSERT_TRUE(builder::fuseConvolutions(g, [](int, const std::string&) {}).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    ASSERT_EQ(g.nodes.size(), 1u);
    const ir::Node& n = g.nodes[0];
    EXPECT_EQ(n.op, "FusedConvolution");
    EXPECT_EQ(n.attrs.getString("activation"), "clip");
    EXPECT_EQ(n.attrs.getFloat("clip_min"), 0.0);
    EXPECT_EQ(n.attrs.getFloat("clip_max"), 6.0);
    const auto after = runOnCpu(g, {x});
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0], before[0]);  // the same float32 steps: bit for bit
    // The inputs were drawn so that both bounds clip something.
    bool low = false, high = false;
    for (size_t i = 0; i + 4 <= after[0].size(); i += 4) {
        float v;
        std::memcpy(&v, after[0].data() + i, 4);
        low = low || v == 0.f;
        high = high || v == 6.f;
    }
    EXPECT_TRUE(low && high);
}

TEST(ConvFusion, ClipStaysApartFromOtherConvolutions) {
    ir::Graph g = convClip(false);
    ASSERT_TRUE(builder::fuseConvolutions(g, [](int, const std::string&) {}).ok());
    EXPECT_EQ(countOp(g, "Convolution"), 1);
    EXPECT_EQ(countOp(g, "Activation"), 1);
    EXPECT_EQ(countOp(g, "FusedConvolution"), 0);
}
#endif

TEST(ConvFusion, FusedClipBoundsAreChecked) {
    ir::Graph g = convClip(true);
    ir::Node n = g.nodes[0];
    n.op = "FusedConvolution";
    n.attrs.set("activation", std::string("clip"));
    n.attrs.set("clip_min", 6.0);
    n.attrs.set("clip_max", 0.0);
    std::vector<ir::TensorDesc> out;
    const Status st = ir::inferNode(n, ir::describeInputs(g, n), out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("clip_min"), std::string::npos) << st.message();
}
