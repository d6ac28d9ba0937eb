// The "onednn" tactics against the reference kernels: the same random inputs
// run through both, compared at float32 tolerance scaled by the reduction
// length. Also: the per-shape plan cache (run shapes smaller than the build
// shapes, from several threads at once) and the cases supports() declines.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::ir::Shape;
using kiln::test::TestTensor;
using Ints = std::vector<int64_t>;

#ifdef KILN_HAVE_ONEDNN
#define SKIP_WITHOUT_ONEDNN() (void)0
#else
#define SKIP_WITHOUT_ONEDNN() GTEST_SKIP() << "kiln was built without oneDNN (KILN_HAVE_ONEDNN undefined)"
#endif

namespace {

// Fluent attribute lists for the case tables.
struct A {
    ir::Attrs a;
    A& v(const char* k, Ints x) { return a.set(k, std::move(x)), *this; }
    A& i(const char* k, int64_t x) { return a.set(k, x), *this; }
    A& s(const char* k, const char* x) { return a.set(k, x), *this; }
};

struct Case {
    const char* name;
    A attrs;
    std::vector<Shape> shapes;  // X first, then W (B is derived when `bias`)
    bool bias = false;
    int64_t reduction = 1;      // terms per output element, scales the tolerance
};

std::vector<TestTensor> inputsOf(const std::string& op, const Case& c, uint32_t seed) {
    std::vector<TestTensor> in;
    for (size_t i = 0; i < c.shapes.size(); ++i)
        in.push_back(TestTensor::random(DType::kF32, c.shapes[i], seed + uint32_t(i)));
    if (c.bias) {
        const int64_t m = op == "Convolution"     ? c.shapes[1][0]
                          : op == "FullyConnected" ? c.shapes[1][0]
                                                   : c.shapes[1][1] * c.attrs.a.getInt("group", 1);
        in.push_back(TestTensor::random(DType::kF32, {m}, seed + 7));
    } else if (op != "Pooling" && op != "MatMul") {
        in.push_back(TestTensor::none());
    }
    return in;
}

// Float32 sums of `reduction` products of values in [-1, 1].
double tolerance(int64_t reduction) { return 1e-6 * double(std::max<int64_t>(reduction, 1)) + 1e-6; }

void expectMatchesRef(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& in,
                      int64_t reduction) {
    const auto want = test::runOp(op, attrs, in, 1, "ref");
    ASSERT_TRUE(want.status.ok()) << want.status.message();
    const auto got = test::runOp(op, attrs, in, 1, "onednn");
    ASSERT_TRUE(got.status.ok()) << got.status.message();
    ASSERT_EQ(got.outputs[0].shape, want.outputs[0].shape);
    EXPECT_CLOSE(got.outputs[0].toDoubles(), want.outputs[0].toDoubles(), 1e-4, tolerance(reduction));
}

void runTable(const std::string& op, const std::vector<Case>& cases) {
    uint32_t seed = 100;
    for (const Case& c : cases) {
        SCOPED_TRACE(op + " case " + c.name);
        expectMatchesRef(op, c.attrs.a, inputsOf(op, c, seed += 10), c.reduction);
    }
}

Ints sp(std::initializer_list<int64_t> v) { return Ints(v); }

}  // namespace

