// 2-D Convolution and FusedConvolution stored channels-first with short
// reductions (K = C·KH·KW of at most 64 terms, and just past it) against a
// float64 loop written plainly in the test: a first layer's 3x3 stride-2 over
// 3 colour channels (MobileNetV2's stem), 5x5 and 7x1 kernels, dilation,
// asymmetric pads, K on both sides of 16, 32 and 64, every float type, the
// bias, relu and clip, and the residual Z. In kiln_op_tests_cuda these specs
// also run the kiln_conv_small_k tactic's patch path (taps gathered through a
// table of offsets, those in the pads read as 0) and cuDNN's against the CPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "ops/op_test_util.h"

namespace kiln::test {
namespace {

using ir::DType;
using Ints = std::vector<int64_t>;

struct Case {
    DType t = DType::kF32;
    int64_t N = 2, C = 3, M = 8, H = 11, W = 9, KH = 3, KW = 3;
    int64_t sh = 1, sw = 1, dh = 1, dw = 1;
    Ints pb{1, 1}, pe{1, 1};
    bool bias = true, z = false;
    const char* op = "Convolution";
    const char* act = "none";
};

int64_t outExtent(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
    return (in + pb + pe - (d * (k - 1) + 1)) / s + 1;
}

// y[n, m, oh, ow] = act(b[m] + sum over c, i, j of x[n, c, oh*sh - pb0 + i*dh, ow*sw - pb1 + j*dw]
// * w[m, c, i, j] (+ z)), taps outside the image left out.
std::vector<double> reference(const Case& k, const TestTensor& x, const TestTensor& w, const TestTensor* b,
                              const TestTensor* z, ir::Shape& outShape) {
    const auto xv = x.toDoubles(), wv = w.toDoubles();
    const std::vector<double> bv = b ? b->toDoubles() : std::vector<double>(size_t(k.M), 0.0);
    const std::vector<double> zv = z ? z->toDoubles() : std::vector<double>{};
    const int64_t OH = outExtent(k.H, k.KH, k.sh, k.dh, k.pb[0], k.pe[0]);
    const int64_t OW = outExtent(k.W, k.KW, k.sw, k.dw, k.pb[1], k.pe[1]);
    outShape = {k.N, k.M, OH, OW};
    const std::string act = std::string(k.op) == "FusedConvolution" ? k.act : "none";
    std::vector<double> y(size_t(k.N * k.M * OH * OW));
    for (int64_t n = 0; n < k.N; ++n)
        for (int64_t m = 0; m < k.M; ++m)
            for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow) {
                    double acc = bv[size_t(m)];
                    for (int64_t c = 0; c < k.C; ++c)
                        for (int64_t i = 0; i < k.KH; ++i)
                            for (int64_t j = 0; j < k.KW; ++j) {
                                const int64_t ih = oh * k.sh - k.pb[0] + i * k.dh, iw = ow * k.sw - k.pb[1] + j * k.dw;
                                if (ih < 0 || ih >= k.H || iw < 0 || iw >= k.W) continue;
                                acc += xv[size_t(((n * k.C + c) * k.H + ih) * k.W + iw)] *
                                       wv[size_t(((m * k.C + c) * k.KH + i) * k.KW + j)];
                            }
                    const size_t at = size_t(((n * k.M + m) * OH + oh) * OW + ow);
                    if (z) acc += zv[at];
                    if (act == "relu" && acc < 0) acc = 0;
                    if (act == "clip") acc = std::min(std::max(acc, 0.0), 6.0);
                    y[at] = acc;
                }
    return y;
}

void check(const Case& k, uint32_t seed) {
    const ir::Shape xs{k.N, k.C, k.H, k.W}, ws{k.M, k.C, k.KH, k.KW};
    SCOPED_TRACE(std::string(k.op) + " " + std::string(ir::dtypeName(k.t)) + " X " + ir::shapeToString(xs) + " W " +
                 ir::shapeToString(ws) + " act=" + k.act + (k.z ? " Z" : "") + (k.bias ? "" : " no B"));
    const TestTensor x = TestTensor::random(k.t, xs, seed, -4.0, 4.0);  // wide: both clip bounds act
    const TestTensor w = TestTensor::random(k.t, ws, seed + 1);
    const TestTensor b = TestTensor::random(k.t, {k.M}, seed + 2);
    ir::Shape ys;
    const int64_t OH = outExtent(k.H, k.KH, k.sh, k.dh, k.pb[0], k.pe[0]);
    const int64_t OW = outExtent(k.W, k.KW, k.sw, k.dw, k.pb[1], k.pe[1]);
    const TestTensor z = TestTensor::random(k.t, {k.N, k.M, OH, OW}, seed + 3);
    const std::vector<double> want = reference(k, x, w, k.bias ? &b : nullptr, k.z ? &z : nullptr, ys);
    ir::Attrs a;
    a.set("kernel", Ints{k.KH, k.KW});
    a.set("strides", Ints{k.sh, k.sw});
    a.set("dilations", Ints{k.dh, k.dw});
    a.set("pads_begin", k.pb);
    a.set("pads_end", k.pe);
    if (std::string(k.op) == "FusedConvolution") {
        a.set("activation", std::string(k.act));
        if (std::string(k.act) == "clip") {
            a.set("clip_min", 0.0);
            a.set("clip_max", 6.0);
        }
    }
    std::vector<TestTensor> in = {x, w, k.bias ? b : TestTensor::none()};
    if (k.z) in.push_back(z);
    const OpResult r = runOp(k.op, a, in);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.outputs[0].shape, ys);
    // Terms grow with K and X's range 4: float32 tolerance scaled by sqrt(K).
    const double K = double(k.C * k.KH * k.KW);
    const double tol = k.t == DType::kF32 ? 1e-5 * std::sqrt(K) : k.t == DType::kF16 ? 2e-2 : 6e-2;
    EXPECT_CLOSE(r.outputs[0].toDoubles(), want, tol, 4.0 * tol);
}

