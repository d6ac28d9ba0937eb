// 1x1 ("pointwise") Convolution and FusedConvolution stored channels-first
// (NCHW) against a float64 loop written plainly in the test: input channel
// counts on both sides of 16, 32 and 64, output channel counts up to 200,
// spatial sizes that 4 divides and that it does not (1-D, 2-D and 3-D), every
// float type, the bias, the activations, the residual Z, and W and B of other
// float types than X. In kiln_op_tests_cuda these specs also run the
// kiln_conv_small_k tactic (several consecutive positions per thread with
// vector loads when S and the pointers allow, fewer as C grows, else one;
// weights staged in shared memory in chunks of at most 8192/(C+1) output
// channels, so C = 64 with M = 200 takes two) and cuDNN's and cuBLASLt's
// against the CPU; the last test's strided and padded 1x1 layers take its
// patch path, and C = 65 is left to the other tactics.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;
using Ints = std::vector<int64_t>;

struct Case {
    DType t = DType::kF32;        // X, Y and Z
    std::optional<DType> wt, bt;  // W's and B's, when not X's
    int64_t N = 2, C = 16, M = 8;
    Ints spatial{7, 9};           // X is [N, C, spatial...]
    int64_t stride = 1, pad = 0;  // on every spatial dim
    bool bias = true, z = false;
    const char* op = "Convolution";
    const char* act = "none";
    double xRange = 1.0;  // X uniform in [-xRange, xRange)
};

bool fused(const Case& k) { return std::string(k.op) == "FusedConvolution"; }

// Base tolerance per storage type; float32's grows with the reduction length C.
double rtolOf(const Case& k) {
    if (k.t == DType::kF32) return 1e-5 * std::max(1.0, std::sqrt(double(k.C)));
    return k.t == DType::kF16 ? 2e-2 : 6e-2;
}
double atolOf(const Case& k) { return rtolOf(k) * std::max(1.0, k.xRange); }

ir::Shape outShapeOf(const Case& k) {
    ir::Shape s{k.N, k.M};
    for (int64_t e : k.spatial) s.push_back((e + 2 * k.pad - 1) / k.stride + 1);
    return s;
}

// y[n, m, o] = b[m] + sum over c of x[n, c, o*stride - pad] * w[m, c] (+ z[n, m, o]),
// o running over the output positions of every spatial dim; a position in the
// pads takes no product. No activation (see activate).
std::vector<double> pointwise(const Case& k, const TestTensor& x, const TestTensor& w, const TestTensor* b,
                              const TestTensor* z) {
    const auto xv = x.toDoubles(), wv = w.toDoubles();
    const std::vector<double> bv = b ? b->toDoubles() : std::vector<double>(size_t(k.M), 0.0);
    const std::vector<double> zv = z ? z->toDoubles() : std::vector<double>{};
    const ir::Shape ys = outShapeOf(k);
    int64_t S = 1, OS = 1;
    for (size_t d = 0; d < k.spatial.size(); ++d) {
        S *= k.spatial[d];
        OS *= ys[2 + d];
    }
    // src[o]: the input position output position o reads, or -1 in the pads.
    std::vector<int64_t> src(static_cast<size_t>(OS));
    for (int64_t o = 0; o < OS; ++o) {
        int64_t rest = o, in = 0, scale = 1;
        bool inside = true;
        for (size_t d = k.spatial.size(); d-- > 0;) {
            const int64_t od = rest % ys[2 + d];
            rest /= ys[2 + d];
            const int64_t id = od * k.stride - k.pad;
            if (id < 0 || id >= k.spatial[d]) inside = false;
            in += id * scale;
            scale *= k.spatial[d];
        }
        src[size_t(o)] = inside ? in : -1;
    }
    std::vector<double> y(size_t(k.N * k.M * OS));
    for (int64_t n = 0; n < k.N; ++n)
        for (int64_t m = 0; m < k.M; ++m)
            for (int64_t o = 0; o < OS; ++o) {
                double acc = bv[size_t(m)];
                const int64_t s = src[size_t(o)];
                if (s >= 0)
                    for (int64_t c = 0; c < k.C; ++c)
                        acc += xv[size_t((n * k.C + c) * S + s)] * wv[size_t(m * k.C + c)];
                const size_t i = size_t((n * k.M + m) * OS + o);
                if (z) acc += zv[i];
                y[i] = acc;
            }
    return y;
}