TEST(OneDnnConvolution, MatchesReference) {
    SKIP_WITHOUT_ONEDNN();
    runTable("Convolution", {
        {"2d_pad1_batch1", A().v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{1, 3, 8, 8}, {4, 3, 3, 3}}, true, 27},
        {"2d_stride2_asym_pads", A().v("strides", sp({2, 2})).v("pads_begin", sp({0, 1})).v("pads_end", sp({1, 2})), {{2, 3, 9, 8}, {5, 3, 3, 3}}, true, 27},
        {"groups2", A().i("group", 2).v("pads_begin", sp({1, 0})).v("pads_end", sp({1, 0})), {{2, 4, 7, 9}, {6, 2, 3, 3}}, false, 18},
        {"depthwise", A().i("group", 8).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{2, 8, 10, 10}, {8, 1, 3, 3}}, true, 9},
        {"depthwise_multiplier2_stride2", A().i("group", 4).v("strides", sp({2, 2})), {{3, 4, 11, 11}, {8, 1, 3, 3}}, true, 9},
        {"dilation2", A().v("dilations", sp({2, 2})).v("pads_begin", sp({2, 1})).v("pads_end", sp({2, 2})), {{1, 4, 12, 12}, {5, 4, 3, 3}}, true, 36},
        {"dilation_stride_mixed", A().v("dilations", sp({1, 3})).v("strides", sp({2, 1})), {{2, 3, 10, 12}, {4, 3, 3, 2}}, false, 18},
        {"1d", A().v("strides", sp({2})).v("pads_begin", sp({2})).v("pads_end", sp({1})), {{3, 4, 16}, {6, 4, 5}}, true, 20},
        {"1d_dilated_grouped", A().i("group", 2).v("dilations", sp({3})), {{2, 6, 20}, {4, 3, 3}}, true, 9},
        {"3d", A().v("strides", sp({1, 2, 1})).v("pads_begin", sp({1, 1, 1})).v("pads_end", sp({1, 0, 1})), {{2, 3, 5, 6, 7}, {4, 3, 3, 3, 3}}, true, 81},
        {"3d_grouped_dilated", A().i("group", 2).v("dilations", sp({1, 2, 1})), {{1, 4, 6, 6, 6}, {4, 2, 2, 3, 3}}, false, 36},
        {"same_upper_stride2", A().s("auto_pad", "SAME_UPPER").v("strides", sp({2, 2})), {{2, 3, 9, 9}, {4, 3, 4, 4}}, true, 48},
        {"same_lower", A().s("auto_pad", "SAME_LOWER"), {{1, 3, 6, 7}, {4, 3, 2, 4}}, true, 24},
        {"valid", A().s("auto_pad", "VALID").v("pads_begin", sp({3, 3})).v("pads_end", sp({3, 3})), {{1, 2, 6, 6}, {3, 2, 3, 3}}, false, 18},
        {"ceil_mode", A().i("ceil_mode", 1).v("strides", sp({2, 2})), {{1, 2, 8, 8}, {3, 2, 3, 3}}, true, 18},
        {"stride_over_kernel_unused_tail", A().v("strides", sp({3, 3})), {{1, 3, 10, 10}, {2, 3, 2, 2}}, true, 12},
        {"1x1_wide", A(), {{4, 32, 14, 14}, {64, 32, 1, 1}}, true, 32},
        {"3x3_blocked_channels", A().v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{2, 16, 16, 16}, {32, 16, 3, 3}}, true, 144},
    });
}

TEST(OneDnnDeconvolution, MatchesReference) {
    SKIP_WITHOUT_ONEDNN();
    runTable("Deconvolution", {
        {"stride2_pad1", A().v("strides", sp({2, 2})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{1, 4, 5, 5}, {4, 3, 3, 3}}, true, 36},
        {"groups2", A().i("group", 2), {{2, 4, 4, 4}, {4, 2, 3, 3}}, true, 18},
        {"depthwise", A().i("group", 6).v("strides", sp({2, 2})), {{2, 6, 5, 5}, {6, 1, 3, 3}}, false, 9},
        {"output_padding", A().v("strides", sp({2, 2})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})).v("output_padding", sp({1, 1})), {{1, 3, 4, 4}, {3, 2, 3, 3}}, true, 27},
        {"dilation2", A().v("dilations", sp({2, 2})), {{2, 2, 5, 5}, {2, 3, 3, 3}}, true, 18},
        {"asym_pads", A().v("strides", sp({2, 1})).v("pads_begin", sp({0, 1})).v("pads_end", sp({2, 0})), {{1, 3, 5, 6}, {3, 4, 3, 3}}, true, 27},
        {"1d", A().v("strides", sp({3})).v("pads_begin", sp({1})).v("pads_end", sp({2})), {{2, 3, 7}, {3, 4, 4}}, true, 12},
        {"3d", A().v("strides", sp({2, 2, 2})), {{1, 2, 3, 4, 3}, {2, 2, 2, 3, 2}}, true, 24},
        {"output_shape_larger", A().v("strides", sp({2, 2})).v("output_shape", sp({8, 8})), {{1, 2, 3, 3}, {2, 2, 3, 3}}, true, 18},
        {"same_upper", A().s("auto_pad", "SAME_UPPER").v("strides", sp({2, 2})), {{2, 2, 4, 4}, {2, 3, 3, 3}}, false, 18},
        {"wide_channels", A().v("strides", sp({2, 2})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{2, 32, 8, 8}, {32, 16, 4, 4}}, true, 512},
    });
}

