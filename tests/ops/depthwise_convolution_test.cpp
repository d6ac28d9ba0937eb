// Depthwise 2-D Convolution and FusedConvolution (group == C == M) against a
// float64 loop written plainly in the test: both storage orders, every float
// type, strides, asymmetric pads, dilation, 3x3 and 5x5 kernels, the bias and
// the activations. In kiln_op_tests_cuda these specs also run the
// kiln_depthwise tactic (channels-first and channels-last kernels, vectorized
// when C is a multiple of 8 or 4) and cuDNN's against the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;
using Ints = std::vector<int64_t>;

struct Case {
    DType t = DType::kF32;
    int64_t N = 2, C = 8, H = 9, W = 7, KH = 3, KW = 3;
    int64_t stride = 1, dil = 1;
    Ints pb{1, 1}, pe{1, 1};
    bool bias = true;
    const char* op = "Convolution";
    const char* act = "none";
    double xRange = 1.0;  // X uniform in [-xRange, xRange)
    bool xClip = false;   // FusedConvolution's input clip: X clamped to [xLo, xHi] first
    double xLo = 0.0, xHi = 6.0;
};

double tolOf(DType t) { return t == DType::kF32 ? 1e-5 : t == DType::kF16 ? 2e-2 : 6e-2; }

// y[n, c] = b[c] + sum over taps of x[n, c, oh*s - pb + kh*d, ow*s - pb + kw*d] * w[c, 0, kh, kw], then act.
std::vector<double> depthwise(const Case& k, const TestTensor& x, const TestTensor& w, const TestTensor* b,
                              ir::Shape& outShape) {
    const auto xv = x.toDoubles(), wv = w.toDoubles();
    const std::vector<double> bv = b ? b->toDoubles() : std::vector<double>(size_t(k.C), 0.0);
    const int64_t OH = (k.H + k.pb[0] + k.pe[0] - (k.dil * (k.KH - 1) + 1)) / k.stride + 1;
    const int64_t OW = (k.W + k.pb[1] + k.pe[1] - (k.dil * (k.KW - 1) + 1)) / k.stride + 1;
    outShape = {k.N, k.C, OH, OW};
    std::vector<double> y(size_t(k.N * k.C * OH * OW));
    const std::string act = std::string(k.op) == "FusedConvolution" ? k.act : "none";
    for (int64_t n = 0; n < k.N; ++n)
        for (int64_t c = 0; c < k.C; ++c)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    double acc = bv[size_t(c)];
                    for (int64_t kh = 0; kh < k.KH; ++kh)
                        for (int64_t kw = 0; kw < k.KW; ++kw) {
                            const int64_t ih = oh * k.stride - k.pb[0] + kh * k.dil;
                            const int64_t iw = ow * k.stride - k.pb[1] + kw * k.dil;
                            if (ih < 0 || ih >= k.H || iw < 0 || iw >= k.W) continue;
                            double v = xv[size_t(((n * k.C + c) * k.H + ih) * k.W + iw)];
                            if (k.xClip) v = std::min(std::max(v, k.xLo), k.xHi);
                            acc += v * wv[size_t((c * k.KH + kh) * k.KW + kw)];
                        }
                    if (act == "relu" && acc < 0) acc = 0;
                    if (act == "clip") acc = std::min(std::max(acc, 0.0), 6.0);
                    y[size_t(((n * k.C + c) * OH + oh) * OW + ow)] = acc;
                }
    return y;
}

ir::Attrs attrsOf(const Case& k, bool last) {
    ir::Attrs a;
    a.set("group", k.C);
    a.set("strides", Ints{k.stride, k.stride});
    a.set("dilations", Ints{k.dil, k.dil});
    a.set("pads_begin", k.pb);
    a.set("pads_end", k.pe);
    if (std::string(k.op) == "FusedConvolution") {
        a.set("activation", std::string(k.act));
        if (std::string(k.act) == "clip") {
            a.set("clip_min", 0.0);
            a.set("clip_max", 6.0);
        }
        if (k.xClip) {
            a.set("x_clip_min", k.xLo);
            a.set("x_clip_max", k.xHi);
        }
    }
    if (last) a.set("channels_last", int64_t(1));
    return a;
}