// MobileNetV2's stem: 3x3 stride 2, pads 1, over 3 channels (K = 27), 32 out,
// with its ReLU6 fused, in every float type and with odd and even extents.
TEST(SmallKConvolution, StemStrideTwoWithClip) {
    uint32_t seed = 1;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (int64_t H : {12, 13}) {
            Case k;
            k.t = t;
            k.M = 32;
            k.H = H;
            k.W = 15;
            k.sh = k.sw = 2;
            k.op = "FusedConvolution";
            k.act = "clip";
            check(k, seed += 4);
        }
}

// K on both sides of the register widths 16, 32 and 64 (64 is the last K
// taken; 65 and 72 go to other tactics), kernels 1x3, 3x3, 5x5, 7x1.
TEST(SmallKConvolution, PatchLengths) {
    struct Shape {
        int64_t C, KH, KW;
    };
    uint32_t seed = 100;
    for (const Shape& s : {Shape{1, 1, 3}, Shape{5, 1, 3}, Shape{2, 3, 3}, Shape{3, 3, 3}, Shape{7, 3, 3},
                           Shape{2, 5, 5}, Shape{9, 7, 1}, Shape{13, 5, 1}, Shape{65, 1, 1}, Shape{8, 3, 3}})
        for (DType t : {DType::kF32, DType::kF16}) {
            Case k;
            k.t = t;
            k.C = s.C;
            k.KH = s.KH;
            k.KW = s.KW;
            k.pb = {s.KH / 2, s.KW / 2};
            k.pe = k.pb;
            check(k, seed += 4);
        }
}

// Dilation, asymmetric pads, unequal strides, no pads at all, an image smaller
// than the kernel's reach, and output channels past one shared-memory chunk
// (K = 63: 8192/64 = 128 per chunk, M = 200).
TEST(SmallKConvolution, Geometry) {
    uint32_t seed = 200;
    Case dilated;
    dilated.dh = 2;
    dilated.dw = 3;
    dilated.pb = {2, 3};
    dilated.pe = {2, 3};
    check(dilated, seed += 4);
    Case asym;
    asym.pb = {0, 2};
    asym.pe = {1, 0};
    asym.sh = 1;
    asym.sw = 2;
    check(asym, seed += 4);
    Case valid;
    valid.pb = {0, 0};
    valid.pe = {0, 0};
    valid.C = 4;
    check(valid, seed += 4);
    Case tiny;
    tiny.H = 2;
    tiny.W = 1;
    tiny.C = 2;
    tiny.pb = {2, 2};
    tiny.pe = {2, 2};
    check(tiny, seed += 4);
    Case wide;
    wide.C = 7;
    wide.M = 200;
    wide.H = 6;
    wide.W = 5;
    check(wide, seed += 4);
}

// FusedConvolution's activations and residual Z, with and without B, in every type.
TEST(SmallKConvolution, FusedActivationsAndResidual) {
    uint32_t seed = 300;
    for (DType t : {DType::kF32, DType::kF16, DType::kBF16})
        for (const char* act : {"none", "relu", "clip"})
            for (bool z : {false, true}) {
                Case k;
                k.t = t;
                k.C = 4;
                k.op = "FusedConvolution";
                k.act = act;
                k.z = z;
                k.bias = !z || t != DType::kF32;
                check(k, seed += 4);
            }
}

TEST(SmallKConvolution, EmptyBatch) {
    Case k;
    k.N = 0;
    k.op = "FusedConvolution";
    k.act = "clip";
    k.z = true;
    check(k, 400);
}

}  // namespace
}  // namespace kiln::test