TEST(OneDnnPooling, MatchesReference) {
    SKIP_WITHOUT_ONEDNN();
    auto pool = [](const char* mode, Ints k) { return std::move(A().s("mode", mode).v("kernel", std::move(k))); };
    runTable("Pooling", {
        {"max2x2", pool("max", {2, 2}).v("strides", sp({2, 2})), {{2, 3, 8, 8}}},
        {"max3x3_pad1_batch1", pool("max", {3, 3}).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{1, 4, 7, 7}}},
        {"max_asym_pads", pool("max", {3, 3}).v("strides", sp({2, 2})).v("pads_begin", sp({0, 1})).v("pads_end", sp({1, 0})), {{2, 2, 9, 8}}},
        {"avg_exclude_pad", pool("avg", {3, 3}).v("strides", sp({2, 2})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{2, 3, 9, 9}}, false, 9},
        {"avg_include_pad", pool("avg", {3, 3}).i("count_include_pad", 1).v("strides", sp({2, 2})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{2, 3, 9, 9}}, false, 9},
        {"avg_include_asym", pool("avg", {2, 3}).i("count_include_pad", 1).v("pads_begin", sp({1, 0})).v("pads_end", sp({0, 2})), {{1, 2, 6, 7}}, false, 6},
        {"max_ceil_mode", pool("max", {3, 3}).i("ceil_mode", 1).v("strides", sp({2, 2})), {{1, 2, 8, 8}}},
        {"avg_exclude_ceil_mode", pool("avg", {3, 3}).i("ceil_mode", 1).v("strides", sp({2, 2})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{2, 2, 10, 10}}, false, 9},
        {"max_dilated", pool("max", {3, 3}).v("dilations", sp({2, 2})), {{1, 2, 9, 9}}},
        {"avg_exclude_dilated_padded", pool("avg", {3, 3}).v("dilations", sp({2, 2})).v("pads_begin", sp({2, 2})).v("pads_end", sp({2, 2})), {{2, 2, 8, 8}}, false, 9},
        {"max_1d", pool("max", {4}).v("strides", sp({3})).v("pads_begin", sp({1})).v("pads_end", sp({2})), {{2, 3, 20}}},
        {"avg_3d", pool("avg", {2, 2, 2}).v("strides", sp({2, 2, 2})), {{1, 2, 6, 6, 6}}, false, 8},
        {"max_3d_padded", pool("max", {3, 3, 3}).v("pads_begin", sp({1, 1, 1})).v("pads_end", sp({1, 1, 1})), {{2, 2, 4, 5, 4}}},
        {"global_avg", A().s("mode", "avg").i("global", 1), {{2, 5, 7, 6}}, false, 42},
        {"global_max", A().s("mode", "max").i("global", 1), {{2, 5, 7, 6}}},
        {"same_upper_max", pool("max", {3, 3}).s("auto_pad", "SAME_UPPER").v("strides", sp({2, 2})), {{1, 2, 7, 7}}},
        {"same_lower_avg", pool("avg", {2, 2}).s("auto_pad", "SAME_LOWER"), {{1, 2, 5, 5}}, false, 4},
    });
}

