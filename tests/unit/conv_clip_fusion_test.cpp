// The CUDA builder's clip fusion on IR graphs (no device needed): a clip
// (ReLU6) joins a depthwise convolution, or a channels-first convolution of at
// most 64 terms per output (a 1x1 of few channels, with or without a residual
// sum; a 3x3 over 3 channels), as FusedConvolution's "clip"
// activation, and the fused graph gives the unfused one's values on the CPU
// reference; other convolutions keep their clip apart (only kiln_depthwise and
// kiln_conv_small_k apply it; cuDNN's and cuBLASLt's epilogues have none).
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
using testutil::clipOf;
using testutil::conv2d;
using testutil::countOp;
using testutil::floatConst;
using testutil::out0;
using testutil::randomFloats;
using testutil::runOnCpu;

enum class Conv { kDepthwise3x3, kFull3x3, kSmall3x3, kPointwise, kPointwiseWide };

// x [2, C, 9, 9] -> convolution with a bias (depthwise 3x3: C = 8, group 8,
// W [8, 1, 3, 3]; full 3x3: W [8, 8, 3, 3], 72 terms per output; small 3x3:
// C = 3, 27 terms; pointwise: W [8, C, 1, 1] with C = 16, or 65 for the wide
// one) [-> + x2 (residual)] -> clip [0, 6].
ir::Graph convClip(Conv kind, bool residual = false) {
    ir::Graph g;
    const bool pointwise = kind == Conv::kPointwise || kind == Conv::kPointwiseWide;
    const int64_t C = kind == Conv::kPointwise       ? 16
                      : kind == Conv::kPointwiseWide ? 65
                      : kind == Conv::kSmall3x3      ? 3
                                                     : 8;
    const int x = g.addValue("x", DType::kF32, {2, C, 9, 9});
    g.inputs = {x};
    const ir::Shape wShape =
        pointwise ? ir::Shape{8, C, 1, 1} : ir::Shape{8, kind == Conv::kDepthwise3x3 ? 1 : C, 3, 3};
    const int w = floatConst(g, "w", wShape, 1), b = floatConst(g, "b", {8}, 2);
    int last = conv2d(g, "conv", x, w, b, pointwise ? 1 : 3, pointwise ? 0 : 1, kind == Conv::kDepthwise3x3 ? 8 : 1);
    if (residual) {
        const int x2 = g.addValue("x2", DType::kF32, {2, 8, 9, 9});
        g.inputs.push_back(x2);
        const int sum = g.addNode("ElementWise", "sum", {last, x2}, 1);
        g.nodes[size_t(sum)].attrs.set("op", std::string("sum"));
        last = out0(g, sum);
    }
    g.outputs = {clipOf(g, "relu6", last, 0.f, 6.f)};
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

}  // namespace

#ifdef KILN_HAVE_CUDA
namespace {

void noLog(int, const std::string&) {}

// Runs the builder's two fusions on g and checks that one FusedConvolution
// with clip [0, 6] is left, giving the unfused graph's values bit for bit
// (the same float32 steps) with both bounds reached.
void expectClipJoins(ir::Graph g, size_t inputs) {
    std::vector<std::vector<uint8_t>> x;
    for (size_t i = 0; i < inputs; ++i)
        x.push_back(randomFloats(ir::volume(g.values[size_t(g.inputs[i])].shape), uint32_t(3 + i), 4.f));
    const auto before = runOnCpu(g, x);
    ASSERT_TRUE(builder::fuseConvolutions(g, noLog).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    ASSERT_TRUE(builder::fuseConvClips(g, noLog).ok());
    ASSERT_TRUE(g.topoSort().ok());
    ASSERT_TRUE(ir::inferGraph(g).ok());
    ASSERT_EQ(g.nodes.size(), 1u);
    const ir::Node& n = g.nodes[0];
    EXPECT_EQ(n.op, "FusedConvolution");
    EXPECT_EQ(n.attrs.getString("activation"), "clip");
    EXPECT_EQ(n.attrs.getFloat("clip_min"), 0.0);
    EXPECT_EQ(n.attrs.getFloat("clip_max"), 6.0);
    const auto after = runOnCpu(g, x);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0], before[0]);
    bool low = false, high = false;
    for (size_t i = 0; i + 4 <= after[0].size(); i += 4) {
        float v;
        std::memcpy(&v, after[0].data() + i, 4);
        low = low || v == 0.f;
        high = high || v == 6.f;
    }
    EXPECT_TRUE(low && high);
}

}  // namespace

TEST(ConvFusion, ClipJoinsADepthwiseConvolution) { expectClipJoins(convClip(Conv::kDepthwise3x3), 1); }

TEST(ConvFusion, ClipJoinsAPointwiseConvolutionOfFewChannels) { expectClipJoins(convClip(Conv::kPointwise), 1); }

TEST(ConvFusion, ClipJoinsAFirstLayerOverFewChannels) { expectClipJoins(convClip(Conv::kSmall3x3), 1); }

TEST(ConvFusion, ClipJoinsAPointwiseConvolutionAfterItsResidualSum) {
    expectClipJoins(convClip(Conv::kPointwise, true), 2);
}

TEST(ConvFusion, ClipStaysApartFromOtherConvolutions) {
    for (Conv kind : {Conv::kFull3x3, Conv::kPointwiseWide}) {
        ir::Graph g = convClip(kind);
        ASSERT_TRUE(builder::fuseConvolutions(g, noLog).ok());
        ASSERT_TRUE(builder::fuseConvClips(g, noLog).ok());
        EXPECT_EQ(countOp(g, "Convolution"), 1);
        EXPECT_EQ(countOp(g, "Activation"), 1);
        EXPECT_EQ(countOp(g, "FusedConvolution"), 0);
    }
}

TEST(ConvFusion, ClipStaysApartWhenTheConvolutionOutputIsReadElsewhere) {
    ir::Graph g = convClip(Conv::kDepthwise3x3);
    g.outputs.push_back(g.nodes[0].outputs[0]);  // the convolution's output is a network output too
    ASSERT_TRUE(builder::fuseConvClips(g, noLog).ok());
    EXPECT_EQ(countOp(g, "Activation"), 1);
    EXPECT_EQ(countOp(g, "FusedConvolution"), 0);
}
#endif

TEST(ConvFusion, FusedClipBoundsAreChecked) {
    ir::Graph g = convClip(Conv::kDepthwise3x3);
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
