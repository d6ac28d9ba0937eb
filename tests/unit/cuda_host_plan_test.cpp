// The CUDA backend's split of work between host and device (backends/cuda/
// host_plan.h): which layers compute shape tensors on the host, which values
// are read back, the upper bounds of data-dependent extents. Host logic only:
// runs without a GPU (in CUDA builds).
#ifdef KILN_HAVE_CUDA
#include <gtest/gtest.h>

#include <cstring>

#include "backends/cuda/host_plan.h"
#include "ir/op_schema.h"

using namespace kiln;
using namespace kiln::ir;
using cuda::NodeKind;

namespace {

int constantI64(Graph& g, const std::string& name, const std::vector<int64_t>& v) {
    auto bytes = std::make_shared<Bytes>(v.size() * 8);
    if (!v.empty()) std::memcpy(bytes->data(), v.data(), bytes->size());
    return g.addConstant(name, DType::kI64, {int64_t(v.size())}, bytes);
}

int node(Graph& g, const std::string& op, const std::string& name, std::vector<int> inputs, int outputs = 1) {
    return g.addNode(op, name, std::move(inputs), outputs);
}

int out(const Graph& g, int n, size_t k = 0) { return g.nodes[size_t(n)].outputs[k]; }

void finish(Graph& g) {
    ASSERT_TRUE(g.topoSort().ok());
    const Status st = inferGraph(g);
    ASSERT_TRUE(st.ok()) << st.message();
}

}  // namespace

// y = reshape(x, concat(gather(shape(x), [0]), [-1])): the target is made on
// the host; the engine needs no wait (launches only).
TEST(CudaHostPlan, ShapeTensorsOfAReshapeRunOnTheHost) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {4, 3, 2});
    g.inputs = {x};
    const int shape = node(g, "Shape", "shape", {x});
    const int gather = node(g, "Gather", "gather", {out(g, shape), constantI64(g, "zero", {0})});
    g.nodes[size_t(gather)].attrs.set("axis", int64_t(0));
    const int concat = node(g, "Concat", "concat", {out(g, gather), constantI64(g, "rest", {-1})});
    g.nodes[size_t(concat)].attrs.set("axis", int64_t(0));
    const int reshape = node(g, "Shuffle", "reshape", {x, out(g, concat)});
    const int relu = node(g, "Activation", "relu", {out(g, reshape)});
    g.nodes[size_t(relu)].attrs.set("type", std::string("relu"));
    // The batch size, cast on the device: its values are read in device memory.
    const int cast = node(g, "Cast", "batch_f32", {out(g, gather)});
    g.nodes[size_t(cast)].attrs.set("to", int64_t(DType::kF32));
    g.outputs = {out(g, relu), out(g, cast)};
    finish(g);
    cuda::HostPlan p;
    const Status st = cuda::planHostWork(g, p);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(p.kind[size_t(cast)], NodeKind::kDevice);
    EXPECT_EQ(p.kind[size_t(shape)], NodeKind::kHost);
    EXPECT_EQ(p.kind[size_t(gather)], NodeKind::kHost);
    EXPECT_EQ(p.kind[size_t(concat)], NodeKind::kHost);
    EXPECT_EQ(p.kind[size_t(reshape)], NodeKind::kDevice);
    EXPECT_EQ(p.kind[size_t(relu)], NodeKind::kDevice);
    EXPECT_FALSE(p.dynamic()) << p.dynamicReason;
    // Nothing is copied to the device: the reshape's launch reads its target's host copy.
    EXPECT_FALSE(p.upload[size_t(out(g, concat))]);
    EXPECT_FALSE(p.upload[size_t(out(g, shape))]);
    EXPECT_TRUE(p.upload[size_t(out(g, gather))]);
    // The reshape's tactic sees the target's values at the max shapes.
    const auto in = p.inputs(g, g.nodes[size_t(reshape)]);
    ASSERT_NE(in[1].data, nullptr);
    const auto* target = static_cast<const int64_t*>(in[1].data);
    EXPECT_EQ(target[0], 4);
    EXPECT_EQ(target[1], -1);
    // create() sees only constants: no kernel bakes in a value of the bound shapes.
    EXPECT_EQ(p.createInputs(g, g.nodes[size_t(reshape)])[1].data, nullptr);
    EXPECT_NE(p.createInputs(g, g.nodes[size_t(gather)])[1].data, nullptr) << "a constant keeps its data";
}