TEST(OneDnnMatMul, MatchesReference) {
    SKIP_WITHOUT_ONEDNN();
    runTable("MatMul", {
        {"plain", A(), {{3, 4}, {4, 5}}, false, 4},
        {"transA", A().i("transA", 1), {{4, 3}, {4, 5}}, false, 4},
        {"transB", A().i("transB", 1), {{3, 4}, {5, 4}}, false, 4},
        {"both_trans", A().i("transA", 1).i("transB", 1), {{4, 3}, {5, 4}}, false, 4},
        {"batched", A(), {{2, 3, 4}, {2, 4, 5}}, false, 4},
        {"broadcast_B", A(), {{2, 3, 3, 4}, {4, 5}}, false, 4},
        {"broadcast_A_transA", A().i("transA", 1), {{4, 3}, {2, 4, 5}}, false, 4},
        {"broadcast_both", A(), {{2, 1, 3, 4}, {1, 3, 4, 6}}, false, 4},
        {"broadcast_both_transB", A().i("transB", 1), {{3, 1, 2, 7}, {4, 5, 7}}, false, 7},
        {"vector_A", A(), {{4}, {2, 4, 5}}, false, 4},
        {"vector_B", A(), {{2, 3, 4}, {4}}, false, 4},
        {"dot", A(), {{6}, {6}}, false, 6},
        {"large_transB", A().i("transB", 1), {{64, 128}, {96, 128}}, false, 128},
    });
}

TEST(OneDnnFullyConnected, MatchesReference) {
    SKIP_WITHOUT_ONEDNN();
    runTable("FullyConnected", {
        {"bias_batch1", A(), {{1, 16}, {10, 16}}, true, 16},
        {"flatten_chw_no_bias", A(), {{4, 3, 5, 5}, {8, 75}}, false, 75},
        {"axis2_bias", A().i("axis", 2), {{2, 3, 4}, {6, 4}}, true, 4},
        {"wide_bias", A(), {{16, 256}, {120, 256}}, true, 256},
        {"no_keep_dims", A().i("keep_dims_1x1", 0), {{3, 20}, {7, 20}}, true, 20},
    });
}

// --- the per-shape plan cache: build at the max shape, run smaller ones ---

namespace {

struct Built {
    ir::Node node;
    const cpu::Tactic* tactic = nullptr;
    std::unique_ptr<cpu::Kernel> kernel;
    size_t workspace = 0;
};

std::vector<ir::TensorDesc> descsOf(const std::vector<TestTensor>& in) {
    std::vector<ir::TensorDesc> d;
    for (const auto& t : in) d.push_back(t.absent ? ir::TensorDesc{} : ir::TensorDesc{t.dtype, t.shape, t.bytes.data()});
    return d;
}

// Creates the onednn kernel for `in` (the build shapes), like the builder.
void build(const std::string& op, const ir::Attrs& attrs, const std::vector<TestTensor>& in, Built& b) {
    b.node.op = op;
    b.node.name = "cache_" + op;
    b.node.attrs = attrs;
    for (size_t i = 0; i < in.size(); ++i) b.node.inputs.push_back(in[i].absent ? -1 : int(i));
    b.node.outputs.push_back(int(in.size()));
    std::vector<ir::TensorDesc> out;
    ASSERT_TRUE(ir::inferNode(b.node, descsOf(in), out).ok());
    b.tactic = cpu::findCpuTactic(op, "onednn");
    ASSERT_NE(b.tactic, nullptr);
    ASSERT_TRUE(b.tactic->supports(b.node, descsOf(in), out));
    b.workspace = b.tactic->workspace ? b.tactic->workspace(b.node, descsOf(in), out) : 0;
    ASSERT_TRUE(b.tactic->create(b.node, descsOf(in), out, b.kernel).ok());
}

// Runs the built kernel on `in` (any shapes within the build shapes).
TestTensor runBuilt(const Built& b, const std::vector<TestTensor>& in, Status& st) {
    std::vector<ir::TensorDesc> out;
    st = ir::inferNode(b.node, descsOf(in), out);
    TestTensor y;
    if (!st.ok()) return y;
    y.shape = out[0].shape;
    y.bytes.assign(size_t(ir::volume(y.shape)) * 4, 0xA5);
    std::vector<cpu::HostTensor> hin, hout{{y.bytes.data(), DType::kF32, y.shape}};
    for (const auto& t : in) hin.push_back(t.absent ? cpu::HostTensor{} : cpu::HostTensor{const_cast<uint8_t*>(t.bytes.data()), t.dtype, t.shape});
    std::vector<uint8_t> ws(b.workspace);
    cpu::ThreadPool pool(1);
    cpu::KernelArgs args{b.node, hin, hout, pool, ws.data(), ws.size()};
    st = b.kernel->run(args);
    return y;
}

// Builds with batch `maxBatch`, then runs batches from several threads at once
// (a new shape's plan is made while others run) and checks each against ref.
void checkSmallerBatches(const std::string& op, const Case& c, int64_t maxBatch) {
    SCOPED_TRACE(op + " case " + c.name);
    Case big = c;
    big.shapes[0][0] = maxBatch;
    Built b;
    build(op, c.attrs.a, inputsOf(op, big, 5), b);
    if (testing::Test::HasFatalFailure()) return;
    const std::vector<int64_t> batches = {1, maxBatch, maxBatch - 1, 2, 1, maxBatch};
    std::vector<TestTensor> got(batches.size());
    std::vector<Status> status(batches.size());
    std::vector<std::vector<TestTensor>> inputs;
    for (int64_t n : batches) {
        Case small = c;
        small.shapes[0][0] = n;
        inputs.push_back(inputsOf(op, small, 5 + uint32_t(n)));
        // The constants must be the ones the kernel was built with.
        const auto built = inputsOf(op, big, 5);
        for (size_t i = 1; i < built.size(); ++i) inputs.back()[i] = built[i];
    }
    std::vector<std::thread> threads;
    for (size_t t = 0; t < batches.size(); ++t)
        threads.emplace_back([&, t] { got[t] = runBuilt(b, inputs[t], status[t]); });
    for (auto& th : threads) th.join();
    for (size_t t = 0; t < batches.size(); ++t) {
        SCOPED_TRACE("batch " + std::to_string(batches[t]));
        ASSERT_TRUE(status[t].ok()) << status[t].message();
        const auto want = test::runOp(op, c.attrs.a, inputs[t], 1, "ref");
        ASSERT_TRUE(want.status.ok()) << want.status.message();
        ASSERT_EQ(got[t].shape, want.outputs[0].shape);
        got[t].dtype = DType::kF32;
        EXPECT_CLOSE(got[t].toDoubles(), want.outputs[0].toDoubles(), 1e-4, tolerance(c.reduction));
    }
}

}  // namespace