// Runs the case channels-first and channels-last (W rotated to [C, KH, KW, 1]).
void check(const Case& k, uint32_t seed) {
    SCOPED_TRACE(std::string(k.op) + " " + std::string(ir::dtypeName(k.t)) + " C=" + std::to_string(k.C) +
                 " K=" + std::to_string(k.KH) + "x" + std::to_string(k.KW) + " stride=" + std::to_string(k.stride) +
                 " dil=" + std::to_string(k.dil) + " act=" + k.act + (k.bias ? " bias" : "") +
                 (k.xClip ? " x clip [" + std::to_string(k.xLo) + ", " + std::to_string(k.xHi) + "]" : ""));
    const TestTensor x = TestTensor::random(k.t, {k.N, k.C, k.H, k.W}, seed, -k.xRange, k.xRange);
    const TestTensor w = TestTensor::random(k.t, {k.C, 1, k.KH, k.KW}, seed + 1);
    const TestTensor b = TestTensor::random(k.t, {k.C}, seed + 2);
    ir::Shape ys;
    const std::vector<double> want = depthwise(k, x, w, k.bias ? &b : nullptr, ys);
    const double tol = tolOf(k.t);
    const TestTensor bIn = k.bias ? b : TestTensor::none();

    const OpResult first = runOp(k.op, attrsOf(k, false), {x, w, bIn});
    ASSERT_TRUE(first.status.ok()) << first.status.message();
    EXPECT_EQ(first.outputs[0].shape, ys);
    EXPECT_CLOSE(first.outputs[0].toDoubles(), want, tol, tol);

    const OpResult last = runOp(k.op, attrsOf(k, true), {toChannelsLast(x), toChannelsLast(w), bIn});
    ASSERT_TRUE(last.status.ok()) << last.status.message();
    const TestTensor wantLast = toChannelsLast(TestTensor::fromDoubles(DType::kF64, ys, want));
    EXPECT_EQ(last.outputs[0].shape, wantLast.shape);
    EXPECT_CLOSE(last.outputs[0].toDoubles(), wantLast.toDoubles(), tol, tol);
}

TEST(DepthwiseConvolution, EveryFloatTypeAndChannelCount) {
    uint32_t seed = 1;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (int64_t C : {32, 12, 3}) {  // vectorized (8 and 4 divide it), 4 only, scalar
            Case k;
            k.t = t;
            k.C = C;
            check(k, seed += 3);
        }
}

TEST(DepthwiseConvolution, StridesPadsDilation) {
    uint32_t seed = 100;
    for (DType t : {DType::kF32, DType::kF16}) {
        Case k;
        k.t = t;
        k.C = 16;
        k.H = 12;
        k.W = 11;
        k.stride = 2;  // MobileNet's downsampling layers
        check(k, seed += 3);
        k.pb = {0, 2};  // asymmetric: more on the left, some on the bottom
        k.pe = {1, 0};
        check(k, seed += 3);
        k.stride = 1;
        k.dil = 2;
        k.pb = {2, 2};
        k.pe = {2, 2};
        check(k, seed += 3);
        k.pb = {0, 0};  // no padding: every tap inside
        k.pe = {0, 0};
        k.C = 8;
        check(k, seed += 3);
    }
}

TEST(DepthwiseConvolution, OtherKernelSizes) {
    uint32_t seed = 200;
    for (DType t : {DType::kF32, DType::kBF16})
        for (int64_t C : {24, 5}) {
            Case k;
            k.t = t;
            k.C = C;
            k.KH = k.KW = 5;
            k.pb = {2, 2};
            k.pe = {2, 2};
            k.stride = C == 5 ? 2 : 1;
            check(k, seed += 3);
        }
    Case one;  // 1x1 depthwise: a per-channel scale (runtime-sized kernel path)
    one.KH = one.KW = 1;
    one.pb = {0, 0};
    one.pe = {0, 0};
    check(one, 250);
    Case tall;  // not square: the generic kernel loop
    tall.C = 16;
    tall.KH = 3;
    tall.KW = 1;
    tall.pb = {1, 0};
    tall.pe = {2, 0};
    check(tall, 260);
}