// FusedConvolution's activation after the sum: relu, or clip to [0, 6] (ReLU6).
std::vector<double> activate(std::vector<double> y, const Case& k) {
    const std::string act = fused(k) ? k.act : "none";
    for (double& v : y) {
        if (act == "relu" && v < 0) v = 0;
        if (act == "clip") v = std::min(std::max(v, 0.0), 6.0);
    }
    return y;
}

ir::Attrs attrsOf(const Case& k) {
    const size_t r = k.spatial.size();
    ir::Attrs a;
    a.set("group", int64_t(1));
    a.set("strides", Ints(r, k.stride));
    a.set("dilations", Ints(r, 1));
    a.set("pads_begin", Ints(r, k.pad));
    a.set("pads_end", Ints(r, k.pad));
    if (fused(k)) {
        a.set("activation", std::string(k.act));
        if (std::string(k.act) == "clip") {
            a.set("clip_min", 0.0);
            a.set("clip_max", 6.0);
        }
    }
    return a;
}

// Runs the case and checks Y; returns the reference before the activation.
std::vector<double> check(const Case& k, uint32_t seed) {
    const DType wt = k.wt.value_or(k.t), bt = k.bt.value_or(k.t);
    ir::Shape xs{k.N, k.C}, ws{k.M, k.C};
    for (int64_t e : k.spatial) {
        xs.push_back(e);
        ws.push_back(1);
    }
    const ir::Shape ys = outShapeOf(k);
    SCOPED_TRACE(std::string(k.op) + " X " + std::string(ir::dtypeName(k.t)) + ir::shapeToString(xs) + " W " +
                 std::string(ir::dtypeName(wt)) + ir::shapeToString(ws) + " stride=" + std::to_string(k.stride) +
                 " pad=" + std::to_string(k.pad) + " act=" + k.act +
                 (k.bias ? " B " + std::string(ir::dtypeName(bt)) : "") + (k.z ? " Z" : ""));
    const TestTensor x = TestTensor::random(k.t, xs, seed, -k.xRange, k.xRange);
    const TestTensor w = TestTensor::random(wt, ws, seed + 1);
    const TestTensor b = TestTensor::random(bt, {k.M}, seed + 2);
    const TestTensor z = TestTensor::random(k.t, ys, seed + 3);
    const std::vector<double> pre = pointwise(k, x, w, k.bias ? &b : nullptr, k.z ? &z : nullptr);
    const std::vector<double> want = activate(pre, k);

    std::vector<TestTensor> in = {x, w, k.bias ? b : TestTensor::none()};
    if (k.z) in.push_back(z);
    const OpResult r = runOp(k.op, attrsOf(k), in);
    EXPECT_TRUE(r.status.ok()) << r.status.message();
    if (!r.status.ok()) return pre;
    EXPECT_EQ(r.outputs[0].dtype, k.t);
    EXPECT_EQ(r.outputs[0].shape, ys);
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, rtolOf(k), atolOf(k));
    return pre;
}

// Input channel counts on both sides of 16, 32 and 64's per-thread widths
// (1, odd, 16 | 17, 24, 32 | 33, 64), with S = 63 (one position per thread)
// and S = 64 (vector loads), in every float type.
TEST(PointwiseConvolution, InputChannelCounts) {
    uint32_t seed = 1;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (int64_t C : {1, 3, 16, 17, 24, 32, 33, 64})
            for (const Ints& sp : {Ints{7, 9}, Ints{8, 8}}) {
                Case k;
                k.t = t;
                k.C = C;
                k.spatial = sp;
                check(k, seed += 4);
            }
}

