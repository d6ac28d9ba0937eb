// channels_last Convolution, FusedConvolution and Pooling (docs/ops.md): the
// same problem stored [N, H, W, C] (weights [M, R, S, C/g]) must give the
// channels-first result, transposed. The channels-first kernels are checked
// against float64 loops in their own tests; here the transposes are written
// independently of the kernels' (a plain index loop). In kiln_op_tests_cuda
// these specs also run cuDNN's NHWC tactics against the CPU.
#include <gtest/gtest.h>

#include "ops/op_test_util.h"

using namespace kiln;
using kiln::ir::DType;
using kiln::ir::Shape;
using kiln::test::OpResult;
using kiln::test::runOp;
using kiln::test::TestTensor;
using Ints = std::vector<int64_t>;

namespace {

ir::Attrs convAttrs(int64_t pad, int64_t stride, int64_t group) {
    ir::Attrs a;
    a.set("strides", Ints{stride, stride});
    a.set("pads_begin", Ints{pad, pad});
    a.set("pads_end", Ints{pad, pad});
    a.set("group", group);
    return a;
}

void expectSame(const OpResult& last, const OpResult& first, double tol) {
    ASSERT_TRUE(first.status.ok()) << first.status.message();
    ASSERT_TRUE(last.status.ok()) << last.status.message();
    const TestTensor want = toChannelsLast(first.outputs[0]);
    ASSERT_EQ(last.outputs[0].shape, want.shape);
    EXPECT_EQ(last.outputs[0].dtype, want.dtype);
    EXPECT_CLOSE(last.outputs[0].toDoubles(), want.toDoubles(), tol, tol);
}

void checkConv(DType t, int64_t C, int64_t M, int64_t group, int64_t pad, int64_t stride, uint32_t seed, double tol) {
    const TestTensor x = TestTensor::random(t, {2, C, 9, 7}, seed),
                     w = TestTensor::random(t, {M, C / group, 3, 3}, seed + 1),
                     b = TestTensor::random(t, {M}, seed + 2);
    ir::Attrs last = convAttrs(pad, stride, group);
    last.set("channels_last", int64_t(1));
    expectSame(runOp("Convolution", last, {toChannelsLast(x), toChannelsLast(w), b}),
               runOp("Convolution", convAttrs(pad, stride, group), {x, w, b}), tol);
}

TEST(ChannelsLast, ConvolutionMatchesChannelsFirst) {
    checkConv(DType::kF32, 8, 16, 1, 1, 1, 1, 1e-5);
    checkConv(DType::kF32, 6, 4, 2, 0, 2, 4, 1e-5);  // grouped, strided, unpadded
    checkConv(DType::kF16, 16, 8, 1, 1, 2, 7, 2e-2);
    checkConv(DType::kF16, 16, 16, 16, 1, 1, 10, 2e-2);  // depthwise
    checkConv(DType::kBF16, 8, 8, 1, 1, 1, 13, 6e-2);
}

TEST(ChannelsLast, FusedConvolutionWithResidualAndRelu) {
    for (DType t : {DType::kF32, DType::kF16}) {
        const double tol = t == DType::kF32 ? 1e-5 : 2e-2;
        const TestTensor x = TestTensor::random(t, {2, 8, 6, 6}, 21), w = TestTensor::random(t, {8, 8, 3, 3}, 22),
                         b = TestTensor::random(t, {8}, 23), z = TestTensor::random(t, {2, 8, 6, 6}, 24);
        ir::Attrs first = convAttrs(1, 1, 1);
        first.set("activation", std::string("relu"));
        ir::Attrs last = first;
        last.set("channels_last", int64_t(1));
        expectSame(runOp("FusedConvolution", last, {toChannelsLast(x), toChannelsLast(w), b, toChannelsLast(z)}),
                   runOp("FusedConvolution", first, {x, w, b, z}), tol);
    }
}

// 1x1 kernels: on CUDA, cuBLASLt's GEMM tactic (unit strides, no padding,
// one group) runs beside cuDNN's; a strided one is cuDNN's alone.
TEST(ChannelsLast, PointwiseConvolutionMatchesChannelsFirst) {
    const struct {
        DType t;
        int64_t C, M, stride;
        bool bias;
        double tol;
    } cases[] = {{DType::kF32, 24, 16, 1, true, 1e-5},
                 {DType::kF32, 8, 40, 1, false, 1e-5},
                 {DType::kF16, 64, 32, 1, true, 2e-2},
                 {DType::kF16, 16, 24, 2, true, 2e-2},
                 {DType::kBF16, 32, 16, 1, true, 6e-2}};
    uint32_t seed = 40;
    for (const auto& c : cases) {
        const TestTensor x = TestTensor::random(c.t, {3, c.C, 5, 7}, seed),
                         w = TestTensor::random(c.t, {c.M, c.C, 1, 1}, seed + 1),
                         b = TestTensor::random(c.t, {c.M}, seed + 2);
        seed += 3;
        ir::Attrs first = convAttrs(0, c.stride, 1);
        ir::Attrs last = first;
        last.set("channels_last", int64_t(1));
        std::vector<TestTensor> inFirst = {x, w}, inLast = {toChannelsLast(x), toChannelsLast(w)};
        if (c.bias) {
            inFirst.push_back(b);
            inLast.push_back(b);
        }
        expectSame(runOp("Convolution", last, inLast), runOp("Convolution", first, inFirst), c.tol);
    }
}

TEST(ChannelsLast, PointwiseFusedConvolutionEpilogues) {
    for (DType t : {DType::kF32, DType::kF16}) {
        const double tol = t == DType::kF32 ? 1e-5 : 2e-2;
        const TestTensor x = TestTensor::random(t, {2, 32, 6, 5}, 51), w = TestTensor::random(t, {16, 32, 1, 1}, 52),
                         b = TestTensor::random(t, {16}, 53), z = TestTensor::random(t, {2, 16, 6, 5}, 54);
        for (const char* act : {"relu", "none"}) {
            ir::Attrs first = convAttrs(0, 1, 1);
            first.set("activation", std::string(act));
            ir::Attrs last = first;
            last.set("channels_last", int64_t(1));
            // Residual and bias; residual without bias; bias alone.
            expectSame(runOp("FusedConvolution", last, {toChannelsLast(x), toChannelsLast(w), b, toChannelsLast(z)}),
                       runOp("FusedConvolution", first, {x, w, b, z}), tol);
            expectSame(runOp("FusedConvolution", last,
                             {toChannelsLast(x), toChannelsLast(w), TestTensor::none(), toChannelsLast(z)}),
                       runOp("FusedConvolution", first, {x, w, TestTensor::none(), z}), tol);
            expectSame(runOp("FusedConvolution", last, {toChannelsLast(x), toChannelsLast(w), b}),
                       runOp("FusedConvolution", first, {x, w, b}), tol);
        }
    }
}

TEST(ChannelsLast, PoolingMatchesChannelsFirst) {
    for (DType t : {DType::kF32, DType::kF16}) {
        const double tol = t == DType::kF32 ? 1e-6 : 1e-2;
        const TestTensor x = TestTensor::random(t, {2, 16, 8, 8}, 31);
        for (const char* mode : {"max", "avg"}) {
            ir::Attrs first;
            first.set("mode", std::string(mode));
            first.set("kernel", Ints{3, 3});
            first.set("strides", Ints{2, 2});
            first.set("pads_begin", Ints{1, 1});
            first.set("pads_end", Ints{1, 1});
            ir::Attrs last = first;
            last.set("channels_last", int64_t(1));
            expectSame(runOp("Pooling", last, {toChannelsLast(x)}), runOp("Pooling", first, {x}), tol);
        }
        ir::Attrs global;
        global.set("mode", std::string("avg"));
        global.set("global", int64_t(1));
        ir::Attrs globalLast = global;
        globalLast.set("channels_last", int64_t(1));
        expectSame(runOp("Pooling", globalLast, {toChannelsLast(x)}), runOp("Pooling", global, {x}), tol);
    }
}

TEST(ChannelsLast, Errors) {
    ir::Attrs a = convAttrs(0, 1, 1);
    a.set("channels_last", int64_t(1));
    // Rank 2 has no channel axis to move.
    EXPECT_FALSE(runOp("Convolution", a,
                       {TestTensor::random(DType::kF32, {2, 3}, 1), TestTensor::random(DType::kF32, {4, 3}, 2)})
                     .status.ok());
    // W's channels (last) must match X's (last): [4, 3, 3, 5] against C = 3.
    const OpResult bad =
        runOp("Convolution", a,
              {TestTensor::random(DType::kF32, {1, 5, 5, 3}, 3), TestTensor::random(DType::kF32, {4, 3, 3, 5}, 4)});
    EXPECT_FALSE(bad.status.ok());
    ir::Attrs p;
    p.set("mode", std::string("max"));
    p.set("kernel", Ints{2, 2});
    p.set("channels_last", int64_t(1));
    const OpResult withIndices = runOp("Pooling", p, {TestTensor::random(DType::kF32, {1, 4, 4, 2}, 5)}, 2);
    EXPECT_FALSE(withIndices.status.ok());
    EXPECT_NE(withIndices.status.message().find("Indices"), std::string::npos) << withIndices.status.message();
}

}  // namespace