TEST(DepthwiseConvolution, WithoutBias) {
    uint32_t seed = 300;
    for (DType t : {DType::kF32, DType::kF16})
        for (const char* op : {"Convolution", "FusedConvolution"}) {
            Case k;
            k.t = t;
            k.C = 16;
            k.bias = false;
            k.op = op;
            k.act = "relu";
            check(k, seed += 3);
        }
}

TEST(DepthwiseConvolution, FusedActivations) {
    uint32_t seed = 400;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (const char* act : {"none", "relu"})
            for (int64_t C : {32, 12}) {
                Case k;
                k.t = t;
                k.C = C;
                k.op = "FusedConvolution";
                k.act = act;
                check(k, seed += 3);
            }
}

// ReLU6 (MobileNetV2): X wide enough that some sums pass 6.
TEST(DepthwiseConvolution, FusedClip) {
    uint32_t seed = 500;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (int64_t stride : {1, 2}) {
            Case k;
            k.t = t;
            k.C = 32;
            k.stride = stride;
            k.op = "FusedConvolution";
            k.act = "clip";
            k.xRange = 4.0;
            check(k, seed += 3);
        }
    Case odd;
    odd.C = 7;
    odd.op = "FusedConvolution";
    odd.act = "clip";
    odd.xRange = 4.0;
    check(odd, 550);
}

// The input clip (the ReLU6 before MobileNetV2's depthwise layers, fused into
// them): X wide enough that many values are clamped, with and without the
// output's own clip, vectorized (C = 32) and not (C = 12), both strides, and a
// range below 0 too; the zero padding must stay zero.
TEST(DepthwiseConvolution, InputClip) {
    uint32_t seed = 700;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (const char* act : {"none", "clip"})
            for (int64_t C : {32, 12}) {
                Case k;
                k.t = t;
                k.C = C;
                k.stride = C == 32 ? 1 : 2;
                k.op = "FusedConvolution";
                k.act = act;
                k.xClip = true;
                k.xRange = 8.0;
                check(k, seed += 3);
                k.xLo = -1.0;
                k.xHi = 3.0;
                check(k, seed += 3);
            }
}

// W and B of other float types than X (the tactic reads them as float).
TEST(DepthwiseConvolution, MixedParameterTypes) {
    Case k;
    k.t = DType::kF16;
    k.C = 16;
    const TestTensor x = TestTensor::random(DType::kF16, {2, 16, 9, 7}, 600);
    const TestTensor w = TestTensor::random(DType::kF32, {16, 1, 3, 3}, 601);
    const TestTensor b = TestTensor::random(DType::kBF16, {16}, 602);
    ir::Shape ys;
    const std::vector<double> want = depthwise(k, x, w, &b, ys);
    for (bool last : {false, true}) {
        const OpResult r =
            runOp("Convolution", attrsOf(k, last), {last ? toChannelsLast(x) : x, last ? toChannelsLast(w) : w, b});
        ASSERT_TRUE(r.status.ok()) << r.status.message();
        const TestTensor got = r.outputs[0];
        const std::vector<double> wantHere =
            last ? toChannelsLast(TestTensor::fromDoubles(DType::kF64, ys, want)).toDoubles() : want;
        EXPECT_CLOSE(got.toDoubles(), wantHere, 2e-2, 2e-2);
    }
}

// A batch of zero images: an empty output, no error, in both layouts.
TEST(DepthwiseConvolution, EmptyBatch) {
    Case k;
    k.N = 0;
    const TestTensor x = TestTensor::random(DType::kF32, {0, 8, 9, 7}, 700);
    const TestTensor w = TestTensor::random(DType::kF32, {8, 1, 3, 3}, 701);
    const OpResult r = runOp("Convolution", attrsOf(k, false), {x, w});
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, (ir::Shape{0, 8, 9, 7}));
    const TestTensor xl = TestTensor::random(DType::kF32, {0, 9, 7, 8}, 702);
    const TestTensor wl = TestTensor::random(DType::kF32, {8, 3, 3, 1}, 703);
    const OpResult rl = runOp("Convolution", attrsOf(k, true), {xl, wl});
    ASSERT_TRUE(rl.status.ok()) << rl.status.message();
    EXPECT_EQ(rl.outputs[0].shape, (ir::Shape{0, 9, 7, 8}));
}

}  // namespace
}  // namespace kiln::test