// Output channel counts 1, 8, 96 and 200; with C = 64, M = 200 the weights
// are staged in two chunks (8192/65 = 126 output channels each).
TEST(PointwiseConvolution, OutputChannelCounts) {
    uint32_t seed = 100;
    for (int64_t M : {1, 8, 96, 200})
        for (int64_t C : {3, 64}) {
            Case k;
            k.M = M;
            k.C = C;
            k.spatial = {8, 8};
            check(k, seed += 4);
            k.spatial = {7, 9};
            check(k, seed += 4);
        }
    for (DType t : {DType::kF16, DType::kBF16})
        for (const Ints& sp : {Ints{8, 8}, Ints{7, 9}}) {
            Case k;
            k.t = t;
            k.C = 64;
            k.M = 200;
            k.spatial = sp;
            check(k, seed += 4);
        }
}

// Spatial sizes: S divisible by 4, even but not by 4, odd, a single position
// (the 1x1 feature map after global pooling), and the 1-D and 3-D forms,
// flattened by the tactic.
TEST(PointwiseConvolution, SpatialShapes) {
    uint32_t seed = 200;
    const std::vector<Ints> shapes = {
        {8, 8},     // S = 64
        {6, 7},     // S = 42
        {5, 5},     // S = 25
        {2, 2},     // S = 4
        {1, 1},     // S = 1
        {18},       // 1-D [N, C, L], S = 18
        {2, 4, 5},  // 3-D [N, C, D, H, W], S = 40
    };
    for (DType t : {DType::kF32, DType::kF16})
        for (int64_t C : {24, 64})
            for (const Ints& sp : shapes) {
                Case k;
                k.t = t;
                k.C = C;
                k.M = 12;
                k.N = sp.size() == 2 && sp[0] == 1 ? 3 : 2;
                k.spatial = sp;
                check(k, seed += 4);
            }
    Case bf;  // bfloat16 1-D and 3-D
    bf.t = DType::kBF16;
    bf.C = 33;
    bf.spatial = {20};
    check(bf, 290);
    bf.spatial = {3, 3, 3};
    check(bf, 295);
}

TEST(PointwiseConvolution, WithoutBias) {
    uint32_t seed = 300;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (const char* op : {"Convolution", "FusedConvolution"})
            for (int64_t C : {16, 33}) {
                Case k;
                k.t = t;
                k.C = C;
                k.M = 24;
                k.spatial = C == 16 ? Ints{8, 8} : Ints{7, 9};
                k.bias = false;
                k.op = op;
                k.act = "relu";
                check(k, seed += 4);
            }
}

// FusedConvolution's activations without Z, with each per-thread width.
TEST(PointwiseConvolution, FusedActivations) {
    uint32_t seed = 400;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (const char* act : {"none", "relu", "clip"})
            for (int64_t C : {16, 24, 64}) {
                Case k;
                k.t = t;
                k.C = C;
                k.M = 32;
                k.spatial = C == 16 ? Ints{8, 8} : C == 24 ? Ints{6, 7} : Ints{7, 9};
                k.op = "FusedConvolution";
                k.act = act;
                check(k, seed += 4);
            }
}

// ReLU6 with X in [-4, 4): some sums fall below 0 and some pass 6, so both
// bounds act (asserted on the float32 cases).
TEST(PointwiseConvolution, FusedClip) {
    uint32_t seed = 500;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (int64_t C : {3, 16})
            for (const Ints& sp : {Ints{8, 8}, Ints{7, 9}}) {
                Case k;
                k.t = t;
                k.C = C;
                k.M = 24;
                k.spatial = sp;
                k.op = "FusedConvolution";
                k.act = "clip";
                k.xRange = 4.0;
                const std::vector<double> pre = check(k, seed += 4);
                if (t != DType::kF32) continue;
                const auto below = std::count_if(pre.begin(), pre.end(), [](double v) { return v < 0.0; });
                const auto above = std::count_if(pre.begin(), pre.end(), [](double v) { return v > 6.0; });
                EXPECT_GT(below, 0) << "C=" << C;
                EXPECT_GT(above, 0) << "C=" << C;
            }
}