TEST(OneDnnShapeCache, SmallerBatchesThanBuiltConcurrently) {
    SKIP_WITHOUT_ONEDNN();
    checkSmallerBatches("Convolution", {"conv", A().v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{0, 16, 12, 12}, {32, 16, 3, 3}}, true, 144}, 8);
    checkSmallerBatches("Deconvolution", {"deconv", A().v("strides", sp({2, 2})), {{0, 8, 5, 5}, {8, 4, 3, 3}}, true, 72}, 6);
    checkSmallerBatches("Pooling", {"avg", A().s("mode", "avg").v("kernel", sp({3, 3})).v("pads_begin", sp({1, 1})).v("pads_end", sp({1, 1})), {{0, 4, 9, 9}}, false, 9}, 5);
    checkSmallerBatches("MatMul", {"matmul", A().i("transB", 1), {{0, 7, 32}, {1, 24, 32}}, false, 32}, 4);
    checkSmallerBatches("FullyConnected", {"fc", A(), {{0, 3, 6, 6}, {20, 108}}, true, 108}, 16);
}

TEST(OneDnnShapeCache, FallsBackToReferenceForRunShapesOneDnnDeclines) {
    SKIP_WITHOUT_ONEDNN();
    // 9x9 with ceil_mode: windows end exactly at the input; 8x8: the last one
    // reaches into padding that count_include_pad must not count.
    const auto attrs = A().s("mode", "avg").i("count_include_pad", 1).i("ceil_mode", 1).v("kernel", sp({3, 3})).v("strides", sp({2, 2})).a;
    Built b;
    build("Pooling", attrs, {TestTensor::random(DType::kF32, {1, 2, 9, 9}, 1)}, b);
    if (HasFatalFailure()) return;
    const std::vector<TestTensor> small = {TestTensor::random(DType::kF32, {1, 2, 8, 8}, 2)};
    Status st;
    const TestTensor got = runBuilt(b, small, st);
    ASSERT_TRUE(st.ok()) << st.message();
    const auto want = test::runOp("Pooling", attrs, small, 1, "ref");
    ASSERT_TRUE(want.status.ok());
    EXPECT_CLOSE(got.toDoubles(), want.outputs[0].toDoubles(), 1e-5, 1e-6);
}