// A Shape whose values only device work reads (no shape depends on them) stays on the device.
TEST(CudaHostPlan, ShapeTensorsNoShapeNeedsStayOnTheDevice) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {4, 3});
    g.inputs = {x};
    const int shape = node(g, "Shape", "shape", {x});
    const int cast = node(g, "Cast", "cast", {out(g, shape)});
    g.nodes[size_t(cast)].attrs.set("to", int64_t(DType::kF32));
    g.outputs = {out(g, cast)};
    finish(g);
    cuda::HostPlan p;
    ASSERT_TRUE(cuda::planHostWork(g, p).ok());
    EXPECT_EQ(p.kind[size_t(shape)], NodeKind::kDevice);
    EXPECT_EQ(p.kind[size_t(cast)], NodeKind::kDevice);
    EXPECT_FALSE(p.dynamic());
}

// A reshape target that is a network input: read back from the device (a
// wait). Only small tensors are read back (the data is not).
TEST(CudaHostPlan, ATargetOnTheDeviceIsReadBack) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {64, 32});
    const int target = g.addValue("target", DType::kI64, {2});
    g.inputs = {x, target};
    const int reshape = node(g, "Shuffle", "reshape", {x, target});
    g.outputs = {out(g, reshape)};
    finish(g);
    cuda::HostPlan p;
    ASSERT_TRUE(cuda::planHostWork(g, p).ok());
    EXPECT_TRUE(p.readback[size_t(target)]);
    EXPECT_FALSE(p.readback[size_t(x)]) << "only the small tensor the shape depends on";
    EXPECT_TRUE(p.dynamic());
    EXPECT_NE(p.dynamicReason.find("target"), std::string::npos) << p.dynamicReason;
    EXPECT_TRUE(p.readsBack(g.nodes[size_t(reshape)]));
    EXPECT_FALSE(p.bounded(g, g.nodes[size_t(reshape)])) << "its output extents are known only at run time";
}

// A Slice whose size comes from a network input (known only at run time)
// and whose stride a layer computes from constants (ONNX's Slice with
// run-time starts/ends): the stride is made on the host, so the kernel finds
// its values there, as it does the read-back start and size.
TEST(CudaHostPlan, KnownParametersOfARunTimeShapedLayerStayOnTheHost) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {20, 10});
    const int start = g.addValue("start", DType::kI64, {2});
    const int size = g.addValue("size", DType::kI64, {2});
    g.inputs = {x, start, size};
    const int ones = constantI64(g, "ones", {1, 1});
    const int stride = node(g, "Identity", "stride", {ones});
    const int slice = node(g, "Slice", "slice", {x, start, size, out(g, stride)});
    g.outputs = {out(g, slice)};
    finish(g);
    cuda::HostPlan p;
    ASSERT_TRUE(cuda::planHostWork(g, p).ok());
    EXPECT_EQ(p.kind[size_t(stride)], NodeKind::kHost);
    EXPECT_TRUE(p.readback[size_t(start)]);
    EXPECT_TRUE(p.readback[size_t(size)]);
    const auto in = p.inputs(g, g.nodes[size_t(slice)]);
    ASSERT_EQ(in.size(), 4u);
    EXPECT_NE(in[1].data, nullptr);
    EXPECT_NE(in[2].data, nullptr);
    ASSERT_NE(in[3].data, nullptr) << "the stride's values, made on the host";
    EXPECT_EQ(static_cast<const int64_t*>(in[3].data)[1], 1);
}

// A target the host makes at run time from a run-time shape (ONNX's expanded
// Unsqueeze: concat(shape(y), [1])) has no build-time values: supports() sees
// zeros in its place, as for a read-back value, and the kernel the run's values.
TEST(CudaHostPlan, ARunTimeHostValueHasAStandInForSupports) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {20, 10});
    const int target = g.addValue("target", DType::kI64, {2});
    g.inputs = {x, target};
    const int y = node(g, "Shuffle", "reshape", {x, target});
    const int shape = node(g, "Shape", "shape", {out(g, y)});
    const int concat = node(g, "Concat", "concat", {out(g, shape), constantI64(g, "one", {1})});
    g.nodes[size_t(concat)].attrs.set("axis", int64_t(0));
    const int unsqueeze = node(g, "Shuffle", "unsqueeze", {out(g, y), out(g, concat)});
    g.outputs = {out(g, unsqueeze)};
    finish(g);
    cuda::HostPlan p;
    ASSERT_TRUE(cuda::planHostWork(g, p).ok());
    EXPECT_EQ(p.kind[size_t(concat)], NodeKind::kHost);
    EXPECT_TRUE(p.hostValue[size_t(out(g, concat))]);
    EXPECT_FALSE(p.readback[size_t(out(g, concat))]);
    const auto in = p.inputs(g, g.nodes[size_t(unsqueeze)]);
    ASSERT_EQ(in.size(), 2u);
    ASSERT_NE(in[1].data, nullptr) << "a stand-in for the target made at run time";
    EXPECT_EQ(in[1].shape, (Shape{3}));
    for (int k = 0; k < 3; ++k) EXPECT_EQ(static_cast<const int64_t*>(in[1].data)[k], 0);
}

