// The CUDA builder's input-clip fusion on IR graphs (no device needed): a clip
// (ReLU6) read only as a depthwise convolution's X becomes that convolution's
// input clip, and the fused graph gives the unfused one's values on the CPU
// reference (the padding stays zero); clips whose range leaves out 0, clips
// read elsewhere too and clips before other convolutions stay apart.
#include <gtest/gtest.h>

#include <memory>

#include "cpu_graph_runner.h"
#include "graph_builders.h"
#include "ir/graph.h"
#include "ir/op_schema.h"
#include "ir/ops/fused_convolution.h"
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
using testutil::randomFloats;
using testutil::runOnCpu;

// x [2, 8, 9, 9] -> clip [lo, hi] -> convolution 3x3, pad 1, with a bias
// (depthwise: group 8, W [8, 1, 3, 3]; else W [8, 8, 3, 3]).
ir::Graph clipConv(bool depthwise, float lo = 0.f, float hi = 6.f) {
    ir::Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 8, 9, 9});
    g.inputs = {x};
    const int w = floatConst(g, "w", {8, depthwise ? 1 : 8, 3, 3}, 1), b = floatConst(g, "b", {8}, 2);
    g.outputs = {conv2d(g, "conv", clipOf(g, "relu6", x, lo, hi), w, b, 3, 1, depthwise ? 8 : 1)};
    EXPECT_TRUE(g.topoSort().ok());
    EXPECT_TRUE(ir::inferGraph(g).ok());
    return g;
}

}  // namespace

#ifdef KILN_HAVE_CUDA
namespace {

void noLog(int, const std::string&) {}

Status fuse(ir::Graph& g) {
    KILN_RETURN_IF_ERROR(builder::fuseConvInputClips(g, noLog));
    KILN_RETURN_IF_ERROR(g.topoSort());
    return ir::inferGraph(g);
}

}  // namespace

TEST(ConvInputClipFusion, ClipBeforeADepthwiseConvolutionJoinsIt) {
    ir::Graph g = clipConv(true);
    // Values well past both bounds, so that the clip changes many of them.
    const std::vector<std::vector<uint8_t>> x = {randomFloats(2 * 8 * 9 * 9, 5, 12.f)};
    const auto before = runOnCpu(g, x);
    ASSERT_TRUE(fuse(g).ok());
    ASSERT_EQ(g.nodes.size(), 1u);
    const ir::Node& n = g.nodes[0];
    EXPECT_EQ(n.op, "FusedConvolution");
    EXPECT_EQ(n.inputs[0], g.inputs[0]);
    const ir::XClip c = ir::xClipOf(n);
    EXPECT_TRUE(c.on);
    EXPECT_EQ(c.lo, 0.0);
    EXPECT_EQ(c.hi, 6.0);
    EXPECT_EQ(n.attrs.getString("activation", "none"), "none");
    const auto after = runOnCpu(g, x);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0], before[0]);  // the same float32 steps, bit for bit
}

TEST(ConvInputClipFusion, OtherClipsAndConvolutionsStayApart) {
    struct Case {
        const char* what;
        ir::Graph g;
    };
    Case cases[] = {{"a full convolution", clipConv(false)},
                    {"a range above 0", clipConv(true, 1.f, 6.f)},
                    {"a range below 0", clipConv(true, -6.f, -1.f)},
                    {"a clip read elsewhere too", clipConv(true)}};
    cases[3].g.outputs.push_back(cases[3].g.nodes[0].outputs[0]);  // the clip's output is a network output too
    for (Case& c : cases) {
        SCOPED_TRACE(c.what);
        ASSERT_TRUE(fuse(c.g).ok());
        EXPECT_EQ(countOp(c.g, "Activation"), 1);
        EXPECT_EQ(countOp(c.g, "FusedConvolution"), 0);
    }
}
#endif

TEST(ConvInputClipFusion, InputClipRangeIsChecked) {
    ir::Graph g = clipConv(true);
    ir::Node n = g.nodes[1];  // the convolution
    n.op = "FusedConvolution";
    for (const auto& [lo, hi] : {std::pair{1.0, 6.0}, std::pair{-6.0, -1.0}, std::pair{6.0, 0.0}}) {
        n.attrs.set("x_clip_min", lo);
        n.attrs.set("x_clip_max", hi);
        std::vector<ir::TensorDesc> out;
        const Status st = ir::inferNode(n, ir::describeInputs(g, n), out);
        ASSERT_FALSE(st.ok());
        EXPECT_NE(st.message().find("x_clip_min"), std::string::npos) << st.message();
    }
    n.attrs.erase("x_clip_max");  // one bound alone
    n.attrs.set("x_clip_min", 0.0);
    std::vector<ir::TensorDesc> out;
    EXPECT_FALSE(ir::inferNode(n, ir::describeInputs(g, n), out).ok());
}