// --- what supports() declines ---

TEST(OneDnnSupports, DeclinesWhatItCannotComputeExactly) {
    SKIP_WITHOUT_ONEDNN();
    auto declined = [](const std::string& op, const ir::Attrs& a, const std::vector<TestTensor>& in, int nout = 1) {
        const auto r = test::runOp(op, a, in, nout, "onednn");
        return !r.status.ok() && r.status.message().find("does not support") != std::string::npos;
    };
    const auto x16 = TestTensor::random(DType::kF16, {1, 2, 5, 5}, 1), w16 = TestTensor::random(DType::kF16, {3, 2, 3, 3}, 2);
    EXPECT_TRUE(declined("Convolution", {}, {x16, w16}));
    EXPECT_TRUE(declined("Deconvolution", {}, {TestTensor::random(DType::kBF16, {1, 2, 4, 4}, 1), TestTensor::random(DType::kBF16, {2, 2, 3, 3}, 2)}));
    EXPECT_TRUE(declined("MatMul", {}, {TestTensor::random(DType::kI32, {2, 3}, 1, -5, 5), TestTensor::random(DType::kI32, {3, 2}, 2, -5, 5)}));
    EXPECT_TRUE(declined("FullyConnected", {}, {TestTensor::random(DType::kF16, {2, 8}, 1), TestTensor::random(DType::kF16, {4, 8}, 2)}));
    const auto x = TestTensor::random(DType::kF32, {1, 2, 8, 8}, 3);
    EXPECT_TRUE(declined("Pooling", A().s("mode", "max").v("kernel", sp({2, 2})).a, {TestTensor::random(DType::kF16, {1, 2, 8, 8}, 3)}));
    EXPECT_TRUE(declined("Pooling", A().s("mode", "lp").v("kernel", sp({2, 2})).a, {x}));
    EXPECT_TRUE(declined("Pooling", A().s("mode", "max").v("kernel", sp({2, 2})).v("strides", sp({2, 2})).a, {x}, 2));  // Indices
    // ceil_mode: the last window reaches past pads_end; count_include_pad divides differently.
    EXPECT_TRUE(declined("Pooling", A().s("mode", "avg").i("count_include_pad", 1).i("ceil_mode", 1).v("kernel", sp({3, 3})).v("strides", sp({2, 2})).a, {x}));
    EXPECT_FALSE(declined("Pooling", A().s("mode", "avg").i("ceil_mode", 1).v("kernel", sp({3, 3})).v("strides", sp({2, 2})).a, {x}));

    // Weights that are not build-time constants cannot be prepared once.
    ir::Node n;
    n.op = "Convolution";
    n.inputs = {0, 1};
    n.outputs = {2};
    std::vector<ir::TensorDesc> in = {{DType::kF32, {1, 2, 5, 5}, nullptr}, {DType::kF32, {3, 2, 3, 3}, nullptr}}, out;
    ASSERT_TRUE(ir::inferNode(n, in, out).ok());
    EXPECT_FALSE(cpu::findCpuTactic("Convolution", "onednn")->supports(n, in, out));
}

TEST(OneDnnSupports, RegisteredAfterReference) {
    SKIP_WITHOUT_ONEDNN();
    // Optimization level 0 takes the first supported tactic: it must be "ref".
    for (const char* op : {"Convolution", "Deconvolution", "Pooling", "MatMul", "FullyConnected"}) {
        const auto names = test::tacticsFor(op);
        ASSERT_GE(names.size(), 2u) << op;
        EXPECT_EQ(names.front(), "ref") << op;
        EXPECT_NE(std::find(names.begin(), names.end(), "onednn"), names.end()) << op;
    }
}