// NonZero: counted on the device, bounded by [rank, numel]; later layers bounded from it.
TEST(CudaHostPlan, NonZeroIsCountedWithAnUpperBound) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {3, 5});
    g.inputs = {x};
    const int nz = node(g, "NonZero", "nz", {x});
    const int shape = node(g, "Shape", "count", {out(g, nz)});
    const int cast = node(g, "Cast", "cast", {out(g, shape)});
    g.nodes[size_t(cast)].attrs.set("to", int64_t(DType::kI32));
    g.outputs = {out(g, nz), out(g, cast)};
    finish(g);
    EXPECT_EQ(g.values[size_t(out(g, nz))].shape, (Shape{2, -1}));
    cuda::HostPlan p;
    ASSERT_TRUE(cuda::planHostWork(g, p).ok());
    EXPECT_EQ(p.kind[size_t(nz)], NodeKind::kDevice);
    EXPECT_TRUE(p.counted[size_t(nz)]);
    EXPECT_EQ(p.bound[size_t(out(g, nz))], (Shape{2, 15}));
    EXPECT_TRUE(p.bounded(g, g.nodes[size_t(cast)]));
    EXPECT_TRUE(p.dynamic());
    EXPECT_NE(p.dynamicReason.find("NonZero"), std::string::npos) << p.dynamicReason;
}

TEST(CudaHostPlan, ExtentBounds) {
    Node nz;
    nz.op = "NonZero";
    EXPECT_EQ(cuda::extentBound(nz, {{DType::kF32, {2, 3, 4}, nullptr}}), 24);
    EXPECT_EQ(cuda::extentBound(nz, {{DType::kF32, {}, nullptr}}), 1);
    EXPECT_EQ(cuda::extentBound(nz, {{DType::kF32, {2, -1}, nullptr}}), -1);
    Node uq;
    uq.op = "Unique";
    EXPECT_EQ(cuda::extentBound(uq, {{DType::kF32, {2, 3}, nullptr}}), 6);
    uq.attrs.set("axis", int64_t(-1));
    EXPECT_EQ(cuda::extentBound(uq, {{DType::kF32, {2, 3}, nullptr}}), 3);
    Node nms;
    nms.op = "NMS";
    nms.inputs = {0, 1, 2};
    const TensorDesc boxes{DType::kF32, {2, 10, 4}, nullptr}, scores{DType::kF32, {2, 3, 10}, nullptr};
    EXPECT_EQ(cuda::extentBound(nms, {boxes, scores, {DType::kI64, {1}, nullptr}}), 2 * 3 * 10);
    const int64_t four = 4;
    EXPECT_EQ(cuda::extentBound(nms, {boxes, scores, {DType::kI64, {1}, &four}}), 2 * 3 * 4);
    nms.attrs.set("topk_limit", int64_t(2));
    EXPECT_EQ(cuda::extentBound(nms, {boxes, scores, {DType::kI64, {1}, &four}}), 2 * 3 * 2);
    nms.inputs = {0, 1};
    EXPECT_EQ(cuda::extentBound(nms, {boxes, scores}), 0) << "no max_output_boxes_per_class: nothing selected";
}

// A conditional on a network input: control flow, its condition read back.
TEST(CudaHostPlan, AConditionOnTheDeviceIsReadBack) {
    Graph g;
    const int x = g.addValue("x", DType::kF32, {2, 3});
    const int c = g.addValue("c", DType::kBool, {});
    g.inputs = {x, c};
    const int cond = node(g, "IfCondition", "cond", {c});
    g.nodes[size_t(cond)].attrs.set("cond", int64_t(0));
    const int in = node(g, "IfInput", "in", {x});
    g.nodes[size_t(in)].attrs.set("cond", int64_t(0));
    const int neg = node(g, "Unary", "neg", {out(g, in)});
    g.nodes[size_t(neg)].attrs.set("op", std::string("neg"));
    const int res = node(g, "IfOutput", "res", {out(g, cond), out(g, in), out(g, neg)});
    g.nodes[size_t(res)].attrs.set("cond", int64_t(0));
    g.outputs = {out(g, res)};
    finish(g);
    cuda::HostPlan p;
    const Status st = cuda::planHostWork(g, p);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_TRUE(p.controlFlow);
    EXPECT_TRUE(p.dynamic());
    EXPECT_EQ(p.kind[size_t(cond)], NodeKind::kControl);
    EXPECT_EQ(p.kind[size_t(res)], NodeKind::kControl);
    EXPECT_TRUE(p.readback[size_t(out(g, cond))]);
    EXPECT_FALSE(p.readback[size_t(x)]);
}

#endif  // KILN_HAVE_CUDA