// The residual Z (Y = act(conv + B + Z)) in every float type, the activation
// after the sum; with and without B, and with the two-chunk C = 64, M = 200.
TEST(PointwiseConvolution, FusedResidual) {
    uint32_t seed = 600;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) {
        for (const char* act : {"none", "relu", "clip"})
            for (int64_t C : {16, 24, 64}) {
                Case k;
                k.t = t;
                k.C = C;
                k.M = 16;
                k.spatial = C == 64 ? Ints{7, 9} : Ints{8, 8};
                k.op = "FusedConvolution";
                k.act = act;
                k.z = true;
                check(k, seed += 4);
            }
        Case big;  // two weight chunks, no bias
        big.t = t;
        big.C = 64;
        big.M = 200;
        big.spatial = {8, 8};
        big.bias = false;
        big.op = "FusedConvolution";
        big.act = "relu";
        big.z = true;
        check(big, seed += 4);
        Case line;  // 1-D with Z
        line.t = t;
        line.C = 3;
        line.spatial = {15};
        line.op = "FusedConvolution";
        line.act = "clip";
        line.z = true;
        check(line, seed += 4);
    }
}

// W and B of other float types than X (the tactic reads them as float).
TEST(PointwiseConvolution, MixedParameterTypes) {
    uint32_t seed = 700;
    const DType types[] = {DType::kF32, DType::kF16, DType::kBF16};
    for (DType t : types)
        for (const char* op : {"Convolution", "FusedConvolution"}) {
            // The two other types, W taking the first and B the second.
            std::vector<DType> others;
            for (DType o : types)
                if (o != t) others.push_back(o);
            Case k;
            k.t = t;
            k.wt = others[0];
            k.bt = others[1];
            k.C = op[0] == 'C' ? 16 : 33;
            k.M = 40;
            k.spatial = op[0] == 'C' ? Ints{8, 8} : Ints{7, 9};
            k.op = op;
            k.act = "relu";
            k.z = fused(k);
            check(k, seed += 4);
            std::swap(k.wt, k.bt);
            check(k, seed += 4);
        }
}

// A batch of zero images: an empty output, no error.
TEST(PointwiseConvolution, EmptyBatch) {
    for (const char* op : {"Convolution", "FusedConvolution"}) {
        Case k;
        k.N = 0;
        k.C = 16;
        k.M = 8;
        k.spatial = {8, 8};
        k.op = op;
        k.act = "relu";
        k.z = fused(k);
        check(k, 800);
    }
}

// 1x1 shapes outside the vectorized path: C = 65 (kiln_conv_small_k refuses
// it: other tactics take it), strides 2 and pads 1 (its patch path).
TEST(PointwiseConvolution, WideStridedAndPaddedLayers) {
    uint32_t seed = 900;
    for (DType t : {DType::kF32, DType::kF16}) {
        Case wide;  // more than 64 input channels
        wide.t = t;
        wide.C = 65;
        wide.M = 24;
        wide.spatial = {8, 8};
        check(wide, seed += 4);
        wide.op = "FusedConvolution";
        wide.act = "relu";
        wide.z = true;
        check(wide, seed += 4);
        Case strided;  // a downsampling shortcut (ResNet's projection)
        strided.t = t;
        strided.C = 32;
        strided.M = 16;
        strided.spatial = {8, 7};
        strided.stride = 2;
        check(strided, seed += 4);
        Case padded;  // pads 1: the border positions get the bias alone
        padded.t = t;
        padded.C = 16;
        padded.M = 8;
        padded.spatial = {6, 5};
        padded.pad = 1;
        padded.op = "FusedConvolution";
        padded.act = "relu";
        check(padded, seed += 4);
    }
}

}  // namespace
}  // namespace kiln::test
